"""Fingerprints of source files: what a stored result or a rendered report was made by.

A stage whose output is kept (the metrics and findings, a batch's reports) records the fingerprint of
the files that make it, beside the fingerprint of its data, so that editing a rule, a sentence or a
template makes the next run redo it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .config import PROJECT_ROOT


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The files of ``paths`` (a directory stands for every file under it, caches left out), sorted."""
    files: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                         and p.suffix != ".pyc")
        elif path.is_file():
            files.add(path)
    return sorted(files)


def source_fingerprint(paths: Iterable[Path], *, root: Path = PROJECT_ROOT) -> str:
    """Hash of the names (relative to ``root``) and bytes of the files of ``paths``."""
    h = hashlib.sha256()
    for path in source_files(paths):
        name = path.relative_to(root) if path.is_relative_to(root) else path
        h.update(name.as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()

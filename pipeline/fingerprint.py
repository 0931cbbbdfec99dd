"""Fingerprints of source files: what a stored result or a rendered report was made by.

A stage whose output is kept (the metrics and findings, a batch's reports) records the fingerprint of
the files that make it, beside the fingerprint of its data, so that editing a rule, a sentence or a
template makes the next run redo it.
"""

from __future__ import annotations

import hashlib
import re
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


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.MULTILINE)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#]+)", re.MULTILINE)


def _imports(source: str) -> list[tuple[int, str, list[str]]]:
    """The import statements of a module's source as ``(level, module, names)`` (``import a.b``: level 0,
    module ``a.b``, no names), at the top or inside a function.  Read by pattern, not by parsing (ten times
    faster on the whole package): a line in a docstring that looks like an import only adds a file."""
    found = []
    for m in _FROM.finditer(source):
        names = [n.strip().split()[0] for n in m.group(3).strip("()\n ").replace("\n", ",").split(",") if n.strip()]
        found.append((len(m.group(1)), m.group(2), names))
    for m in _IMPORT.finditer(source):
        found += [(0, n.strip().split()[0], []) for n in m.group(1).split(",") if n.strip()]
    return found


def imported_modules(roots: Iterable[Path], *, package: Path | None = None) -> list[Path]:
    """The source files of the package's modules ``roots`` run: the files of ``roots`` (a directory stands
    for its modules) and, transitively, every module of the package they import (at the top or inside a
    function, absolutely or relatively), with the data files (phrase and rule files) in the folders of
    those modules.  Importing ``a.b`` counts ``a/b.py``, not what ``a/__init__.py`` imports besides (the
    module used, not the package's other modules).

    >>> from pipeline.config import PACKAGE_DIR
    >>> used = {p.relative_to(PACKAGE_DIR).as_posix() for p in imported_modules([PACKAGE_DIR / "metrics"])}
    >>> {"metrics/findings.py", "metrics/findings.yaml", "ingest/validate.py", "ingest/checks.yaml"} <= used
    True
    >>> "ingest/xlsx.py" in used
    False
    """
    package = Path(package) if package is not None else Path(__file__).resolve().parent
    name = package.name
    todo = [p for p in source_files(roots) if p.suffix == ".py"]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        here = path.relative_to(package).with_suffix("").parts
        here = here[:-1] if here[-1] == "__init__" else here
        base = here if path.name == "__init__.py" else here[:-1]  # the package this module is in
        for level, module, names in _imports(path.read_text(encoding="utf-8")):
            if level:
                if level - 1 > len(base):
                    continue
                start = base[:len(base) - level + 1] if level > 1 else base
                mod = (name, *start, *(module.split(".") if module else ()))
            else:
                mod = tuple(module.split("."))
            for target in [mod] + [(*mod, n) for n in names]:  # ``from . import charts``: a module
                if not target or target[0] != name:
                    continue
                rel = Path(*target[1:]) if len(target) > 1 else Path()
                for candidate in (package / rel.with_suffix(".py") if target[1:] else None,
                                  package / rel / "__init__.py"):
                    if candidate is not None and candidate.is_file():
                        todo.append(candidate)
                        break
    return sorted(seen | _data_beside(seen))


#: Files a module reads from its own folder: phrase and rule files (``words.yaml``, ``checks.yaml``, ...).
DATA_SUFFIXES = (".yaml", ".yml", ".csv", ".json")


def _data_beside(modules: Iterable[Path]) -> set[Path]:
    """The data files in the folders of ``modules`` (a sentence moved out of code into a phrase file
    must still change the fingerprint of the code that prints it)."""
    return {p for folder in {m.parent for m in modules} for p in folder.iterdir()
            if p.is_file() and p.suffix in DATA_SUFFIXES}

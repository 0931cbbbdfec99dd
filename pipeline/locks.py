"""Exclusive locks (``filelock``, so they work on Windows too), with who holds them written beside.

The batch's outputs lock and the data directory's writers' lock are both taken at once or refused with
the holder named; the holder's note lives in a file of its own because a locked file cannot be read on
Windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


@contextmanager
def hold(lock: FileLock, owner: Path, *, refused: Callable[[str | None], BaseException], note: str) -> Iterator[bool]:
    """Hold ``lock`` now or raise ``refused(holder)`` (the owner file's text, ``None`` when unknown).

    Yields True when this is the outermost hold (a re-entrant lock held again yields False); the
    outermost hold writes ``note`` to ``owner``.
    """
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            holder = owner.read_text(encoding="utf-8").strip() or None
        except OSError:
            holder = None
        raise refused(holder) from None
    try:
        first = lock.lock_counter == 1
        if first:
            owner.write_text(note, encoding="utf-8")
        yield first
    finally:
        lock.release()

"""Local batch workers: a few long-lived processes, each given one task at a time, and watched.

``concurrent.futures.ProcessPoolExecutor`` gives up all its work when one worker dies
(``BrokenProcessPool``) and cannot stop one task.  :class:`WorkerPool` can:

- a worker that dies (the out-of-memory killer, a crash) is replaced, and its task given once more
  to a fresh worker; a second death fails the task with the reason ("worker process died (killed by
  signal 9: out of memory?)");
- a task that runs longer than ``Limits.seconds``, or whose worker and the worker's children (its
  kernel) hold more resident memory than ``Limits.memory_mb``, is stopped: the worker and its
  children are killed, the task fails with the reason, and a fresh worker takes the next task;
- each worker runs in its own process group (a Ctrl-C on the terminal reaches the main process only,
  which then stops everything in order) and dies with the main process (``PR_SET_PDEATHSIG`` on
  Linux, a thread watching the parent elsewhere): nothing is written once the batch is gone.  A
  kernel stops within a second of its worker (ipykernel watches its parent);
- :meth:`WorkerPool.close` stops the workers: politely (each stops its kernel), or, when the batch
  was interrupted, by killing them and their children at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import wait
from typing import Any

import psutil

TICK = 0.2  # seconds between two looks at the running tasks' time and memory
PR_SET_PDEATHSIG = 1
MAX_FAILED_STARTS = 3  # workers that died before they were ready: after this many, the pool gives up
_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one task: wall-clock seconds, and resident MB of its worker with the worker's children."""

    seconds: float | None = None
    memory_mb: float | None = None


@dataclass(frozen=True)
class Failure:
    """A task the pool could not complete, and why."""

    reason: str
    attempts: int
    seconds: float
    pid: int
    peak_rss_mb: float | None


@dataclass
class _Worker:
    process: Any
    conn: Any
    ready: bool = False
    task: Any = None
    attempt: int = 0
    started: float = 0.0
    peak_mb: float = 0.0
    seen: dict[int, psutil.Process] = field(default_factory=dict)  # descendants seen (its kernel)


def death_reason(exitcode: int | None) -> str:
    """Why a worker process ended, in words."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        hint = ": out of memory?" if number == signal.SIGKILL else f" ({name})"
        return f"worker process died (killed by signal {number}{hint})"
    return f"worker process died (exit status {exitcode})"


class WorkerPool:
    """``size`` worker processes, started at once (each runs ``initializer`` first, e.g. to warm up).

    Use as a context manager: leaving it normally stops the workers politely; leaving it on an
    exception (an interrupted batch) kills them and their children.
    """

    def __init__(self, size: int, *, initializer: Callable[[], None], limits: Limits = Limits(), retries: int = 1):
        self.size, self.initializer, self.limits, self.retries = size, initializer, limits, retries
        self._ctx = get_context("spawn")
        self._failed_starts = 0
        self._workers: list[_Worker] = [self._spawn() for _ in range(size)]

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(kill=exc_type is not None)

    # ------------------------------------------------------------------ running tasks
    def run(self, tasks: list, fn: Callable[[Any, int], Any], *,
            on_lost: Callable[[Any], None] | None = None) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, fn(task, attempt))`` as each task completes in a worker, or ``(task, Failure)``.

        ``on_lost(task)`` is called after a worker was killed or died during ``task`` (before the
        task is tried again), e.g. to remove what it left half-made.
        """
        queue = deque((task, 1) for task in tasks)
        watched = self.limits.seconds or self.limits.memory_mb
        while queue or any(w.task is not None for w in self._workers):
            self._replace_missing(queue)
            if not self._workers:  # no worker could start: fail what is left
                reason = "no worker process could start (see the messages above)"
                while queue:
                    task, attempt = queue.popleft()
                    yield task, Failure(reason, attempt - 1, 0.0, 0, None)
                return
            self._dispatch(queue, fn)
            busy = any(w.task is not None for w in self._workers)
            ready = set(wait([w.conn for w in self._workers] + [w.process.sentinel for w in self._workers],
                             timeout=TICK if (watched and busy) else None))
            finished = []
            for w in list(self._workers):
                if w.conn in ready:
                    try:
                        message = w.conn.recv()
                    except (EOFError, OSError):
                        finished += self._lost(w, death_reason(self._exitcode(w)), queue, on_lost, retry=True)
                        continue
                    if message == "ready":
                        w.ready = True
                    else:
                        kind, value = message
                        if kind != "done":
                            value = Failure(value, w.attempt, self._elapsed(w), w.process.pid, None)
                        finished.append((w.task, value))
                        w.task = None
                elif w.process.sentinel in ready:
                    finished += self._lost(w, death_reason(self._exitcode(w)), queue, on_lost, retry=True)
            for w in list(self._workers):
                if w.task is not None and (reason := self._over_limits(w)):
                    finished += self._lost(w, reason, queue, on_lost, retry=False)
            self._dispatch(queue, fn)  # the next tasks first: workers do not wait while the results are recorded
            yield from finished

    def _dispatch(self, queue: deque, fn: Callable[[Any, int], Any]) -> None:
        """Give a queued task to each ready worker that has none."""
        for w in self._workers:
            if w.ready and w.task is None and queue:
                w.task, w.attempt = queue.popleft()
                w.started, w.peak_mb, w.seen = time.monotonic(), 0.0, {}
                try:
                    w.conn.send((fn, w.task, w.attempt))
                except OSError:  # it just died: its sentinel says so
                    pass

    def _over_limits(self, w: _Worker) -> str | None:
        if self.limits.seconds and self._elapsed(w) > self.limits.seconds:
            return f"took longer than {self.limits.seconds:g} s"
        if self.limits.memory_mb:
            rss = self._rss_mb(w)
            w.peak_mb = max(w.peak_mb, rss)
            if rss > self.limits.memory_mb:
                return f"used more than {self.limits.memory_mb:g} MB"
        return None

    def _lost(self, w: _Worker, reason: str, queue: deque, on_lost, *, retry: bool) -> list[tuple[Any, Failure]]:
        """``w`` died or must die: kill it with its children, then queue its task again or fail it."""
        self._kill(w)
        self._workers.remove(w)
        if not w.ready:
            self._failed_starts += 1
        if w.task is None:
            return []
        if on_lost is not None:
            on_lost(w.task)
        if retry and w.attempt <= self.retries:
            queue.appendleft((w.task, w.attempt + 1))
            return []
        return [(w.task, Failure(reason, w.attempt, self._elapsed(w), w.process.pid, round(w.peak_mb, 1) or None))]

    def _replace_missing(self, queue: deque) -> None:
        """Start workers in place of those lost, while there is work for them."""
        busy = sum(w.task is not None for w in self._workers)
        wanted = min(self.size, busy + len(queue))
        while queue and len(self._workers) < wanted and self._failed_starts < MAX_FAILED_STARTS:
            self._workers.append(self._spawn())

    @staticmethod
    def _elapsed(w: _Worker) -> float:
        return time.monotonic() - w.started

    @staticmethod
    def _exitcode(w: _Worker) -> int | None:
        w.process.join(timeout=5)
        return w.process.exitcode

    @staticmethod
    def _rss_mb(w: _Worker) -> float:
        """Resident memory of the worker and everything under it (its kernel), in MB."""
        try:
            procs = [psutil.Process(w.process.pid)]
            procs += procs[0].children(recursive=True)
        except psutil.Error:
            return 0.0
        total = 0
        for proc in procs:
            w.seen.setdefault(proc.pid, proc)
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total / _MB

    # ------------------------------------------------------------------ starting and stopping
    def _spawn(self) -> _Worker:
        parent_end, child_end = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child_end, os.getpid(), self.initializer), name="cchc-worker")
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _kill(self, w: _Worker) -> None:
        """Kill ``w`` and every process under it (its kernel runs in a session of its own), and reap ``w``."""
        victims = dict(w.seen)
        try:
            for proc in psutil.Process(w.process.pid).children(recursive=True):
                victims.setdefault(proc.pid, proc)
        except psutil.Error:
            pass
        try:
            if os.getpgid(w.process.pid) == w.process.pid:
                os.killpg(w.process.pid, signal.SIGKILL)
            else:  # not yet in its own group
                os.kill(w.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for proc in victims.values():
            try:
                proc.kill()  # psutil checks that the pid was not reused meanwhile
            except psutil.Error:
                continue
        w.process.join(timeout=10)
        w.conn.close()

    def close(self, *, kill: bool = False) -> None:
        """Stop every worker: ask each to finish (it stops its kernel), or kill them with their children.

        A worker leaves the pool's list only once it is gone, so a close interrupted by a signal can be
        followed by a killing one."""
        if kill:
            while self._workers:
                self._kill(self._workers[-1])
                self._workers.pop()
            return
        for w in self._workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 30
        while self._workers:
            w = self._workers[0]
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                self._kill(w)
            w.conn.close()
            self._workers.pop(0)


# ---------------------------------------------------------------------- the worker process
def _serve(conn, parent_pid: int, initializer: Callable[[], None]) -> None:
    """A worker's life: prepare, then run one task at a time until told to stop or orphaned."""
    os.setpgid(0, 0)  # a Ctrl-C on the terminal goes to the main process, which stops the workers in order
    die_with_parent(parent_pid)
    initializer()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the main process is gone
            break
        if message is None:
            break
        fn, task, attempt = message
        try:
            reply = ("done", fn(task, attempt))
        except Exception as exc:  # noqa: BLE001 - reported to the main process as the task's failure
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except OSError:
            break


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as ``parent_pid`` (its parent) ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed")
    except (OSError, AttributeError):  # not Linux: watch the parent
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent ended before the line above took effect
        os._exit(1)

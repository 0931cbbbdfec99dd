"""This process's warm kernel: started once, kept, reset between notebooks.

Only :mod:`jupyter_client` here (it imports in a blink), so a worker can launch its kernel
first and prepare the rest while the kernel boots.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
import threading
from pathlib import Path

from jupyter_client.manager import KernelManager

from ..config import NOTEBOOKS_DIR, PACKAGE_DIR

RESET = "get_ipython().run_line_magic('reset', '-f')"
WARM_UP = ("import pipeline.render.kernel, pipeline.report.content\n"
           "pipeline.report.content.warm_up()\npipeline.render.kernel.settle()")
_lock = threading.Lock()
_kernel: KernelManager | None = None
_client = None  # the blocking client kept with the kernel (channels stay open between notebooks)
_sockets: str | None = None  # the folder of the kernel's IPC sockets
#: Longest socket path a Unix domain socket takes (108 bytes on Linux, with room for the port suffix).
_MAX_SOCKET_PATH = 90


def warm_kernel(kernel_name: str = "python3", *, start_timeout: float = 60, wait: bool = True) -> KernelManager:
    """This process's kernel, started (and warmed up) on first use or when the last one died.

    With ``wait=False`` the kernel is launched and asked to warm up, and this returns at once:
    the caller prepares other things meanwhile, and the next execution waits its turn.
    """
    global _kernel, _client
    with _lock:
        if _kernel is not None and not _kernel.is_alive():
            shutdown()
        if _kernel is None:
            km = KernelManager(kernel_name=kernel_name, **_transport())
            km.start_kernel(cwd=str(NOTEBOOKS_DIR), env=kernel_env())
            kc = km.client()
            kc.start_channels()
            _kernel, _client = km, kc
            if wait:
                kc.wait_for_ready(timeout=start_timeout)
                execute(WARM_UP, start_timeout)
            else:
                kc.execute(WARM_UP, silent=True, store_history=False)
        return _kernel


def _transport() -> dict[str, str]:
    """IPC sockets in a private folder where the system has them, else TCP.

    Over TCP the client picks free ports and the kernel binds them a moment later: two workers starting
    their kernels together can pick the same port, and one kernel dies at start ("Address already in
    use").  Sockets in a folder of this kernel's own cannot collide, and nothing listens on the network
    (ipykernel warns about unencrypted TCP otherwise)."""
    global _sockets
    if os.name != "posix":
        return {}
    _remove_orphaned_sockets()
    folder = tempfile.mkdtemp(prefix=f"{_SOCKETS_PREFIX}{os.getpid()}-")
    if len(folder) + 10 > _MAX_SOCKET_PATH:  # a long TMPDIR: the socket paths would not fit
        os.rmdir(folder)
        return {}
    _sockets = folder
    return {"transport": "ipc", "ip": os.path.join(folder, "k")}


_SOCKETS_PREFIX = "cchc-k-"


def _remove_orphaned_sockets() -> None:
    """Remove the socket folders of processes that are gone (a worker killed with its kernel, by the batch's
    bounds or by the out-of-memory killer, never ran its own clean-up)."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{_SOCKETS_PREFIX}*-*"):
        try:
            pid = int(folder.name[len(_SOCKETS_PREFIX):].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):  # not ours, or another user's live process
            continue


def kernel_env() -> dict[str, str]:
    """The kernel's environment: this process's, with this process's ``pipeline`` package first on the
    kernel's path.  The kernel starts in ``notebooks/`` and would otherwise import whichever ``pipeline``
    is installed, which need not be the one running (a second checkout, a git worktree)."""
    env = dict(os.environ)
    path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_DIR.parent), *path])
    return env


def settle() -> None:
    """Call once a long-lived process (warm kernel, batch worker) has loaded and warmed up.

    What is alive now (modules, fonts, templates) stays for the process's life, so it is moved out
    of the cyclic garbage collector's reach (``gc.freeze``): otherwise every full collection, and
    IPython's ``%reset -f`` between reports, walks it all again.  Collections of young objects are
    also made less frequent: a report allocates a few million short-lived objects.
    """
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def client():
    return _client


def execute(code: str, timeout: float) -> None:
    """Run ``code`` in the kernel and wait for it; raise if it failed."""
    reply = _client.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel preparation failed: {reply['content'].get('evalue')}")


def call(code: str, timeout: float) -> str:
    """Run ``code`` in the kernel and return what it printed; raise :class:`RuntimeError` naming the kernel's error
    when it failed (a worker has the kernel do work that needs the data the kernel has loaded)."""
    printed: list[str] = []

    def keep(msg: dict) -> None:
        if msg["header"]["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
            printed.append(msg["content"]["text"])

    reply = _client.execute_interactive(code, timeout=timeout, store_history=False, output_hook=keep)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return "".join(printed)


def shutdown() -> None:
    """Stop this process's warm kernel (also at exit)."""
    global _kernel, _client, _sockets
    if _client is not None:
        _client.stop_channels()
        _client = None
    if _kernel is not None:
        process = getattr(_kernel.provisioner, "process", None)
        try:
            if process is not None:  # a local kernel: kill and reap it at once (shutdown_kernel polls every 0.1 s)
                process.kill()
                process.wait(timeout=10)
                _kernel.cleanup_resources()
            else:
                _kernel.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a kernel already gone is what we want
            pass
        _kernel = None
    if _sockets is not None:
        shutil.rmtree(_sockets, ignore_errors=True)
        _sockets = None


atexit.register(shutdown)


def kernel_peak_rss_mb() -> float | None:
    """Peak resident memory of this process's kernel, in MB (from /proc; None when unknown)."""
    if _kernel is None or _kernel.provisioner is None:
        return None
    pid = (getattr(_kernel.provisioner, "pid", None)
           or getattr(getattr(_kernel.provisioner, "process", None), "pid", None))
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None

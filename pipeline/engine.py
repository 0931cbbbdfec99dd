"""A papermill engine that keeps its kernel warm across reports.

Starting a kernel and importing pandas, matplotlib and the package takes longer than
executing a report.  ``cchc_warm`` (registered in papermill's engine registry, also as an
entry point) starts one kernel per worker process, keeps it, and before each notebook
resets the kernel's namespace (``%reset -f``), so nothing a report defined is visible to the
next.  Imported modules stay loaded: they hold no report data.  A dead kernel is replaced.
"""

from __future__ import annotations

import atexit
import threading

from jupyter_client.manager import KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from .config import NOTEBOOKS_DIR

ENGINE_NAME = "cchc_warm"
_RESET = "get_ipython().run_line_magic('reset', '-f')\nimport gc as _gc; _gc.collect(); del _gc"
_WARM_UP = "import pipeline.report, pipeline.charts  # loaded once per kernel"
_lock = threading.Lock()
_kernel: KernelManager | None = None


def _run(km: KernelManager, code: str, timeout: float) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        reply = kc.execute_interactive(code, timeout=timeout, store_history=False)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel preparation failed: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()


def warm_kernel(kernel_name: str = "python3", *, start_timeout: float = 60) -> KernelManager:
    """This process's kernel, started (and warmed up) on first use or when the last one died."""
    global _kernel
    with _lock:
        if _kernel is not None and not _kernel.is_alive():
            shutdown()
        if _kernel is None:
            km = KernelManager(kernel_name=kernel_name)
            km.start_kernel(cwd=str(NOTEBOOKS_DIR))
            _run(km, _WARM_UP, start_timeout)
            _kernel = km
        return _kernel


def shutdown() -> None:
    """Stop this process's warm kernel (also at exit)."""
    global _kernel
    if _kernel is not None:
        try:
            _kernel.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a kernel already gone is what we want
            pass
        _kernel = None


atexit.register(shutdown)


class WarmKernelEngine(Engine):
    """papermill engine ``cchc_warm``: execute in this process's warm kernel, namespace reset first."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        km = warm_kernel(kernel_name or "python3", start_timeout=start_timeout)
        _run(km, _RESET, start_timeout)
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, km=km, **final_kwargs)
        try:
            return client.execute()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)

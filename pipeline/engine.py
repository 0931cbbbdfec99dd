"""A papermill engine that keeps its kernel warm across reports.

Starting a kernel and importing pandas, matplotlib and the package takes longer than
executing a report.  ``cchc_warm`` (registered in papermill's engine registry when this module is
imported) starts one kernel per worker process, keeps it, and before each notebook
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
_client = None  # the blocking client kept with the kernel (channels stay open between reports)


def warm_kernel(kernel_name: str = "python3", *, start_timeout: float = 60) -> KernelManager:
    """This process's kernel, started (and warmed up) on first use or when the last one died."""
    global _kernel, _client
    with _lock:
        if _kernel is not None and not _kernel.is_alive():
            shutdown()
        if _kernel is None:
            km = KernelManager(kernel_name=kernel_name)
            km.start_kernel(cwd=str(NOTEBOOKS_DIR))
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=start_timeout)
            _kernel, _client = km, kc
            _execute(_WARM_UP, start_timeout)
        return _kernel


def _execute(code: str, timeout: float) -> None:
    reply = _client.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel preparation failed: {reply['content'].get('evalue')}")


def shutdown() -> None:
    """Stop this process's warm kernel (also at exit)."""
    global _kernel, _client
    if _client is not None:
        _client.stop_channels()
        _client = None
    if _kernel is not None:
        try:
            _kernel.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a kernel already gone is what we want
            pass
        _kernel = None


atexit.register(shutdown)


class _ResettingClient(PapermillNotebookClient):
    """Runs ``%reset -f`` in the kernel before the notebook's first cell."""

    def papermill_execute_cells(self):
        _execute(_RESET, self.startup_timeout)
        super().papermill_execute_cells()


class WarmKernelEngine(Engine):
    """papermill engine ``cchc_warm``: execute in this process's warm kernel, namespace reset first."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        km = warm_kernel(kernel_name or "python3", start_timeout=start_timeout)
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = _ResettingClient(nb_man, km=km, **final_kwargs)
        client.kc = _client  # keep the open channels: no client start-up per report
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)

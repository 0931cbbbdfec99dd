"""A papermill engine that keeps its kernel warm across reports.

Starting a kernel and importing pandas, matplotlib and the package takes longer than
executing a report.  ``cchc_warm`` (registered in papermill's engine registry when this module is
imported, and found by ``papermill --engine cchc_warm`` through the ``papermill.engine`` entry point,
:mod:`pipeline.render.entry`) executes in this process's warm kernel (:mod:`pipeline.render.kernel`), and before each
notebook resets the kernel's namespace (``%reset -f``), so nothing a report defined is visible to
the next.  Imported modules stay loaded: they hold no report data.  A dead kernel is replaced.
"""

from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from . import kernel
from .export import WARM_ENGINE as ENGINE_NAME  # the one name of this engine
from .kernel import kernel_peak_rss_mb, shutdown, warm_kernel  # noqa: F401 - re-exported for callers


class _ResettingClient(PapermillNotebookClient):
    """Runs ``%reset -f`` in the kernel before the notebook's first cell."""

    def papermill_execute_cells(self):
        kernel.execute(kernel.RESET, self.startup_timeout)
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
        client.kc = kernel.client()  # keep the open channels: no client start-up per report
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)

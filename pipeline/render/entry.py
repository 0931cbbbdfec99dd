"""papermill's entry point for the ``cchc_warm`` engine (``[project.entry-points."papermill.engine"]``).

papermill loads its entry points while ``papermill.engines`` is being imported, and
:mod:`pipeline.render.engine` imports ``papermill.engines``: were the entry point the engine class
itself, importing :mod:`pipeline.render.engine` first would make papermill load a half-imported module.
So the entry point is this stand-in, which imports nothing when loaded and hands every attribute
(``execute_notebook``, ``nb_kernel_name``, ``nb_language``) to the real engine on first use, when both
modules are complete.  Importing :mod:`pipeline.render.engine` registers the real class over it.
"""

from __future__ import annotations


class _Forwarding(type):
    def __getattr__(cls, name: str):
        from .engine import WarmKernelEngine

        return getattr(WarmKernelEngine, name)


class WarmKernelEngine(metaclass=_Forwarding):
    """Stand-in for :class:`pipeline.render.engine.WarmKernelEngine` (see the module docstring)."""

"""Warm workers: a Dask worker plugin that imports the modules a batch's tasks need, once per worker.

A fresh worker process (a local one started by :class:`execution.Executor`, or one of an existing
cluster) has imported none of pandas, statsmodels or the project's packages; without this the
first task on each worker pays for those imports inside its run (and a longest-first order is
spoiled by a first task that is slower than its estimate). Kept apart from ``execution`` itself
because a plugin must subclass ``distributed``'s ``WorkerPlugin``, and importing ``distributed``
is only worth it when a cluster is in use.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["WarmImports"]


class WarmImports(WorkerPlugin):
    """Imports ``modules`` (dotted names) once on every worker of the cluster: on the workers
    there when it is registered, and on any that join later (a replacement for a worker that
    died). Registering the same module list again does nothing (``idempotent``).

    Example:
        >>> client.register_plugin(WarmImports(("forecasting.api", "statsmodels.tsa.seasonal")))  # doctest: +SKIP
    """

    idempotent = True

    def __init__(self, modules: Sequence[str]):
        self.modules = tuple(str(m) for m in modules)
        self.name = "warm-imports-" + "-".join(self.modules)

    def setup(self, worker) -> None:
        for module in self.modules:
            importlib.import_module(module)

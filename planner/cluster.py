"""Where a command's heavy work runs: the ``--scheduler``/``--workers`` options and the
:class:`execution.Executor` a command opens for its whole run (started and closed by it).

Without ``--scheduler`` (and without ``PLANNER_DASK_SCHEDULER``) the work runs on a local Dask
cluster of ``--workers`` processes (default the cores), started only when there are two tasks or
more; with it, on that existing cluster. An address that does not answer is a one-line error
(exit 2). The dashboard address is printed on stderr when a cluster is up.

Example:
    >>> args = parser.parse_args(["--scheduler", "tcp://10.0.0.5:8786"])   # doctest: +SKIP
    >>> with command_executor(args) as ex:                                 # doctest: +SKIP
    ...     forecast_frame(history, ..., executor=ex)
"""

from __future__ import annotations

import argparse
import sys

from wfm_errors import ConfigError
from execution import SCHEDULER_ENV, Executor, ExecutorInfo


def add_arguments(parser: argparse.ArgumentParser, *, workers: bool = True) -> None:
    """``--scheduler ADDRESS`` (and ``--workers N`` unless ``workers`` is False)."""
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help=f"run the work on this Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                        f"${SCHEDULER_ENV}, else a local cluster started for the command)")
    if workers:
        parser.add_argument("--workers", type=int, metavar="N",
                            help="local Dask worker processes (default: the cores; 1 = in this process)")


def announce(info: ExecutorInfo) -> None:
    """One line on stderr: where the work runs and the dashboard address."""
    where = (f"Dask scheduler {info.address} ({info.workers} worker(s))" if info.kind == "remote"
             else f"local Dask cluster of {info.workers} worker(s)")
    dashboard = f"; dashboard {info.dashboard_link}" if info.dashboard_link else ""
    print(f"running on the {where}{dashboard}", file=sys.stderr, flush=True)


def command_executor(args: argparse.Namespace) -> Executor:
    """The executor for a command's run (a context manager); validates ``--workers``."""
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    return Executor(scheduler=getattr(args, "scheduler", None), workers=workers, on_start=announce)


def use_scheduler(address: str | None) -> None:
    """For ``planner app``: check that the scheduler at ``address`` (or ``PLANNER_DASK_SCHEDULER``)
    answers, print its dashboard, and put the address in the environment, where the app's jobs
    (background processes) read it. Nothing to do without an address."""
    import os

    address = address or os.environ.get(SCHEDULER_ENV, "").strip() or None
    if not address:
        return
    with Executor(scheduler=address, on_start=announce):
        pass
    os.environ[SCHEDULER_ENV] = address

"""The one execution layer for independent heavy tasks (series forecasts, scenario plans): Dask.

:class:`Executor` runs ``fn(*common, item)`` for every item and returns the results **in input
order**, whatever order they finish in, so a run is identical to a sequential one. Where the
tasks run:

- ``scheduler="tcp://HOST:8786"`` (or ``PLANNER_DASK_SCHEDULER`` in the environment): on that
  existing Dask cluster (``dask scheduler`` + ``dask worker`` processes on any machines that
  have this project installed). The connection is made when the executor opens; a scheduler
  that cannot be reached within ``connect_timeout_s`` raises :class:`SchedulerUnreachable`.
- otherwise a local Dask cluster sized to the machine (``workers``, default the cores) is
  started on the first batch worth spreading (two tasks or more, more than one worker) and
  closed with the executor. Its scheduler runs in this process; every worker is a separate
  ``dask worker`` program (``python -m distributed.cli.dask_worker --no-nanny``, started with
  ``subprocess``, half the start-up time of a nanny and its worker), so nothing is forked from
  a process holding solver threads and a script calling the API needs no
  ``if __name__ == "__main__":`` guard.
- smaller work (one task, or one worker asked for) runs here, in this process, through the same
  task wrapper: starting worker processes costs more than it saves.

Tasks and failures: ``common`` arguments (a forecast frame, a config) are scattered to the
cluster once, not pickled into every task; each item carries only its own data (one series'
rows). On a cluster the tasks start longest first when the caller estimates their ``costs``
(the last long task does not start when the others are done), and every worker imports the
modules the tasks need (``warm``) once, when the batch's cluster is ready, so the first task on
a worker does not pay for the imports; the results come back in input order either way. A worker that dies mid-run has its tasks re-run on another worker by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times); a task that raises comes back as
:class:`TaskFailed` naming the task's label (queue and channel, or scenario) and the cause.

Threads and measurement: a task runs with one BLAS/OpenMP thread wherever it runs (local
workers start with the variables a Dask nanny sets, :func:`worker_environ`; a batch run here is
under :func:`one_blas_thread`), so several workers do not oversubscribe the cores and a task
gives the same numbers everywhere. :attr:`Executor.task_stats` keeps a :class:`TaskStat` (wall
and CPU seconds measured inside the task) per task.

Example:
    >>> with Executor(workers=2) as ex:                                      # doctest: +SKIP
    ...     squares = ex.map(pow, [1, 2, 3], common=(), labels=["a", "b", "c"])
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wfm_errors import InputError, UnreachableError
from wfm_progress import Progress

__all__ = ["Executor", "ExecutorInfo", "SchedulerUnreachable", "TaskFailed", "TaskStat", "SCHEDULER_ENV",
           "longest_first", "one_blas_thread", "scheduler_from_env", "worker_environ"]

SCHEDULER_ENV = "PLANNER_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 5.0
WORKER_START_TIMEOUT_S = 120.0


class SchedulerUnreachable(UnreachableError):
    """The Dask scheduler at the given address did not answer (a one-line message)."""


class TaskFailed(ValueError):
    """A task raised: ``label`` names what it was working on, ``cause`` what went wrong."""

    def __init__(self, label: str, cause: str):
        super().__init__(f"{label}: {cause}")
        self.label = label
        self.cause = cause

    def __reduce__(self):  # travels back from a worker intact
        return (TaskFailed, (self.label, self.cause))


@dataclass(frozen=True)
class ExecutorInfo:
    """Where the tasks of an executor run: ``kind`` is ``in-process``, ``local`` or ``remote``."""

    kind: str
    workers: int
    address: str | None = None
    dashboard_link: str | None = None


@dataclass(frozen=True)
class TaskStat:
    """Where one task's time went, measured inside the process that ran it.

    ``wall_s``: seconds from the task's start to its end; ``cpu_s``: CPU seconds of that whole
    process meanwhile (every thread: the task's, BLAS/OpenMP helpers, the worker's own event loop);
    ``thread_cpu_s``: CPU seconds of the thread running the task only; ``started``/``finished``:
    Unix times (seconds) on that machine's clock; ``worker``: ``in-process`` or the worker's
    address; ``pid``: its process id.
    """

    label: str
    worker: str
    pid: int
    wall_s: float
    cpu_s: float
    thread_cpu_s: float
    started: float
    finished: float


def scheduler_from_env() -> str | None:
    """``PLANNER_DASK_SCHEDULER`` when set and not blank."""
    value = os.environ.get(SCHEDULER_ENV, "").strip()
    return value or None


def longest_first(costs: Sequence[float]) -> list[int]:
    """Item indexes by estimated cost, highest first; equal costs keep their input order.

    Example:
        >>> longest_first([1.0, 5.0, 1.0, 3.0])
        [1, 3, 0, 2]
    """
    values = [float(c) for c in costs]
    if any(v != v for v in values):  # NaN
        raise ValueError("costs must be numbers, got NaN")
    return sorted(range(len(values)), key=lambda i: -values[i])


def run_task(fn: Callable[..., Any], label: str, *args: Any) -> Any:
    """Run one task; any exception becomes :class:`TaskFailed` naming ``label`` and the cause."""
    try:
        return fn(*args)
    except TaskFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is reported with the task's label
        raise TaskFailed(label, f"{type(exc).__name__}: {exc}") from exc


def timed_task(fn: Callable[..., Any], label: str, *args: Any) -> tuple[Any, TaskStat]:
    """:func:`run_task` and its :class:`TaskStat` (measured where it runs)."""
    started, wall, cpu, thread_cpu = time.time(), time.perf_counter(), time.process_time(), time.thread_time()
    result = run_task(fn, label, *args)
    thread_cpu, cpu, wall = time.thread_time() - thread_cpu, time.process_time() - cpu, time.perf_counter() - wall
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        where = "in-process"
    return result, TaskStat(label, where, os.getpid(), wall, cpu, thread_cpu, started, started + wall)


class Executor:
    """Runs batches of independent tasks; a context manager (closes what it started).

    ``scheduler``: address of an existing Dask scheduler (default ``PLANNER_DASK_SCHEDULER``);
    ``workers``: size of the local cluster (default the machine's cores; 1 = run in this
    process); ``in_process``: True forces this process, False forces a local cluster even for
    one worker or one task (benchmarks), None decides by the work; ``on_start(info)`` is called
    once when a cluster is connected or started (the commands print the dashboard address);
    ``connect_timeout_s``: how long to wait for a scheduler before :class:`SchedulerUnreachable`.
    ``task_stats``: a :class:`TaskStat` per task run so far, each batch in input order.
    """

    def __init__(self, *, scheduler: str | None = None, workers: int | None = None,
                 in_process: bool | None = None, on_start: Callable[[ExecutorInfo], None] | None = None,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S):
        if workers is not None and int(workers) < 1:
            raise InputError(f"workers must be >= 1, got {workers!r}")
        self.scheduler = scheduler or (None if in_process else scheduler_from_env())
        self.workers = int(workers) if workers else (os.cpu_count() or 1)
        self.in_process = in_process
        self.on_start = on_start
        self.connect_timeout_s = float(connect_timeout_s)
        self._client = None
        self._cluster = None
        self._procs: list[subprocess.Popen] = []
        self.info = ExecutorInfo("in-process", 1)
        self.task_stats: list[TaskStat] = []
        self._warm: set[tuple[str, ...]] = set()
        if self.scheduler:
            self._connect(self.scheduler)

    @property
    def client(self):
        """The ``distributed.Client`` while a cluster is connected, else None."""
        return self._client

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect; stop the local cluster and its worker processes when this executor started them."""
        client, self._client = self._client, None
        if client is not None:
            try:
                if self._cluster is not None:
                    client.retire_workers(close_workers=True)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            client.close()
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()

    def _connect(self, address: str) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout=f"{self.connect_timeout_s}s", set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            cause = " ".join(str(exc).split()) or type(exc).__name__
            raise SchedulerUnreachable(
                f"cannot reach the Dask scheduler at {address!r} within {self.connect_timeout_s:g} s "
                f"({cause}); start one with 'dask scheduler' or leave --scheduler/{SCHEDULER_ENV} unset "
                "to run on this machine") from None
        workers = len(self._client.scheduler_info(n_workers=-1).get("workers", {})) \
            if _accepts_n_workers(self._client) else len(self._client.scheduler_info().get("workers", {}))
        self.info = ExecutorInfo("remote", workers, address, _dashboard(self._client))
        if self.on_start:
            self.on_start(self.info)

    def _start_local(self) -> None:
        """A scheduler in this process and ``workers`` separate ``dask worker`` programs."""
        from distributed import Client, LocalCluster

        self._cluster = LocalCluster(n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1",
                                     scheduler_port=0, dashboard_address=":0", silence_logs=40)
        address = self._cluster.scheduler_address
        memory = _memory_per_worker(self.workers)
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        env.pop(SCHEDULER_ENV, None)
        env.update(worker_environ(os.environ))
        for i in range(self.workers):
            self._procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                 "--nworkers", "1", "--name", f"local-{i}", "--memory-limit", str(memory),
                 "--no-dashboard", "--host", "127.0.0.1", "--no-nanny",
                 "--death-timeout", "60"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        self._client = Client(address, set_as_default=False)
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while len(self._client.scheduler_info()["workers"]) < self.workers:
            dead = [p for p in self._procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the local Dask cluster did not start {self.workers} worker(s) "
                                   f"({len(dead)} exited) - run 'python -m distributed.cli.dask_worker --help' to check the install")
            time.sleep(0.05)
        self.info = ExecutorInfo("local", self.workers, address, _dashboard(self._client))
        if self.on_start:
            self.on_start(self.info)

    # -- work -----------------------------------------------------------------------------
    def map(self, fn: Callable[..., Any], items: Sequence[Any], *, labels: Sequence[str],
            common: Sequence[Any] = (), progress: Progress | None = None,
            on_result: Callable[[int, Any], None] | None = None, costs: Sequence[float] | None = None,
            warm: Sequence[str] = ()) -> list[Any]:
        """``[fn(*common, item) for item in items]``, spread over the cluster when there is one.

        ``labels`` (one per item) name the tasks in errors; ``progress(f"{done}/{total}", done /
        total)`` (:class:`wfm_progress.Progress`) and ``on_result(index, result)`` are called as tasks finish (in this thread, in completion
        order). ``costs`` (one per item, any unit): estimated work of each task; on a cluster
        the costliest start first (:func:`longest_first`), here they run in input order.
        ``warm``: modules the tasks import (``"forecasting.api"``, ``"statsmodels.tsa.seasonal"``);
        every worker of a cluster imports them once (:class:`WarmImports`) before the batch
        starts. The results are in input order in every case. Raises :class:`TaskFailed`.
        """
        items = list(items)
        labels = [str(label) for label in labels]
        if len(labels) != len(items):
            raise ValueError(f"map: {len(items)} item(s) but {len(labels)} label(s)")
        order = list(range(len(items)))
        if costs is not None:
            costs = list(costs)
            if len(costs) != len(items):
                raise ValueError(f"map: {len(items)} item(s) but {len(costs)} cost(s)")
            order = longest_first(costs)
        if self._client is None and self._spread(len(items)):
            self._start_local()
        stats: list[TaskStat | None] = [None] * len(items)
        if self._client is None:
            results = self._map_here(fn, items, labels, common, progress, on_result, stats)
        else:
            self._warm_workers(tuple(warm))
            results = self._map_dask(fn, items, labels, common, progress, on_result, stats, order)
        self.task_stats.extend(stats)
        return results

    def spreads(self, tasks: int) -> bool:
        """Whether a batch of ``tasks`` would run on a cluster (True) or in this process."""
        return self._client is not None or self._spread(tasks)

    def _spread(self, tasks: int) -> bool:
        if self.in_process is not None:
            return not self.in_process
        return tasks >= 2 and self.workers >= 2

    @staticmethod
    def _map_here(fn, items, labels, common, progress, on_result, stats) -> list[Any]:
        results = []
        with one_blas_thread():  # as on a worker: same numbers, and no helper threads spinning
            for i, (item, label) in enumerate(zip(items, labels)):
                result, stats[i] = timed_task(fn, label, *common, item)
                results.append(result)
                if on_result:
                    on_result(i, results[-1])
                if progress:
                    progress(f"{i + 1}/{len(items)}", (i + 1) / len(items))
        return results

    def _warm_workers(self, modules: tuple[str, ...]) -> None:
        """Have every worker import ``modules`` once (a :class:`execution.warm.WarmImports` plugin,
        registered once per executor and module list; workers that join later run it when they join)."""
        if not modules or modules in self._warm:
            return
        from execution.warm import WarmImports

        self._client.register_plugin(WarmImports(modules))
        self._warm.add(modules)

    def _map_dask(self, fn, items, labels, common, progress, on_result, stats, order) -> list[Any]:
        from distributed.scheduler import KilledWorker

        client = self._client
        shared = [client.scatter(value, hash=False) for value in common]
        name = getattr(fn, "__name__", "task").strip("_").replace("-", "_") or "task"
        batch = uuid.uuid4().hex
        # submitted in ``order`` (longest first) with falling priority: the scheduler hands the
        # costliest waiting task to the next free worker; keys keep the input index
        futures: list[Any] = [None] * len(items)
        for rank, i in enumerate(order):
            futures[i] = client.submit(timed_task, fn, labels[i], *shared, items[i], key=f"{name}-{batch}-{i}",
                                       pure=False, priority=len(order) - rank)
        index = {future.key: i for i, future in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        try:
            for done, future in enumerate(self._completed(futures), start=1):
                i = index[future.key]
                try:
                    results[i], stats[i] = future.result()
                except KilledWorker as exc:
                    raise TaskFailed(labels[i], f"the worker running it died repeatedly ({exc})") from None
                except TaskFailed:
                    raise
                except Exception as exc:  # noqa: BLE001 - e.g. the function could not be unpickled
                    raise TaskFailed(labels[i], f"{type(exc).__name__}: {exc}") from exc
                if on_result:
                    on_result(i, results[i])
                if progress:
                    progress(f"{done}/{len(futures)}", done / len(futures))
        finally:
            client.cancel(futures + shared)
        return results


    def _completed(self, futures):
        """The futures as they finish; fails when every local worker process has died (the
        scheduler would otherwise wait for a worker forever)."""
        from distributed import as_completed

        pending = as_completed(futures, loop=self._client.loop)
        while not pending.is_empty():
            if pending.has_ready():
                yield next(pending)
                continue
            if self._procs and all(p.poll() is not None for p in self._procs):
                raise RuntimeError("every local Dask worker process has died (out of memory?)")
            with pending.thread_condition:
                pending.thread_condition.wait(timeout=0.1)


def _dashboard(client) -> str | None:
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:  # noqa: BLE001
        return None
    if "dashboard" not in services:
        return None
    return client.dashboard_link


def _accepts_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread():
    """A context in which this process's BLAS/OpenMP pools use one thread (``threadpoolctl``):
    tasks run here as they run on a worker (:func:`worker_environ`). When the user set one of
    ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS``, that choice stands (no limit)."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    if any(os.environ.get(name, "").strip() for name in THREAD_VARIABLES):
        return nullcontext()
    return threadpool_limits(limits=1)


def worker_environ(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """The variables a local worker process starts with, on top of this process's environment.

    A Dask nanny gives its worker ``distributed.nanny.pre-spawn-environ`` (one OpenMP/OpenBLAS/MKL
    thread, a low ``MALLOC_TRIM_THRESHOLD_``); the ``--no-nanny`` workers started here would get
    neither, and each worker's BLAS would start a thread per core: with two workers on two cores
    four busy threads, and an idle OpenBLAS thread spins before it sleeps. The tasks' matrices are
    small (measured in benchmarks/RESULTS.md, many_queues: a second BLAS thread added ~24 % CPU
    and no speed), so every task gets one BLAS/OpenMP thread, as under a nanny. A variable
    already set in ``environ`` (the user's choice) is kept.

    Example:
        >>> worker_environ({"OMP_NUM_THREADS": "4"})["OPENBLAS_NUM_THREADS"], "OMP_NUM_THREADS" in worker_environ({"OMP_NUM_THREADS": "4"})
        ('1', False)
    """
    import dask
    import distributed  # noqa: F401 - its defaults (the nanny's settings) join dask.config on import

    settings = {str(k): str(v) for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}).items()}
    settings.update({name: "1" for name in THREAD_VARIABLES})
    return {k: v for k, v in settings.items() if k not in environ}


def _memory_per_worker(workers: int) -> int:
    """The machine's memory shared equally by the local workers (bytes), as LocalCluster does."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0  # no limit
    return int(total // max(1, workers))

"""Many queues, many scenarios on Dask (issue 15): series per minute and the frontier's seconds.

Forecast part: ``--series`` seeded synthetic series (planner.synthetic.generate_many_queues:
voice/chat/messaging/email/back office, 20 to 20,000 contacts a week, some with holidays and
gaps; 10 weeks of 30-minute history), ``method="auto"`` with 4 weekly backtest origins, one
week ahead, run three ways on the same work:

- plain sequential: the series one after another in this process (no Dask);
- a local Dask cluster of 1 worker, and of 2 workers (``execution.Executor``), each timed
  from the cluster's start to its close.

All three forecasts must be identical (frames compared exactly). Reported: series per minute,
the Dask layer's overhead against plain sequential on 1 worker, the speed-up from 1 to 2
workers, the peak resident memory of each worker, and an extrapolation to N workers from
the measured task times (sum / N, bounded by the longest task, plus the measured start-up and
per-task overhead) - an extrapolation, not a measurement.

Frontier part: ``--frontier-points`` service-level targets from 70 % to 95 % on the bundled
sample week (``planner.scenarios.frontier``, each a full shift plan), with 1 and 2 local workers.

Appends to benchmarks/RESULTS.md (section ``many_queues``). The machine is shared: the load
average is recorded before and after each run.

Usage: .venv/bin/python benchmarks/many_queues.py [--series 500] [--frontier-points 32]
       [--skip-forecast] [--skip-frontier] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
from results import append_section

from execution import Executor, TaskFailed, one_blas_thread
from forecasting import forecast_frame
from planner.synthetic import generate_many_queues

START = "2025-03-17"  # the Monday after the 10 generated weeks


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its waited-for children (the local workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _threads() -> str:
    """The BLAS/OpenMP thread pools of this process and the variables that set them."""
    from threadpoolctl import threadpool_info

    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()) or "none loaded"
    env = " ".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                   if k in os.environ) or "no thread variables"
    return f"{pools} ({env}; {len(os.listdir('/proc/self/task'))} OS threads)"


def task_breakdown(stats, *, map_seconds: float, workers: int) -> dict:
    """Where a batch's time went, from the tasks' own measurements (``execution.TaskStat``).

    ``wall_s``/``cpu_s``/``thread_cpu_s``: means per task inside the task; ``gap_ms``: per task,
    the map's wall time on every worker not spent inside a task (start-up of the batch, sending
    data, scheduling, results travelling back) = (map seconds x workers - sum of task walls) / tasks.
    """
    wall = np.array([s.wall_s for s in stats])
    cpu = np.array([s.cpu_s for s in stats])
    thread = np.array([s.thread_cpu_s for s in stats])
    first: dict[int, object] = {}
    for s in sorted(stats, key=lambda s: s.started):
        first.setdefault(s.pid, s)  # the first task each process (worker) ran
    return {"first_cpu_s": [s.cpu_s for s in first.values()], "first_wall_s": [s.wall_s for s in first.values()],
            "cpu_each": cpu.tolist(), "wall_s": wall.mean(), "cpu_s": cpu.mean(), "thread_cpu_s": thread.mean(), "sum_wall_s": wall.sum(),
            "sum_cpu_s": cpu.sum(), "gap_ms": 1000.0 * max(0.0, map_seconds * workers - wall.sum()) / len(wall),
            "cpu_per_wall": cpu.sum() / wall.sum(), "workers_seen": len({s.pid for s in stats})}


def forecast_run(history: pd.DataFrame, *, workers: int | None) -> dict:
    """One forecast of every series; ``workers=None`` = plain sequential in this process."""
    stamps: list[float] = []
    load_before = _load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu = _cpu_s()
        started = time.perf_counter()
        up: list[float] = []
        with Executor(in_process=workers is None, workers=workers or 1,
                      on_start=lambda _info: up.append(time.perf_counter())) as ex:
            created = time.perf_counter()
            result = forecast_frame(history, start=START, days=7, interval_minutes=30, country="US",
                                    backtest_windows=4, executor=ex,
                                    progress=lambda _text, _share: stamps.append(time.perf_counter()))
            mapped = time.perf_counter()
            ready = up[0] if up else created  # the local cluster starts with the first batch
            memory = (sorted(ex.client.run(_peak_rss_mb).values()) if ex.client is not None
                      else [_peak_rss_mb()])
            if ex.client is not None:
                threads = sorted(set(ex.client.run(_threads).values()))
            else:
                with one_blas_thread():  # what execution.Executor sets around a batch run here
                    threads = [_threads()]
        seconds = time.perf_counter() - started
        cpu = _cpu_s() - cpu
    if workers is not None and ex.info.kind != "local":
        raise SystemExit("the local cluster did not run the work")
    task_s = np.diff([ready] + stamps) if workers is None else None  # in process: one after another
    tasks = task_breakdown(ex.task_stats, map_seconds=mapped - ready, workers=workers or 1)
    return {"workers": workers, "seconds": seconds, "map_seconds": mapped - ready, "frame": result.frame,
            "memory_mb": memory, "task_s": task_s, "load": f"{load_before} -> {_load()}", "kind": ex.info.kind,
            "tasks": tasks, "threads": threads, "cpu_s": cpu}


def task_input_bytes(history: pd.DataFrame) -> np.ndarray:
    """Pickled bytes of each series' own rows, as a task receives them (forecasting.api.TASK_COLUMNS)."""
    import pickle

    from forecasting.api import TASK_COLUMNS

    columns = [c for c in TASK_COLUMNS if c in history]
    frame = history.assign(interval_start=pd.to_datetime(history["interval_start"]))
    return np.array([len(pickle.dumps(rows[columns].reset_index(drop=True), protocol=5))
                     for _key, rows in frame.groupby(["queue", "channel"], sort=True)])


def frontier_run(config, forecast: pd.DataFrame, levels, *, workers: int) -> dict:
    from planner.scenarios import frontier

    load_before = _load()
    cpu = _cpu_s()
    started = time.perf_counter()
    rounds: list[str] = []  # the frontier's batches: "planning N staffing level(s): ..."
    with Executor(in_process=False, workers=workers) as ex:
        table = frontier(config, forecast, levels=levels, executor=ex, cache=False,
                         progress=lambda text, _share: rounds.append(text.split()[1]) if text.startswith("planning ") else None)
    seconds = time.perf_counter() - started
    return {"workers": workers, "seconds": seconds, "table": table, "cpu_s": _cpu_s() - cpu,
            "load": f"{load_before} -> {_load()}", "stats": list(ex.task_stats),
            "rounds": " + ".join(rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--frontier-points", type=int, default=32)
    parser.add_argument("--skip-forecast", action="store_true")
    parser.add_argument("--skip-frontier", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--two-workers-first", action="store_true",
                        help="run the 2-worker runs before the 1-worker and sequential ones (same runs, same "
                             "table): on a machine shared with others, the runs that need both cores go first and "
                             "the one-core runs leave the other core to the others")
    args = parser.parse_args()
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or "unknown"
    command = "`.venv/bin/python benchmarks/many_queues.py " + " ".join(sys.argv[1:]) + f"` (commit {commit})"
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average at start {_load()} (machine shared with other engineers' jobs)", "",
             f"Command: {command}", ""]
    if not args.skip_forecast:
        history, table = generate_many_queues(series=args.series)
        print(f"{args.series} series, {len(history):,} history rows; channels "
              f"{table['channel'].value_counts().to_dict()}", flush=True)
        by_workers = {}
        for workers in ((2, 1, None) if args.two_workers_first else (None, 1, 2)):
            by_workers[workers] = forecast_run(history, workers=workers)
            print(f"workers={workers}: {by_workers[workers]['seconds']:.1f} s (load {by_workers[workers]['load']})",
                  flush=True)
        seq, one, two = by_workers[None], by_workers[1], by_workers[2]
        for run in (one, two):
            pd.testing.assert_frame_equal(seq["frame"], run["frame"], check_exact=True)
        n = args.series
        per_min = {label: 60.0 * n / r["seconds"] for label, r in (("seq", seq), ("one", one), ("two", two))}
        task_s = seq["task_s"]
        startup = one["seconds"] - one["map_seconds"]
        per_task_overhead = max(0.0, (one["map_seconds"] - seq["map_seconds"]) / n)
        lines += [
            f"Forecast: {n} synthetic series ({len(history):,} rows of 30-minute history, 10 weeks; "
            f"{', '.join(f'{k} {v}' for k, v in table['channel'].value_counts().items())}; "
            f"{int((table['holidays'] != 'ignored').sum())} follow holidays, {int(table['gaps'].sum())} with gaps), "
            "method auto, 4 weekly backtest origins, 7 days ahead. The three forecasts are identical (compared exactly). "
            "On the clusters the series start longest first (`forecasting.api.series_cost`) and each worker imports "
            "`forecasting.api.TASK_MODULES` before the batch (`execution.warm.WarmImports`).",
            "",
            "| run | wall s | series per minute | vs plain sequential | CPU s, all processes | CPU vs plain sequential "
            "| cores obtained (CPU / wall) | peak RSS per worker (MB) | load average (before -> after) |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
            f"| plain sequential, in process | {seq['seconds']:.1f} | {per_min['seq']:.1f} | 1.00 | {seq['cpu_s']:.1f} | 1.00 | "
            f"{seq['cpu_s'] / seq['seconds']:.2f} | {seq['memory_mb'][0]:.0f} (this process) | {seq['load']} |",
            f"| Dask, local cluster, 1 worker | {one['seconds']:.1f} | {per_min['one']:.1f} | "
            f"{one['seconds'] / seq['seconds']:.2f} | {one['cpu_s']:.1f} | {one['cpu_s'] / seq['cpu_s']:.2f} | "
            f"{one['cpu_s'] / one['seconds']:.2f} | {', '.join(f'{m:.0f}' for m in one['memory_mb'])} | {one['load']} |",
            f"| Dask, local cluster, 2 workers | {two['seconds']:.1f} | {per_min['two']:.1f} | "
            f"{two['seconds'] / seq['seconds']:.2f} | {two['cpu_s']:.1f} | {two['cpu_s'] / seq['cpu_s']:.2f} | "
            f"{two['cpu_s'] / two['seconds']:.2f} | {', '.join(f'{m:.0f}' for m in two['memory_mb'])} | {two['load']} |",
            "",
            f"- CPU seconds of every process of the run (this one, the scheduler in it, the workers): the Dask layer's "
            f"cost on 1 worker is {100 * (one['cpu_s'] / seq['cpu_s'] - 1):+.1f} % CPU against plain sequential "
            f"({100 * (two['cpu_s'] / seq['cpu_s'] - 1):+.1f} % on 2 workers) - a measure the other sessions' load "
            "does not move much, unlike the wall times. 'Cores obtained' is what the kernel gave this run: the "
            "machine schedules each login session as one group (`kernel.sched_autogroup_enabled = 1`), so while other "
            "sessions are busy a second worker gets no extra CPU and cannot speed the run up.",
            f"- Dask layer overhead on 1 worker vs plain sequential: {100 * (one['seconds'] / seq['seconds'] - 1):+.1f} % "
            f"(target <= 10 %); of which starting the cluster (scheduler and worker processes) and closing it "
            f"{startup:.1f} s.",
            f"- Speed-up from 1 to 2 workers: {one['seconds'] / two['seconds']:.2f}x (target >= 1.8x on 2 cores; "
            "only meaningful when the load average leaves both cores free).",
            f"- Task times (plain sequential run): mean {task_s.mean():.2f} s, median {np.median(task_s):.2f} s, "
            f"longest {task_s.max():.2f} s, total {task_s.sum():.1f} s.",
        ]
        extrapolated = []
        for w in (4, 8, 16, 32, 64):
            t = max(task_s.sum() / w, task_s.max()) + startup + per_task_overhead * n
            extrapolated.append(f"{w} workers ~{t:.0f} s ({60.0 * n / t:.0f} series/min)")
        lines += [f"- Extrapolation (not measured): max(total task time / N, longest task) + start-up "
                  f"{startup:.1f} s + {per_task_overhead * 1000:.0f} ms per task: " + "; ".join(extrapolated)
                  + ". For 500 series scale the total task time by 500 / series.", ""]
        # the same from CPU seconds, which the other sessions' load does not inflate: on idle cores a task's wall
        # is about its CPU; the layer's cost per task is the worker's extra CPU per task, spread over the workers
        cpu_each = np.array(seq["tasks"]["cpu_each"])
        extra = max(0.0, one["tasks"]["cpu_s"] - seq["tasks"]["cpu_s"])
        per_series = cpu_each.mean()
        idle = []
        for w in (1, 2, 4, 8, 16, 32, 64):
            t = max(500 * (per_series + extra) / w, cpu_each.max()) + startup
            idle.append(f"{w}: ~{t:.0f} s ({60.0 * 500 / t:.0f} series/min)")
        lines[-1:] = [f"- Extrapolation from CPU seconds (not measured; idle cores assumed): 500 series x "
                      f"({per_series:.2f} s per task + {extra:.2f} s the worker adds) / N workers, at least the longest "
                      f"task ({cpu_each.max():.1f} s), + start-up {startup:.1f} s; plain sequential ~{500 * per_series:.0f} s. "
                      "N workers: " + "; ".join(idle) + ".", ""]
        sizes = task_input_bytes(history)
        lines += [
            "Per task, measured inside each task (`execution.TaskStat`: wall seconds, CPU seconds of the whole "
            "process, CPU seconds of the task's own thread; gap = the map's wall x workers not spent inside a "
            f"task, per task). Each task receives its series' own rows: {sizes.mean() / 1024:.0f} KiB pickled on "
            f"average (largest {sizes.max() / 1024:.0f} KiB); the settings are scattered once.", "",
            "| run | task wall s (mean) | task CPU s, process (mean) | task CPU s, own thread (mean) | "
            "first task per process: CPU s | process CPU / wall | gap per task ms | threads in effect |",
            "|---|---:|---:|---:|---|---:|---:|---|",
        ] + [f"| {label} | {r['tasks']['wall_s']:.2f} | {r['tasks']['cpu_s']:.2f} | {r['tasks']['thread_cpu_s']:.2f} | "
             f"{', '.join(f'{c:.2f}' for c in r['tasks']['first_cpu_s'])} | "
             f"{r['tasks']['cpu_per_wall']:.2f} | {r['tasks']['gap_ms']:.0f} | {'; '.join(r['threads'])} |"
             for label, r in (("plain sequential", seq), ("Dask, 1 worker", one), ("Dask, 2 workers", two))] + [""]
    if not args.skip_forecast:  # recorded even if the frontier part fails
        record("\n".join(lines), save=not args.no_record)
        lines = [f"Frontier part of the run above ({dt.datetime.now():%H:%M}, load average {_load()}):", ""]
    if not args.skip_frontier:
        from planner.pipeline import build_forecast, load_plan_history
        from planner.plan_config import load_plan_config

        config = load_plan_config(os.path.join(os.path.dirname(__file__), "..", "data", "sample", "plan.toml"))
        with warnings.catch_warnings(), Executor(in_process=True) as ex:
            warnings.simplefilter("ignore")
            forecast = build_forecast(config, load_plan_history(config), executor=ex).frame
        levels = [round(x, 4) for x in np.linspace(0.70, 0.95, args.frontier_points)]
        runs = []
        for workers in ((2, 1) if args.two_workers_first else (1, 2)):
            try:
                run = frontier_run(config, forecast, levels, workers=workers)
            except TaskFailed as exc:  # a time-limited solve on a loaded machine: say so, keep the log
                lines += [f"Frontier with {workers} worker(s) failed: {exc} (load average {_load()}).", ""]
                break
            print(f"frontier workers={workers}: {run['seconds']:.1f} s (load {run['load']})", flush=True)
            runs.append(run)
        runs.sort(key=lambda r: r["workers"])
    if not args.skip_frontier and len(runs) == 2:
        same = runs[0]["table"].equals(runs[1]["table"])
        lines += [
            f"Frontier: {args.frontier_points} targets from 70 % to 95 % on the bundled sample week "
            "(15 min, 4 channels, 160 named agents), each a full shift plan and roster; "
            + ("both tables identical." if same else "the tables differ: each plan is a time-limited MIP "
             "(`time_limit_s` in rules.toml) and the load differed between the runs."), "",
            "| workers | wall s | plans per minute | plans solved | plan wall s (mean) | plan CPU s, process (mean) | "
            "plan CPU s, own thread (mean) | CPU s, all processes | cores obtained | load average (before -> after) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ] + [f"| {r['workers']} | {r['seconds']:.1f} | {60.0 * args.frontier_points / r['seconds']:.1f} | {len(r['stats'])} | "
             f"{np.mean([t.wall_s for t in r['stats']]):.1f} | {np.mean([t.cpu_s for t in r['stats']]):.1f} | "
             f"{np.mean([t.thread_cpu_s for t in r['stats']]):.1f} | {r['cpu_s']:.1f} | {r['cpu_s'] / r['seconds']:.2f} | "
             f"{r['load']} |" for r in runs] + [
            "", "- Plans per round (the frontier solves every target's level, then re-solves the targets not reached "
            "one level higher): " + "; ".join(f"{r['workers']} worker(s): {r['rounds']}" for r in runs) + ".",
            "", f"- Speed-up from 1 to 2 workers: {runs[0]['seconds'] / runs[1]['seconds']:.2f}x.", ""]
    if not args.skip_frontier:
        record("\n".join(lines), save=not args.no_record)


def record(text: str, *, save: bool) -> None:
    print(text, flush=True)
    if save:
            append_section("many_queues", text, intro="Issue 15: the heavy work on Dask - series per minute with 1 "
                       "and 2 local workers against plain sequential, and a frontier's seconds. Appended by "
                       "`benchmarks/many_queues.py`.")


if __name__ == "__main__":
    main()

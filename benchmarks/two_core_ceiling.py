"""What this machine's two cores give the forecast work without Dask (issue 15's peer for the
1 -> 2 worker speed-up).

``benchmarks/many_queues.py`` measures the speed-up from 1 to 2 Dask workers. Part of what it
finds is the machine's, not Dask's: when both cores are busy, each may run slower (shared
caches, memory bandwidth, host threads). This script measures that ceiling on the same work with
no Dask at all: two slices of ``--series`` seeded synthetic series each (the generator and the
forecast settings of many_queues.py), each forecast by one plain sequential process (spawned,
one BLAS thread, as a worker has):

- slice A alone, then slice B alone (one core busy);
- A and B at the same time, in two processes (both cores busy).

The ceiling speed-up is (A alone + B alone) / (A and B together): what two independent
processes get from two cores on this work; the CPU seconds per series alone and together say
whether a busy core slows its neighbour. Both forecasts of each slice must be identical.

Appends to benchmarks/RESULTS.md (section ``many_queues``).

Usage: .venv/bin/python benchmarks/two_core_ceiling.py [--series 20] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import resource
import subprocess
import time
import warnings

import pandas as pd
from results import append_section

from execution import Executor
from forecasting import forecast_frame
from planner.synthetic import generate_many_queues

START = "2025-03-17"  # as many_queues.py: the Monday after the 10 generated weeks


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _forecast(history: pd.DataFrame, out) -> None:
    """One slice forecast plainly, one series after another; (wall s, CPU s, frame) to ``out``."""
    with warnings.catch_warnings(), Executor(in_process=True) as ex:  # in this process, one BLAS thread
        warnings.simplefilter("ignore")
        cpu, started = _cpu_s(), time.perf_counter()
        frame = forecast_frame(history, start=START, days=7, interval_minutes=30, country="US",
                               backtest_windows=4, executor=ex).frame
        out.put((time.perf_counter() - started, _cpu_s() - cpu, frame))


def run_together(slices: list[pd.DataFrame]) -> tuple[float, list[tuple[float, float, pd.DataFrame]]]:
    """Each slice in its own spawned process, all started at once: (wall s of the whole, each
    process's (wall s, CPU s, frame))."""
    spawn = multiprocessing.get_context("spawn")
    queues = [spawn.Queue() for _ in slices]
    procs = [spawn.Process(target=_forecast, args=(s, q)) for s, q in zip(slices, queues)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    answers = [q.get() for q in queues]
    wall = time.perf_counter() - started
    for p in procs:
        p.join()
    return wall, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=20, help="series per slice (two slices)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    history, _table = generate_many_queues(series=2 * args.series)
    ids = history[["queue", "channel"]].drop_duplicates().reset_index(drop=True)
    keys = history.set_index(["queue", "channel"]).index
    halves = [ids.iloc[:args.series], ids.iloc[args.series:]]
    slices = [history[keys.isin(pd.MultiIndex.from_frame(h))].reset_index(drop=True) for h in halves]
    load_start = os.getloadavg()[0]
    alone = [run_together([s]) for s in slices]
    together_wall, together = run_together(slices)
    load_end = os.getloadavg()[0]
    for (_w, [(_a, _c, frame)]), (_b, _d, frame_together) in zip(alone, together):
        pd.testing.assert_frame_equal(frame, frame_together, check_exact=True)
    alone_wall = sum(w for w, _ in alone)
    per_series = {label: [cpu / args.series for _w, cpu, _f in runs]
                  for label, runs in (("alone", [a[1][0] for a in alone]), ("together", together))}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or "unknown"
    lines = [
        f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
        f"load average {load_start:.1f} at the start, {load_end:.1f} at the end - the two cores without Dask",
        "",
        f"Command: `.venv/bin/python benchmarks/two_core_ceiling.py --series {args.series}` (commit {commit})",
        "",
        f"Two slices of {args.series} synthetic series (many_queues.py's generator and forecast settings), each "
        "forecast by one plain sequential process with one BLAS thread: A alone, B alone, then A and B at the "
        "same time. Each slice's forecasts identical alone and together (compared exactly).",
        "",
        "| run | wall s | CPU s per series, A | CPU s per series, B |",
        "|---|---:|---:|---:|",
        f"| A alone, then B alone | {alone[0][0]:.1f} + {alone[1][0]:.1f} = {alone_wall:.1f} | "
        f"{per_series['alone'][0]:.2f} | {per_series['alone'][1]:.2f} |",
        f"| A and B together | {together_wall:.1f} | {per_series['together'][0]:.2f} | "
        f"{per_series['together'][1]:.2f} |",
        "",
        f"- Two cores' speed-up on this work without Dask: {alone_wall / together_wall:.2f}x "
        "(A alone + B alone) / (A and B together).",
        f"- CPU seconds per series together vs alone: "
        f"{sum(per_series['together']) / sum(per_series['alone']) - 1:+.1%} (a busy core slowing its neighbour "
        "shows here, whatever else the machine runs).",
        "",
    ]
    text = "\n".join(lines)
    print(text, flush=True)
    if not args.no_record:
        append_section("many_queues", text)


if __name__ == "__main__":
    main()

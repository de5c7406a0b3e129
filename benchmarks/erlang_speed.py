"""Benchmark: vectorized ``required_agents`` vs pyworkforce's ``ErlangC.required_positions``.

Work: 200,000 random half-hour intervals (1-1,000 calls, AHT 180-420 s, 80% within 20 s).
Ours runs on all rows in one call; pyworkforce runs per interval on the same rows (all of them
by default, or a random sample with --sample N for a quick run) and the time per interval is
compared. Agreement: where pyworkforce is right (its answer meets the target by its own
formula and one agent fewer does not), the two must be within one agent.

Usage: .venv/bin/python benchmarks/erlang_speed.py [--rows 200000] [--sample 200000] [--seed 0] [--no-record]
Appends the result to benchmarks/RESULTS.md under "## erlang_speed".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

from results import append_section

import numpy as np

from scheduling.erlang import required_agents

HEADING = "## erlang_speed"


def make_rows(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    calls = rng.integers(1, 1001, rows).astype(float)
    aht = rng.uniform(180.0, 420.0, rows).round(1)
    return calls, aht


def run(rows: int, sample: int, seed: int) -> dict:
    from pyworkforce.queuing import ErlangC

    calls, aht = make_rows(rows, seed)
    required_agents(calls[:100], 1800, aht[:100], 20, 0.8)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    ours = required_agents(calls, 1800, aht, 20, 0.8)
    ours_s = time.perf_counter() - t0

    rng = np.random.default_rng(seed + 1)
    idx = rng.choice(rows, size=min(sample, rows), replace=False)
    theirs = np.empty(idx.size, dtype=np.int64)
    right = np.empty(idx.size, dtype=bool)
    t0 = time.perf_counter()
    for k, i in enumerate(idx):
        e = ErlangC(transactions=float(calls[i]), aht=float(aht[i]) / 60.0, asa=20 / 60.0, interval=30)
        theirs[k] = e.required_positions(service_level=0.8)["raw_positions"]
    theirs_s = time.perf_counter() - t0
    for k, i in enumerate(idx):  # is pyworkforce's answer minimal by its own formula?
        e = ErlangC(transactions=float(calls[i]), aht=float(aht[i]) / 60.0, asa=20 / 60.0, interval=30)
        n = int(theirs[k])
        below = n - 1 <= e.intensity or e.service_level(n - 1) < 0.8
        right[k] = e.service_level(n) >= 0.8 and below
    diff = ours[idx] - theirs
    per_ours = ours_s / rows
    per_theirs = theirs_s / idx.size
    return {
        "rows": rows,
        "sample": int(idx.size),
        "ours_s": ours_s,
        "ours_us_per_interval": per_ours * 1e6,
        "pyworkforce_s_sample": theirs_s,
        "pyworkforce_us_per_interval": per_theirs * 1e6,
        "pyworkforce_s_all_rows_estimated": per_theirs * rows,
        "speedup_per_interval": per_theirs / per_ours,
        "pyworkforce_right": int(right.sum()),
        "equal_where_right": int((diff[right] == 0).sum()),
        "within_1_where_right": int((np.abs(diff[right]) <= 1).sum()),
        "max_abs_diff_where_right": int(np.abs(diff[right]).max()) if right.any() else 0,
        "pyworkforce_wrong": int((~right).sum()),
        "ours_fewer_where_wrong": int((diff[~right] < 0).sum()),
    }


def table(res: dict) -> str:
    lines = [
        "| | rows | seconds | µs per interval |",
        "|---|---:|---:|---:|",
        f"| wfm-planner `required_agents` (one vectorized call) | {res['rows']:,} | {res['ours_s']:.3f} | "
        f"{res['ours_us_per_interval']:.2f} |",
        f"| pyworkforce `ErlangC.required_positions` (per interval) | {res['sample']:,} | "
        f"{res['pyworkforce_s_sample']:.3f} | {res['pyworkforce_us_per_interval']:.1f} |",
        "",
        f"Speed-up per interval: **{res['speedup_per_interval']:,.0f}x**"
        + ("" if res["sample"] == res["rows"] else
           f" (pyworkforce timed on a random sample of {res['sample']:,} rows; on all {res['rows']:,} it would take "
           f"about {res['pyworkforce_s_all_rows_estimated']:.0f} s)") + ".",
        f"Agreement on the rows pyworkforce ran: it is right (meets 80/20 by its own formula and one agent fewer "
        f"does not) on {res['pyworkforce_right']:,} of {res['sample']:,} rows; there the answers are equal on "
        f"{res['equal_where_right']:,} and within 1 agent on {res['within_1_where_right']:,} "
        f"(largest difference {res['max_abs_diff_where_right']}). Where it is not right "
        f"({res['pyworkforce_wrong']:,} rows) ours is lower on {res['ours_fewer_where_wrong']:,}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=200_000,
                        help="rows pyworkforce runs on (default: all; less for a quick run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args()
    res = run(args.rows, args.sample, args.seed)
    out = table(res)
    print(out)
    if not args.no_record:
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        append_section("erlang_speed", intro="`.venv/bin/python benchmarks/erlang_speed.py`: required agents for 200,000 random intervals vs pyworkforce (see the script's docstring).", text=f"### {stamp} - {platform.platform()}, nproc {os.cpu_count()}\n\n{out}")


if __name__ == "__main__":
    main()

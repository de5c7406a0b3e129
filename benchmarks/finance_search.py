"""How long "What does it buy?" takes with nothing kept yet, on the bundled sample week (issue 19 item 4).

The set-up (not timed) is what the app has when a budget question is asked: the sample plan
(data/sample/plan.toml, no scenarios) is built once in this process, and its base row is the one
known member of the staffing-level family (:func:`planner.scenarios.stored_plan_levels`). Then,
for each budget (a share of the base plan's cost), with an empty cache each time, the timed part
is :func:`planner.ui.jobs.budget_buys`'s call - :func:`planner.scenarios.budget_service` with the
app's tolerance and solve cap on a local Dask cluster of ``--workers`` processes (the app's
default: the cores) - and the answer's plans solved, cost and service level are recorded. The
answers' guarantees are checked on every run (cost <= budget; a larger budget never buys less).

Run it at two commits to compare (the commit is recorded). Appends to benchmarks/RESULTS.md
(section ``finance_search``); record the load average: the machine is shared.

Usage: .venv/bin/python benchmarks/finance_search.py [--budgets 0.9,1.1] [--workers 2] [--no-record]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import append_section  # noqa: E402

from execution import Executor  # noqa: E402
from planner.pipeline import plan  # noqa: E402
from planner.plan_config import load_plan_config  # noqa: E402
from planner.scenarios import budget_service, stored_plan_levels  # noqa: E402
from planner.ui.jobs import BUDGET_MAX_SOLVES, BUDGET_TOLERANCE  # noqa: E402

CONFIGS = {"sample": ROOT / "data/sample/plan.toml", "us_bank": ROOT / "data/sample/us_bank_plan.toml"}


def commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budgets", default="0.9,1.1", help="budgets as shares of the base plan's cost")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--config", default="sample", choices=sorted(CONFIGS),
                        help="sample: data/sample/plan.toml (default); us_bank: data/sample/us_bank_plan.toml (hourly, voice)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="rules time_limit_s for every plan (default the sample's, 60 s): a loaded machine needs more")
    parser.add_argument("--gap-rel", type=float, default=None, help="rules gap_rel for every plan (default the sample's)")
    parser.add_argument("--commit", default=None, help="the commit the code is from, when not a git checkout")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    shares = [float(x) for x in args.budgets.split(",") if x.strip()]
    config = dataclasses.replace(load_plan_config(CONFIGS[args.config]), scenarios=())
    changed = {k: v for k, v in (("time_limit_s", args.time_limit), ("gap_rel", args.gap_rel)) if v is not None}
    config = dataclasses.replace(config, rules={**config.rules, **changed})  # the stored plan's and every level's
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Executor(in_process=True) as ex:
            built = plan(config, save=False, executor=ex)
    setup_s = time.perf_counter() - started
    known = stored_plan_levels(config, built.scenarios)
    base_cost = float(built.base.row["cost"])
    import planner

    print(f"code: {Path(planner.__file__).parent}")
    print(f"set-up: {args.config} plan built in {setup_s:.0f} s; base cost {base_cost:,.0f}, "
          f"SL {built.base.row['service_level']:.1%}; known levels {sorted(known)}", flush=True)
    rows = []
    for share in shares:
        budget = share * base_cost
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_before = os.getloadavg()[0]
            t0 = time.perf_counter()
            try:
                with Executor(workers=args.workers) as ex:
                    answer = budget_service(config, built.forecast, budget=budget, known=known, executor=ex,
                                            cache=Path(tmp) / "family.json", tolerance=BUDGET_TOLERANCE,
                                            max_solves=BUDGET_MAX_SOLVES,
                                            progress=lambda text, _share: print(
                                                f"  {time.perf_counter() - t0:6.1f} s  {text}", flush=True))
            except (ValueError, OSError) as exc:  # e.g. a level's LP out of time under load: recorded, not hidden
                seconds = time.perf_counter() - t0
                rows.append({"share": share, "budget": budget, "seconds": seconds, "failed": str(exc).splitlines()[0],
                             "load": f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}"})
                print(f"budget {budget:,.0f}: failed after {seconds:.1f} s: {exc}", flush=True)
                continue
            seconds = time.perf_counter() - t0
        assert answer.plan.cost <= budget + 1e-6
        rows.append({"share": share, "budget": budget, "seconds": seconds, "solved": answer.solved,
                     "level": answer.plan.level, "cost": answer.plan.cost, "sl": answer.plan.service_level,
                     "next": answer.next_text(), "load": f"{load_before:.1f} -> {os.getloadavg()[0]:.1f}"})
        print(f"budget {budget:,.0f}: {seconds:.1f} s, {answer.solved} plans solved; {answer.text()}", flush=True)
    answered = sorted((r for r in rows if "failed" not in r), key=lambda r: r["budget"])
    assert [r["sl"] for r in answered] == sorted(r["sl"] for r in answered), "a larger budget bought less"
    lines = [f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC - commit {args.commit or commit()} - {platform.platform()}, "
             f"nproc {os.cpu_count()}, load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end", "",
             f"Command: `.venv/bin/python benchmarks/finance_search.py --config {args.config} --budgets {args.budgets} "
             f"--workers {args.workers}"
             + "".join(f" --{k} {v:g}" for k, v in (("time-limit", args.time_limit), ("gap-rel", args.gap_rel)) if v is not None)
             + "` "
             f"(set-up: the {args.config} plan built in {setup_s:.0f} s, base cost {base_cost:,.0f}; app settings: tolerance "
             f"{BUDGET_TOLERANCE}, at most {BUDGET_MAX_SOLVES} plans; rules time_limit_s {config.rules.get('time_limit_s', 60):g}, "
             f"gap_rel {config.rules.get('gap_rel', 0.01):g})", "",
             "| budget (x base cost) | wall s | plans solved | level | cost | service level | with more money | load |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['budget']:,.0f} ({r['share']:g}) | {r['seconds']:.1f} | - | - | - | - | "
                         f"failed: {r['failed']} | {r['load']} |")
            continue
        lines.append(f"| {r['budget']:,.0f} ({r['share']:g}) | {r['seconds']:.1f} | {r['solved']} | {r['level']:.1%} | "
                     f"{r['cost']:,.0f} | {r['sl']:.1%} | {r['next']} | {r['load']} |")
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        append_section("finance_search", text, intro=(
            "Issue 19 item 4: \"What does it buy?\" with nothing kept yet (an empty finance cache; the stored plan "
            "is the one known plan), on the bundled sample week (15 min, 4 channels, 160 named agents), as the app "
            "asks it. Each plan the search solves is a full week (requirements, shift plan, roster, service)."))


if __name__ == "__main__":
    main()

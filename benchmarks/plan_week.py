"""`planner plan` for one week, three scenarios: the bundled multi-channel sample and the US bank.

Runs the real command (subprocess, fresh store) for each config and reports wall-clock
seconds, the solver status and gap of the base plan, and the scenario table. Target (issue 6):
<= 60 s each on 2 cores. Appends the result to benchmarks/RESULTS.md (section ``plan_week``).

Usage: .venv/bin/python benchmarks/plan_week.py [--no-record] [--only sample|us_bank] [--baseline CHECKOUT]

``--baseline /work/main``: the same command on another checkout's code (its ``planner`` package,
run with that checkout as the working directory and first on PYTHONPATH), alternated with ours
config by config in the same window, both rows recorded with the load average at each start and
the wall-time ratio: on a shared machine only a same-window ratio compares two versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from results import append_section

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "bundled multi-channel sample (15 min, 4 channels, 160 named agents)": "data/sample/plan.toml",
    "US bank week of 2003-10-20 (60 min, voice, agents created)": "data/sample/us_bank_plan.toml",
}
SHORT = {"sample": "data/sample/plan.toml", "us_bank": "data/sample/us_bank_plan.toml"}
TARGET_S = 60.0


def run(config: str, *, checkout: Path = ROOT) -> dict:
    """``planner plan`` for ``config`` (a path inside the checkout) with ``checkout``'s code."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLANNER_DB_URL": f"sqlite:///{tmp}/planner.db",
               "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        load = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planner.cli", "plan", "--config", str(checkout / config),
                               "--out", f"{tmp}/out"], env=env, capture_output=True, text=True, cwd=checkout)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"planner plan failed for {config}:\n{done.stderr[-3000:]}")
        summary = json.loads(Path(f"{tmp}/out/summary.json").read_text())
        scenarios = pd.read_csv(f"{tmp}/out/scenarios.csv")
    return {"seconds": seconds, "summary": summary, "scenarios": scenarios, "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--only", choices=sorted(SHORT), help="one config")
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. /work/main) run in the same window")
    args = parser.parse_args()
    configs = {label: path for label, path in CONFIGS.items() if args.only is None or path == SHORT[args.only]}
    checkouts = [("ours", ROOT)] + ([("baseline " + str(args.baseline), args.baseline.resolve())] if args.baseline else [])
    command = ".venv/bin/python benchmarks/plan_week.py" + (f" --only {args.only}" if args.only else "") + (
        f" --baseline {args.baseline}" if args.baseline else "")
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {os.getloadavg()[0]:.1f}", "",
             f"Command: `{command}` (each: `planner plan` in a subprocess, fresh store).", "",
             "| config | code | load at start | wall s | target | base solver | gap | base cost | base SL | scenarios |",
             "|---|---|---:|---:|---|---|---:|---:|---:|---|"]
    details = []
    for label, config in configs.items():
        seconds = {}
        for name, checkout in checkouts:
            result = run(config, checkout=checkout)
            seconds[name] = result["seconds"]
            s = result["summary"]
            ok = "met" if result["seconds"] <= TARGET_S else "**missed**"
            lines.append(f"| {label} | {name} | {result['load']:.1f} | {result['seconds']:.1f} | <= {TARGET_S:.0f} s: {ok} | "
                         f"{s['solver'].get('status')} | {(s['solver'].get('gap') or 0):.2%} | {s['cost']:,.0f} | "
                         f"{s['service_level']:.3f} | {len(result['scenarios'])} |")
            columns = ["name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "understaffed_intervals"]
            table = result["scenarios"][columns + [c for c in ("gap",) if c in result["scenarios"]]]
            details += ["", f"{label} ({name}):", "", "```", table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"),
                        "```"]
            print(f"{label} ({name}): {result['seconds']:.1f} s ({ok}); base {s['solver'].get('status')}, "
                  f"gap {(s['solver'].get('gap') or 0):.2%}")
            print(table.to_string(index=False))
        if len(seconds) == 2:
            ours, base = seconds.values()
            details += ["", f"{label}: ours / baseline wall time = {ours / base:.2f}"]
    text = "\n".join(lines + details) + "\n"
    if not args.no_record:
        append_section("plan_week", text, intro="`planner plan` for a week, three scenarios (issue 6). Target <= 60 s each on 2 cores.")


if __name__ == "__main__":
    main()

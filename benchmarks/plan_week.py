"""`planner plan` for one week, three scenarios: the bundled multi-channel sample and the US bank.

Runs the real command (subprocess, fresh store) for each config and reports wall-clock
seconds, the solver status and gap of the base plan, and the scenario table. Target (issue 6):
<= 60 s each on 2 cores. Appends the result to benchmarks/RESULTS.md (section ``plan_week``).

Usage: .venv/bin/python benchmarks/plan_week.py [--no-record]
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
    "bundled multi-channel sample (15 min, 4 channels, 160 named agents)": ROOT / "data/sample/plan.toml",
    "US bank week of 2003-10-20 (60 min, voice, agents created)": ROOT / "data/sample/us_bank_plan.toml",
}
TARGET_S = 60.0


def run(config: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLANNER_DB_URL": f"sqlite:///{tmp}/planner.db"}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planner.cli", "plan", "--config", str(config), "--out", f"{tmp}/out"],
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"planner plan failed for {config}:\n{done.stderr[-3000:]}")
        summary = json.loads(Path(f"{tmp}/out/summary.json").read_text())
        scenarios = pd.read_csv(f"{tmp}/out/scenarios.csv")
    return {"seconds": seconds, "summary": summary, "scenarios": scenarios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {os.getloadavg()[0]:.1f}", "",
             "Command: `.venv/bin/python benchmarks/plan_week.py` (each: `planner plan` in a subprocess, fresh store).", "",
             "| config | wall s | target | base solver | gap | base cost | base SL | scenarios |", "|---|---:|---|---|---:|---:|---:|---|"]
    details = []
    for label, config in CONFIGS.items():
        result = run(config)
        s = result["summary"]
        ok = "met" if result["seconds"] <= TARGET_S else "**missed**"
        lines.append(f"| {label} | {result['seconds']:.1f} | <= {TARGET_S:.0f} s: {ok} | {s['solver'].get('status')} | "
                     f"{(s['solver'].get('gap') or 0):.2%} | {s['cost']:,.0f} | {s['service_level']:.3f} | {len(result['scenarios'])} |")
        table = result["scenarios"][["name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "understaffed_intervals"]]
        details += ["", f"{label}:", "", "```", table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"), "```"]
        print(f"{label}: {result['seconds']:.1f} s ({ok}); base {s['solver'].get('status')}, gap {(s['solver'].get('gap') or 0):.2%}")
        print(table.to_string(index=False))
    text = "\n".join(lines + details) + "\n"
    if not args.no_record:
        append_section("plan_week", text, intro="`planner plan` for a week, three scenarios (issue 6). Target <= 60 s each on 2 cores.")


if __name__ == "__main__":
    main()

"""Budget scenarios' shift plans cold vs warm-started from the base plan, same time limit, same window.

For each ``[[scenario]]`` of a plan config (default the bundled sample): the base plan is made
once (``plan_shifts``), then the scenario's plan cold (``plan_shifts``) and warm
(``plan_shifts_from`` with ``WarmStart.of(base tours, requirements=base requirements)``), the
two at the same time in two processes (the same load for both), each with the rules'
``time_limit_s``. Records per scenario: whether the requirements are the base's (only those
start from the base's tours), the first plan's objective and second, the final objective, the
bound and the gap, and the load average at the start. Appends to benchmarks/RESULTS.md
(section ``warm_scenarios``).

Usage: .venv/bin/python benchmarks/warm_scenarios.py [--config data/sample/plan.toml] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import append_section  # noqa: E402


def _inputs(config_path: str):
    from execution import Executor
    from forecasting.scenarios import forecast_spread
    from planner import pipeline
    from planner.plan_config import load_plan_config
    from planner.uncertainty import with_spread

    config = load_plan_config(config_path)
    history = pipeline.load_plan_history(config, None)
    with Executor(workers=1, in_process=True) as executor:
        forecast = pipeline.build_forecast(config, history, executor=executor)
    frame = with_spread(forecast.frame, forecast_spread(forecast.frame, forecast.selection, forecast.backtest))
    return config, frame


def solve(config_path: str, scenario_name: str, start) -> dict:
    """One shift plan of a scenario (``start``: a WarmStart or None), in a worker process."""
    from planner import pipeline
    from planner.week_schedule import _read_agents, load_rules
    from scheduling.coverage import planning_week_start
    from scheduling.roster import headcount_caps
    from scheduling.shifts.solve import plan_shifts, plan_shifts_from

    warnings.simplefilter("ignore")
    config, frame = _inputs(config_path)
    scenario = next(s for s in (pipeline.BASE, *config.scenarios) if s.name == scenario_name)
    requirements, targets, rules_map = pipeline.scenario_requirements(config, frame, scenario)
    rules = load_rules(rules_map, source=str(config.source))
    agents = _read_agents(config.agents, rules)
    caps = None if agents is None else headcount_caps(
        agents, planning_week_start(requirements["interval_start"], first_weekday=rules.week_start))
    load = os.getloadavg()[0]
    started = time.perf_counter()
    if start is None:
        plan = plan_shifts(requirements, rules, caps=caps, targets=targets)
    else:
        plan = plan_shifts_from(requirements, rules, start, caps=caps, targets=targets)
    first = plan.improvements[0]
    return {"load": load, "seconds": time.perf_counter() - started, "first": first.objective,
            "first_s": first.seconds, "method": first.method, "objective": plan.objective, "bound": plan.bound,
            "gap": plan.gap, "tours": plan.tours, "requirements": requirements}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="data/sample/plan.toml")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from planner.plan_config import load_plan_config
    from scheduling.shifts.warm import WarmStart, requirements_digest

    config_path = str((ROOT / args.config) if not Path(args.config).is_absolute() else args.config)
    scenarios = [s.name for s in load_plan_config(config_path).scenarios]
    with ProcessPoolExecutor(max_workers=2) as pool:
        base = pool.submit(solve, config_path, "base", None).result()
        start = WarmStart.of(base["tours"], requirements=base["requirements"])
        rows = [("base", "-", "cold", base)]
        for name in scenarios:
            cold = pool.submit(solve, config_path, name, None)
            warm = pool.submit(solve, config_path, name, start)
            cold, warm = cold.result(), warm.result()
            same = "yes" if requirements_digest(cold["requirements"]) == start.requirements else "no"
            rows += [(name, same, "cold", cold), (name, same, "warm", warm)]
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {os.getloadavg()[0]:.1f}", "",
             f"Command: `.venv/bin/python benchmarks/warm_scenarios.py --config {args.config}` (each scenario's cold and "
             "warm plan at the same time, two processes; the rules' time_limit_s).", "",
             "| scenario | base's requirements | start | load at start | first plan | at s | final | bound | gap | s |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, same, kind, r in rows:
        lines.append(f"| {name} | {same} | {kind} | {r['load']:.1f} | {r['first']:,.1f} | {r['first_s']:.1f} | "
                     f"{r['objective']:,.1f} | {r['bound']:,.1f} | {r['gap']:.2%} | {r['seconds']:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        append_section("warm_scenarios", text, intro="`.venv/bin/python benchmarks/warm_scenarios.py`: budget "
                       "scenarios' shift plans cold vs warm-started from the base plan (issue 11).")


if __name__ == "__main__":
    main()

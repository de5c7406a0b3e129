"""What the bundled sample's base shift plan's gap to its LP bound is made of (issue 11).

Plans the base scenario of a plan config (default data/sample/plan.toml) with ``plan_shifts``
and the rules' ``time_limit_s``, then solves the exact model's LP relaxation again and
completes the plan's tours in the same model, and splits the difference of the two objectives:

* by column family of the objective (``x`` tours: pay plus the over-coverage price of their
  net hours; ``u`` under-coverage, priced at ``under_penalty`` per agent-hour; ``late`` and
  ``undone`` deferred work; ``z`` the rest);
* pay by channel and contract;
* coverage above and below the requirement per immediate channel, per day (agent-hours).

Appends to benchmarks/RESULTS.md (section ``plan_gap``).

Usage: .venv/bin/python benchmarks/plan_gap.py [--config data/sample/plan.toml] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import append_section  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="data/sample/plan.toml")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from execution import Executor
    from planner import pipeline
    from planner.plan_config import load_plan_config
    from planner.week_schedule import _read_agents, load_rules, plan_processes
    from scheduling.coverage import channel_demands, planning_week_start, validate_requirements, week_grid
    from scheduling.roster import headcount_caps
    from scheduling.shifts import heuristics, warm
    from scheduling.shifts.model import ShiftModel
    from scheduling.shifts.solve import plan_shifts

    config = load_plan_config(ROOT / args.config if not Path(args.config).is_absolute() else args.config)
    with Executor(workers=1, in_process=True) as executor:
        forecast = pipeline.build_forecast(config, pipeline.load_plan_history(config, None), executor=executor)
    requirements, targets, rules_map = pipeline.scenario_requirements(config, forecast.frame, pipeline.BASE)
    rules = load_rules(rules_map, source=str(config.source))
    agents = _read_agents(config.agents, rules)
    requirements = validate_requirements(requirements)
    caps = None if agents is None else headcount_caps(
        agents, planning_week_start(requirements["interval_start"], first_weekday=rules.week_start))
    load = os.getloadavg()[0]
    plan = plan_shifts(requirements, rules, caps=caps, targets=targets, processes=plan_processes())  # one plan, alone

    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), caps, hard=rules.coverage == "hard",
                       integer_activities=False)
    model.solve(mip=False, time_limit_s=3600, crossover=False)
    lp = np.asarray(model.prob.solverModel.getSolution().col_value).copy()
    model.prob.solverModel.setOptionValue("run_crossover", "on")
    tours, lost = warm.start_tours(model, warm.WarmStart.of(plan.tours))
    done = heuristics.first_plan(model, [("the plan's tours", tours, False)], progress=lambda *a: None,
                                  placement_mip=False)
    x = done[0]
    coef = np.zeros(len(lp))
    family = [""] * len(lp)
    for var in model.prob.variables():
        coef[var.index] = model.prob.objective.get(var, 0.0)
        family[var.index] = re.split(r"[_(]", var.name)[0]
    constant = float(model.prob.objective.constant)
    lp_obj, x_obj = float(coef @ lp) + constant, float(coef @ x) + constant
    split = defaultdict(lambda: [0.0, 0.0])
    for j in np.flatnonzero(coef):
        split[family[j]][0] += coef[j] * lp[j]
        split[family[j]][1] += coef[j] * x[j]
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {load:.1f}", "",
             f"Command: `.venv/bin/python benchmarks/plan_gap.py --config {args.config}` (time_limit_s "
             f"{rules.time_limit_s:g}).", "",
             f"The plan: objective {plan.objective:,.1f}, bound {plan.bound:,.1f}, gap {plan.gap:.2%} (status "
             f"{plan.status}; {len(plan.improvements)} plan(s) found, the last by {plan.improvements[-1].method!r}). "
             f"Its tours completed again in a fresh model: {x_obj:,.1f} ({lost} agents' tours not found); the LP "
             f"relaxation {lp_obj:,.1f}; difference {x_obj - lp_obj:,.1f}.", "",
             "| objective family | LP | plan | plan - LP | share of the difference |", "|---|---:|---:|---:|---:|"]
    for name, (a, b) in sorted(split.items(), key=lambda kv: -abs(kv[1][1] - kv[1][0])):
        lines.append(f"| {name} | {a:,.1f} | {b:,.1f} | {b - a:+,.1f} | {(b - a) / (x_obj - lp_obj):.1%} |")
    pay = defaultdict(lambda: [0.0, 0.0])
    for tour in model.tours:
        cost = rules.contract(tour.template.contract).hourly_cost * tour.paid_hours
        pay[(tour.channel, tour.contract)][0] += cost * lp[tour.var.index]
        pay[(tour.channel, tour.contract)][1] += cost * x[tour.var.index]
    lines += ["", "| pay: channel | contract | LP | plan | plan - LP |", "|---|---|---:|---:|---:|"]
    for (channel, contract), (a, b) in sorted(pay.items()):
        lines.append(f"| {channel} | {contract} | {a:,.1f} | {b:,.1f} | {b - a:+,.1f} |")
    hours = grid.interval_minutes / 60
    names = grid.day_names()
    lines += ["", "| coverage: channel | over, LP | over, plan | plan - LP over by day (" + " ".join(names)
              + ") | short, LP | short, plan |", "|---|---:|---:|---|---:|---:|"]
    per_day = grid.n_intervals // 7
    for channel, demand in model.demands.items():
        if demand.deferred:
            continue
        exprs = model.coverage.staffed[channel]

        def staffed(values, exprs=exprs):
            return np.array([sum(values[v.index] * a for v, a in e.items()) + e.constant for e in exprs])

        over_lp = np.clip(staffed(lp) - demand.required, 0, None) * hours
        over_x = np.clip(staffed(x) - demand.required, 0, None) * hours
        short_lp = np.clip(demand.required - staffed(lp), 0, None).sum() * hours
        short_x = np.clip(demand.required - staffed(x), 0, None).sum() * hours
        days = [over_x[k * per_day:(k + 1) * per_day].sum() - over_lp[k * per_day:(k + 1) * per_day].sum()
                for k in range(7)]
        lines.append(f"| {channel} | {over_lp.sum():.1f} | {over_x.sum():.1f} | {' '.join(f'{d:+.1f}' for d in days)} | "
                     f"{short_lp:.2f} | {short_x:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        append_section("plan_gap", text, intro="`.venv/bin/python benchmarks/plan_gap.py`: what the sample base plan's "
                       "gap to its LP bound is made of (issue 11).")


if __name__ == "__main__":
    main()

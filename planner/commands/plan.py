"""``planner plan --config plan.toml --out DIR``: the whole chain, saved in the store."""

from __future__ import annotations

import argparse


from planner.cluster import add_arguments, command_executor
from planner.progress import stage_bar
from planner.pipeline import plan
from planner.plan_config import load_plan_config

EXAMPLE = """\
Writes DIR/forecast.csv, requirements.csv, roster.csv, activities.csv, coverage.csv,
summary.json, scenarios.csv, roster.xlsx and ics/AGENT.ics, and saves the plan (with the
forecast snapshot it used) in the store. Paths in plan.toml are relative to the file.
Exit 3 when a scenario's roster breaks a rule: nothing is written or stored.

Example:
  planner plan --config data/sample/plan.toml --out out/sample
  planner plan --config data/sample/plan.toml --out out/sample --scheduler tcp://10.0.0.5:8786
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner plan``."""
    parser.add_argument("--config", required=True, metavar="PLAN.toml", help="the plan config")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (replaced as a whole)")
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    config = load_plan_config(args.config)
    with command_executor(args) as executor, stage_bar("plan") as progress:
        result = plan(config, out=args.out, progress=progress, executor=executor)
    print_result(result)
    print(f"wrote {args.out}; stored as plan {result.plan_id} (forecast snapshot {result.forecast_id})")
    return 0


def print_result(result) -> None:
    summary = result.summary
    print(f"{summary['name']}: week of {summary['week_start']}, channels {', '.join(summary['channels'])}")
    print(f"  forecast {summary['forecast_contacts']:,.0f} contacts; solver {summary['solver'].get('status')} "
          f"(gap {summary['solver'].get('gap', float('nan')):.2%})")
    if (summary.get("coverage_limit") or {}).get("text"):
        print(f"  {summary['coverage_limit']['text']}")
    columns = ["name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "occupancy", "abandon_rate", "understaffed_intervals"]
    table = result.scenarios[columns].copy()
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
    if "coverage_limit" in result.scenarios:
        for name, limit in zip(result.scenarios["name"], result.scenarios["coverage_limit"]):
            if isinstance(limit, str) and limit:
                print(f"  scenario {name!r}: {limit}")
    print("  service level = share of offered answered within T (abandons count against), volume-weighted; "
          "cost = paid hours x hourly cost")

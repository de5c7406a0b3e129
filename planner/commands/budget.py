"""``planner budget [--plan ID] --budget 90000 --out budget.csv``: what a weekly budget buys."""

from __future__ import annotations

import argparse
import sys

from wfm_errors import InputError
from planner.cluster import command_executor
from planner.commands.frontier import add_plan_arguments, stored_inputs
from planner.progress import stage_bar

EXAMPLE = """\
The plan of the stored plan's week with the highest expected service level whose cost (paid
hours x hourly cost, a week) is within the budget, found by bisection on the staffing level
over plans that are kept (PLANNER_CACHE_DIR/finance, shared with 'planner frontier'): never
below a frontier point that costs no more, and a larger budget never buys less. Writes one row:
name, fte, paid_hours, cost, cost_per_contact, service_level, occupancy, abandon_rate,
understaffed_intervals, coverage_limit, budget, unspent, level, next_cost,
next_service_level (what the next better plan costs and serves), plans_solved, plans_known.

Example:
  planner budget --budget 90000 --out budget.csv
  planner budget --plan 12 --budget 120000 --out budget.csv --tolerance 0.02
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner budget``."""
    parser.add_argument("--budget", required=True, metavar="AMOUNT", help="money per week (> 0)")
    add_plan_arguments(parser)
    parser.add_argument("--tolerance", type=float, default=0.01, metavar="SHARE",
                        help="stop when the staffing levels that fit and do not fit are this close (default 0.01)")
    parser.add_argument("--max-solves", type=int, default=8, metavar="N", help="plans solved at most (default 8)")


def run(args: argparse.Namespace) -> int:
    from planner.scenarios import budget_service, check_budget
    from planner.writers import write_csv

    budget = check_budget(args.budget)
    if not 0 < args.tolerance < 1:
        raise InputError(f"--tolerance must be between 0 and 1, got {args.tolerance}")
    if args.max_solves < 1:
        raise InputError(f"--max-solves must be >= 1, got {args.max_solves}")
    view, config, forecast, known = stored_inputs(args)
    print(f"plan {view.plan_id} ({view.name}): what {budget:,.0f} a week buys", file=sys.stderr)
    with command_executor(args) as executor, stage_bar("budget") as progress:
        answer = budget_service(config, forecast, budget=budget, executor=executor, known=known, progress=progress,
                                cache=False if args.no_cache else None, tolerance=args.tolerance,
                                max_solves=args.max_solves)
    write_csv(answer.to_frame(), args.out)
    print(answer.text())
    if answer.plan.row.get("coverage_limit"):
        print(f"  {answer.plan.row['coverage_limit']}")
    print(f"wrote {args.out}")
    return 0

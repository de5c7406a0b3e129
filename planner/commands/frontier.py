"""``planner frontier [--plan ID] --targets 0.7,0.8,0.9 --out frontier.csv``: what each service level costs."""

from __future__ import annotations

import argparse
import sys

from wfm_errors import InputError
from planner.cluster import add_arguments, command_executor
from planner.progress import stage_bar

EXAMPLE = """\
For each target, the cheapest plan of the stored plan's week whose expected service level
(share of offered contacts answered within T, volume-weighted: the number the app shows)
reaches it. A target no plan reaches is planned again at a higher staffing level; when even
the plan staffed for 99% misses it the row says unreachable and the best level reached.
Writes one row per target: target, reached, level, name, fte, paid_hours, cost,
cost_per_contact, service_level, occupancy, abandon_rate, understaffed_intervals,
coverage_limit, note. Solved plans are kept (PLANNER_CACHE_DIR/finance) for 'planner budget'.

Example:
  planner frontier --targets 0.7,0.8,0.9 --out frontier.csv
  planner frontier --plan 12 --targets 80%,90% --out frontier.csv --workers 2
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner frontier``."""
    add_plan_arguments(parser)
    parser.add_argument("--targets", default="0.7,0.8,0.9", metavar="LIST",
                        help="service levels, comma-separated shares in (0, 1) or percentages (default 0.7,0.8,0.9)")
    parser.add_argument("--max-rounds", type=int, default=4, metavar="N",
                        help="rounds of re-planning for targets not reached yet (default 4; >= 2)")


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", type=int, metavar="ID", help="the stored plan (default: the newest)")
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="the table to write")
    parser.add_argument("--no-cache", action="store_true", help="solve every plan again, keep none")
    add_arguments(parser)


def stored_inputs(args: argparse.Namespace):
    """(plan view, config, forecast, known plans) of ``--plan`` (the newest by default)."""
    from planner.store import Store
    from planner.ui.jobs import finance_inputs, plan_view

    view = plan_view(Store.open(), args.plan)
    return (view, *finance_inputs(view))


def run(args: argparse.Namespace) -> int:
    from planner.scenarios import frontier, parse_targets
    from planner.writers import write_csv

    targets = parse_targets(args.targets)
    if args.max_rounds < 2:
        raise InputError(f"--max-rounds must be >= 2, got {args.max_rounds}")
    view, config, forecast, known = stored_inputs(args)
    print(f"plan {view.plan_id} ({view.name}): frontier for {', '.join(f'{t:.0%}' for t in targets)}", file=sys.stderr)
    with command_executor(args) as executor, stage_bar("frontier") as progress:
        table = frontier(config, forecast, levels=targets, executor=executor, known=known, progress=progress,
                         cache=False if args.no_cache else None, max_rounds=args.max_rounds)
    write_csv(table, args.out)
    for row in table.to_dict("records"):
        state = "reached" if row["reached"] else "UNREACHABLE"
        print(f"target {row['target']:.1%}: {state}; service level {row['service_level']:.1%}, cost {row['cost']:,.0f}, "
              f"{row['fte']:,.1f} FTE ({row['name']}){'; ' + row['note'] if row['note'] else ''}")
    print(f"wrote {args.out}")
    return 0

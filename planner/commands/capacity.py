"""``planner capacity --config capacity.toml --out DIR``: required vs available FTE per week,
the hiring plan that closes the gap, and cost per month."""

from __future__ import annotations

import argparse


from planner.cluster import add_arguments, command_executor
from planner.progress import stage_bar
from planner.capacity_plan import capacity_plan, load_capacity_config, write_capacity_outputs

EXAMPLE = """\
Forecasts the horizon's interval volumes, turns them into interval requirements (queueing
models, shrinkage), sums them into required FTE per week and channel, projects the headcount
(attrition, training, ramp-up) and chooses the cheapest hiring classes that close the gap.
Writes DIR/weekly.csv (week, channel, required_fte, available_fte, gap_fte = available -
required, hires_starting, in_training, ramping, ...), DIR/hiring.csv (start_week, channel,
size, fixed), DIR/monthly_cost.csv and DIR/summary.json; the folder is replaced as a whole.

Example:
  planner capacity --config data/sample/capacity.toml --out out/capacity
  planner capacity --config data/sample/capacity.toml --out out/capacity --scheduler tcp://10.0.0.5:8786
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner capacity``."""
    parser.add_argument("--config", required=True, metavar="CAPACITY.toml", help="the capacity config")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (replaced as a whole)")
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    config = load_capacity_config(args.config)
    with command_executor(args) as executor, stage_bar("capacity") as progress:
        result = capacity_plan(config, progress=progress, executor=executor)
        progress("writing", 0.98)
        write_capacity_outputs(result, args.out)
        from planner.store import Store

        capacity_id = Store.open().save_capacity_plan(
            result.summary.get("name", "capacity plan"), config={"source": str(args.config)}, summary=result.summary,
            weekly=result.weekly, hiring=result.hiring, monthly=result.monthly,
        )
        progress("saved", 1.0)
    summary = result.summary
    print(f"{summary['name']}: {summary['weeks']} weeks from {summary['start']} to {summary['end']}")
    for channel, c in summary["channels"].items():
        short = (f"; {c['weeks_short_unavoidable']} week(s) short before hiring can help "
                 f"(up to {c['unavoidable_short_fte_max']:.1f} FTE)" if c["weeks_short_unavoidable"] else "")
        print(f"  {channel:>10}: required {c['required_fte_mean']:.1f} FTE on average (peak "
              f"{c['required_fte_peak']:.1f}; a daily average would say {c['daily_average_fte_mean']:.1f}), "
              f"headcount {c['starting_headcount_fte']:.1f} -> {c['ending_headcount_fte']:.1f}, "
              f"{c['new_hires']} new hire(s) in {c['new_classes']} class(es){short}")
    print(f"  total cost {summary['total_cost']:,.0f} (salary incl. trainees + hiring); solver "
          f"{summary['solver']['status']}")
    print(f"wrote {args.out}/weekly.csv, hiring.csv, monthly_cost.csv, summary.json; stored as capacity plan {capacity_id}")
    return 0

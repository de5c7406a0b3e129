"""``planner intraday --date D --out DIR``: forecast vs actual, re-forecast and staffing gap."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from planner.intraday import intraday, summary_dict

EXAMPLE = """\
Uses the newest stored plan whose week contains the date, and the newest actuals dataset
(planner actuals FILE). Writes DIR/intraday.csv (per interval and channel: forecast, actual,
cumulative, re-forecast with its 10-90 % range, required, scheduled, gap, projected service
level) and DIR/summary.json (WAPE and bias so far, the multiplier, projected service level).

Example:
  planner actuals today.csv && planner intraday --date 2025-06-03 --out out/intraday
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "intraday",
        help="today's forecast vs actual, re-forecast and staffing gap",
        description="Compare today's actuals with the forecast the roster was built from, re-forecast "
        "the rest of the day and show the staffing gap.",
        epilog=EXAMPLE,
    )
    parser.add_argument("--date", required=True, metavar="D", help="the day, e.g. 2025-06-03")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--plan", type=int, metavar="ID", help="stored plan id (default: the newest covering the date)")
    parser.add_argument("--actuals", metavar="NAME", help="actuals dataset (default: the newest)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        date = pd.Timestamp(args.date)
    except ValueError:
        raise ValueError(f"--date: {args.date!r} is not a date (e.g. 2025-06-03)") from None
    result = intraday(date, plan_id=args.plan, actuals_dataset=args.actuals)
    from planner.writers import write_csv, write_outputs, write_text

    payload = json.dumps(summary_dict(result), indent=2, default=str)
    write_outputs(
        Path(args.out),
        {
            "intraday.csv": lambda path: write_csv(result.intervals, path),
            "summary.json": lambda path: write_text(payload, path),
        },
    )
    for row in result.summary.to_dict("records"):
        print(
            f"{row['channel']:>10}: actual {row['actual_so_far']:,.0f} vs forecast {row['forecast_so_far']:,.0f} so far "
            f"(WAPE {row['wape_so_far']:.1%}, bias {row['bias_so_far']:+.1%}); day re-forecast {row['day_reforecast']:,.0f} "
            f"(plan {row['day_forecast']:,.0f}); {row['short_intervals']} short interval(s) ahead"
        )
    for note in result.notes:
        print(f"note: {note}")
    print(f"wrote {args.out}/intraday.csv and summary.json")
    return 0

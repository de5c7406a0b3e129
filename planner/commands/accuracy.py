"""``planner accuracy --snapshot ID --actuals FILE``: forecast accuracy against actuals."""

from __future__ import annotations

import argparse

EXAMPLE = """\
WAPE = sum|F - A| / sum A and bias = sum(F - A) / sum A, on intervals, next to the noise floor:
the WAPE a perfect forecast would still show because arrivals are random (Poisson). The gap
between the two is the avoidable error.

Example:
  planner forecast data/us_bank_2003_5min.csv.gz --start 2003-10-13 --days 7 \\
      --interval-minutes 30 --country US --out fc.csv      # prints 'snapshot 3 saved'
  planner accuracy --snapshot 3 --actuals data/us_bank_2003_5min.csv.gz --out acc.csv
"""


def arguments(p: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner accuracy``."""
    p.add_argument("--snapshot", required=True, type=int, metavar="ID", help="forecast snapshot id")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--actuals", metavar="FILE", help="History-format file with the actual volumes")
    src.add_argument("--dataset", metavar="NAME", help="actuals dataset already in the store")
    p.add_argument("--timezone", metavar="TZ", help="IANA zone of the actuals' local times")
    p.add_argument("--out", metavar="F.csv", help="write the per-interval detail here")
    from planner.commands.inputs import add_input_options

    add_input_options(p)


def run(args: argparse.Namespace) -> int:
    from planner.forecast_runs import accuracy_report
    from planner.writers import write_csv
    from planner.store import Store

    store = Store.open()
    forecast = store.forecast(args.snapshot)
    if args.actuals:
        from planner.io import load_history

        from planner.commands.inputs import input_options

        actuals = load_history(args.actuals, timezone=args.timezone, **input_options(args))
    else:
        actuals = store.actuals(args.dataset)
    report = accuracy_report(forecast, actuals)
    print(f"forecast snapshot {args.snapshot}: interval WAPE and bias vs noise floor")
    _print(report["queue"], ["queue", "channel"])
    print("\ndaily totals")
    _print(report["daily"], ["queue", "channel"])
    print("\nper day")
    _print(report["day"], ["date"])
    print("\nper time of day")
    _print(report["interval"], ["time"])
    if args.out:
        write_csv(report["detail"], args.out)
        print(f"\nwrote {len(report['detail'])} rows to {args.out}")
    return 0


def _print(table, keys: list[str]) -> None:
    head = " ".join(f"{k:<12}" for k in keys)
    print(f"{head} {'actual':>10} {'forecast':>10} {'wape':>7} {'bias':>7} {'floor':>7}")
    for row in table.to_dict(orient="records"):
        print(" ".join(f"{str(row[k]):<12}" for k in keys)
              + f" {row['actual']:>10,.0f} {row['forecast']:>10,.0f} {row['wape']:>7.1%} "
              f"{row['bias']:>+7.1%} {row['noise_floor']:>7.1%}")

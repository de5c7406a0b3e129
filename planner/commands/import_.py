"""``planner import FILE --dataset NAME``: validate a file and store it."""

from __future__ import annotations

import argparse
import sys

from planner.commands.inputs import PROFILES_HELP, add_input_options, input_options
from planner.datasets import import_file

EXAMPLE = """\
Nothing is stored when the file has errors (exit 2, with the report). Re-importing a name
replaces that dataset in one transaction.

Example:
  planner import data/us_bank_2003_5min.csv.gz --dataset us_bank
  planner import today.csv --dataset today --kind actuals
"""


EPILOG = EXAMPLE + "\n" + PROFILES_HELP


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner import``."""
    parser.add_argument("file", metavar="FILE", help="CSV (optionally .gz) or Parquet file")
    parser.add_argument("--dataset", required=True, metavar="NAME", help="name to store it under")
    parser.add_argument("--kind", choices=("history", "actuals"), default="history")
    parser.add_argument("--timezone", metavar="TZ", help="IANA zone of the file's local times")
    add_input_options(parser)


def run(args: argparse.Namespace) -> int:
    result = import_file(args.file, dataset=args.dataset, kind=args.kind, timezone=args.timezone, **input_options(args))
    if not result.report.ok:
        print(result.report.format(), file=sys.stderr)
        print(f"planner import: error: {args.file} has {len(result.report.errors)} error(s); nothing was stored", file=sys.stderr)
        return 2
    summary = result.report.summary
    print(
        f"stored dataset {args.dataset!r} ({args.kind}): {summary['rows_accepted']:,} rows, "
        f"{summary['interval_minutes']}-minute intervals, {summary['first_interval']} .. {summary['last_interval']}, "
        f"{len(result.report.warnings)} warning(s)"
    )
    return 0

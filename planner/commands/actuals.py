"""``planner actuals FILE``: import today's actuals (same contract as a History file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.commands.inputs import PROFILES_HELP, add_input_options, input_options
from planner.datasets import import_file

EXAMPLE = """\
The file is validated like a History file; nothing is stored when it has errors (exit 2).
Re-importing the same dataset name replaces it (use one name per day, or the default).

Example:
  planner actuals acd_today.csv
  planner actuals acd_today.csv --dataset actuals_2025-06-03
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "actuals",
        help="import today's actuals so far (History format) for intraday",
        description="Import actual interval volumes (the History format) for intraday tracking.",
        epilog=EXAMPLE + "\n" + PROFILES_HELP,
    )
    parser.add_argument("file", metavar="FILE", help="CSV (optionally .gz) or Parquet in the History format")
    parser.add_argument("--dataset", metavar="NAME", help="dataset name (default: actuals_<file name>)")
    parser.add_argument("--timezone", metavar="TZ", help="IANA zone of the file's local times")
    add_input_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    name = args.dataset or f"actuals_{Path(args.file).name.split('.')[0]}"
    result = import_file(args.file, dataset=name, kind="actuals", timezone=args.timezone, **input_options(args))
    if not result.report.ok:
        print(result.report.format(), file=sys.stderr)
        print(f"planner actuals: error: {args.file} has {len(result.report.errors)} error(s); nothing was stored", file=sys.stderr)
        return 2
    summary = result.report.summary
    print(f"stored actuals {name!r}: {summary['rows_accepted']:,} rows, {summary['first_interval']} .. {summary['last_interval']}")
    return 0

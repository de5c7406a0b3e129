"""``planner validate HISTORY``: report what is wrong with a History file."""

from __future__ import annotations

import argparse
import json
import sys

from planner.commands.inputs import PROFILES_HELP, add_input_options, input_options
from planner.io import iter_problem_rows, validate_history

EXAMPLE = """\
Exit codes: 0 clean or warnings only, 1 errors found, 2 unreadable file or bad arguments.

Example:
  planner validate data/us_bank_2003_5min.csv.gz
  planner validate exports/acd_2024.csv --timezone Europe/Berlin
  planner validate genesys_queues.csv --timezone Europe/Berlin             # profile detected
  planner validate acd.csv --map interval_start="Start" --map offered="Calls In" --dayfirst
  planner validate tickets.csv --profile zendesk --timezone Europe/London
"""


EPILOG = EXAMPLE + "\n" + PROFILES_HELP


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner validate``."""
    parser.add_argument("history", metavar="HISTORY", help="CSV (optionally .gz) or Parquet file")
    parser.add_argument("--timezone", metavar="TZ", help="IANA zone of the local times, e.g. America/New_York; "
                        "needed to recognise daylight-saving changes in files without UTC offsets")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_input_options(parser)


def run(args: argparse.Namespace) -> int:
    _, report = validate_history(args.history, timezone=args.timezone, **input_options(args))
    if args.json:
        payload = {"file": report.file, "ok": report.ok, "summary": report.summary, "problems": list(iter_problem_rows(report))}
        json.dump(payload, sys.stdout, indent=2, default=str)
        print()
    else:
        print(report.format())
    return 0 if report.ok else 1

"""``planner audit``: who changed what and when (imports, forecasts, plan builds, publishing,
scenarios, account changes, deletes, sign-ins)."""

from __future__ import annotations

import argparse

from wfm_errors import InputError
from planner.store import Store
from planner.writers import csv_bytes

EXAMPLE = """\
Newest first; times are UTC.

Example:
  planner audit
  planner audit --user ana --limit 20
  planner audit --action publish --csv > publications.csv
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner audit``."""
    parser.add_argument("--limit", type=int, default=50, help="rows to show (default 50; 0 = all)")
    parser.add_argument("--user", metavar="NAME", help="only this actor")
    parser.add_argument("--action", help="only this action (import, forecast, plan build, publish, scenario, delete, ...)")
    parser.add_argument("--csv", action="store_true", help="CSV on standard output")


def run(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise InputError(f"--limit: {args.limit} must be >= 0")
    log = Store.open().audit_log(limit=args.limit or None, actor=args.user, action=args.action)
    if args.csv:
        print(csv_bytes(log).decode("utf-8"), end="")  # neutralized: it is opened in spreadsheets too
    elif log.empty:
        print("the audit trail is empty" + (" for these filters" if args.user or args.action else ""))
    else:
        print(log.to_string(index=False))
    return 0

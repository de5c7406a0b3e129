"""``planner publish``: publish a plan (intraday, exports and team leads then use it)."""

from __future__ import annotations

import argparse

from wfm_errors import StoreError
from planner.store import Store

EXAMPLE = """\
A plan is a draft until it is published; publishing again (the same or another plan) adds a
new version and keeps the earlier ones.

Example:
  planner publish              (the newest plan)
  planner publish 12
  planner publish --list
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner publish``."""
    parser.add_argument("plan_id", metavar="PLAN_ID", type=int, nargs="?", help="the plan (default: the newest)")
    parser.add_argument("--list", action="store_true", help="list the publications instead")


def run(args: argparse.Namespace) -> int:
    store = Store.open()
    if args.list:
        table = store.publications()
        print(table.to_string(index=False) if len(table) else "nothing published yet")
        return 0
    plan_id = args.plan_id if args.plan_id is not None else store.latest_plan_id()
    if plan_id is None:
        raise StoreError("no plan in the store: build one first (planner plan, or planner demo)")
    version = store.publish_plan(plan_id)
    print(f"published plan {plan_id} as version {version}")
    return 0

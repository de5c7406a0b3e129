"""``planner demo``: load the bundled sample data and example configs into the store."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from planner.demo import SAMPLE_FILES, import_samples
from planner.store import Store, default_url

EXAMPLE = """\
Idempotent: running it again replaces the sample datasets.

Example:
  planner demo
  PLANNER_DB_URL=sqlite:////tmp/demo.db planner demo
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="load the bundled sample data into the store",
        description="Import the bundled sample data (synthetic multi-channel centre, US bank 2003, "
        "Anonymous Bank 1999) into the store.",
        epilog=EXAMPLE,
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = Store.open()
    with tqdm(total=len(SAMPLE_FILES), desc="importing samples", unit="file", file=sys.stderr) as bar:
        results = import_samples(store, on_file=lambda sample: (bar.set_postfix_str(sample.dataset), bar.update(1)))
    for result in results:
        summary = result.report.summary
        print(f"  {result.dataset}: {summary['rows_accepted']:,} rows, {summary['channels']}, "
              f"{summary['first_interval']} .. {summary['last_interval']}")
    print(f"store: {default_url()}")
    return 0

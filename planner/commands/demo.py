"""``planner demo``: load the bundled sample data and example configs into the store."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from planner.demo import SAMPLE_FILES, data_dir, import_samples, stored_example_plan
from planner.store import Store, default_url

EXAMPLE = """\
Imports the samples (running it again replaces them), then builds the example plan
data/sample/plan.toml (forecast, requirements, schedule, roster, scenarios) into the store
and var/demo_plan/. --no-plan stops after the import; --reuse does nothing when the store
already holds the bundled samples and an example plan built with the same rules and staffing
(what `make run` uses, so a second start takes seconds).

Example:
  planner demo
  PLANNER_DB_URL=sqlite:////tmp/demo.db planner demo --no-plan
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner demo``."""
    parser.add_argument("--no-plan", action="store_true", help="only import the sample data")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the stored samples and example plan when they are current")
    parser.add_argument("--out", default="var/demo_plan", metavar="DIR", help="where the example plan's files go")


def run(args: argparse.Namespace) -> int:
    store = Store.open()
    config = None
    if not args.no_plan:
        from planner.plan_config import load_plan_config

        config = load_plan_config(data_dir() / "sample" / "plan.toml")
        plan_id = stored_example_plan(store, config) if args.reuse else None
        if plan_id is not None:
            print(f"the store already holds the bundled samples and the example plan (plan {plan_id}); "
                  "`planner demo` rebuilds them")
            print(f"store: {default_url()}")
            return 0
    with tqdm(total=len(SAMPLE_FILES), desc="importing samples", unit="file", file=sys.stderr) as bar:
        results = import_samples(store, on_file=lambda sample: (bar.set_postfix_str(sample.dataset), bar.update(1)))
    for result in results:
        summary = result.report.summary
        print(f"  {result.dataset}: {summary['rows_accepted']:,} rows, {summary['channels']}, "
              f"{summary['first_interval']} .. {summary['last_interval']}")
    if config is not None:
        from planner.commands.plan import print_result
        from planner.progress import stage_bar
        from planner.pipeline import plan

        with stage_bar("example plan") as progress:
            result = plan(config, out=args.out, store=store, progress=progress)
        print_result(result)
        print(f"example plan stored as plan {result.plan_id}; files in {args.out}")
    print(f"store: {default_url()}")
    return 0

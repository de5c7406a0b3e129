"""``planner schedule REQUIREMENTS.csv --rules rules.toml [--agents agents.csv] --out DIR``."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from wfm_errors import InputError
from planner.week_schedule import (OUTPUT_FILES, load_rules, plan_processes, read_requirements_csv, schedule_week,
                                   write_outputs)
from scheduling.coverage import validate_requirements

STAGES = (
    "building model", "solving LP relaxation", "rounding the LP (dive)", "placing breaks and lunches",
    "reading solution", "assigning agents", "checking the roster", "writing outputs",
)

EXAMPLE = """\
Builds the week's shift plan (tours with breaks, lunches and days off) by LP/MIP, assigns it to
agents (agents.csv, or agents created per contract as FT001, PT001, ...) and writes
DIR/roster.csv, activities.csv, coverage.csv and summary.json (cost, paid hours, solver status,
objective, LP lower bound, gap, solve seconds, rule check, service check). With --staffing the
summary also holds the expected service level per interval and day (Erlang and simulation).
Every roster is re-checked rule by rule; when it breaks a rule (or its coverage is not the
coverage the plan priced) nothing is written and the command exits 3, naming the violations.

Example:
  planner schedule out/requirements.csv --rules data/sample/rules.toml --out out/week
  planner schedule out/requirements.csv --rules rules.toml --agents agents.csv \\
      --staffing staffing.toml --out out/week
"""


def arguments(p: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner schedule``."""
    p.add_argument("requirements", metavar="REQUIREMENTS.csv", help="requirements CSV (docs/architecture.md section 3)")
    p.add_argument("--rules", required=True, metavar="rules.toml", help="contracts, shift templates, activities")
    p.add_argument("--agents", metavar="agents.csv", help="named agents (default: created per contract)")
    p.add_argument("--staffing", metavar="staffing.toml",
                   help="service goals per channel, for the service check in summary.json")
    p.add_argument("--replications", type=int, default=10, metavar="N",
                   help="simulation replications for the service check (default 10)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (built aside and swapped in whole: its previous content is replaced)")


def run(args: argparse.Namespace) -> int:
    if args.replications < 1:
        raise InputError(f"--replications={args.replications} must be at least 1")
    rules = load_rules(args.rules)
    requirements = validate_requirements(read_requirements_csv(args.requirements), source=args.requirements)
    unknown = sorted(set(requirements["channel"]) - rules.channels())
    if unknown:
        raise InputError(f"{args.requirements}: channel {unknown[0]!r} is not served by any [[shift]] in "
                         f"{args.rules} (served: {sorted(rules.channels())})")
    targets = None
    if args.staffing:
        from planner.staffing import load_staffing

        targets = load_staffing(args.staffing)
    with tqdm(total=len(STAGES), desc="schedule", unit="step", file=sys.stderr,
              disable=None, leave=False) as bar:
        def progress(stage: str, share: float | None = None, /) -> None:  # a wfm_progress.Progress; the solver's steps have no share
            bar.set_postfix_str(stage)
            if stage in STAGES:
                bar.update(1)
        result = schedule_week(requirements, rules, agents=args.agents, targets=targets,
                               replications=args.replications, source=args.rules, progress=progress,
                               processes=plan_processes())  # one plan, alone in this process: the machine's cores
        progress("writing outputs")
        write_outputs(result, args.out)
    solver, checks = result.solver, result.checks
    print(f"cost {result.cost:,.2f}  paid hours {result.paid_hours:,.1f}  status {solver.status}  "
          f"time {solver.solve_seconds:.1f} s")
    print(f"objective {solver.objective:,.2f} (pay plus priced shortfall and over-coverage), "
          f"{solver.gap:.2%} above its proven lower bound {solver.bound:,.2f}")
    short, unreachable = checks.under_coverage_agent_hours, checks.unreachable_agent_hours
    if short > 0.05:
        print(f"short of the requirement: {short:,.1f} agent-hours"
              + (f", {unreachable:,.1f} of them in intervals no shift reaches (not in the objective)" if unreachable > 0.05 else ""))
    if checks.coverage_limit.text():
        print(checks.coverage_limit.text())
    print(f"rule check: {len(checks.rule_violations)} violations")
    print(f"wrote {', '.join(OUTPUT_FILES)} to {args.out}")
    return 0

"""``planner intraday --date D --out DIR``: forecast vs actual, re-forecast and staffing gap."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from wfm_errors import InputError
from planner.intraday import intraday, summary_dict

EXAMPLE = """\
Uses the newest stored plan whose week contains the date, and the newest actuals dataset
(planner actuals FILE). Writes DIR/intraday.csv (per interval and channel: forecast, actual,
cumulative, re-forecast with its 10-90 % range, required, scheduled, gap, projected service
level) and DIR/summary.json (WAPE and bias so far, the multiplier, projected service level).

With --replan it also proposes changes to the rest of the day (breaks and lunches moved
within their windows, blended agents switched between channels, overtime, voluntary time off)
that cut the projected service-level shortfall at least extra cost, and writes
DIR/proposal.csv (one row per agent), DIR/edits.csv, DIR/projection.csv (before/after per
interval) and DIR/replan.json. --accept all (or change ids 1,4,7) stores the changed roster as
a new version of the plan and writes its roster.csv, activities.csv, coverage.csv and ics/.

Example:
  planner actuals today.csv && planner intraday --date 2025-06-03 --out out/intraday
  planner intraday --date 2025-06-03 --out out/intraday --replan --accept all
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner intraday``."""
    parser.add_argument("--date", required=True, metavar="D", help="the day, e.g. 2025-06-03")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--plan", type=int, metavar="ID", help="stored plan id (default: the newest covering the date)")
    parser.add_argument("--actuals", metavar="NAME", help="actuals dataset (default: the newest)")
    replan = parser.add_argument_group("re-plan the rest of the day")
    replan.add_argument("--replan", action="store_true", help="propose changes to the rest of the day")
    replan.add_argument("--now", metavar="HH:MM", help="re-plan from this time (default: the end of the actuals so far)")
    replan.add_argument("--accept", metavar="all|IDS", help="store the proposal (all, or change ids like 1,4,7) as a new plan version")
    replan.add_argument("--no-overtime", action="store_true", help="do not propose overtime")
    replan.add_argument("--no-vto", action="store_true", help="do not propose voluntary time off")
    replan.add_argument("--no-moves", action="store_true", help="keep breaks and lunches where they are")
    replan.add_argument("--no-switch", action="store_true", help="keep agents on their shift's channel")
    replan.add_argument("--overtime-max-minutes", type=int, default=120, metavar="M", help="longest extension of a shift (default 120)")
    replan.add_argument("--value-per-contact", type=float, default=3.0, metavar="X",
                        help="worth of one contact brought back within target, in cost units (default 3)")


def run(args: argparse.Namespace) -> int:
    try:
        date = pd.Timestamp(args.date)
    except ValueError:
        raise InputError(f"--date: {args.date!r} is not a date (e.g. 2025-06-03)") from None
    if args.now:
        try:
            pd.Timestamp(args.now)
        except ValueError:
            raise InputError(f"--now: {args.now!r} is not a time of day (e.g. 14:30) or a date-time") from None
    if (args.accept or args.now) and not args.replan:
        print("planner intraday: error: --accept and --now need --replan", file=sys.stderr)
        return 2
    if args.overtime_max_minutes < 0 or args.value_per_contact < 0:
        print("planner intraday: error: --overtime-max-minutes and --value-per-contact must be >= 0", file=sys.stderr)
        return 2
    ids = None
    if args.accept and args.accept != "all":
        try:
            ids = [int(v) for v in args.accept.split(",") if v.strip()]
        except ValueError:
            print(f"planner intraday: error: --accept {args.accept!r}: 'all' or change ids like 1,4,7", file=sys.stderr)
            return 2
    result = intraday(date, plan_id=args.plan, actuals_dataset=args.actuals)
    from planner.writers import write_csv, write_outputs, write_text

    payload = json.dumps(summary_dict(result), indent=2, default=str)
    files = {
        "intraday.csv": lambda path: write_csv(result.intervals, path),
        "summary.json": lambda path: write_text(payload, path),
    }
    lines = []
    for row in result.summary.to_dict("records"):
        lines.append(
            f"{row['channel']:>10}: actual {row['actual_so_far']:,.0f} vs forecast {row['forecast_so_far']:,.0f} so far "
            f"(WAPE {row['wape_so_far']:.1%}, bias {row['bias_so_far']:+.1%}); day re-forecast {row['day_reforecast']:,.0f} "
            f"(plan {row['day_forecast']:,.0f}, {row['method']}); {row['short_intervals']} short interval(s) ahead"
        )
    lines += [f"note: {note}" for note in result.notes]
    if args.replan:
        files.update(_replan(args, date, ids, lines))
    write_outputs(Path(args.out), files)
    print("\n".join(lines))
    print(f"wrote {args.out}/" + ", ".join(sorted(files)))
    return 0


def _replan(args: argparse.Namespace, date: pd.Timestamp, ids: list[int] | None, lines: list[str]) -> dict:
    from planner.exports import write_ics
    from planner.writers import write_csv, write_text
    from planner.replan import accept, proposal_summary, propose
    from planner.store import Store
    from scheduling.intraday import ReplanOptions

    options = ReplanOptions(move_activities=not args.no_moves, switch_channels=not args.no_switch,
                            overtime=not args.no_overtime, vto=not args.no_vto,
                            overtime_max_minutes=args.overtime_max_minutes, value_per_contact=args.value_per_contact)
    store = Store.open()
    proposal = propose(date, store=store, plan_id=args.plan, actuals_dataset=args.actuals, now=args.now, options=options)
    r = proposal.result
    payload = proposal_summary(proposal)
    files = {
        "proposal.csv": lambda path: write_csv(r.changes, path),
        "edits.csv": lambda path: write_csv(r.edits, path),
        "projection.csv": lambda path: write_csv(r.projection, path),
    }
    lines.append(f"re-plan from {proposal.now:%H:%M} ({r.status}, {r.seconds:.1f} s): {len(r.changes)} agent(s) changed; "
                 f"shortfall {r.shortfall_before:,.1f} -> {r.shortfall_after:,.1f} contacts answered within T; "
                 f"extra cost {r.extra_cost:+,.2f} ({r.extra_paid_hours:+.2f} paid hours)")
    lines += [f"note: {note}" for note in r.notes]
    if args.accept:
        new_plan = accept(proposal, store=store, change_ids=ids)
        payload["accepted_as_plan"] = new_plan
        roster = store.plan_table(new_plan, "roster")
        activities = store.plan_table(new_plan, "activities")
        coverage = store.plan_table(new_plan, "coverage")
        config = store.plan(new_plan).config

        def ics(path: Path) -> None:
            path.mkdir(parents=True, exist_ok=True)
            write_ics(roster, activities, path, timezone=config.get("timezone") or None,
                      calendar_name=str(config.get("name") or "roster"))

        files.update({
            "roster.csv": lambda path: write_csv(roster, path),
            "activities.csv": lambda path: write_csv(activities, path),
            "coverage.csv": lambda path: write_csv(coverage, path),
            "ics": ics,
        })
        lines.append(f"accepted {'all' if ids is None else ids}: stored as plan {new_plan}")
    text = json.dumps(payload, indent=2, default=str)
    files["replan.json"] = lambda path: write_text(text, path)
    return files

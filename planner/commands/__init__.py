"""One module per `planner` subcommand, and the table of them.

:data:`COMMANDS` lists the commands in the order ``planner --help`` shows them, each with its
one-line help and its description; :func:`planner.cli.build_parser` makes every parser from
it. The module ``planner.commands.MODULE`` of a command provides ``arguments(parser)`` (adds
its arguments and options), ``EXAMPLE`` (the examples shown under ``--help``; ``EPILOG``
instead when there is more to show) and ``run(args)`` (the parsed ``argparse.Namespace`` in,
the exit code out); a command with actions of its own (``users``) sets ``func`` per action in
``arguments`` instead of having ``run``. A later issue adds its command with a row here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A ``planner`` subcommand: ``name`` as typed, ``module`` in :mod:`planner.commands`, its
    one-line ``help`` (in ``planner --help``) and ``description`` (atop ``planner NAME --help``)."""

    name: str
    module: str
    help: str
    description: str


COMMANDS: tuple[Command, ...] = (
    Command("validate", "validate",
            help="check a History file (CSV or Parquet) and report its problems",
            description="Check a History file against the data contract: required columns, timestamps, "
                        "counts, duplicates, the interval grid, daylight-saving changes and gaps."),
    Command("import", "import_",
            help="validate a History or actuals file and store it",
            description="Validate a History (or actuals) file and store it in the planner's database, raw "
                        "upload included."),
    Command("demo", "demo",
            help="load the bundled sample data into the store",
            description="Import the bundled sample data (synthetic multi-channel centre, US bank 2003, "
                        "Anonymous Bank 1999) into the store."),
    Command("forecast", "forecast",
            help="forecast volume (and handle time) per queue, channel and interval",
            description="Forecast every queue and channel of a History file from --start for --days days on "
                        "an --interval-minutes grid."),
    Command("accuracy", "accuracy",
            help="WAPE and bias of a stored forecast snapshot against actuals",
            description="Score a forecast snapshot from the store against actual volumes, per queue, day and "
                        "time of day, next to the Poisson noise floor."),
    Command("erlang", "erlang",
            help="agents needed for a service level (Erlang C / Erlang A), one case or a CSV batch",
            description="Queueing maths for one interval: required agents and the service level, ASA, "
                        "occupancy and abandon rate they give. Exact Erlang C or Erlang A for any size."),
    Command("staff", "staff",
            help="turn a forecast into staff requirements per interval (Erlang C/A, chat, deferred)",
            description="Compute the agents needed per interval, queue and channel to meet the service goals "
                        "of staffing.toml, from a Forecast CSV."),
    Command("schedule", "schedule",
            help="weekly shift plan and roster by LP/MIP from staff requirements",
            description="Plan the week's shifts, breaks and days off at least cost, assign them to agents and "
                        "write the roster, activities, coverage and a summary."),
    Command("plan", "plan",
            help="history -> forecast -> requirements -> shifts -> roster -> cost, with scenarios",
            description="Build the week's plan and its budget scenarios from plan.toml."),
    Command("frontier", "frontier",
            help="the cheapest plan reaching each service-level target",
            description="Service level vs cost for a stored plan."),
    Command("budget", "budget",
            help="the best expected service level a weekly budget buys",
            description="What a weekly budget buys for a stored plan."),
    Command("actuals", "actuals",
            help="import today's actuals so far (History format) for intraday",
            description="Import actual interval volumes (the History format) for intraday tracking."),
    Command("intraday", "intraday",
            help="today's forecast vs actual, re-forecast and staffing gap",
            description="Compare today's actuals with the forecast the roster was built from, re-forecast the "
                        "rest of the day and show the staffing gap."),
    Command("capacity", "capacity",
            help="capacity plan over months: required vs available FTE, hiring plan, cost per month",
            description="Plan headcount for 13-52 weeks: required FTE from interval requirements, attrition, "
                        "training and ramp-up, and the hiring classes that close the gap at least cost."),
    Command("publish", "publish",
            help="publish a plan for intraday, exports and team leads",
            description="Publish a stored plan."),
    Command("app", "app",
            help="serve the web app",
            description="Serve the planner's web app."),
    Command("users", "users",
            help="manage the web app's accounts and roles",
            description="Manage the web app's accounts and roles."),
    Command("audit", "audit",
            help="show the audit trail: who changed what and when",
            description="Show the audit trail: who changed what and when."),
)

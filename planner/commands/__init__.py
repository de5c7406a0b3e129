"""One module per `planner` subcommand.

Each module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed ``argparse.Namespace`` and returning the
exit code. :data:`COMMANDS` lists the modules in the order ``planner --help``
shows them; a later issue adds its command by adding its module name here.
"""

from __future__ import annotations

COMMANDS: tuple[str, ...] = (
    "validate",
    "import_",
    "demo",
    "forecast",
    "accuracy",
    "erlang",
    "staff",
    "schedule",
    "plan",
    "frontier",
    "budget",
    "actuals",
    "intraday",
    "capacity",
    "publish",
    "app",
    "users",
    "audit",
)

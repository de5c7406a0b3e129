"""The ``planner`` command.

Every subcommand lives in :mod:`planner.commands` and registers itself. User
mistakes (bad arguments, unreadable or invalid input) end with a one-line message
naming the file, field and value and exit code 2 - never a traceback. Exit code 3
(:data:`EXIT_NO_PLAN`): no usable plan - the solver returned none within its limits
(``scheduling.shifts.SolveError``, ``scheduling.capacity.SolveError``: one line naming what was
tried and the time limit), or the roster it made breaks a rule
(``scheduling.checks.RuleViolationError``: the first violations named); nothing is written.
Set ``PLANNER_DEBUG=1`` to see the traceback anyway.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tomllib
import warnings
from collections.abc import Sequence

from planner.commands import COMMANDS
from execution import TaskFailed
from scheduling.checks import RuleViolationError

EXIT_OK = 0
EXIT_INVALID = 1  # the input was read, and it has errors (validate)
EXIT_USAGE = 2  # bad arguments or unreadable input
EXIT_NO_PLAN = 3  # no usable plan: none from the solver, or a roster that breaks a rule (nothing written)


class UsageError(Exception):
    """A mistake in what the user asked for; printed without a traceback, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with examples kept verbatim in ``--help``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="planner",
        description="Contact-centre workforce planner: forecast, staff, schedule, budget, intraday.",
        epilog="Run 'planner COMMAND --help' for the options and an example of each command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"planner.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"planner.commands.{name}":
                continue  # that command's issue has not landed yet
            raise
        module.register(sub)
    return parser


def _act_as_login() -> None:
    """Store writes from the command line are audited as ``cli:<login name>``."""
    import getpass

    from planner.store import set_actor

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    set_actor(f"cli:{login}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        _act_as_login()
        return int(args.func(args) or 0)
    except TaskFailed as exc:  # a scenario or series task: its cause decides the exit code
        if os.environ.get("PLANNER_DEBUG"):
            raise
        from planner.pipeline import shown_error  # the one place that tells a task's no-plan cause

        print(f"planner {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_NO_PLAN if shown_error(exc) is not exc else EXIT_USAGE
    except (UsageError, ValueError, OSError, tomllib.TOMLDecodeError) as exc:
        if os.environ.get("PLANNER_DEBUG"):
            raise
        message = str(exc)
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
            message = f"{exc.filename}: {exc.strerror or message}"
        print(f"planner {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except RuleViolationError as exc:
        if os.environ.get("PLANNER_DEBUG"):
            raise
        print(f"planner {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_NO_PLAN
    except RuntimeError as exc:
        if os.environ.get("PLANNER_DEBUG") or not _is_no_plan(exc):
            raise
        print(f"planner {args.command}: no usable plan from the solver: {exc}", file=sys.stderr)
        return EXIT_NO_PLAN
    except KeyboardInterrupt:
        print(f"planner {args.command}: interrupted", file=sys.stderr)
        return 130


def _is_no_plan(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a solver's "no usable plan" (shift plan or hiring plan)."""
    from scheduling.capacity import SolveError as HiringSolveError
    from scheduling.shifts import SolveError

    return isinstance(exc, (SolveError, HiringSolveError))


def console_main() -> int:
    """The ``planner`` command itself: :func:`main` with warnings shown to the user as
    ``planner: warning: ...`` instead of Python's ``path/module.py:102: UserWarning: ...``
    (Python's form with ``PLANNER_DEBUG`` set). Callers of :func:`main` keep Python's handling."""
    if not os.environ.get("PLANNER_DEBUG"):
        def show(message, category, filename, lineno, file=None, line=None):
            print(f"planner: warning: {message}", file=file or sys.stderr)

        warnings.showwarning = show
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console_main())

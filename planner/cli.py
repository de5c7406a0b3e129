"""The ``planner`` command.

Every subcommand lives in :mod:`planner.commands` (the table :data:`planner.commands.COMMANDS`). Exit codes
(README.md, "Exit codes"): user mistakes (:class:`wfm_errors.PlannerError`: bad arguments,
unreadable or invalid input, rules that can never be met, a scheduler or database that does
not answer; and an ``OSError`` about a file the user named, or a TOML syntax error) end with
a one-line message naming the file, field and value and exit code 2 - never a traceback.
Exit code 3 (:data:`EXIT_NO_PLAN`): no usable plan - the solver returned none within its
limits (``scheduling.shifts.SolveError``, ``scheduling.capacity.SolveError``: one line naming
what was tried and the time limit), or the roster it made breaks a rule
(``scheduling.checks.RuleViolationError``: the first violations named); nothing is written.
Anything else is a bug in the planner: the traceback is printed, with a line asking to
report it, and the exit code is 70 (:data:`EXIT_BUG`, ``EX_SOFTWARE``); :mod:`planner.failures`
judges which is which, for the app too. Set ``PLANNER_DEBUG=1`` to see the traceback of a user
mistake too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Sequence

from planner.commands import COMMANDS
from planner.failures import MISTAKE, NO_PLAN, kind_of
from wfm_errors import InputError

EXIT_OK = 0
EXIT_INVALID = 1  # the input was read, and it has errors (validate)
EXIT_USAGE = 2  # bad arguments or unreadable input
EXIT_NO_PLAN = 3  # no usable plan: none from the solver, or a roster that breaks a rule (nothing written)
EXIT_BUG = 70  # a bug in the planner (EX_SOFTWARE): the traceback is printed
EXIT_INTERRUPTED = 130


class UsageError(InputError):
    """A mistake in what the user asked for on the command line; printed without a traceback, exit 2."""


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
    for command in COMMANDS:
        try:
            module = importlib.import_module(f"planner.commands.{command.module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"planner.commands.{command.module}":
                continue  # that command's issue has not landed yet
            raise
        parser_ = sub.add_parser(command.name, help=command.help, description=command.description,
                                 epilog=getattr(module, "EPILOG", module.EXAMPLE))
        module.arguments(parser_)
        if hasattr(module, "run"):
            parser_.set_defaults(func=module.run)
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
    except KeyboardInterrupt:
        print(f"planner {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure ends with an exit code that says whose it is
        if os.environ.get("PLANNER_DEBUG") and exit_code(exc) != EXIT_BUG:
            raise
        return _report(args.command, exc)


def exit_code(exc: BaseException) -> int:
    """The exit code for ``exc``: 2 the user's mistake, 3 no usable plan, 70 a bug
    (:func:`planner.failures.kind_of` judges)."""
    return {MISTAKE: EXIT_USAGE, NO_PLAN: EXIT_NO_PLAN}.get(kind_of(exc), EXIT_BUG)


def _report(command: str, exc: BaseException) -> int:
    """Print ``exc`` for the user (one line) or as a bug (the traceback); return its exit code."""
    code = exit_code(exc)
    if code == EXIT_BUG:
        traceback.print_exception(exc, file=sys.stderr)
        print(f"planner {command}: internal error (a bug in the planner, not in your input; "
              f"please report it with the traceback above): {type(exc).__name__}: {exc}", file=sys.stderr)
        return code
    message = str(exc)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
        message = f"{exc.filename}: {exc.strerror or message}"
    if code == EXIT_NO_PLAN and _is_no_plan(exc):
        print(f"planner {command}: no usable plan from the solver: {message}", file=sys.stderr)
    else:
        print(f"planner {command}: error: {message}", file=sys.stderr)
    return code


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

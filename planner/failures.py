"""Whose failure an exception is: the user's mistake, no usable plan, or a bug.

One judgement for the ``planner`` command (its exit code: 2, 3 or 70) and the app (a
message in the user's words, or a bug logged with its traceback):

- the user's mistake (:data:`MISTAKE`): a :class:`wfm_errors.PlannerError` (bad file, row,
  field, setting; rules that can never be met; not in the store; a scheduler that does not
  answer), an ``OSError`` about a file, a TOML syntax error;
- no usable plan (:data:`NO_PLAN`): the solver found none within its limits
  (``scheduling.shifts.SolveError``, ``scheduling.capacity.SolveError``) or the roster it made
  breaks a rule (``scheduling.checks.RuleViolationError``);
- anything else is a bug (:data:`BUG`), a plain ``ValueError`` included: an internal invariant
  broke.

A failed scenario or series task (:class:`execution.TaskFailed`) is judged by its cause; when
the cause did not travel back (a remote Dask worker sends the label and message only), it
counts as the user's mistake, as it did before the distinction existed.

>>> from wfm_errors import ConfigError
>>> kind_of(ConfigError("plan.toml: days = 0: must be >= 1")), kind_of(KeyError("x"))
('mistake', 'bug')
"""

from __future__ import annotations

import logging
import tomllib

from execution import TaskFailed
from wfm_errors import PlannerError

MISTAKE = "mistake"
NO_PLAN = "no plan"
BUG = "bug"

log = logging.getLogger("planner")


def _no_plan(exc: BaseException | None) -> bool:
    from scheduling.capacity import SolveError as HiringSolveError
    from scheduling.checks import RuleViolationError
    from scheduling.shifts import SolveError

    return isinstance(exc, (SolveError, HiringSolveError, RuleViolationError))


def kind_of(exc: BaseException) -> str:
    """:data:`MISTAKE`, :data:`NO_PLAN` or :data:`BUG` for ``exc`` (see the module's docstring)."""
    cause = exc.__cause__ if isinstance(exc, TaskFailed) else exc
    if isinstance(exc, TaskFailed) and cause is None:
        return MISTAKE
    if _no_plan(cause):
        return NO_PLAN
    if isinstance(cause, (PlannerError, tomllib.TOMLDecodeError)):
        return MISTAKE
    if isinstance(cause, OSError) and not isinstance(cause, (BrokenPipeError, ConnectionResetError)):
        return MISTAKE  # a file the user named that cannot be read or written
    return BUG


def user_text(exc: BaseException, *, where: str = "the app") -> str:
    """What to tell the user about ``exc``: its own message for a mistake or no usable plan;
    for a bug, a sentence saying so (with the error's type and message), after logging the
    traceback at ERROR level on the ``planner`` logger (``where`` names what was running)."""
    if kind_of(exc) != BUG:
        return str(exc)
    log.error("bug in %s: %s: %s", where, type(exc).__name__, exc, exc_info=exc)
    return (f"an internal error stopped this (a bug in the planner, not in your input; it is logged "
            f"with its details): {type(exc).__name__}: {exc}")

"""Exit codes tell a bug from a user mistake: PlannerError exit 2 with one line, no usable plan
exit 3, anything else a bug: the traceback and exit 70 (README "Exit codes")."""

from __future__ import annotations

import subprocess
import sys

import pytest

import planner.commands.validate as validate_command
from execution import TaskFailed, run_task
from planner import cli
from planner.cli import EXIT_BUG, EXIT_NO_PLAN, EXIT_USAGE, exit_code, main
from scheduling.checks import RuleViolationError
from scheduling.shifts import SolveError
from wfm_errors import ConfigError, PlannerError


def _boom(*_args, **_kwargs):
    raise ValueError("an internal invariant broke")


def test_a_bug_exits_70_with_the_traceback(tmp_path, monkeypatch, capsys):
    history = tmp_path / "h.csv"
    history.write_text("interval_start,offered\n2025-01-06 00:00,3\n2025-01-06 00:30,4\n")
    monkeypatch.setattr(validate_command, "validate_history", _boom)
    assert main(["validate", str(history)]) == EXIT_BUG == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_boom" in err
    assert "planner validate: internal error (a bug in the planner" in err
    assert "ValueError: an internal invariant broke" in err


def test_the_same_place_raising_a_planner_error_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    def mistake(*_args, **_kwargs):
        raise ConfigError("plan.toml: days = 0: must be >= 1")

    monkeypatch.setattr(validate_command, "validate_history", mistake)
    assert main(["validate", str(tmp_path / "h.csv")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "planner validate: error: plan.toml: days = 0: must be >= 1\n"


def test_a_bug_in_a_real_process_exits_70(tmp_path):
    """The process's own exit status, through ``python -m planner.cli``'s entry point."""
    code = ("import sys, planner.commands.validate as v\n"
            "def boom(*a, **k):\n    raise KeyError('missing internal key')\n"
            "v.validate_history = boom\n"
            "from planner.cli import main\n"
            f"sys.exit(main(['validate', {str(tmp_path / 'h.csv')!r}]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 70, done.stderr
    assert "Traceback" in done.stderr and "KeyError: 'missing internal key'" in done.stderr


def _failed_task(exc: BaseException) -> TaskFailed:
    def task():
        raise exc

    with pytest.raises(TaskFailed) as caught:
        run_task(task, "scenario 'lean'")
    return caught.value


@pytest.mark.parametrize("cause, expected", [
    (ConfigError("rules.toml: interval_minutes=7 must be one of (5, 10, 15, 20, 30, 60)"), EXIT_USAGE),
    (SolveError("no plan within 1 s"), EXIT_NO_PLAN),
    (RuleViolationError(["agent a1: 12 h rest < 11 h"]), EXIT_NO_PLAN),
    (ZeroDivisionError("division by zero"), EXIT_BUG),
    (ValueError("shapes (3,) and (4,) differ"), EXIT_BUG),
], ids=["user-mistake", "no-plan", "rule-broken", "bug", "bare-value-error"])
def test_a_failed_task_is_judged_by_its_cause(cause, expected):
    assert exit_code(_failed_task(cause)) == expected


def test_a_task_whose_cause_did_not_travel_back_keeps_exit_2():
    """A remote worker's failure arrives as its label and message only: no cause to judge."""
    assert exit_code(TaskFailed("scenario 'lean'", "ValueError: bad")) == EXIT_USAGE


def test_user_mistakes_outside_planner_error_keep_exit_2(tmp_path):
    import tomllib

    assert exit_code(FileNotFoundError(2, "No such file or directory", str(tmp_path / "x.csv"))) == EXIT_USAGE
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads("a = ")
    assert exit_code(caught.value) == EXIT_USAGE
    assert exit_code(cli.UsageError("--out is for --batch")) == EXIT_USAGE
    assert exit_code(PlannerError("anything the user can fix")) == EXIT_USAGE
    for bug in (KeyError("x"), TypeError("y"), AttributeError("z"), RuntimeError("w"), ValueError("v")):
        assert exit_code(bug) == EXIT_BUG


def test_a_bad_time_the_library_rejects_is_named_as_the_users_mistake(tmp_path, capsys):
    """pandas' own ValueError for --now would now read as a bug: the command checks the option first."""
    assert main(["intraday", "--date", "2025-06-03", "--out", str(tmp_path / "o"), "--replan", "--now", "teatime"]) == 2
    err = capsys.readouterr().err
    assert err == "planner intraday: error: --now: 'teatime' is not a time of day (e.g. 14:30) or a date-time\n"

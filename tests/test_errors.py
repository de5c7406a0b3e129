"""wfm_errors: one base class for the user's mistakes, importable by every package.

The layering (docs/architecture.md section 1) is checked on the source: ``wfm_errors`` imports
nothing of the project; ``forecasting``, ``scheduling`` and ``execution`` never import
``planner``; ``forecasting`` and ``scheduling`` never import each other. Then each vocabulary's
bad input raises its named class, which is a ``PlannerError`` and still a ``ValueError``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import wfm_errors
from wfm_errors import (CapacityError, ConfigError, ForecastInputError, InputError, PlannerError,
                        RequirementsError, RulesError, StoreError, UnreachableError)

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("planner", "forecasting", "scheduling", "execution", "wfm_errors")
FORBIDDEN = {
    "wfm_errors": {"planner", "forecasting", "scheduling", "execution"},
    "execution": {"planner", "forecasting", "scheduling"},
    "forecasting": {"planner", "scheduling"},
    "scheduling": {"planner", "forecasting"},
}


def _imported_packages(path: Path) -> set[str]:
    """The top-level project packages a module imports (any ``import`` or ``from`` statement)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PROJECT)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_the_import_rules_hold(package):
    broken = {str(path.relative_to(ROOT)): sorted(_imported_packages(path) & FORBIDDEN[package])
              for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in broken.items() if names} == {}


def test_the_ast_walk_sees_an_import_rule_broken(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom planner.store import Store\n\ndef f():\n    import scheduling.rules\n")
    assert _imported_packages(module) == {"planner", "scheduling"}


def test_every_class_is_a_planner_error_and_the_value_ones_are_value_errors():
    classes = [getattr(wfm_errors, name) for name in wfm_errors.__all__]
    assert all(issubclass(cls, PlannerError) for cls in classes)
    for cls in (InputError, ConfigError, RulesError, RequirementsError, ForecastInputError, CapacityError, StoreError):
        assert issubclass(cls, ValueError)
    assert issubclass(UnreachableError, OSError) and not issubclass(PlannerError, ValueError)


def test_the_existing_user_error_classes_derive_from_it():
    from execution import SchedulerUnreachable, TaskFailed
    from planner.cli import UsageError
    from planner.io import HistoryError, UnreadableFileError
    from scheduling.capacity import HiringInfeasibleError
    from scheduling.checks import RuleViolationError
    from scheduling.shifts import InfeasibleError, SolveError

    for cls in (UsageError, HistoryError, UnreadableFileError, HiringInfeasibleError, InfeasibleError):
        assert issubclass(cls, InputError), cls
    assert issubclass(SchedulerUnreachable, UnreachableError) and issubclass(SchedulerUnreachable, OSError)
    # no usable plan (exit 3) and a task's wrapper (judged by its cause) are not the user's mistake as such
    for cls in (SolveError, RuleViolationError, TaskFailed):
        assert not issubclass(cls, PlannerError), cls


def _forecast_history() -> pd.DataFrame:
    times = pd.date_range("2025-01-06", periods=7 * 48, freq="30min")
    return pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "offered": 10})


@pytest.mark.parametrize("expected, call", [
    (RulesError, lambda: __import__("scheduling.rules").rules.RuleSet.from_mapping({"interval_minutes": 7})),
    (RequirementsError, lambda: __import__("scheduling.requirements").requirements.ServiceTarget.from_mapping(
        {"target_sl": 1.5}, channel="voice")),
    (RequirementsError, lambda: __import__("scheduling.erlang").erlang.metrics(-5, 1800, 180, 3, 20)),
    (ForecastInputError, lambda: __import__("forecasting.api").api.forecast_frame(
        _forecast_history(), start="2025-01-13", days=1, interval_minutes=30, method="no_such_model")),
], ids=["rules", "service-target", "erlang", "forecast-method"])
def test_bad_input_in_each_package_raises_its_named_error(expected, call):
    with pytest.raises(expected) as caught:
        call()
    assert isinstance(caught.value, PlannerError) and isinstance(caught.value, ValueError)
    assert str(caught.value)  # says what is wrong


def test_a_plan_not_in_the_store_is_a_store_error():
    from planner.store import Store

    with pytest.raises(StoreError, match="plan 999: not in the store"):
        Store.open("sqlite://").plan(999)

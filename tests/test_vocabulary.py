"""Each word of the vocabulary has one owner; where the import rules keep a second copy
(forecasting never imports scheduling), the copies are pinned equal here."""

from __future__ import annotations

import pytest

from forecasting import api as forecasting_api
from forecasting import calendar as forecasting_calendar
from scheduling import channels, coverage, requirements, rules


def test_forecasting_grids_and_weekdays_agree_with_scheduling():
    assert forecasting_api.SUPPORTED_MINUTES == rules.GRIDS_MINUTES
    assert forecasting_calendar.WEEKDAYS == rules.WEEKDAYS


def test_planner_reads_channels_intervals_and_weekdays_from_their_owner():
    from planner import capacity_plan, exports, io, plan_config, week_schedule
    from planner.ui import columns, views

    assert io.IMMEDIATE_CHANNELS is channels.IMMEDIATE_CHANNELS and io.DEFERRED_CHANNELS is channels.DEFERRED_CHANNELS
    assert coverage.DEFERRED_CHANNELS == frozenset(channels.DEFERRED_CHANNELS)
    assert set(channels.CONCURRENT_CHANNELS) < set(channels.IMMEDIATE_CHANNELS)
    assert requirements.CHANNELS == channels.IMMEDIATE_CHANNELS + channels.DEFERRED_CHANNELS == io.CHANNELS
    assert io.SUPPORTED_INTERVAL_MINUTES is rules.GRIDS_MINUTES and capacity_plan.INTERVALS is rules.GRIDS_MINUTES
    assert exports.WEEKDAY_NAMES is rules.WEEKDAYS and views.WEEKDAY_NAMES is rules.WEEKDAYS
    assert columns.WEEKDAYS is rules.WEEKDAYS
    assert week_schedule.PLANNING_GRIDS_MINUTES is plan_config.PLANNING_GRIDS_MINUTES
    assert set(plan_config.PLANNING_GRIDS_MINUTES) <= set(rules.GRIDS_MINUTES)


@pytest.mark.parametrize("minutes", rules.GRIDS_MINUTES)
def test_every_supported_interval_length_is_a_valid_rules_grid(minutes):
    """The rules took 20 but not 6 while the history and requirements took 6 but not 20."""
    shift = {"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
             "earliest_start": "08:00", "latest_start": "08:00"}
    rule_set = rules.RuleSet.from_mapping({"interval_minutes": minutes,
                                           "contract": [{"name": "ft", "days_per_week": 5, "hourly_cost": 20.0}],
                                           "shift": [shift]})
    assert rule_set.interval_minutes == minutes


def test_a_grid_outside_the_supported_lengths_is_refused_naming_them():
    from wfm_errors import RulesError

    with pytest.raises(RulesError, match=r"interval_minutes=20 must be one of \(5, 6, 10, 15, 30, 60\)"):
        rules.RuleSet.from_mapping({"interval_minutes": 20,
                                    "contract": [{"name": "ft", "days_per_week": 5, "hourly_cost": 20.0}],
                                    "shift": [{"name": "day", "contract": "ft", "channels": ["voice"],
                                               "length_minutes": 480, "earliest_start": "08:00"}]})


PACKAGES = ("planner", "forecasting", "scheduling", "execution", "wfm_errors", "wfm_progress")
ATTRIBUTE_CALLS = {"setattr", "getattr", "delattr", "hasattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _of_package(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in PACKAGES


def _test_trees() -> dict[str, object]:
    import ast
    from pathlib import Path

    here = Path(__file__).parent
    return {str(path.relative_to(here.parent)): ast.parse(path.read_text(), filename=str(path))
            for path in sorted(here.rglob("*.py"))}


def _defined_in_tests(trees) -> set[str]:
    """Private names the tests define themselves (helpers, fixtures' attributes, arguments)."""
    import ast

    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if _private(name)}


def private_names_used_by_tests(trees: dict | None = None) -> list[str]:
    """``file:line name`` for every private name of the package a test reaches: ``from planner.x
    import _y``, ``import planner._x``, ``module._y`` on an imported project module, ``obj._y``,
    ``setattr(obj, "_y", ...)`` (monkeypatch's too, also ``"planner.x._y"``) and ``obj["_y"]``
    for a private name the tests do not define themselves. ``trees``: path -> parsed module
    (default: every file under tests/)."""
    import ast

    trees = _test_trees() if trees is None else trees
    own = _defined_in_tests(trees)
    found = []
    for path, tree in trees.items():
        modules = set()  # names bound to the project's modules in this file
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _of_package(alias.name):
                        modules.add(alias.asname or alias.name.split(".")[0])
                        found += [f"{path}:{node.lineno} {alias.name}" for part in alias.name.split(".") if _private(part)]
            elif isinstance(node, ast.ImportFrom) and _of_package(node.module):
                found += [f"{path}:{node.lineno} {node.module}.{alias.name}" for alias in node.names
                          if _private(alias.name) or any(_private(p) for p in node.module.split("."))]
                modules.update(alias.asname or alias.name for alias in node.names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                on_module = isinstance(node.value, ast.Name) and node.value.id in modules
                if on_module or node.attr not in own:
                    found.append(f"{path}:{node.lineno} .{node.attr}")
            elif isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in ATTRIBUTE_CALLS:
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            parts = [p for p in arg.value.split(".") if _private(p) and p not in own]
                            found += [f"{path}:{node.lineno} {called}({arg.value!r})" for _ in parts[:1]]
            elif isinstance(node, ast.Subscript):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and _private(key.value) \
                        and key.value not in own:
                    found.append(f"{path}:{node.lineno} [{key.value!r}]")
    return sorted(found)


def test_tests_reach_the_package_through_public_names_only():
    """A test of a private helper breaks when the helper is renamed or folded into its caller,
    although the behaviour did not change: tests import, call and monkeypatch public names (a
    helper worth testing on its own is public, with a docstring)."""
    assert private_names_used_by_tests() == []


def test_the_private_name_check_sees_each_way_of_reaching_one():
    """The check above is only as good as what it sees: each form it must catch, caught."""
    import ast

    case = ast.parse("""
import planner.intraday as module
from planner.intraday import _previous_days
module._fit_models(1)
monkeypatch.setattr(module, "_MODELS", {})
monkeypatch.setattr("planner.store._records", None)
parser._actions
cal.__dict__["_memo"]
def _helper(): pass
_helper()
obj._helper
""")
    found = private_names_used_by_tests({"case.py": case})
    assert found == ["case.py:3 planner.intraday._previous_days", "case.py:4 ._fit_models",
                     "case.py:5 setattr('_MODELS')", "case.py:6 setattr('planner.store._records')",
                     "case.py:7 ._actions", "case.py:8 ['_memo']"]


LONG_FUNCTION_LINES = 80
LONG_FUNCTION_PACKAGES = ("planner", "forecasting", "scheduling", "execution", "wfm_errors", "wfm_progress")
#: a function may stay longer when its docstring says why, in a sentence starting with this
LONG_REASON = "Long on purpose:"


def long_functions(*, lines: int = LONG_FUNCTION_LINES, root=None,
                   packages: tuple[str, ...] = LONG_FUNCTION_PACKAGES) -> list[tuple[str, str, int, bool]]:
    """``(path, function, lines, has_reason)`` for every function (methods and nested ones too)
    of the ``packages`` (folders under ``root``, default the repository) longer than ``lines``,
    from its ``def`` to its last line, docstring included; ``has_reason``: its docstring says
    why (:data:`LONG_REASON`)."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent.parent if root is None else Path(root)
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > lines:
                        found.append((path.relative_to(root).as_posix(), node.name, length,
                                      LONG_REASON in (ast.get_docstring(node) or "")))
    return found


def test_no_function_is_longer_than_80_lines_without_a_reason():
    """A newcomer reads a function as named steps; past about 80 lines it is several functions
    (the issue-17 rule)."""
    unexplained = [f"{path} {name}: {length} lines" for path, name, length, reason in long_functions()
                   if not reason]
    assert unexplained == []


def test_the_long_function_check_measures_from_def_to_the_last_line(tmp_path):
    """Known answers for the measure on a hand-made package: lengths from ``def`` to the last
    line, nested functions and methods seen, a reason read from the docstring."""
    import textwrap

    body = "".join(f"x{i} = {i}\n" for i in range(80))  # 80 lines
    four, twelve = textwrap.indent(body, " " * 4), textwrap.indent(body, " " * 12)
    source = ("def short():\n    x = 1\n\n"
              + "def long_one():\n" + four + "\n"  # 81 lines
              + f'def explained():\n    """{LONG_REASON} one table of cases."""\n' + four + "\n"  # 82 lines
              + "class Holder:\n    def method(self):\n        def inner():\n"  # method: 83 lines, inner: 81
              + twelve + "        return inner\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(source)
    found = long_functions(root=tmp_path, packages=("pkg",))
    assert sorted(found) == [("pkg/mod.py", "explained", 82, True), ("pkg/mod.py", "inner", 81, False),
                             ("pkg/mod.py", "long_one", 81, False), ("pkg/mod.py", "method", 83, False)]
    assert long_functions(root=tmp_path, packages=("pkg",), lines=81) == [("pkg/mod.py", "explained", 82, True),
                                                                          ("pkg/mod.py", "method", 83, False)]


def file_writes_outside_the_writer_module(*, root=None, packages: tuple[str, ...] = LONG_FUNCTION_PACKAGES) -> list[str]:
    """``path:line call`` for every call in the packages that writes a file itself instead of
    through :mod:`planner.writers` (atomic, neutralized): ``os.replace``/``os.rename``,
    ``tempfile.mkstemp``/``NamedTemporaryFile``, ``.to_csv``, ``.to_excel``, ``.write_text``,
    ``.write_bytes`` (a frame or path method; ``writers.write_text`` is the writer's own)."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent.parent if root is None else Path(root)
    by_module = {"os": {"replace", "rename"}, "tempfile": {"mkstemp", "NamedTemporaryFile"}}
    methods = {"to_csv", "to_excel", "write_text", "write_bytes"}
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name == "planner/writers.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    on = node.func.value.id if isinstance(node.func.value, ast.Name) else None
                    attr = node.func.attr
                    if attr in by_module.get(on, ()) or (attr in methods and on != "writers"):
                        found.append(f"{name}:{node.lineno} {ast.unparse(node.func)}")
    return found


def test_every_file_is_written_through_planner_writers():
    """One writer module: a file the planner writes is whole or absent (a temporary file renamed
    into place) and its cells neutralized against spreadsheet formulas."""
    assert file_writes_outside_the_writer_module() == []


def test_the_writer_check_sees_a_file_written_by_hand(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(
        "import os\nfrom planner import writers\n"
        "frame.to_csv(path)\nos.replace(a, b)\nPath(p).write_text('x')\n"
        "writers.write_text('x', p)\ntext.replace('a', 'b')\n")
    assert file_writes_outside_the_writer_module(root=tmp_path, packages=("pkg",)) == [
        "pkg/mod.py:3 frame.to_csv", "pkg/mod.py:4 os.replace", "pkg/mod.py:5 Path(p).write_text"]


def test_no_file_of_the_project_points_to_the_design_document_it_does_not_contain():
    """docs/architecture.md is the project's map; the original DESIGN.md is not in the repository."""
    from pathlib import Path

    root = Path(__file__).parent.parent
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    for package in (*LONG_FUNCTION_PACKAGES, "benchmarks"):
        files += [p for p in sorted((root / package).rglob("*")) if p.suffix in {".py", ".md", ".js", ".toml", ".css"}]
    assert len(files) > 100
    assert [p.relative_to(root).as_posix() for p in files if "DESIGN" + ".md" in p.read_text(errors="replace")] == []

"""The grids' vocabulary (planner/ui/columns.py): known answers for every format, the column
definitions AG Grid gets, and every grid of every page labelled from the one table."""

from __future__ import annotations

import math
import sys

import pandas as pd
import pytest

from planner.ui.columns import (COLUMNS, KINDS, ColumnFormat, column_def, column_format, fallback_label, format_value,
                                formatted)


#: (value, kind, digits, shown): the Python and the browser formatter are both held to these
FORMAT_CASES = [
    (108410.4, "money", 0, "108,410"),
    (108410.5, "money", 0, "108,411"),           # half away from zero, as the browser rounds
    (25.035, "money", 2, "25.04"),
    (1234567.891, "money", 2, "1,234,567.89"),
    (-1520.2, "money", 0, "-1,520"),
    (-0.4, "money", 0, "0"),                     # never "-0"
    (0.851, "percent", 1, "85.1%"),
    (0.8, "percent", 0, "80%"),
    (1.0, "percent", 1, "100.0%"),
    (0.0123, "signed_pct", 1, "+1.2%"),
    (-0.0123, "signed_pct", 1, "-1.2%"),
    (0.0, "signed_pct", 1, "+0.0%"),
    (12.34, "seconds", 1, "12.3 s"),
    (180, "seconds", 0, "180 s"),
    (27716, "count", 0, "27,716"),
    ("3", "count", 0, "3"),                      # a number sent as text still formats
    (12.45, "number", 1, "12.5"),
    (12.0, "number", 1, "12.0"),
    ("2025-06-02", "date", 0, "Mon 2025-06-02"),
    ("2025-06-08 23:45", "datetime", 0, "Sun 2025-06-08 23:45"),
    ("2025-06-03T08:30:00", "datetime", 0, "Tue 2025-06-03 08:30"),
    ("2026-11-29T13:02:05+00:00", "timestamp", 0, "2026-11-29 13:02 UTC"),
    ("2025-06", "month", 0, "Jun 2025"),
    ("2025-12", "month", 0, "Dec 2025"),
    (True, "yes_no", 0, "yes"),
    (False, "yes_no", 0, "no"),
    ("Limited by the agent pool", "text", 0, "Limited by the agent pool"),
]


@pytest.mark.parametrize("value, kind, digits, shown", FORMAT_CASES)
def test_format_known_answers(value, kind, digits, shown):
    assert format_value(value, kind, digits) == shown


@pytest.mark.parametrize("kind", KINDS)
def test_missing_values_are_blank_in_every_format(kind):
    for missing in (None, float("nan"), float("inf"), ""):
        assert format_value(missing, kind, 1) == ""


def test_text_that_is_not_a_number_or_date_is_shown_as_it_is():
    assert format_value("n/a", "money", 2) == "n/a"
    assert format_value("not a date", "date") == "not a date"
    assert format_value("2025-13", "month") == "2025-13"


def test_the_issue_s_raw_names_and_numbers_have_labels_and_formats():
    """The issue's examples: no "Cost_per_contact", "Wape_so_far", "Day_reforecast", 108410.4 or 0.851."""
    assert column_def("cost_per_contact")["headerName"] == "Cost per contact"
    assert column_def("wape_so_far")["headerName"] == "WAPE so far"
    assert column_def("day_reforecast")["headerName"] == "Day re-forecast (contacts)"
    assert formatted("cost", 108410.4) == "108,410"
    assert formatted("service_level", 0.851) == "85.1%"
    assert formatted("cost_per_contact", 4.2071) == "4.21"
    assert formatted("asa_s", 17.06) == "17.1 s"
    assert formatted("fte", 212.049) == "212.0"


def test_column_def_keeps_the_machine_name_and_formats_for_display_only():
    cost = column_def("cost")
    assert cost["field"] == "cost" and cost["headerTooltip"] == "cost"
    assert cost["valueFormatter"] == {"function": "wfmFormat(params.value, 'money', 0)"}
    assert cost["filter"] == "agNumberColumnFilter" and cost["type"] == "rightAligned"
    assert "valueFormatter" not in column_def("channel")                 # text needs none
    assert "valueFormatter" not in column_def("shrinkage", editable=True)  # the editor edits what the cell shows
    assert column_def("shrinkage", editable=True)["headerName"] == "Shrinkage"
    day = column_def("Mon 2025-06-02")
    assert day["headerName"] == "Mon 2025-06-02" and "valueFormatter" not in day
    assert column_def("service_level_voice")["headerName"] == "Service level, voice"
    assert column_def("service_level_voice")["valueFormatter"]["function"].endswith("'percent', 1)")


def test_unknown_names_still_read_as_words_with_their_unit():
    assert column_format("wait_minutes") is None
    assert column_def("wait_minutes")["headerName"] == "Wait (min)"
    assert fallback_label("hold_s") == "Hold (s)" and fallback_label("queue_depth") == "Queue depth"


def test_the_vocabulary_itself():
    """Every entry has a label that is not the raw name, a known kind, and units where the cell shows none."""
    for name, fmt in COLUMNS.items():
        assert fmt.kind in KINDS, name
        assert "_" not in fmt.label and fmt.label[0].isupper(), (name, fmt.label)
        if name.endswith("_minutes"):
            assert "(min)" in fmt.label, name
        if name.endswith("_s"):
            assert fmt.kind == "seconds", name
    with pytest.raises(ValueError, match="kind 'euro'"):
        ColumnFormat("Cost", "euro")


# -- every grid of every page ---------------------------------------------------------------------
def _grids(component) -> list:
    import dash_ag_grid as dag

    found, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if isinstance(node, dag.AgGrid):
            found.append(node)
            continue
        if hasattr(node, "to_plotly_json"):
            stack.append(getattr(node, "children", None))
    return found


def _assert_labelled(grid) -> None:
    for definition in grid.columnDefs:
        name = definition["field"]
        assert column_format(name) is not None, f"{grid.id}: column {name!r} is not in planner.ui.columns.COLUMNS"
        assert definition["headerName"] == column_format(name).label, (grid.id, name)


def test_every_grid_on_every_page_is_labelled_from_the_vocabulary(plan_store_url, tmp_path):
    """Layouts of all pages on the stored test plan, plus the grids made by callbacks (frontier,
    intraday summary, re-plan changes, the capacity page): every column is in the table."""
    import dash

    from planner.store import Store
    from planner.ui.app import create_app
    from planner.ui.views import latest_plan

    from .conftest import store_capacity_plan

    store_capacity_plan(Store.open(plan_store_url), tmp_path)
    create_app(plan_store_url)
    layouts = {page["path"]: page["layout"] for page in dash.page_registry.values()}
    seen = set()
    for path, layout in layouts.items():
        for grid in _grids(layout()):
            _assert_labelled(grid)
            seen.add(grid.id)
    assert {"scenarios-table", "intraday-summary", "overview-service", "roster-grid", "schedule-roster",
            "audit-grid", "datasets", "fc-backtest", "staffing-targets", "capacity-monthly", "capacity-monthly-channels",
            "capacity-hiring", "capacity-channels", "capacity-weekly"} <= seen

    scenarios = sys.modules["pages.scenarios"]
    frontier = pd.DataFrame({"target": [0.8, 0.9], "reached": [True, False], "service_level": [0.81, 0.86],
                             "cost": [90000.0, 120000.5], "fte": [70.2, 95.0], "cost_per_contact": [4.1, 5.3],
                             "name": ["sl 80%", "sl 99%"], "note": [None, "limited by the agent pool"]})
    for grid in _grids(scenarios.frontier_view(frontier)):
        _assert_labelled(grid)
    store = Store.open(plan_store_url)
    plan = latest_plan(store)
    intraday_page = sys.modules["pages.intraday"]
    grid = [g for g in _grids(intraday_page.day_view(f"{plan.week_start:%Y-%m-%d}", plan_id=plan.plan_id))
            if g.id == "intraday-summary"][0]
    _assert_labelled(grid)
    assert {d["field"] for d in grid.columnDefs} >= {"wape_so_far", "day_reforecast"}
    for name in intraday_page.CHANGE_COLUMNS:
        assert column_format(name) is not None, name


def test_sorting_stays_by_value(plan_store_url):
    """The grids get numbers, not text: a sort by cost puts 9,000 before 10,000."""
    from planner.ui import components as ui

    grid = ui.grid("g", [{"name": "a", "cost": 10000.0}, {"name": "b", "cost": 9000.0}])
    assert [type(r["cost"]) for r in grid.rowData] == [float, float]
    assert [d["field"] for d in grid.columnDefs] == ["name", "cost"]
    assert not math.isnan(grid.rowData[0]["cost"])


def test_capacity_page_without_a_plan_and_with_a_wrong_link(tmp_path):
    """No capacity plan: how to make one. A link to a plan not stored: said, and the newest shown."""
    import dash

    from planner.store import Store
    from planner.ui.app import create_app

    from .conftest import store_capacity_plan

    url = f"sqlite:///{tmp_path / 'capacity.db'}"
    create_app(url)
    layout = {page["path"]: page["layout"] for page in dash.page_registry.values()}["/capacity"]
    assert "planner capacity --config data/sample/capacity.toml" in str(layout())
    assert "capacity-page" not in str(layout())
    _result, capacity_id = store_capacity_plan(Store.open(url), tmp_path)
    page = str(layout(capacity="99"))
    assert "The link asks for capacity plan 99: not in the store." in page
    assert f"Showing capacity plan {capacity_id}, the newest." in page and "capacity-weekly" in page
    assert "The link asks" not in str(layout(capacity=str(capacity_id)))

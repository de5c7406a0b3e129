"""Which planning intervals a set of shift rules and a history allow, and why not the others."""

from __future__ import annotations

import pytest

from planner.toml_files import read_toml
from planner.week_schedule import grid_choices
from scheduling.rules import RuleSet

CONTRACT = [{"name": "ft", "days_per_week": 5, "hourly_cost": 20.0}]


def _rules(**shift) -> dict:
    base = {"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 480, "earliest_start": "08:00"}
    return {"contract": CONTRACT, "shift": [{**base, **shift}]}


def test_sample_rules_allow_only_the_15_minute_grid_and_say_why(sample_dir):
    rules = read_toml(sample_dir / "rules.toml")
    by_grid = {c.minutes: c for c in grid_choices(rules)}
    assert [m for m, c in by_grid.items() if c.usable] == [15]
    assert by_grid[30].why_not == "the 15-minute breaks of the 'early' shifts don't fill whole 30-minute intervals"
    assert by_grid[60].why_not == ("the 'early' shifts last 510 minutes (8.5 h), which is not a whole number of "
                                   "60-minute intervals")


@pytest.mark.parametrize("shift, grid, words", [
    ({"earliest_start": "08:15"}, 30, "may start at 08:15, which is not on a 30-minute boundary"),
    ({"earliest_start": "08:00", "latest_start": "10:30"}, 60, "may start until 10:30"),
    ({"earliest_start": "08:00", "latest_start": "10:00", "start_step_minutes": 15}, 30, "start every 15 minutes"),
    ({"activity": [{"kind": "lunch", "length_minutes": 30, "earliest_after_start": 195, "latest_after_start": 240}]},
     30, "the lunches of the 'day' shifts may start 195 minutes into the shift"),
    ({"activity": [{"kind": "break", "length_minutes": 45}]}, 30, "the 45-minute breaks"),
])
def test_each_kind_of_misfit_is_named(shift, grid, words):
    rules = _rules(**shift)
    by_grid = {c.minutes: c for c in grid_choices(rules)}
    assert words in by_grid[grid].why_not
    assert by_grid[15].usable


def test_the_words_agree_with_the_rule_validation():
    """A grid is offered exactly when the rule set validates on it (random-ish rules)."""
    cases = [_rules(), _rules(length_minutes=450), _rules(length_minutes=540, earliest_start="07:30"),
             _rules(activity=[{"kind": "break", "length_minutes": 15, "earliest_after_start": 120}]),
             _rules(activity=[{"kind": "lunch", "length_minutes": 60, "earliest_after_start": 240}])]
    for rules in cases:
        for choice in grid_choices(rules):
            try:
                RuleSet.from_mapping({**rules, "interval_minutes": choice.minutes})
                valid = True
            except ValueError:
                valid = False
            assert choice.usable == valid, (rules, choice)


def test_the_history_interval_limits_the_grid():
    rules = _rules()  # 8 h shifts at 08:00 fit every grid
    assert [c.usable for c in grid_choices(rules)] == [True, True, True]
    thirty = {c.minutes: c for c in grid_choices(rules, history_interval_minutes=30)}
    assert thirty[15].why_not == "the history is in 30-minute intervals, and a plan can't be finer than its history"
    assert thirty[30].usable and thirty[60].usable
    six = {c.minutes: c for c in grid_choices(rules, history_interval_minutes=6)}
    assert six[15].why_not == "the history's 6-minute intervals don't add up to 15-minute ones"
    assert six[30].usable and six[60].usable


def test_building_on_a_grid_the_rules_cant_use_says_why(store, sample_dir):
    """The app's build job refuses a 30-minute plan of the sample rules in words, before any
    forecasting or solving, and stores nothing."""
    from planner.datasets import import_file
    from planner.ui.jobs import plan_dataset

    import_file(sample_dir / "history.csv.gz", dataset="sample_centre", store=store)
    with pytest.raises(ValueError) as caught:
        plan_dataset(store, dataset="sample_centre", start="2025-06-02", interval_minutes=30)
    assert str(caught.value) == ("a 30-minute plan isn't possible: the 15-minute breaks of the 'early' shifts don't "
                                 "fill whole 30-minute intervals")
    assert store.list_plans().empty

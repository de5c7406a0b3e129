"""Rules model: validation names the offending rule; work patterns obey the contract."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.rules import Activity, Contract, RuleSet, activity_order, day_patterns, placement_windows

BASE = {
    "interval_minutes": 15,
    "contract": [{"name": "full_time", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0}],
    "shift": [{
        "name": "early", "contract": "full_time", "channels": ["voice", "chat"], "length_minutes": 510,
        "paid_minutes": 480, "earliest_start": "06:00", "latest_start": "10:00", "start_step_minutes": 15,
        "activity": [
            {"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90, "latest_after_start": 150},
            {"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180,
             "latest_after_start": 300},
        ],
    }],
}


def _with(path, value):
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_design_example_parses():
    rules = RuleSet.from_mapping(BASE)
    shift = rules.shifts[0]
    assert shift.start_minutes()[0] == 360 and shift.start_minutes()[-1] == 600
    assert len(shift.start_minutes()) == 17
    assert [a.kind for a in shift.activities] == ["break", "lunch"]
    assert rules.contract("full_time").min_days == rules.contract("full_time").max_days == 5


@pytest.mark.parametrize("path, value, message", [
    (("shift", 0, "activity", 1, "length_minutes"), 25,
     "rules.toml: [[shift]] 'early' [[shift.activity]] 'lunch': length_minutes=25 is not a multiple of interval_minutes=15"),
    (("shift", 0, "activity", 1, "length_minutes"), 600, "is not shorter than the shift's length_minutes=510"),
    (("shift", 0, "activity", 1, "latest_after_start"), 495, "window ends at 525 min, outside the shift"),
    (("shift", 0, "length_minutes"), 500, "[[shift]] 'early': length_minutes=500 is not a multiple"),
    (("shift", 0, "contract"), "temp", "contract='temp' is not a [[contract]]"),
    (("shift", 0, "earliest_start"), "6am", "earliest_start='6am' is not a clock time"),
    (("shift", 0, "paid_minutes"), 600, "paid_minutes=600 exceeds length_minutes=510"),
    (("shift", 0, "length_minutes"), 900, "plus min_rest_hours=11 exceeds 24 h"),
    (("contract", 0, "days_per_week"), 8, "[[contract]] 'full_time': days_per_week=8"),
    (("interval_minutes",), 7, "interval_minutes=7 must be one of"),
    (("coverage",), "maybe", "coverage='maybe'"),
])
def test_validation_names_the_rule_and_value(path, value, message):
    with pytest.raises(ValueError) as info:
        RuleSet.from_mapping(_with(path, value))
    assert message in str(info.value)


def test_overlapping_windows_are_taken_one_after_another():
    # the break's window now overlaps the lunch's: accepted, and placed apart (break first)
    rules = RuleSet.from_mapping(_with(("shift", 0, "activity", 0, "latest_after_start"), 195))
    shift = rules.shifts[0]
    assert activity_order(shift.activities) == (0, 1)
    assert placement_windows(shift.activities) == ((90, 195), (180, 300))
    # two breaks of one kind with the same window: the first ends before the second starts
    same = (Activity("break", 15, True, 60, 120), Activity("break", 15, True, 60, 120))
    assert placement_windows(same) == ((60, 105), (75, 120))


def test_activities_that_cannot_fit_are_named():
    data = copy.deepcopy(BASE)
    data["shift"][0]["activity"] = [
        {"kind": "break", "length_minutes": 15, "earliest_after_start": 90, "latest_after_start": 90},
        {"kind": "break", "length_minutes": 15, "earliest_after_start": 90, "latest_after_start": 90},
        {"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180, "latest_after_start": 300},
    ]
    with pytest.raises(ValueError) as info:
        RuleSet.from_mapping(data)
    message = str(info.value)
    assert message.startswith("rules.toml: [[shift]] 'early': activity 'break' (number ")
    assert "cannot fit" in message and "'break' (number 2, 15 min from 90..90)" in message


def test_rules_that_can_never_be_met_are_rejected():
    data = _with(("max_consecutive_days",), 3)  # 5 days a week with at most 3 in a row and 2 off together
    with pytest.raises(ValueError, match="can never be met"):
        RuleSet.from_mapping(data)


def test_start_window_may_cross_midnight():
    data = _with(("shift", 0, "earliest_start"), "22:00")
    data["shift"][0]["latest_start"] = "01:00"
    starts = RuleSet.from_mapping(data).shifts[0].start_minutes()
    assert starts[0] == 22 * 60 and starts[-1] == 25 * 60


def test_unknown_keys_warn_and_go_on():
    with pytest.warns(UserWarning, match="unknown keys ignored: colour"):
        RuleSet.from_mapping(_with(("colour",), "blue"))


def test_full_time_patterns_are_the_seven_rotations():
    patterns = day_patterns(Contract("ft", 5, 5, consecutive_days_off=2), max_consecutive_days=6)
    assert len(patterns) == 7
    assert all("00" in "".join(map(str, p + p)) for p in patterns)


@given(low=st.integers(1, 7), span=st.integers(0, 6), off=st.integers(0, 3), max_run=st.integers(1, 7),
       wrap=st.booleans())
def test_every_pattern_obeys_its_contract(low, span, off, max_run, wrap):
    high = min(7, low + span)
    patterns = day_patterns(Contract("c", low, high, consecutive_days_off=off), max_consecutive_days=max_run,
                            wrap=wrap)
    for p in patterns:
        text = "".join(map(str, p))
        ring = text + text if wrap else text
        assert low <= sum(p) <= high
        assert "1" * (max_run + 1) not in ring or max_run >= 7
        if off and sum(p) < 7:
            assert "0" * off in ring
    assert len(set(patterns)) == len(patterns)

"""Service goals in staffing.toml: named errors, the goal check (CLI exit codes: test_cli_schedule.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.service import goal_check
from planner.staffing import staffing_from_mapping
from scheduling.requirements import ServiceTarget


@pytest.mark.parametrize("table,message", [
    ({"voice": {"service_goal": "monthly"}}, "[channel.voice] service_goal = 'monthly': must be one of interval, daily, weekly"),
    ({"voice": {"service_goal": "weekly", "min_interval_sl": 0.9}},
     "[channel.voice] min_interval_sl = 0.9: must be in [0, target_sl] = [0, 0.8]"),
    ({"voice": {"service_goal": "weekly", "min_interval_sl": -0.1}}, "[channel.voice] min_interval_sl = -0.1"),
    ({"voice": {"service_goal": "weekly", "risk": 1.0}}, "[channel.voice] risk = 1.0: must be a number in (0, 1)"),
    ({"voice": {"service_goal": "daily", "risk": 0}}, "[channel.voice] risk = 0: must be a number in (0, 1)"),
    ({"voice": {"risk": 0.9}}, "[channel.voice] risk = 0.9: needs service_goal"),
    ({"email": {"due_minutes": 60, "service_goal": "weekly"}},
     "[channel.email] service_goal = 'weekly': service goals are for immediate channels"),
    ({"email": {"due_minutes": 60, "min_interval_sl": 0.5}}, "[channel.email] min_interval_sl = 0.5"),
    ({"voice": {"service_goal": "daily", "sl_definition": "answered"}}, "needs sl_definition = \"offered\""),
])
def test_bad_goals_are_named(table, message):
    with pytest.raises(ValueError) as info:
        staffing_from_mapping({"channel": table}, source="staffing.toml")
    assert str(info.value).startswith("staffing.toml: ")
    assert message in str(info.value)


def test_goal_defaults_and_floor():
    voice = staffing_from_mapping({"channel": {"voice": {"target_sl": 0.8}}})["voice"]
    assert (voice.service_goal, voice.min_interval_sl, voice.risk) == ("interval", None, None)
    assert voice.interval_floor_sl == 0.5
    assert ServiceTarget(target_sl=0.3, service_goal="weekly").interval_floor_sl == 0.3  # the default never exceeds the target
    weekly = staffing_from_mapping({"channel": {"chat": {"service_goal": "weekly", "min_interval_sl": 0.6, "risk": 0.9,
                                                         "concurrency": 2}}})["chat"]
    assert (weekly.service_goal, weekly.interval_floor_sl, weekly.risk) == ("weekly", 0.6, 0.9)
    with pytest.raises(ValueError, match=r"ServiceTarget\(channel='email'\).service_goal = 'daily'"):
        ServiceTarget(channel="email", due_minutes=60, service_goal="daily")


def _rows(levels, volumes, day="2025-06-02"):
    times = pd.date_range(day + " 09:00", periods=len(levels), freq="30min")
    return pd.DataFrame({"interval_start": times, "volume": volumes, "service_level": levels})


def test_goal_check_known_answers():
    # two intervals: 0.7 on 100 calls, 0.95 on 300 calls -> (70 + 285) / 400 = 0.8875 for the day/week
    rows = pd.concat([_rows([0.7, 0.95], [100.0, 300.0]), _rows([0.9], [0.0], day="2025-06-03")])
    weekly = goal_check(rows, ServiceTarget(target_sl=0.8, service_goal="weekly"))
    assert weekly["weekly_service_level"] == pytest.approx(0.8875)
    assert weekly["met"] and weekly["intervals_below_target"] == 1 and weekly["intervals_below_floor"] == 0
    assert weekly["open_intervals"] == 2 and [d["date"] for d in weekly["days"]] == ["2025-06-02"]
    assert not goal_check(rows, ServiceTarget(target_sl=0.8))["met"]  # the interval goal: 0.7 < 0.8
    # the floor binds: 0.7 is below min_interval_sl 0.75
    assert not goal_check(rows, ServiceTarget(target_sl=0.8, service_goal="weekly", min_interval_sl=0.75))["met"]
    # daily: one day at 0.8875, the other at (0.5 x 100 + 0.9 x 100) / 200 = 0.7
    two_days = pd.concat([rows, _rows([0.5, 0.9], [100.0, 100.0], day="2025-06-04")])
    daily = goal_check(two_days, ServiceTarget(target_sl=0.8, service_goal="daily", min_interval_sl=0.5))
    assert [d["meets_target"] for d in daily["days"]] == [True, False] and not daily["met"]
    assert goal_check(two_days, ServiceTarget(target_sl=0.75, service_goal="weekly", min_interval_sl=0.5))["met"]

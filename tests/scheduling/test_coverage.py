"""The week as one grid: night shifts land on the next day; the week wraps or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.coverage import WeekGrid, channel_demands, coverage_frame, validate_requirements, week_grid

MONDAY = pd.Timestamp("2024-01-01")


def test_sunday_night_shift_wraps_to_monday_morning():
    grid = WeekGrid(MONDAY, interval_minutes=60)
    covered = grid.covered(6 * 1440 + 22 * 60, 480)
    assert covered.tolist() == [166, 167, 0, 1, 2, 3, 4, 5]
    assert WeekGrid(MONDAY, 60, wrap=False).covered(6 * 1440 + 22 * 60, 480).tolist() == [166, 167]


@given(start=st.integers(0, 7 * 96 - 1), length=st.integers(1, 64), wrap=st.booleans())
def test_covered_counts_each_interval_once(start, length, wrap):
    grid = WeekGrid(MONDAY, 15, wrap=wrap)
    idx = grid.covered(start * 15, length * 15)
    assert len(set(idx.tolist())) == len(idx)
    assert len(idx) == (length if wrap else min(length, 7 * 96 - start))


def test_week_grid_starts_on_the_asked_weekday_and_rejects_off_grid_times():
    frame = pd.DataFrame({"interval_start": pd.to_datetime(["2024-01-03 10:00", "2024-01-03 10:07"]),
                          "channel": "voice", "required_agents": [1.0, 1.0]})
    with pytest.raises(ValueError, match="2024-01-03 10:07:00 is not on the 15-minute grid"):
        week_grid(frame, interval_minutes=15)
    assert week_grid(frame.iloc[:1], interval_minutes=15, first_weekday=0).start == MONDAY
    # without a week_start rule the week starts on the day of the first requirement
    assert week_grid(frame.iloc[:1], interval_minutes=15).start == pd.Timestamp("2024-01-03")
    sunday = week_grid(frame.iloc[:1], interval_minutes=15, first_weekday=6)
    assert sunday.start == pd.Timestamp("2023-12-31")
    assert sunday.day_names() == ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    assert sunday.days_on((0, 1, 2, 3, 6)) == (0, 1, 2, 3, 4)  # Sun-Thu are its first five days
    with pytest.raises(ValueError, match="not on the 15-minute grid of the week starting 2024-01-03"):
        week_grid(pd.DataFrame({"interval_start": pd.to_datetime(["2024-01-03", "2024-01-10"]),
                                "channel": "voice", "required_agents": [1.0, 1.0]}), interval_minutes=15)


def test_requirement_errors_name_row_and_value():
    frame = pd.DataFrame({"interval_start": [MONDAY], "channel": ["voice"], "required_agents": [-1.0]})
    with pytest.raises(ValueError, match="row 2: required_agents=-1.0"):
        validate_requirements(frame)
    email = pd.DataFrame({"interval_start": [MONDAY], "channel": ["email"], "required_agents": [1.0]})
    with pytest.raises(ValueError, match="deferred channel 'email' needs column workload_minutes"):
        validate_requirements(email)


def test_roster_coverage_is_net_of_activities_and_moves_blended_work():
    times = pd.date_range(MONDAY, periods=7 * 24, freq="60min")
    req = pd.concat([
        pd.DataFrame({"interval_start": times, "channel": "voice", "required_agents": 1.0}),
        pd.DataFrame({"interval_start": times, "channel": "email", "required_agents": 0.0,
                      "workload_minutes": 0.0, "due_minutes": 60.0}),
    ])
    grid = WeekGrid(MONDAY, 60)
    demands = channel_demands(validate_requirements(req), grid)
    roster = pd.DataFrame({"agent_id": ["A"], "date": ["2024-01-07"],
                           "shift_start": [MONDAY + pd.Timedelta(days=6, hours=22)],
                           "shift_end": [MONDAY + pd.Timedelta(days=7, hours=4)], "channel": ["voice"]})
    acts = pd.DataFrame({"agent_id": ["A", "A"],
                         "start": [MONDAY + pd.Timedelta(days=7, hours=1), MONDAY + pd.Timedelta(days=7, hours=2)],
                         "end": [MONDAY + pd.Timedelta(days=7, hours=2), MONDAY + pd.Timedelta(days=7, hours=3)],
                         "activity": ["break", "email"]})
    cov = coverage_frame(roster, acts, demands, grid).set_index(["channel", "interval_start"])["scheduled"]
    assert cov[("voice", MONDAY + pd.Timedelta(days=6, hours=23))] == 1
    assert cov[("voice", MONDAY)] == 1
    assert cov[("voice", MONDAY + pd.Timedelta(hours=1))] == 0  # break
    assert cov[("voice", MONDAY + pd.Timedelta(hours=2))] == 0  # working email
    assert cov[("email", MONDAY + pd.Timedelta(hours=2))] == 1
    assert cov[("voice", MONDAY + pd.Timedelta(hours=3))] == 1
    assert np.isclose(cov.loc["voice"].sum(), 4)

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

"""The calendar's memo (``Calendar.remember``): the models fitted on one series ask for the same
day kinds and after-holiday runs at every backtest origin; remembered answers are the computed ones."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from forecasting import forecast_frame
from forecasting.calendar import Calendar, OpeningHours, SpecialDay, daily_span
from forecasting.models import make_model
from planner.synthetic import generate_many_queues


def test_daily_span_only_for_consecutive_days():
    days = pd.date_range("2024-12-20", periods=20)
    assert daily_span(days) == (str(days.dtype), int(days.asi8[0]), 20)
    assert daily_span(days[::2]) is None
    assert daily_span(pd.DatetimeIndex([])) is None
    assert daily_span(pd.DatetimeIndex(["2025-01-01 12:00"])) is None
    assert daily_span(pd.date_range("2025-01-01 00:00", periods=5, freq="12h")) is None


def test_remembered_day_kinds_equal_computed_ones_and_are_copies():
    cal = Calendar("US", special_days=(SpecialDay(pd.Timestamp("2025-01-02").date(), "sale", multiplier=1.3),))
    fresh = Calendar("US", special_days=cal.special_days)
    rng = np.random.default_rng(0)
    for _ in range(40):
        start = pd.Timestamp("2024-11-01") + pd.Timedelta(days=int(rng.integers(0, 90)))
        days = pd.date_range(start, periods=int(rng.integers(1, 60)))
        first = cal.day_kinds(days)
        first[:] = 99  # a caller changing its copy changes nothing remembered
        computed = Calendar("US", special_days=cal.special_days).day_kinds(days)  # a new calendar's first answer
        np.testing.assert_array_equal(cal.day_kinds(days), computed)
        kept = cal.remember(("day_kinds", *daily_span(days)), lambda: pytest.fail("day kinds not remembered"))
        np.testing.assert_array_equal(kept, computed)
    assert cal == fresh  # the memo is not part of the calendar's identity (``fresh`` never asked)


def test_remembered_after_holiday_runs_equal_computed_ones():
    ts = pd.date_range("2024-10-01", periods=90 * 24, freq="h")
    y = np.full(len(ts), 5.0)
    opening = OpeningHours.parse("Mon-Fri 08:00-18:00", interval_minutes=60)
    model = make_model("decomposition").fit(y, ts, Calendar("US", opening=opening))
    for start in ("2024-11-20", "2024-12-20", "2025-01-15"):
        days = pd.date_range(start, periods=14)
        once, again = model.after_holiday(days), model.after_holiday(days)
        # the same model on a new calendar (an empty memo) computes them
        fresh = make_model("decomposition").fit(y, ts, Calendar("US", opening=opening))
        np.testing.assert_array_equal(once, fresh.after_holiday(days))
        np.testing.assert_array_equal(again, once)
    assert model.after_holiday(pd.date_range("2024-11-27", periods=3)).tolist() == [0, 0, 1]  # Friday after Thanksgiving


@pytest.mark.slow
def test_a_forecast_with_the_memo_equals_one_without(monkeypatch):
    history, _ = generate_many_queues(series=3, weeks=6, interval_minutes=60, seed=5)
    options = dict(start="2025-02-17", days=7, interval_minutes=60, country="US", backtest_windows=2, max_workers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        remembered = forecast_frame(history, **options)
        monkeypatch.setattr(Calendar, "remember", lambda self, key, make: np.asarray(make()))
        computed = forecast_frame(history, **options)
    pd.testing.assert_frame_equal(remembered.frame, computed.frame, check_exact=True)
    pd.testing.assert_frame_equal(remembered.selection, computed.selection, check_exact=True)
    pd.testing.assert_frame_equal(remembered.backtest, computed.backtest, check_exact=True)

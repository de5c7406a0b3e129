"""forecast_frame end to end: contract, edge cases, aggregation, calibration, handle time."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from forecasting import forecast_frame, reconcile_to_daily
from forecasting.api import aggregate, dst_factor
from forecasting.calendar import SpecialDay
from tests.progress_check import Recorder

COLUMNS = ["interval_start", "queue", "channel", "forecast", "lo", "hi", "model"]


def _quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forecast_frame(**kwargs)


def test_frame_contract_and_trains_only_before_start(make_history):
    h = make_history(days=56, minutes=30, seed=1)
    start = pd.Timestamp("2024-02-19")
    a = _quiet(history=h, start=start, days=7, interval_minutes=30, method="decomposition",
               backtest_windows=2, max_workers=1)
    changed = h.copy()
    changed.loc[changed.interval_start >= start, "offered"] *= 10  # the future must not leak
    b = _quiet(history=changed, start=start, days=7, interval_minutes=30, method="decomposition",
               backtest_windows=2, max_workers=1)
    assert list(a.frame.columns) == COLUMNS
    assert len(a.frame) == 7 * 48 and a.frame.interval_start.iloc[0] == start
    pd.testing.assert_frame_equal(a.frame, b.frame)
    f = a.frame
    assert (f.forecast >= 0).all() and (f.lo <= f.forecast).all() and (f.forecast <= f.hi).all()
    sunday = f.interval_start.dt.day_of_week == 6  # never open in the synthetic series
    assert (f.loc[sunday, ["forecast", "lo", "hi"]] == 0).all().all()
    assert set(a.backtest.level) == {"interval", "daily"} and a.selection.windows.iloc[0] == 2


def test_a_series_forecast_is_typed_and_is_what_the_frame_selection_and_backtest_are_made_of(make_history):
    """series_task returns a SeriesForecast (one queue and channel); forecast_frame's three tables
    are those of its series put together."""
    from forecasting.api import SELECTION_COLUMNS, SeriesForecast, series_task
    from forecasting.calendar import Calendar

    h = make_history(days=56, minutes=30, seed=1)
    start = pd.Timestamp("2024-02-19")
    whole = _quiet(history=h, start=start, days=7, interval_minutes=30, method="decomposition",
                   backtest_windows=2, max_workers=1)
    settings = dict(step=30, interval_minutes=30, start=start, days=7, calendar=Calendar(), method="decomposition",
                    opening_text=None, windows=2, horizon_days=7)
    rows = h[h["interval_start"] < start][["interval_start", "offered"]].reset_index(drop=True)
    one = series_task(settings, dict(key=("main", "voice"), rows=rows))
    assert isinstance(one, SeriesForecast) and (one.queue, one.channel, one.model) == ("main", "voice", "decomposition")
    assert one.windows == 2 and one.note == "" and one.warnings == () and 0 < one.wape < 1 and 0 <= one.coverage <= 1
    assert list(one.selection_row()) == SELECTION_COLUMNS == list(whole.selection.columns)
    assert whole.selection.iloc[0].to_dict() == pytest.approx(one.selection_row(), nan_ok=True)
    assert np.allclose(whole.frame["forecast"], one.frame["forecast"].round(4))
    pd.testing.assert_frame_equal(whole.backtest, one.backtest[whole.backtest.columns], check_like=False)


def test_auto_selects_by_backtest_and_intervals_are_calibrated(make_history):
    h = make_history(days=91, minutes=30, seed=4)
    start = pd.Timestamp("2024-03-25")
    res = _quiet(history=h, start=start, days=7, interval_minutes=30, max_workers=1,
                 backtest_windows=4)
    sel = res.selection.iloc[0]
    inter = res.backtest[res.backtest.level == "interval"].groupby("model").wape.mean()
    assert sel.model in inter.index or sel.model.startswith("ensemble(")
    if not sel.model.startswith("ensemble("):
        assert inter[sel.model] == inter.min()
    # a fresh Poisson draw of the same rate after start: the 10-90% band covers about 80%
    future = make_history(days=91, minutes=30, seed=99)
    future = future[future.interval_start >= start].reset_index(drop=True)
    f = res.frame
    open_ = f.forecast > 0
    actual = future.offered.to_numpy()[open_]
    inside = (actual >= f.lo[open_].to_numpy()) & (actual <= f.hi[open_].to_numpy())
    assert 0.7 <= inside.mean() <= 0.9
    assert 0.7 <= sel.coverage <= 0.9


def test_start_off_the_grid_names_the_value(make_history):
    h = make_history(days=28, minutes=30)
    with pytest.raises(ValueError, match=r"start '2024-01-20 10:15' is not on the 30-minute grid"):
        forecast_frame(h, start="2024-01-20 10:15", days=7, interval_minutes=30)


@pytest.mark.parametrize("kwargs, message", [
    (dict(days=0), "days must be"),
    (dict(interval_minutes=20), "interval_minutes must be one of"),
    (dict(method="prophet"), "'prophet'"),
    (dict(start="2023-01-01"), "no rows before start"),
    (dict(interval_minutes=5), "not a multiple of the history's 30-minute"),
])
def test_bad_arguments_are_named(make_history, kwargs, message):
    h = make_history(days=28, minutes=30)
    args = dict(history=h, start="2024-01-22", days=7, interval_minutes=30) | kwargs
    with pytest.raises(ValueError, match=message):
        forecast_frame(**args)


def test_short_history_uses_a_simple_model_with_a_warning(make_history):
    h = make_history(days=9, minutes=30)
    with pytest.warns(UserWarning, match="only 8 days of history"):
        res = forecast_frame(h[h.interval_start < "2024-01-09"], start="2024-01-09", days=7,
                             interval_minutes=30)
    assert res.frame.model.iloc[0] == "seasonal_naive"
    assert "simple model" in res.selection.note.iloc[0]
    # Sunday never seen but its hours are the learned daily hours: forecast is not forced to 0
    assert res.frame.forecast.sum() > 0


def test_all_zero_constant_and_new_queue_in_one_call(make_history):
    ts = pd.date_range("2024-01-01", periods=35 * 48, freq="30min")
    zero = pd.DataFrame({"interval_start": ts, "queue": "zero", "channel": "voice", "offered": 0})
    const = pd.DataFrame({"interval_start": ts, "queue": "const", "channel": "chat", "offered": 5})
    new = make_history(days=4, minutes=30, start="2024-01-31", queue="new")
    history = pd.concat([zero, const, new], ignore_index=True)
    progress = Recorder()
    with pytest.warns(UserWarning, match="'new'.*only 4 days"):
        res = forecast_frame(history, start="2024-02-05", days=7, interval_minutes=30,
                             max_workers=2, progress=progress)
    f = res.frame.set_index("queue")
    assert progress.calls == [(f"series {i}/3", i / 3) for i in (1, 2, 3)]  # a wfm_progress.Progress, per series
    assert (f.loc["zero", "forecast"] == 0).all() and (f.loc["zero", "hi"] == 0).all()
    assert np.allclose(f.loc["const", "forecast"], 5.0, atol=0.01)
    assert f.loc["new", "forecast"].sum() > 0 and np.isfinite(f.loc["new", "forecast"]).all()


def test_aggregation_5_to_30_minutes_keeps_totals_and_missing_stays_missing(us_history):
    part = us_history[us_history.interval_start < "2003-03-10"]
    part = part[part.interval_start != pd.Timestamp("2003-03-04 09:05")]  # one missing row
    ts, y, ht = aggregate(part, step_minutes=5, interval_minutes=30, end=pd.Timestamp("2003-03-10"))
    assert ht is None and len(ts) == 7 * 48
    assert np.isnan(y[ts == pd.Timestamp("2003-03-04 09:00")]).all()
    complete = part[part.interval_start.dt.floor("30min") != pd.Timestamp("2003-03-04 09:00")]
    full_buckets = ~np.isnan(y)
    assert np.nansum(y) == complete[complete.interval_start.dt.floor("30min").isin(ts[full_buckets])].offered.sum()


def test_dst_fall_back_duplicate_is_volume_not_missing():
    ts = pd.to_datetime(["2024-10-27 01:30", "2024-10-27 02:00", "2024-10-27 02:00",
                         "2024-10-27 02:30", "2024-10-27 02:30"])
    rows = pd.DataFrame({"interval_start": ts, "offered": [1, 2, 3, 4, 5]})
    grid, y, _ = aggregate(rows, step_minutes=30, interval_minutes=60, end=pd.Timestamp("2024-10-27 03:00"))
    assert y[grid == pd.Timestamp("2024-10-27 02:00")][0] == 14
    assert np.isnan(y[grid == pd.Timestamp("2024-10-27 01:00")][0])  # 01:00 row absent


def test_horizon_across_dst_change(make_history):
    h = make_history(days=63, minutes=30, start="2024-01-29")  # until 1 April
    res = _quiet(history=h, start="2024-03-25", days=7, interval_minutes=30,
                 method="decomposition", backtest_windows=1, timezone="Europe/Berlin",
                 opening_hours="Mon-Sun 00:00-24:00")
    f = res.frame.set_index("interval_start")
    # 31 March 2024 02:00-03:00 does not exist in Berlin
    assert (f.loc["2024-03-31 02:00":"2024-03-31 02:30", "forecast"] == 0).all()
    assert (f.loc["2024-03-31 03:00":"2024-03-31 04:00", "forecast"] >= 0).all()
    assert dst_factor(pd.DatetimeIndex(["2024-10-27 02:30"]), "Europe/Berlin").tolist() == [2.0]
    with pytest.raises(ValueError, match="'Mars/Olympus'"):
        dst_factor(pd.DatetimeIndex(["2024-10-27 02:30"]), "Mars/Olympus")


def test_special_days_closed_and_multiplier(make_history):
    h = make_history(days=56, minutes=30)
    special = [SpecialDay(pd.Timestamp("2024-02-27").date(), "strike", closed=True, multiplier=0.0),
               SpecialDay(pd.Timestamp("2024-02-28").date(), "campaign", multiplier=1.5)]
    base = _quiet(history=h, start="2024-02-26", days=7, interval_minutes=30,
                  method="decomposition", backtest_windows=0).frame
    adj = _quiet(history=h, start="2024-02-26", days=7, interval_minutes=30, method="decomposition",
                 backtest_windows=0, special_days=special).frame
    day = adj.interval_start.dt.date.astype(str)
    assert adj.loc[day == "2024-02-27", "forecast"].sum() == 0
    assert adj.loc[day == "2024-02-28", "forecast"].sum() == pytest.approx(
        1.5 * base.loc[day == "2024-02-28", "forecast"].sum(), rel=1e-3)


def test_interval_forecasts_add_up_to_the_daily_forecast():
    ts = pd.date_range("2024-01-01", periods=96, freq="30min")
    x = np.random.default_rng(0).uniform(0, 10, 96)
    daily = pd.Series([100.0, 0.0], index=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    out = reconcile_to_daily(x, ts, daily)
    sums = pd.Series(out).groupby(ts.normalize()).sum()
    np.testing.assert_allclose(sums.to_numpy(), [100.0, 0.0])
    assert np.allclose(out[:48] / x[:48], out[0] / x[0])  # the shape is kept


def test_handle_time_is_forecast_volume_weighted(make_history):
    h = make_history(days=42, minutes=30, seed=8)
    h["aht_s"] = np.where(h.interval_start.dt.hour < 14, 200.0, 300.0)
    h.loc[h.offered == 0, "aht_s"] = np.nan
    res = _quiet(history=h, start="2024-02-12", days=7, interval_minutes=60,
                 method="decomposition", backtest_windows=1)
    f = res.frame
    assert "aht_s" in f and list(f.columns) == COLUMNS + ["aht_s"]
    open_ = f.forecast > 0
    morning = open_ & (f.interval_start.dt.hour.between(8, 12))
    evening = open_ & (f.interval_start.dt.hour.between(15, 19))
    assert f.loc[morning, "aht_s"].between(195, 205).all()
    assert f.loc[evening, "aht_s"].between(295, 305).all()
    assert f.loc[~open_, "aht_s"].isna().all()

"""One contract test for every model in the registry, plus accuracy checks against known rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import metrics
from forecasting.calendar import EVE, HOLIDAY, Calendar, learn_opening_hours
from forecasting.models import MODELS, Model, make_model

ALL_MODELS = [*MODELS, "ensemble(week_mean_4+decomposition)"]


@pytest.fixture(scope="module")
def train(make_history):
    h = make_history(days=63, minutes=30, seed=11)
    y = h["offered"].to_numpy(dtype=float)
    y[500:540] = np.nan  # a gap of missing data
    ts = pd.DatetimeIndex(h["interval_start"])
    cal = Calendar(country="US", opening=learn_opening_hours(y, ts, interval_minutes=30))
    return y, ts, cal


@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_contract(name, train, rate):
    y, ts, cal = train
    future = pd.date_range(ts[-1] + (ts[1] - ts[0]), periods=10 * 48, freq="30min")
    mean, lo, hi = make_model(name).fit(y, ts, cal).predict(future, quantiles=(0.1, 0.9))
    again = make_model(name).fit(y, ts, cal).predict(future, quantiles=(0.1, 0.9))
    for arr in (mean, lo, hi):
        assert arr.shape == (len(future),)
        assert np.isfinite(arr).all()
        assert (arr >= 0).all()
    assert (lo <= mean + 1e-9).all() and (mean <= hi + 1e-9).all()
    assert (hi > lo).any()
    for a, b in zip((mean, lo, hi), again):
        np.testing.assert_array_equal(a, b)  # deterministic
    model = make_model(name).fit(y, ts, cal)  # what forecasting.api reads (the Model protocol)
    assert isinstance(model, Model)
    assert model.z[0] < 0 < model.z[1] and model.kappa >= 0
    assert set(model.examples) >= {HOLIDAY, EVE} and all(v >= 0 for v in model.examples.values())
    closed = ~cal.is_open(future)
    assert closed.any() and (mean[closed] == 0).all() and (hi[closed] == 0).all()
    # the model follows the known rate: far better than a flat forecast
    true = rate(future)
    flat = np.where(true > 0, true[true > 0].mean(), 0)
    assert metrics.wape(true, mean) < 0.5 * metrics.wape(true, flat)


def test_decomposition_is_near_the_noise_floor_on_a_known_rate(make_history, rate):
    h = make_history(days=84, minutes=30, seed=5, daily=4000)
    ts = pd.DatetimeIndex(h["interval_start"])
    y = h["offered"].to_numpy(dtype=float)
    train, test = ts < "2024-03-18", ts >= "2024-03-18"
    cal = Calendar(opening=learn_opening_hours(y[train], ts[train], interval_minutes=30))
    f = make_model("decomposition").fit(y[train], ts[train], cal).predict_mean(ts[test])
    perfect = metrics.wape(y[test], rate(ts[test], daily=4000))
    assert metrics.wape(y[test], f) < 1.15 * perfect


def _slice30(history: pd.DataFrame):
    s = history.set_index("interval_start")["offered"].astype(float)
    step = int((s.index[1] - s.index[0]).total_seconds() // 60)
    grid = s.resample("30min").sum()
    grid[s.resample("30min").count() < 30 // step] = np.nan
    full = pd.date_range(grid.index[0].normalize(), grid.index[-1].normalize() + pd.Timedelta(days=1),
                         freq="30min", inclusive="left")
    return grid.reindex(full)


def test_decomposition_beats_four_week_mean_on_us_bank(us_history):
    s = _slice30(us_history)
    ours, bench = [], []
    for origin in pd.to_datetime(["2003-09-29", "2003-10-06", "2003-10-13", "2003-10-20"]):
        tr = s[s.index < origin]
        te = s[(s.index >= origin) & (s.index < origin + pd.Timedelta(days=7))]
        cal = Calendar(country="US", opening=learn_opening_hours(tr.to_numpy(), tr.index,
                                                                 interval_minutes=30))
        for name, out in (("decomposition", ours), ("week_mean_4", bench)):
            f = make_model(name).fit(tr.to_numpy(), tr.index, cal).predict_mean(te.index)
            out.append(metrics.wape(te.to_numpy(), f))
    assert np.mean(ours) < 0.95 * np.mean(bench)


def test_yom_kippur_is_forecast_like_a_holiday(il_history):
    s = _slice30(il_history)
    origin = pd.Timestamp("1999-09-19")
    tr = s[s.index < origin]
    te = pd.date_range(origin, periods=7 * 48, freq="30min")
    opening = learn_opening_hours(tr.to_numpy(), tr.index, interval_minutes=30)
    with_hol = make_model("decomposition").fit(tr.to_numpy(), tr.index,
                                               Calendar(country="IL", opening=opening))
    without = make_model("decomposition").fit(tr.to_numpy(), tr.index, Calendar(opening=opening))
    day = lambda f: f.reshape(7, 48).sum(axis=1)  # noqa: E731
    actual = s.reindex(te).to_numpy().reshape(7, 48).sum(axis=1)
    a, b = day(with_hol.predict_mean(te)), day(without.predict_mean(te))
    # Mon 20 Sep (Yom Kippur) and Sun 19 (its eve): the calendar brings the forecast near the
    # actual volume; without it the model expects a normal working day
    assert abs(a[1] - actual[1]) < 0.25 * abs(b[1] - actual[1])
    assert abs(a[0] - actual[0]) < 0.5 * abs(b[0] - actual[0])
    assert with_hol.examples[1] >= 3  # learned from Pesach, Independence Day, Shavuot, ...


def test_outlier_spike_does_not_dominate(make_history):
    h = make_history(days=56, minutes=30, seed=2)
    ts = pd.DatetimeIndex(h["interval_start"])
    y = h["offered"].to_numpy(dtype=float)
    spike_at = np.flatnonzero((ts.day_of_week == 2) & (ts.hour == 11) & (ts.minute == 0))[-1]
    clean = make_model("week_mean_4").fit(y, ts, Calendar()).predict_mean(ts[spike_at:spike_at + 1] + pd.Timedelta(weeks=1))
    y[spike_at] *= 40
    for name in ("week_mean_4", "decomposition", "fourier_ols"):
        f = make_model(name).fit(y, ts, Calendar()).predict_mean(ts[spike_at:spike_at + 1] + pd.Timedelta(weeks=1))
        assert f[0] < 1.3 * clean[0], name


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="'arima42'"):
        make_model("arima42")
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        make_model("ensemble(decomposition+nope)")


def test_day_after_a_holiday_gets_the_learned_rebound(us_history):
    """US bank: the day after Memorial Day and after 4 July was busier; so is 2 Sep 2003."""
    s = _slice30(us_history)
    origin = pd.Timestamp("2003-09-01")  # Labor Day; the bank is closed, 2 Sep is the rebound
    tr = s[s.index < origin]
    cal = Calendar(country="US", opening=learn_opening_hours(tr.to_numpy(), tr.index,
                                                             interval_minutes=30))
    model = make_model("decomposition").fit(tr.to_numpy(), tr.index, cal)
    assert model.examples[4] == 2 and model.effect[4] > 1.1
    # 8 Apr follows the unlisted closure of 4-7 Apr: kept out of the level, not an example
    assert model.days[model.after_gap].strftime("%Y-%m-%d").tolist() == ["2003-04-08"]
    days = model.predict_mean(pd.date_range(origin, periods=14 * 48, freq="30min")).reshape(14, 48).sum(1)
    actual_sep2 = us_history[us_history.interval_start.dt.date == pd.Timestamp("2003-09-02").date()].offered.sum()
    four_week = np.mean([us_history[us_history.interval_start.dt.date == (pd.Timestamp("2003-09-02")
                         - pd.Timedelta(weeks=k)).date()].offered.sum() for k in range(1, 5)])
    assert days[1] > 1.1 * days[8]  # Tue 2 Sep vs Tue 9 Sep
    assert abs(days[1] - actual_sep2) < 0.6 * abs(four_week - actual_sep2)


def test_busy_month_start_leans_the_profile_to_the_morning():
    """Synthetic (seed 5): the first 3 days of each month bring 30% more calls, all of them
    before noon. decomposition_long learns a positive share slope in the morning and a
    negative one in the afternoon, and forecasts a month-start morning closer to the truth
    than the plain decomposition does."""
    rng = np.random.default_rng(5)
    ts = pd.date_range("2023-01-02", "2023-07-01", freq="30min", inclusive="left")
    minute = ts.hour * 60 + ts.minute
    base = np.where((minute >= 8 * 60) & (minute < 18 * 60), 60.0, 0.0)
    morning = (minute >= 8 * 60) & (minute < 12 * 60)
    start = np.asarray(ts.day <= 3)
    rate = base * np.where(start & morning, 1.0 + 0.3 * 10 / 4, 1.0)  # +30% of the day, mornings only
    y = rng.poisson(rate).astype(float)
    cal = Calendar(opening=learn_opening_hours(y, ts, interval_minutes=30))
    long = make_model("decomposition_long").fit(y, ts, cal)
    slot = np.arange(48)
    assert long.beta[(slot >= 16) & (slot < 24)].min() > 0
    assert long.beta[(slot >= 24) & (slot < 36)].max() < 0
    future = pd.date_range("2023-07-03", periods=48, freq="30min")  # 3 July: a month-start day
    truth = base[:48] * np.where(morning[:48], 1.75, 1.0)
    err_long = np.abs(long.predict_mean(future) - truth).sum()
    err_plain = np.abs(make_model("decomposition").fit(y, ts, cal).predict_mean(future) - truth).sum()
    assert err_long < err_plain


def test_level_window_chosen_by_rolling_origin():
    """A tuple of level windows: after level shifts the short window wins, on stationary
    noise the long one (seed 3)."""
    from forecasting.models import Decomposition

    model = Decomposition(level_days=(5, 20))
    model.D = 140
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 5.0, 140)
    steps = 100.0 + 30.0 * (np.arange(140) // 14 % 2) + noise  # the level jumps every 2 weeks
    assert model.choose_level_days(steps) == 5
    assert model.choose_level_days(100.0 + noise) == 20


def _rebound_series(day1: float, day2: float, *, seed: int) -> tuple[np.ndarray, pd.DatetimeIndex, Calendar]:
    """A year of Mon-Fri 08:00-18:00 (30 min, about 1000 calls a day, Poisson) closed on US
    public holidays; the 1st and 2nd open day after each holiday get ``day1`` and ``day2``
    times the volume."""
    ts = pd.date_range("2023-01-02", "2024-01-01", freq="30min", inclusive="left")
    minute = ts.hour * 60 + ts.minute
    open_ = (minute >= 8 * 60) & (minute < 18 * 60) & (ts.day_of_week < 5)
    holidays = set(Calendar(country="US").holidays(ts.normalize().unique()))
    days = pd.date_range("2023-01-02", "2023-12-31")
    mult, run = {}, 0
    for d in days:
        if d.day_of_week >= 5:
            continue
        if d.date() in holidays:
            run = 1
        elif run:
            mult[d.date()] = (day1, day2)[run - 1] if run <= 2 else 1.0
            run = run + 1 if run < 2 else 0
    factor = np.array([mult.get(d, 1.0) for d in ts.date])
    rate = np.where(open_, 50.0, 0.0) * factor
    y = np.random.default_rng(seed).poisson(rate).astype(float)
    y[np.isin(ts.date, list(holidays))] = np.nan  # closed on holidays: no data
    cal = Calendar(country="US", opening=learn_opening_hours(y, ts, interval_minutes=30))
    return y, ts, cal


def test_rebound_over_two_days_after_a_holiday_is_learned():
    """Synthetic (seed 2): +30% on the first and +10% on the second open day after each
    holiday are learned within a few percent, and forecast after the next holiday."""
    y, ts, cal = _rebound_series(1.3, 1.1, seed=2)
    model = make_model("decomposition").fit(y, ts, cal)
    assert abs(model.after_effect[1] - 1.3) < 0.04 and abs(model.after_effect[2] - 1.1) < 0.03
    assert model.examples[4] == model.after_examples[1] >= 8
    # New Year 2024 (Mon 1 Jan): Tue 2 Jan and Wed 3 Jan are the 1st and 2nd day after
    totals = model.predict_mean(pd.date_range("2024-01-02", periods=3 * 48, freq="30min")
                                ).reshape(3, 48).sum(axis=1)
    day_idx = (pd.date_range("2024-01-02", periods=3) - model.day0).days.to_numpy()
    regular = model.forecast_days(day_idx).sum(axis=1)  # the same days as ordinary days
    np.testing.assert_allclose(totals / regular, [*model.after_effect[1:3], 1.0], rtol=1e-9)


def test_rebound_without_a_real_effect_shrinks_to_one():
    """Synthetic (seed 4): no rebound at all; the chance deviation of the days after holidays
    (Poisson noise of about 3% a day) is shrunk to within 1% of no effect."""
    y, ts, cal = _rebound_series(1.0, 1.0, seed=4)
    model = make_model("decomposition").fit(y, ts, cal)
    assert np.all(np.abs(model.after_effect - 1.0) < 0.01)
    assert (model.after_effect[1:] == 1.0).any()  # within the noise: dropped, not estimated


def test_shrunk_ratio_keeps_clear_effects_and_drops_noise():
    from forecasting.models import shrunk_ratio

    assert shrunk_ratio([1.2, 1.2, 1.2], 0.0) == pytest.approx(1.2)
    # mean log 0.1 over 4 examples, noise variance 0.01: keeps 1 - 0.01 / (4 * 0.01) = 3/4
    assert shrunk_ratio(np.exp([0.1] * 4), 0.01) == pytest.approx(np.exp(0.075))
    assert shrunk_ratio([1.02, 0.99], 0.0025) == 1.0  # within noise: no effect
    assert shrunk_ratio([0.7], 0.0) == pytest.approx(0.7)  # a drop is kept too


def test_days_after_a_holiday_are_counted_in_open_days():
    """Friday 4 July 2003: Mon 7 and Tue 8 July are the 1st and 2nd open days after it;
    Thanksgiving (Thu 27 Nov) is followed by Fri 28 Nov (1st) and Mon 1 Dec (2nd)."""
    ts = pd.date_range("2003-06-02", "2003-12-08", freq="30min", inclusive="left")
    y = np.where((ts.day_of_week < 5) & (ts.hour >= 8) & (ts.hour < 18), 10.0, np.nan)
    cal = Calendar(country="US", opening=learn_opening_hours(np.nan_to_num(y), ts, interval_minutes=30))
    model = make_model("decomposition").fit(y, ts, cal)
    k = model.after_holiday(pd.date_range("2003-07-03", "2003-07-10"))
    assert k.tolist() == [0, 0, 0, 0, 1, 2, 0, 0]  # Thu 3 .. Thu 10 July
    k = model.after_holiday(pd.date_range("2003-11-26", "2003-12-02"))
    assert k.tolist() == [0, 0, 1, 0, 0, 2, 0]  # Wed 26 Nov .. Tue 2 Dec


def test_second_day_after_a_holiday_on_us_bank(us_history):
    """US bank, origin 22 Sep 2003 (before the evaluation weeks): the 2nd open day after
    Memorial Day, 4 July and Labor Day was 11-18% busier than its weekday; the learned effect
    says so, and those days are kept out of the regular level."""
    s = _slice30(us_history)
    origin = pd.Timestamp("2003-09-22")
    tr = s[s.index < origin]
    cal = Calendar(country="US", opening=learn_opening_hours(tr.to_numpy(), tr.index,
                                                             interval_minutes=30))
    model = make_model("decomposition").fit(tr.to_numpy(), tr.index, cal)
    assert model.after_examples[2] == 3 and 1.08 < model.after_effect[2] < 1.2
    second = model.days[model.after_k == 2].strftime("%Y-%m-%d").tolist()
    assert second == ["2003-05-28", "2003-07-08", "2003-09-03"]
    assert np.isnan(model.Y[model.after_k == 2]).all()

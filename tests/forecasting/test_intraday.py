"""The intraday update: its limits (nothing seen, everything seen), a scaled day recovered,
bands that cover, the method chosen by backtest and inputs checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.calendar import BRIDGE, EVE, HOLIDAY, REGULAR, Calendar, SpecialDay
from forecasting.intraday import (METHODS, SPECIAL_LEVEL_VAR, IntradayModel, baseline_matrix, damped_ratio,
                                  day_matrix, fit_intraday_model, naive_ratio, past_forecasts)

MINUTES = 30
SLOTS = 1440 // MINUTES
LEVEL_SD = 0.25  # day-to-day spread of the level (log scale) in the synthetic history


def _profile() -> np.ndarray:
    hours = np.arange(SLOTS) * MINUTES / 60
    rate = 60 + 90 * np.exp(-0.5 * ((hours - 11) / 2) ** 2) + 60 * np.exp(-0.5 * ((hours - 15.5) / 2) ** 2)
    return np.where((hours >= 8) & (hours < 20), rate, 0.0)


def _history(weeks: int = 14, seed: int = 5, level_sd: float = LEVEL_SD) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Days of Poisson counts around one profile, each day scaled by its own level."""
    rng = np.random.default_rng(seed)
    days = weeks * 7
    ts = pd.date_range("2025-01-06", periods=days * SLOTS, freq=f"{MINUTES}min")
    levels = np.exp(rng.normal(0.0, level_sd, size=days))
    rate = (levels[:, None] * _profile()[None, :]).ravel()
    return ts, rng.poisson(rate).astype(float), levels


@pytest.fixture(scope="module")
def model() -> IntradayModel:
    ts, y, _ = _history()
    return fit_intraday_model(y, ts, interval_minutes=MINUTES)


def test_no_actuals_is_the_plans_forecast(model):
    f = _profile() * 1.1
    update = model.update(f, np.full(SLOTS, np.nan))
    np.testing.assert_allclose(update.mean, f)
    assert ((update.lo <= update.mean + 1e-9) & (update.mean <= update.hi + 1e-9)).all()
    assert (update.lo[f > 0] < update.hi[f > 0]).all()  # the band is not degenerate


def test_a_whole_day_of_actuals_is_returned_as_is(model):
    rng = np.random.default_rng(2)
    a = rng.poisson(_profile() * 0.9).astype(float)
    update = model.update(_profile(), a)
    np.testing.assert_array_equal(update.mean, a)
    np.testing.assert_array_equal(update.lo, a)
    np.testing.assert_array_equal(update.hi, a)


@pytest.mark.parametrize("factor", [0.75, 1.3])
@pytest.mark.parametrize("cut_hour", [10, 12, 14])
def test_a_day_that_is_a_multiple_of_the_profile_is_recovered(model, factor, cut_hour):
    f = _profile()
    seen = np.arange(SLOTS) < cut_hour * 60 // MINUTES
    update = model.update(f, np.where(seen, factor * f, np.nan))
    rest = ~seen & (f > 0)
    # the plan is off by the whole factor (about one day-to-day spread); the update lands
    # within 3 % of the truth, with the profile's shape (every interval within 5 %)
    assert update.mean[rest].sum() == pytest.approx(factor * f[rest].sum(), rel=0.03)
    np.testing.assert_allclose(update.mean[rest], factor * f[rest], rtol=0.05)


def test_every_method_recovers_the_level_and_keeps_the_limits(model):
    f = _profile()
    seen = np.arange(SLOTS) < 24
    for method in METHODS:
        m = IntradayModel(**{**model.__dict__, "method": method})
        update = m.update(f, np.where(seen, 1.2 * f, np.nan))
        rest = ~seen & (f > 0)
        ratio = update.mean[rest].sum() / f[rest].sum()
        if method == "plan":
            assert ratio == pytest.approx(1.0)
        elif method == "ratio":
            assert ratio == pytest.approx(1.2)
        else:
            assert 1.05 < ratio < 1.21, method
        np.testing.assert_allclose(m.update(f, np.full(SLOTS, np.nan)).mean, f)


def test_bands_cover_about_80_percent_on_fresh_days(model):
    """Days from the same process as the history: the 10-90 % band holds ~80 % of intervals."""
    rng = np.random.default_rng(9)
    f = _profile()
    inside = total = 0
    for _ in range(60):
        level = np.exp(rng.normal(0.0, LEVEL_SD))
        a = rng.poisson(level * f).astype(float)
        cut = int(rng.integers(18, 30))
        seen = np.arange(SLOTS) < cut
        update = model.update(f, np.where(seen, a, np.nan))
        rest = ~seen & (f > 0)
        inside += int(((a[rest] >= update.lo[rest]) & (a[rest] <= update.hi[rest])).sum())
        total += int(rest.sum())
    assert 0.72 <= inside / total <= 0.88


def test_the_update_beats_the_plan_and_the_naive_ratio_on_level_shifted_days(model):
    rng = np.random.default_rng(4)
    f = _profile()
    err = {"plan": 0.0, "naive": 0.0, "ours": 0.0}
    for _ in range(40):
        a = rng.poisson(np.exp(rng.normal(0.0, LEVEL_SD)) * f).astype(float)
        seen = np.arange(SLOTS) < 20  # 10:00
        rest = ~seen
        ours = model.update(f, np.where(seen, a, np.nan)).mean
        err["plan"] += np.abs(f[rest] - a[rest]).sum()
        err["naive"] += np.abs(naive_ratio(f, a, seen)[rest] - a[rest]).sum()
        err["ours"] += np.abs(ours[rest] - a[rest]).sum()
    assert err["ours"] < err["plan"] and err["ours"] <= err["naive"] * 1.01


def test_method_is_chosen_by_backtest_and_reported(model):
    assert model.method in METHODS
    table = model.backtest
    assert set(table["method"]) == set(METHODS)
    assert table.loc[table["wape"].idxmin(), "method"] == model.method
    # the plan forecast that ignores the morning cannot win when days differ by level
    assert table.set_index("method").loc["plan", "wape"] > table["wape"].min()


def test_ratios_known_values():
    f = np.array([10.0, 10.0, 20.0, 20.0])
    a = np.array([15.0, 15.0, 0.0, 0.0])
    seen = np.array([True, True, False, False])
    np.testing.assert_allclose(naive_ratio(f, a, seen)[2:], [30.0, 30.0])
    # k = max(30, 0.15 x 60) = 30: (30 + 30) / (20 + 30) = 1.2
    np.testing.assert_allclose(damped_ratio(f, a, seen)[2:], [24.0, 24.0])


def test_day_and_baseline_matrices():
    ts = pd.date_range("2025-01-06", periods=21 * SLOTS, freq=f"{MINUTES}min")
    y = np.arange(len(ts), dtype=float)
    days, x = day_matrix(y, ts, interval_minutes=MINUTES)
    assert x.shape == (21, SLOTS) and x[1, 0] == SLOTS
    b = baseline_matrix(x, weeks=4, min_weeks=2)
    assert np.isnan(b[:14]).all()
    np.testing.assert_allclose(b[14], (x[7] + x[0]) / 2)


def test_past_forecasts_are_out_of_sample():
    ts, y, _ = _history(weeks=8)
    base = past_forecasts(y, ts, model="week_mean_4", interval_minutes=MINUTES, weeks=3)
    known = ~np.isnan(base)
    assert known.sum() == 3 * 7 * SLOTS and not known[: 5 * 7 * SLOTS].any()
    # week_mean_4 at an origin = the mean of the 4 weeks before it: changing a later week never changes it
    days, x = day_matrix(y, ts, interval_minutes=MINUTES)
    np.testing.assert_allclose(base[5 * 7 * SLOTS: 5 * 7 * SLOTS + SLOTS][_profile() > 0],
                               x[[7, 14, 21, 28], :].mean(axis=0)[_profile() > 0], rtol=1e-9)


def test_bad_inputs_are_named(model):
    with pytest.raises(ValueError, match="48 values"):
        model.update(np.ones(10), np.ones(10))
    ts, y, _ = _history(weeks=6)
    with pytest.raises(ValueError, match="not one of"):
        fit_intraday_model(y, ts, interval_minutes=MINUTES, methods=("magic",))
    with pytest.raises(ValueError, match="baseline has 3 values"):
        fit_intraday_model(y, ts, interval_minutes=MINUTES, baseline=np.ones(3))


def test_the_model_table_reads_back_exactly(model):
    table = model.to_frame()
    assert list(table.columns) == ["field", "row", "col", "value", "text"]
    back = IntradayModel.from_frame(table)
    for name in ("components", "prior", "covariance"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert (back.method, back.sigma2, back.variance_scale, back.train_days, back.interval_minutes) == (
        model.method, model.sigma2, model.variance_scale, model.train_days, model.interval_minutes)
    pd.testing.assert_frame_equal(back.backtest, model.backtest.reset_index(drop=True)[["method", "wape"]])
    rng = np.random.default_rng(8)
    a = np.where(np.arange(SLOTS) < 24, rng.poisson(_profile() * 1.2), np.nan)
    u1, u2 = model.update(_profile(), a), back.update(_profile(), a)
    np.testing.assert_array_equal(u1.mean, u2.mean)
    np.testing.assert_array_equal(u1.hi, u2.hi)
    with pytest.raises(ValueError, match="missing column"):
        IntradayModel.from_frame(table.drop(columns=["text"]))


def test_the_band_scale_follows_the_time_of_day(model):
    """Calibrated at each backtest cut: at a cut its own scale, between two cuts in between
    (log-linear), before the first / after the last that cut's."""
    assert len(model.cut_slots) == 3 and len(model.cut_scales) == 3
    assert list(model.cut_slots) == sorted(model.cut_slots)
    back = IntradayModel.from_frame(model.to_frame())
    assert (back.cut_slots, back.cut_scales) == (model.cut_slots, model.cut_scales)

    def seen_until(slot):
        return np.arange(SLOTS) < slot

    for slot, scale in zip(model.cut_slots, model.cut_scales):
        assert model.band_scale(seen_until(slot)) == pytest.approx(scale)
    assert model.band_scale(seen_until(1)) == pytest.approx(model.cut_scales[0])
    assert model.band_scale(seen_until(SLOTS)) == pytest.approx(model.cut_scales[-1])
    a, b = model.cut_slots[:2]
    mid = model.band_scale(seen_until((a + b) // 2))
    assert min(model.cut_scales[:2]) - 1e-12 <= mid <= max(model.cut_scales[:2]) + 1e-12
    assert model.band_scale(np.zeros(SLOTS, bool)) == model.variance_scale  # nothing seen: the pooled scale


def _history_with_odd_days(levels_by_day: dict[int, float], *, weeks: int = 14, seed: int = 11, level_sd: float = 0.05):
    """A steady history (small day-to-day spread) whose days ``levels_by_day`` (day number ->
    factor) are odd days: returns ts, y and a calendar naming them user special days."""
    rng = np.random.default_rng(seed)
    days = weeks * 7
    ts = pd.date_range("2025-01-06", periods=days * SLOTS, freq=f"{MINUTES}min")
    levels = np.exp(rng.normal(0.0, level_sd, size=days))
    for d, factor in levels_by_day.items():
        levels[d] = factor
    y = rng.poisson((levels[:, None] * _profile()[None, :]).ravel()).astype(float)
    special = tuple(SpecialDay((ts[0] + pd.Timedelta(days=d)).date(), "odd", multiplier=1.0) for d in levels_by_day)
    return ts, y, Calendar(special_days=special)


def test_the_day_kind_changes_the_update_on_an_eve_and_not_on_an_ordinary_day():
    """A steady history whose past odd days were far off their forecast: on an ordinary day a
    morning at 60 % of the forecast is mostly noise to the update, on an eve (a holiday, a bridge
    day) it sets the day's level."""
    ts, y, calendar = _history_with_odd_days({d: (0.5 if i % 2 else 1.5) for i, d in enumerate((36, 51, 66, 81))})
    model = fit_intraday_model(y, ts, interval_minutes=MINUTES, calendar=calendar)
    assert model.special_days == 4
    f = _profile()
    seen = np.arange(SLOTS) < 24  # 12:00
    rest = ~seen & (f > 0)
    a = np.where(seen, 0.6 * f, np.nan)
    ordinary = model.update(f, a)
    assert ordinary.method == model.method
    np.testing.assert_array_equal(model.update(f, a, day_kind=REGULAR).mean, ordinary.mean)
    # what was learned from the odd days changes nothing on an ordinary day, and the eve's update
    tight = IntradayModel(**{**model.__dict__, "special_level_var": 1e-4})
    np.testing.assert_array_equal(tight.update(f, a).mean, ordinary.mean)
    assert tight.update(f, a, day_kind=EVE).mean[rest].sum() > 0.9 * f[rest].sum()  # a tight level prior keeps the forecast
    for kind in (EVE, HOLIDAY, BRIDGE):
        odd = model.update(f, a, day_kind=kind)
        assert odd.method == "special"
        # the rest of the day at 60 % of its forecast, within 5 % (the ordinary update stays far above)
        assert odd.mean[rest].sum() == pytest.approx(0.6 * f[rest].sum(), rel=0.05)
        np.testing.assert_allclose(odd.mean[rest], 0.6 * f[rest], rtol=0.05)  # with the forecast's shape
        assert (odd.hi[rest] >= odd.lo[rest]).all()
    # the limits hold on an odd day too: nothing seen = the forecast, everything seen = the actuals
    np.testing.assert_allclose(model.update(f, np.full(SLOTS, np.nan), day_kind=EVE).mean, f)
    whole = np.random.default_rng(1).poisson(f).astype(float)
    np.testing.assert_array_equal(model.update(f, whole, day_kind=EVE).mean, whole)


def test_odd_days_are_left_out_of_the_ordinary_fit_and_give_the_special_level_variance():
    """Odd days at x0.5 and x1.5 (log levels -0.69 and +0.41: mean square 0.32) among steady
    days: the learned day-level variance is about that, and without the calendar the ordinary
    days' fit sees them (its level variance grows)."""
    odd = {d: (0.5 if i % 2 else 1.5) for i, d in enumerate((36, 51, 66, 81))}
    ts, y, calendar = _history_with_odd_days(odd)
    with_cal = fit_intraday_model(y, ts, interval_minutes=MINUTES, calendar=calendar)
    assert with_cal.special_days == 4
    assert with_cal.special_level_var == pytest.approx((np.log(0.5) ** 2 + np.log(1.5) ** 2) / 2, rel=0.2)
    without = fit_intraday_model(y, ts, interval_minutes=MINUTES)
    assert without.special_days == 0 and without.special_level_var == SPECIAL_LEVEL_VAR
    assert with_cal.train_days == without.train_days - 4
    back = IntradayModel.from_frame(with_cal.to_frame())
    assert (back.special_level_var, back.special_days) == (with_cal.special_level_var, 4)
    # a model table written before the day kinds existed reads with the default
    old = with_cal.to_frame()
    old = old[~old["text"].isin(["special_level_var", "special_days"])]
    assert IntradayModel.from_frame(old).special_level_var == SPECIAL_LEVEL_VAR


def test_previous_day_levels_read_only_the_earlier_days_of_the_week():
    """The prior of day i is the mean level of the ordinary days of its forecast week before
    it: nothing from day i or later (no leakage), 0 on a week's first day."""
    from forecasting.intraday import day_level, previous_day_levels

    rng = np.random.default_rng(4)
    f = _profile()
    b = np.tile(f, (21, 1))
    x = rng.poisson(b * np.exp(rng.normal(0.0, 0.3, size=(21, 1)))).astype(float)
    ordinary = np.ones(21, bool)
    ordinary[8] = False  # a holiday: neither read nor given a prior from itself
    out = previous_day_levels(x, b, ordinary, next_origin=21)  # weeks start on rows 0, 7, 14
    assert out[0] == out[7] == out[14] == 0.0
    assert out[10] == pytest.approx(np.mean([day_level(b[7], x[7]), day_level(b[9], x[9])]))
    for i in (3, 10, 16):
        changed = x.copy()
        changed[i:] = rng.poisson(b[i:] * 3.0)  # today and every later day very different
        assert previous_day_levels(changed, b, ordinary, next_origin=21)[i] == out[i]


def test_a_level_that_persists_through_the_week_is_learned_from_the_days_before():
    """Weeks whose days share one level (the plan's forecast off by the same factor all week)
    and few contacts (a morning says little): the backtest keeps the previous days' prior, and
    on a new week two days at 1.3 x the forecast move today's forecast most of the way to 1.3
    before any of today is seen."""
    from forecasting.intraday import day_level

    rng = np.random.default_rng(21)
    weeks = 14
    ts = pd.date_range("2025-01-06", periods=weeks * 7 * SLOTS, freq=f"{MINUTES}min")
    week_level = np.exp(rng.normal(0.0, 0.25, size=weeks))
    levels = np.repeat(week_level, 7) * np.exp(rng.normal(0.0, 0.03, size=weeks * 7))
    y = rng.poisson((levels[:, None] * 0.05 * _profile()[None, :]).ravel()).astype(float)
    base = np.tile(0.05 * _profile(), weeks * 7)  # a forecast that never learns the week's level
    m = fit_intraday_model(y, ts, interval_minutes=MINUTES, baseline=base)
    assert m.previous_weight > 0.5
    assert IntradayModel.from_frame(m.to_frame()).previous_weight == m.previous_weight
    f = 0.05 * _profile()
    previous = (np.tile(f, (2, 1)), np.vstack([rng.poisson(1.3 * f), rng.poisson(1.3 * f)]).astype(float))
    update = m.update(f, np.full(SLOTS, np.nan), previous=previous)
    assert update.method.endswith("+prev")
    expected = np.exp(m.previous_weight * np.mean([day_level(f, a) for a in previous[1]]))
    np.testing.assert_allclose(update.mean, f * expected)
    assert update.mean.sum() / f.sum() > 1.15
    # without previous days (the week's first day) the update is the plan's forecast
    np.testing.assert_allclose(m.update(f, np.full(SLOTS, np.nan)).mean, f)


def test_kind_profile_known_values():
    from forecasting.intraday import kind_profile

    f = np.array([[0.0, 9.5, 19.5, 9.5], [0.0, 9.5, 19.5, 9.5]])
    a = np.array([[0.0, 19.5, 9.5, np.nan], [3.0, 4.5, 9.5, 4.5]])
    out = kind_profile(f, a)
    # slot 0 never forecast; slot 1 days at log(2) and log(1/2) with equal weight; slot 2 both
    # at log(1/2); slot 3 only the second day (the first not seen)
    np.testing.assert_allclose(out, [0.0, 0.0, np.log(0.5), np.log(0.5)], atol=1e-12)


def _bridge_day(afternoon: float, rng: np.random.Generator) -> np.ndarray:
    """A day at 0.9 of the profile until 13:00 and ``afternoon`` x it after."""
    hours = np.arange(SLOTS) * MINUTES / 60
    return rng.poisson(_profile() * np.where(hours < 13, 0.9, afternoon)).astype(float)


def test_a_bridge_day_learns_its_afternoon_from_the_bridge_days_before_it(model):
    """Chol HaMoed-like days: mornings near the forecast, afternoons far below it. Given the two
    bridge days before it, today's afternoon at 12:00 lands near its truth; without them the
    morning alone (0.9) cannot see the drop. On other kinds the earlier days are not read."""
    rng = np.random.default_rng(13)
    f = _profile()
    earlier = (np.tile(f, (2, 1)), np.vstack([_bridge_day(0.6, rng), _bridge_day(0.6, rng)]))
    today = _bridge_day(0.6, rng)
    seen = np.arange(SLOTS) < 24
    rest = ~seen & (f > 0)
    hours = np.arange(SLOTS) * MINUTES / 60
    truth = (f * np.where(hours < 13, 0.9, 0.6))[rest].sum()
    alone = model.update(f, np.where(seen, today, np.nan), day_kind=BRIDGE)
    run = model.update(f, np.where(seen, today, np.nan), day_kind=BRIDGE, same_kind=earlier)
    assert (alone.method, run.method) == ("special", "special+prev")
    assert abs(run.mean[rest].sum() / truth - 1) < 0.08 < abs(alone.mean[rest].sum() / truth - 1)
    assert ((run.lo <= run.mean + 1e-9) & (run.mean <= run.hi + 1e-9)).all()
    # it is the special day's update from the forecast x exp(kind_profile): the ordinary days'
    # method and their previous-days prior play no part
    from forecasting.intraday import kind_profile

    levelled = IntradayModel(**{**model.__dict__, "method": "cov30", "previous_weight": 1.0})
    high = (np.tile(f, (2, 1)), np.tile(2.0 * f, (2, 1)))
    moved = levelled.update(f, np.where(seen, today, np.nan), day_kind=BRIDGE, same_kind=earlier, previous=high)
    np.testing.assert_allclose(moved.mean, model.update(f * np.exp(kind_profile(*earlier)), np.where(seen, today, np.nan),
                                                        day_kind=BRIDGE).mean)
    # a whole day of actuals is still returned as is
    np.testing.assert_array_equal(model.update(f, today, day_kind=BRIDGE, same_kind=earlier).mean, today)
    for kind in (REGULAR, EVE, HOLIDAY):
        np.testing.assert_allclose(model.update(f, np.where(seen, today, np.nan), day_kind=kind, same_kind=earlier).mean,
                                   model.update(f, np.where(seen, today, np.nan), day_kind=kind).mean)


def test_reshape_and_recent_shapes_known_values():
    from forecasting.intraday import recent_shapes, reshape

    np.testing.assert_allclose(reshape(np.array([2.0, 2.0, 4.0]), np.array([0.0, 1.0, 3.0])), [0.0, 2.0, 6.0])
    f = np.array([1.0, 2.0])
    np.testing.assert_array_equal(reshape(f, np.zeros(2)), f)  # no shape: the forecast as is
    x = np.arange(22 * 2, dtype=float).reshape(22, 2)
    ordinary = np.ones(22, bool)
    ordinary[14] = False  # a holiday three weeks before row 21 is skipped
    out = recent_shapes(x, ordinary, weeks=2)
    assert np.isnan(out[:7]).all()  # no same weekday before
    np.testing.assert_allclose(out[21], (x[7] + x[0]) / 2)  # rows 14 (holiday) skipped: 7 and 0
    np.testing.assert_allclose(out[20], (x[13] + x[6]) / 2)
    changed = x.copy()
    changed[21:] = 1e6  # today and later never read
    np.testing.assert_array_equal(recent_shapes(changed, ordinary, weeks=2)[21], out[21])


def _evening_history(weeks: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Weekdays on the usual profile; Saturdays open only in the evening, from a slot that comes
    one earlier every week (as after Shabbat in autumn), 300 contacts in all; Sundays closed. The baseline forecasts
    Saturdays with the average opening (as a model fitted on a long history does)."""
    rng = np.random.default_rng(17)
    ts = pd.date_range("2025-01-06", periods=weeks * 7 * SLOTS, freq=f"{MINUTES}min")  # a Monday
    opening = 44 - np.arange(weeks)  # 22:00, then 30 min earlier each week
    saturday = lambda w: np.where(np.arange(SLOTS) >= opening[w], 300.0 / (SLOTS - opening[w]), 0.0)  # noqa: E731
    average = np.mean([saturday(w) for w in range(weeks)], axis=0)
    rate = np.concatenate([_profile() if d % 7 < 5 else saturday(d // 7) if d % 7 == 5 else np.zeros(SLOTS)
                           for d in range(weeks * 7)])
    base = np.concatenate([_profile() if d % 7 < 5 else average if d % 7 == 5 else np.zeros(SLOTS)
                           for d in range(weeks * 7)])
    return ts, rng.poisson(rate).astype(float), base, saturday(weeks - 1)


def test_an_evening_day_takes_the_last_weeks_shape_when_the_backtest_keeps_it():
    ts, y, base, last = _evening_history(15)
    history = len(ts) - 7 * SLOTS  # fit on 14 weeks, score the 15th week's Saturday
    m = fit_intraday_model(y[:history], ts[:history], interval_minutes=MINUTES, baseline=base[:history])
    assert m.evening_shape is not None
    assert m.evening_shape[5].any() and not m.evening_shape[[0, 1, 2, 3, 4]].any()  # Saturday only
    assert IntradayModel.from_frame(m.to_frame()).evening_shape.tolist() == m.evening_shape.tolist()
    saturday = history + 5 * SLOTS
    f, a = base[saturday:saturday + SLOTS], y[saturday:saturday + SLOTS]
    seen = np.arange(SLOTS) < 24
    update = m.update(f, np.where(seen, a, np.nan), weekday=5)
    assert update.method.endswith("+evening")
    rest = ~seen
    ours, plan = np.abs(update.mean[rest] - a[rest]).sum(), np.abs(f[rest] - a[rest]).sum()
    assert ours < 0.5 * plan
    # the same day given no weekday, or a weekday without a shape, is the ordinary update
    np.testing.assert_allclose(m.update(f, np.where(seen, a, np.nan), weekday=2).mean,
                               m.update(f, np.where(seen, a, np.nan)).mean)

"""Intraday: a day running 20 % above forecast is caught, re-forecast and shown short-staffed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.intraday import METHODS
from planner.intraday import damped_reforecast, intraday
from scheduling.requirements import ServiceTarget, requirements

DAY = pd.Timestamp("2025-06-03")
STAFFING = {"channel": {"voice": {"aht_s": 240, "target_sl": 0.8, "answer_s": 20, "shrinkage": 0.3}}}


def _profile() -> tuple[pd.DatetimeIndex, np.ndarray]:
    times = pd.date_range(DAY + pd.Timedelta(hours=8), DAY + pd.Timedelta(hours=20), freq="15min", inclusive="left")
    hours = times.hour + times.minute / 60
    rate = 40 + 60 * np.exp(-0.5 * ((hours - 11) / 2) ** 2) + 40 * np.exp(-0.5 * ((hours - 15) / 2) ** 2)
    return times, np.asarray(rate, dtype=float)


def _store_plan(store) -> int:
    times, rate = _profile()
    forecast = pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "forecast": rate,
                             "lo": rate * 0.8, "hi": rate * 1.2, "model": "truth"})
    targets = {"voice": ServiceTarget(aht_s=240, target_sl=0.8, answer_s=20, shrinkage=0.3)}
    req = requirements(forecast, targets, interval_minutes=15)
    coverage = req[["interval_start", "channel", "required_agents"]].rename(columns={"required_agents": "required"})
    coverage["scheduled"] = np.ceil(coverage["required"])  # staffed exactly for the plan's forecast
    config = {"interval_minutes": 15, "start": "2025-06-02", "days": 7, "staffing": STAFFING}
    return store.save_plan("t", config=config, summary={}, tables={"forecast": forecast, "coverage": coverage})


def _actuals(store, factor: float, until_hour: int, seed: int = 3) -> None:
    times, rate = _profile()
    rng = np.random.default_rng(seed)
    # actuals arrive at 5 minutes: three per plan interval, the last one incomplete
    fine = pd.date_range(times[0], DAY + pd.Timedelta(hours=until_hour, minutes=5), freq="5min", inclusive="left")
    fine_rate = np.repeat(rate * factor / 3, 3)[: len(fine)]
    frame = pd.DataFrame({"interval_start": fine, "queue": "main", "channel": "voice", "offered": rng.poisson(fine_rate)})
    store.save_dataset("today", frame, raw=b"", source_name="today.csv", kind="actuals")


def test_day_running_20_percent_high_is_reforecast_and_short(store):
    plan_id = _store_plan(store)
    _actuals(store, 1.2, until_hour=13)
    result = intraday(DAY, store=store)
    assert result.plan_id == plan_id
    assert result.now == DAY + pd.Timedelta(hours=13)  # the 13:00-13:05 bucket is incomplete: not counted
    row = result.summary.iloc[0]
    assert row["bias_so_far"] == pytest.approx(1 / 1.2 - 1, abs=0.03)  # forecast ~17 % under
    assert 1.12 < row["multiplier"] < 1.22  # damped towards 1, but most of the way to 1.2
    times, rate = _profile()
    truth_rest = 1.2 * rate[times >= result.now].sum()
    rest = result.intervals[~result.intervals["seen"]]
    assert abs(rest["reforecast"].sum() - truth_rest) < 0.5 * abs(rest["forecast"].sum() - truth_rest)
    assert (rest["reforecast_lo"] <= rest["reforecast"]).all() and (rest["reforecast"] <= rest["reforecast_hi"]).all()
    # staffed for the old forecast: most remaining intervals are now short and projected below target
    assert (rest["gap"] < 0).mean() > 0.8
    assert row["projected_service_level"] < 0.8


def test_an_actuals_dataset_without_rows_reads_as_no_actuals(store):
    _store_plan(store)
    empty = pd.DataFrame({"interval_start": pd.to_datetime([]), "queue": [], "channel": [], "offered": []})
    store.save_dataset("today", empty, raw=b"", source_name="today.csv", kind="actuals")
    assert list(store.actuals().columns) == ["interval_start", "queue", "channel", "offered"]
    result = intraday(DAY, store=store)  # was a KeyError 'interval_start' (HTTP 500 on the Intraday page)
    assert result.now is None and result.notes
    np.testing.assert_allclose(result.intervals["reforecast"], result.intervals["forecast"])


def test_without_actuals_the_reforecast_is_the_plan(store):
    _store_plan(store)
    result = intraday(DAY, store=store)
    assert result.now is None and result.notes
    np.testing.assert_allclose(result.intervals["reforecast"], result.intervals["forecast"])
    assert (result.intervals["gap"] >= -1e-9).all()  # the plan covers its own forecast


def test_range_covers_the_truth_about_80_percent_of_the_time():
    rng = np.random.default_rng(11)
    forecast = np.full(40, 50.0)
    hits = total = 0
    for _ in range(200):
        level = rng.gamma(20, 1 / 20)  # the true day level varies around the forecast
        seen = rng.poisson(50 * level, size=20).sum()
        _, _, lo, hi = damped_reforecast(forecast, float(seen), 1000.0, 2000.0)
        truth = rng.poisson(50 * level, size=40)
        hits += int(((truth >= lo) & (truth <= hi)).sum())
        total += truth.size
    assert 0.74 < hits / total < 0.9


def test_no_plan_for_the_day_is_named(store):
    _store_plan(store)
    with pytest.raises(ValueError, match="2025-07-01"):
        intraday("2025-07-01", store=store)


def test_threads_asking_at_once_fit_a_plans_models_once(store, day_plan, monkeypatch):
    """Every page load of a fresh server worker asks for the intraday models at once: one thread
    fits them (seconds of CPU on a real history), the others wait and use them, instead of each
    fitting its own."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import planner.intraday as module

    fits = []
    real_fit = module.fit_models

    def counted_fit(*args):
        fits.append(1)
        time.sleep(0.2)  # the window in which the other threads ask
        return real_fit(*args)

    monkeypatch.setattr(module, "fit_models", counted_fit)
    module.forget_models()
    info = store.plan(day_plan)
    forecast = store.plan_table(day_plan, "forecast")
    barrier = threading.Barrier(5)

    def ask(_):
        barrier.wait()
        return module.learned_models(store, day_plan, info.config, forecast, [])

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(ask, range(5)))
    assert len(fits) == 1
    assert sorted(answers[0]) == ["chat", "voice"] and all(a == answers[0] for a in answers)
    assert "names no history" in answers[0]["voice"]


@pytest.mark.parametrize("special", [False, True])
def test_a_special_day_of_the_plans_calendar_is_updated_as_one(store, tmp_path, special):
    """The plan's calendar reaches the re-forecast: with DAY listed in the plan's special days
    the morning (here at half the forecast) sets the day's level and the method reads
    "special"; without it the learned ordinary-day update is used."""
    times, rate = _profile()
    rng = np.random.default_rng(7)
    history_days = pd.date_range("2025-03-10", "2025-06-01")
    slot_rate = pd.Series(rate, index=times.time)
    rows = [pd.DataFrame({"interval_start": d + (times - DAY), "queue": "main", "channel": "voice",
                          "offered": rng.poisson(slot_rate.to_numpy() * np.exp(rng.normal(0, 0.05)))})
            for d in history_days if d.day_of_week < 5]
    store.save_dataset("hist", pd.concat(rows, ignore_index=True), raw=b"", source_name="hist.csv", kind="history")
    forecast = pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "forecast": rate,
                             "lo": rate * 0.8, "hi": rate * 1.2, "model": "truth"})
    targets = {"voice": ServiceTarget(aht_s=240, target_sl=0.8, answer_s=20, shrinkage=0.3)}
    req = requirements(forecast, targets, interval_minutes=15)
    coverage = req[["interval_start", "channel", "required_agents"]].rename(columns={"required_agents": "required"})
    coverage["scheduled"] = np.ceil(coverage["required"])
    config = {"interval_minutes": 15, "start": "2025-06-02", "days": 7, "staffing": STAFFING, "dataset": "hist"}
    if special:
        path = tmp_path / "special.csv"
        path.write_text(f"date,label,effect\n{DAY:%Y-%m-%d},staff party,1.0\n")
        config["special_days"] = str(path)
    store.save_plan("t", config=config, summary={}, tables={"forecast": forecast, "coverage": coverage})
    _actuals(store, 0.5, until_hour=12)
    result = intraday(DAY, store=store)
    row = result.summary.iloc[0]
    rest = result.intervals[~result.intervals["seen"]]
    share = rest["reforecast"].sum() / rest["forecast"].sum()
    if special:
        assert row["method"] == "special"
        assert share == pytest.approx(0.5, abs=0.05)
    else:
        assert row["method"] in METHODS and not result.notes  # the learned ordinary-day update (no fallback note)
        assert share > 0.55  # an ordinary day's morning is not taken at its word on this steady history


def test_the_previous_days_given_to_the_update_are_the_plans_ordinary_days_before_today_only():
    """The prior for today's level reads the plan's days before ``date`` (not ``date`` nor any
    later day, whatever their actuals), one row per day with actuals, on the model's slots."""
    from forecasting.calendar import Calendar
    from forecasting.intraday import IntradayModel
    from planner.intraday import previous_days

    week = pd.date_range("2025-06-02", periods=5 * 96, freq="15min")  # Mon..Fri, 15-minute intervals
    forecast = pd.DataFrame({"interval_start": week, "queue": "main", "channel": "voice", "forecast": 10.0})
    rng = np.random.default_rng(1)
    actual = pd.DataFrame({"interval_start": week, "queue": "main", "channel": "voice",
                           "offered": rng.poisson(12.0, len(week)).astype(float)})
    model = IntradayModel(interval_minutes=15, method="level", components=np.ones((96, 1)), prior=np.eye(1),
                          sigma2=0.01, covariance=np.eye(96), variance_scale=1.0, backtest=pd.DataFrame(),
                          train_days=30, previous_weight=0.5)
    today = pd.Timestamp("2025-06-04")
    fs, acts = previous_days(forecast, actual, "voice", today, model, Calendar("US"))
    assert fs.shape == acts.shape == (2, 96)  # Monday and Tuesday
    np.testing.assert_array_equal(acts[0], actual["offered"].to_numpy()[:96])
    later = actual.assign(offered=np.where(actual["interval_start"] >= today, 1000.0, actual["offered"]))
    fs2, acts2 = previous_days(forecast, later, "voice", today, model, Calendar("US"))
    np.testing.assert_array_equal(acts2, acts)
    assert previous_days(forecast, actual, "voice", pd.Timestamp("2025-06-02"), model, Calendar("US")) is None


def test_a_bridge_day_is_given_the_plans_bridge_days_before_it():
    """Sukkot 1999 (Israel): Chol HaMoed Sun 09-26 .. Thu 09-30 are bridge days. On Tue 09-28
    the same-kind days are Sun and Mon (not today, not Sat 09-25, the first day of Sukkot); the
    holiday is given only to a holiday, and no day before is ordinary."""
    from forecasting.calendar import BRIDGE, HOLIDAY, Calendar
    from forecasting.intraday import IntradayModel
    from planner.intraday import previous_days

    week = pd.date_range("1999-09-25", periods=5 * 48, freq="30min")  # Sat..Wed, 30-minute intervals
    forecast = pd.DataFrame({"interval_start": week, "queue": "main", "channel": "voice", "forecast": 10.0})
    actual = pd.DataFrame({"interval_start": week, "queue": "main", "channel": "voice",
                           "offered": np.arange(len(week), dtype=float)})
    model = IntradayModel(interval_minutes=30, method="level", components=np.ones((48, 1)), prior=np.eye(1),
                          sigma2=0.01, covariance=np.eye(48), variance_scale=1.0, backtest=pd.DataFrame(),
                          train_days=30)
    today = pd.Timestamp("1999-09-28")
    calendar = Calendar("IL")
    assert calendar.intraday_kinds([today])[0] == BRIDGE
    fs, acts = previous_days(forecast, actual, "voice", today, model, calendar, kind=BRIDGE)
    assert fs.shape == acts.shape == (2, 48)
    np.testing.assert_array_equal(acts[0], np.arange(48, 96))  # Sunday
    np.testing.assert_array_equal(acts[1], np.arange(96, 144))  # Monday
    holiday = previous_days(forecast, actual, "voice", today, model, calendar, kind=HOLIDAY)
    np.testing.assert_array_equal(holiday[1], [np.arange(48)])
    assert previous_days(forecast, actual, "voice", today, model, calendar) is None

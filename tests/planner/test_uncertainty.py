"""The probability a roster meets its target over forecast scenarios: closed forms, calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from forecasting.scenarios import forecast_spread, sample_scenarios
from planner.uncertainty import roster_under_uncertainty, spread_of, with_spread
from scheduling import erlang
from scheduling.requirements import ServiceTarget

T0 = pd.Timestamp("2025-06-02 09:00")


def _one_interval(agents: int, volume: float = 100.0):
    coverage = pd.DataFrame({"interval_start": [T0], "channel": ["voice"], "required": [agents], "scheduled": [agents]})
    requirements = pd.DataFrame({"interval_start": [T0], "queue": ["main"], "channel": ["voice"], "volume": [volume],
                                 "aht_s": [180.0]})
    return coverage, requirements


def _paths(volumes: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"scenario": np.arange(volumes.size), "interval_start": T0, "queue": "main", "channel": "voice",
                         "volume": volumes})


def test_two_point_scenarios_give_the_probability_of_the_low_point():
    # 30 agents: 20 calls (2 Erlangs) are all answered at once; 2000 calls (200 Erlangs) overwhelm them
    # (at most 30 x 1800 / 180 = 300 of them served at all), so a path meets 80/20 exactly when it is low
    p, n = 0.3, 400
    low = np.random.default_rng(5).random(n) < p
    coverage, requirements = _one_interval(30)
    targets = {"voice": ServiceTarget(aht_s=180, target_sl=0.8, answer_s=20)}
    report = roster_under_uncertainty(coverage, requirements, targets, interval_minutes=30,
                                      volumes=_paths(np.where(low, 20.0, 2000.0)), seed=2)
    row = report.per_channel.iloc[0]
    assert row["p_goal"] == pytest.approx(low.mean()) and row["erlang_p_goal"] == pytest.approx(low.mean())
    assert abs(row["p_goal"] - p) <= 4 * math.sqrt(p * (1 - p) / n)
    assert report.p_meets_target == row["p_goal"] and row["scenarios"] == n
    assert row["weekly_p90"] == 1.0 and row["weekly_p10"] < 0.2


def test_lognormal_scenarios_agree_with_the_closed_form():
    # one interval, 14 agents, 180 s, 80/20; the rate is 100 x D, D lognormal with mean 1 and cv 0.3.
    # The target holds exactly when the rate is at most lam*, the largest rate at which Erlang C still
    # gives 80 % with 14 agents, so P = Phi((ln(lam*/100) + s^2/2) / s) with s^2 = ln(1 + cv^2).
    cv, n = 0.3, 4000
    lo, hi = 1.0, 300.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if erlang.metrics(mid, 1800, 180, 14, 20)["service_level"] >= 0.8 else (lo, mid)
    s = math.sqrt(math.log1p(cv**2))
    closed = norm.cdf((math.log(lo / 100.0) + s * s / 2) / s)
    coverage, requirements = _one_interval(14)
    targets = {"voice": ServiceTarget(aht_s=180, target_sl=0.8, answer_s=20, service_goal="weekly")}
    spread = pd.DataFrame({"queue": ["main"], "channel": ["voice"], "day_cv": [cv], "interval_cv": [0.0],
                           "source": ["test"]})
    report = roster_under_uncertainty(coverage, requirements, targets, interval_minutes=30, spread=spread,
                                      scenarios=n, seed=11)
    row = report.per_channel.iloc[0]
    assert abs(row["erlang_p_goal"] - closed) <= 4 * math.sqrt(closed * (1 - closed) / n)
    assert row["risk"] is None and row["meets_risk"] is None
    # the simulated probability adds Poisson noise on 100 calls: near the closed form, not equal to it
    assert abs(row["p_goal"] - closed) < 0.15
    assert row["weekly_p10"] <= row["weekly_p50"] <= row["weekly_p90"]


def test_without_rate_error_the_spread_is_poisson_noise_only():
    coverage, requirements = _one_interval(14)
    targets = {"voice": ServiceTarget(aht_s=180, target_sl=0.8, answer_s=20)}
    report = roster_under_uncertainty(coverage, requirements, targets, interval_minutes=30, scenarios=50)
    row = report.per_channel.iloc[0]
    assert row["erlang_p_goal"] == 1.0  # every path is the point forecast, where Erlang gives 0.888
    with pytest.raises(ValueError, match="at least 50"):
        roster_under_uncertainty(coverage, requirements, targets, interval_minutes=30, scenarios=10)


def test_daily_goal_needs_every_day():
    times = pd.to_datetime(["2025-06-02 09:00", "2025-06-03 09:00"])
    coverage = pd.DataFrame({"interval_start": times, "channel": "voice", "required": 30, "scheduled": 30})
    requirements = pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "volume": 20.0,
                                 "aht_s": 180.0})
    # paths 0 and 2: both days light (every call answered at once); path 1: day 2 overwhelmed (2000 calls
    # on 30 agents: at most ~300 served), so day 2 and the daily goal fail in one path of three
    vol = np.array([[20.0, 20.0], [20.0, 2000.0], [20.0, 20.0]])
    paths = pd.DataFrame({"scenario": np.repeat(np.arange(3), 2), "interval_start": np.tile(times, 3), "queue": "main",
                          "channel": "voice", "volume": vol.ravel()})
    daily = roster_under_uncertainty(coverage, requirements, {"voice": ServiceTarget(
        aht_s=180, target_sl=0.8, answer_s=20, service_goal="daily", risk=0.6)}, interval_minutes=30, volumes=paths)
    row = daily.per_channel.iloc[0]
    assert row["risk"] == 0.6 and row["meets_risk"]  # 2/3 of the paths >= 0.6
    assert row["p_all_days"] == pytest.approx(2 / 3) and row["p_goal"] == pytest.approx(2 / 3)
    days = daily.per_day.set_index("date")["p_target"]
    assert days["2025-06-02"] == 1.0 and days["2025-06-03"] == pytest.approx(2 / 3)
    assert daily.row_fields() == {"p_meets_target": pytest.approx(2 / 3), "p_target_voice": pytest.approx(2 / 3)}


def _week(f_per_interval=50.0):
    times = pd.date_range("2025-06-02", periods=7 * 48, freq="30min")
    shape = np.where((times.hour >= 8) & (times.hour < 20), 1.0 + 0.5 * np.sin(times.hour / 3.0), 0.0)
    return pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "forecast": f_per_interval * shape})


def test_spread_calibration_recovers_the_wapes_it_was_given():
    fc = _week()
    f = fc["forecast"].to_numpy()
    open_ = f > 0
    kappa, day_cv = 0.2, 0.12
    mad = math.sqrt(2 / math.pi)
    fo = f[open_]
    wape = mad * np.sqrt(fo + kappa**2 * fo**2).sum() / fo.sum()
    day = fc["interval_start"].dt.normalize()[open_].to_numpy()
    sums = pd.Series(fo).groupby(day).sum().to_numpy()
    sq = pd.Series(fo**2).groupby(day).sum().to_numpy()
    daily = mad * np.sqrt(sums + day_cv**2 * sums**2 + (kappa**2 - day_cv**2) * sq).sum() / sums.sum()
    selection = pd.DataFrame({"queue": ["main"], "channel": ["voice"], "model": ["m"], "wape": [wape],
                              "daily_wape": [daily]})
    spread = forecast_spread(fc, selection).iloc[0]
    assert spread["day_cv"] == pytest.approx(day_cv, rel=1e-6)
    assert spread["interval_cv"] == pytest.approx(math.sqrt(kappa**2 - day_cv**2), rel=1e-6)
    assert spread["source"].startswith("backtest")
    # a WAPE at or below the Poisson floor means no rate error at all
    floor = forecast_spread(fc, selection.assign(wape=0.01, daily_wape=0.001)).iloc[0]
    assert floor["day_cv"] == 0.0 and floor["interval_cv"] == 0.0
    # no backtest: the 10-90 % band read as normal quantiles, all of it on the day
    band = fc.assign(lo=fc["forecast"] - 1.2815515655446004 * np.sqrt(fc["forecast"] + 1 + 0.04 * fc["forecast"] ** 2),
                     hi=fc["forecast"] + 1.2815515655446004 * np.sqrt(fc["forecast"] + 1 + 0.04 * fc["forecast"] ** 2))
    lohi = forecast_spread(band).iloc[0]
    assert lohi["day_cv"] == pytest.approx(0.2, rel=1e-6) and lohi["interval_cv"] == 0.0


def test_scenarios_average_to_the_forecast_and_move_together_within_a_day():
    fc = _week(200.0)
    spread = pd.DataFrame({"queue": ["main"], "channel": ["voice"], "day_cv": [0.15], "interval_cv": [0.05],
                           "source": ["test"]})
    paths = sample_scenarios(fc, spread, scenarios=400, seed=3)
    assert paths.equals(sample_scenarios(fc, spread, scenarios=400, seed=3))  # seeded
    matrix = paths.pivot(index="scenario", columns="interval_start", values="volume")
    ratio = matrix.to_numpy() / fc.set_index("interval_start")["forecast"].reindex(matrix.columns).to_numpy()
    open_cols = np.isfinite(ratio[0])
    r = ratio[:, open_cols]
    assert r.mean() == pytest.approx(1.0, abs=0.02)
    # total cv^2 = (1 + 0.15^2)(1 + 0.05^2) - 1; daily totals carry the day factor's 0.15
    assert r.std() == pytest.approx(math.sqrt((1 + 0.15**2) * (1 + 0.05**2) - 1), rel=0.1)
    days = pd.DatetimeIndex(matrix.columns[open_cols]).normalize()
    day_ratio = pd.DataFrame(r).T.groupby(np.asarray(days)).mean().T.to_numpy()
    assert day_ratio.std() == pytest.approx(0.15, rel=0.12)
    # two intervals of one day are correlated (shared day factor); of different days they are not
    same = np.corrcoef(np.log(r[:, 0]), np.log(r[:, 1]))[0, 1]
    other = np.corrcoef(np.log(r[:, 0]), np.log(r[:, 30]))[0, 1]
    assert same > 0.8 and abs(other) < 0.2


def test_the_spread_travels_with_the_forecast():
    fc = _week()
    spread = pd.DataFrame({"queue": ["main"], "channel": ["voice"], "day_cv": [0.1], "interval_cv": [0.03],
                           "source": ["backtest"]})
    carried = spread_of(with_spread(fc, spread))
    assert carried.to_dict("records") == spread.to_dict("records")

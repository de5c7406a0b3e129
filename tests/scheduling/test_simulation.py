"""The simulator against the formulas (statistical tolerance), and its own invariants."""

from __future__ import annotations

import numpy as np
import pytest

from scheduling.erlang import metrics
from scheduling.simulation import SimulationResult, simulate

N_INT = 40  # 40 half-hours of a stationary queue per replication


def steady(res: SimulationResult, key: str) -> float:
    """Pooled value without the first interval (which starts empty)."""
    per = res.per_interval.iloc[1:]
    if key == "service_level":
        return float((per["service_level"] * per["offered"]).sum() / per["offered"].sum())
    if key == "abandon_rate":
        return float(per["abandoned"].sum() / per["offered"].sum())
    if key == "asa_s":
        return float((per["asa_s"] * per["answered"]).sum() / per["answered"].sum())
    return float(per[key].mean())


@pytest.mark.parametrize("calls,aht,n", [(100, 180, 14), (400, 240, 58)])
def test_erlang_c_matches_simulation(calls, aht, n):
    res = simulate(np.full(N_INT, float(calls)), np.full(N_INT, n), interval_s=1800, aht_s=aht, answer_s=20,
                   replications=6, seed=11)
    want = metrics(calls, 1800, aht, n, 20)
    # ~24k-90k contacts: the standard error of the pooled SL is well under 0.01
    assert steady(res, "service_level") == pytest.approx(float(want["service_level"]), abs=0.015)
    assert steady(res, "occupancy") == pytest.approx(float(want["occupancy"]), abs=0.01)
    assert steady(res, "asa_s") == pytest.approx(float(want["asa_s"]), rel=0.15)
    assert res.overall["abandon_rate"] == 0.0


@pytest.mark.parametrize("calls,aht,n,patience", [(100, 180, 10, 120), (300, 300, 45, 200)])
def test_erlang_a_matches_simulation(calls, aht, n, patience):
    res = simulate(np.full(N_INT, float(calls)), np.full(N_INT, n), interval_s=1800, aht_s=aht, answer_s=20,
                   patience_s=patience, replications=6, seed=5)
    want = metrics(calls, 1800, aht, n, 20, patience_s=patience)
    assert steady(res, "service_level") == pytest.approx(float(want["service_level"]), abs=0.015)
    assert steady(res, "abandon_rate") == pytest.approx(float(want["p_abandon"]), abs=0.01)
    assert steady(res, "asa_s") == pytest.approx(float(want["asa_s"]), rel=0.1)
    assert steady(res, "occupancy") == pytest.approx(float(want["occupancy"]), abs=0.01)


def test_counts_add_up_and_spread_is_ordered():
    calls = np.array([50, 120, 200, 80, 10.0])
    agents = np.array([6, 12, 15, 9, 2])
    res = simulate(calls, agents, interval_s=1800, aht_s=240, answer_s=20, patience_s=90, replications=10, seed=2)
    per = res.per_interval
    assert np.allclose(per["answered"] + per["abandoned"], per["offered"])
    assert (per["service_level_p10"] <= per["service_level_p50"] + 1e-12).all()
    assert (per["service_level_p50"] <= per["service_level_p90"] + 1e-12).all()
    assert res.overall["service_level_p10"] <= res.overall["service_level_p90"]
    assert (per["occupancy"] <= 1 + 1e-9).all()
    # same seed, same answer; another seed, another sample
    again = simulate(calls, agents, interval_s=1800, aht_s=240, answer_s=20, patience_s=90, replications=10, seed=2)
    assert per.equals(again.per_interval)
    other = simulate(calls, agents, interval_s=1800, aht_s=240, answer_s=20, patience_s=90, replications=10, seed=3)
    assert not per["offered"].equals(other.per_interval["offered"])


def test_staffing_change_at_boundaries():
    # nobody staffed after the first interval: every later caller abandons; early callers are served
    res = simulate(np.array([20.0, 20.0, 20.0]), np.array([30, 0, 0]), interval_s=1800, aht_s=60, answer_s=20,
                   patience_s=60, replications=3, seed=4)
    per = res.per_interval
    assert per.loc[0, "service_level"] == 1.0
    assert per.loc[1, "answered"] == 0.0
    assert per.loc[2, "answered"] == 0.0
    # agents arriving later serve a queue that waited for them (patient callers)
    res = simulate(np.array([20.0, 0.0]), np.array([0, 5]), interval_s=600, aht_s=60, answer_s=20, replications=3,
                   seed=4)
    per = res.per_interval
    assert per.loc[0, "answered"] == per.loc[0, "offered"]
    assert per.loc[0, "service_level"] < 0.1
    assert per.loc[0, "asa_s"] > 100


def test_lognormal_handle_times_keep_the_mean():
    res = simulate(np.full(20, 200.0), np.full(20, 40), interval_s=1800, aht_s=240, answer_s=20,
                   handle_dist="lognormal", handle_cv=0.5, replications=4, seed=9)
    a = 200 * 240 / 1800
    assert res.overall["occupancy"] == pytest.approx(a / 40, abs=0.02)
    exp_res = simulate(np.full(20, 200.0), np.full(20, 28), interval_s=1800, aht_s=240, answer_s=20,
                       replications=4, seed=9)
    low_cv = simulate(np.full(20, 200.0), np.full(20, 28), interval_s=1800, aht_s=240, answer_s=20,
                      handle_dist="lognormal", handle_cv=0.3, replications=4, seed=9)
    # less variable handle times, shorter queues (Kingman/Allen-Cunneen direction)
    assert low_cv.overall["asa_s"] < exp_res.overall["asa_s"]


def test_bad_input():
    with pytest.raises(ValueError, match="agents"):
        simulate([10.0, 10.0], [1, 2, 3], interval_s=1800, aht_s=100, answer_s=20)
    with pytest.raises(ValueError, match="patience_s"):
        simulate([10.0], [1], interval_s=1800, aht_s=100, answer_s=20, patience_s=0)
    with pytest.raises(ValueError, match="handle_dist"):
        simulate([10.0], [1], interval_s=1800, aht_s=100, answer_s=20, handle_dist="gamma")
    with pytest.raises(ValueError, match="calls"):
        simulate([-1.0], [1], interval_s=1800, aht_s=100, answer_s=20)


def test_a_cut_in_staffing_with_demand_keeps_the_service_erlang_gives():
    # an hour at 2,685 calls and 235 agents, then 1,958 calls and 173 agents (the US bank's
    # Monday 16:00 and 17:00 at its plan's staffing): Erlang C gives 0.835 and 0.823. The agents
    # leaving at 17:00 are whoever's shift ends, busy or not; when the simulation removed the
    # slots free earliest instead, it kept the longest contacts on duty and read 0.55 at 17:00.
    calls, agents = np.array([2685.0, 1958.0]), np.array([235, 173])
    erlang_sl = metrics(calls, 3600, 300, agents, 20)["service_level"]
    assert erlang_sl.round(3).tolist() == [0.835, 0.823]
    res = simulate(calls, agents, interval_s=3600, aht_s=300, answer_s=20, replications=40, seed=5)
    after = float(res.per_interval.loc[1, "service_level"])
    assert abs(after - erlang_sl[1]) < 0.06, after
    assert (res.per_interval["occupancy"] <= 1 + 1e-9).all()  # leavers' last contacts are overtime

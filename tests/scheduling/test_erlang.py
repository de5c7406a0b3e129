"""Erlang C: published answers, edge cases, an independent recursion, invariants, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.erlang import metrics, required_agents


def erlang_c_by_recursion(calls, interval_s, aht_s, n, answer_s):
    """Textbook Erlang B recursion then Erlang C, scalar, written independently of the module."""
    a = calls * aht_s / interval_s
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    if n <= a:
        return 1.0, 0.0, math.inf
    c = n * b / (n - a * (1 - b))
    return c, 1 - c * math.exp(-(n - a) * answer_s / aht_s), c * aht_s / (n - a)


def test_classic_example_100_calls_per_30_min():
    r = metrics(100, 1800, 180, 14, 20)
    assert float(r["traffic_erlangs"]) == 10.0
    assert float(r["p_wait"]) == pytest.approx(0.1741, abs=5e-5)
    assert float(r["service_level"]) == pytest.approx(0.8884, abs=5e-5)
    assert float(r["asa_s"]) == pytest.approx(7.84, abs=5e-3)
    assert float(r["occupancy"]) == pytest.approx(0.714, abs=5e-4)
    assert int(required_agents(100, 1800, 180, 20, 0.8)) == 14
    # with 30% shrinkage: 14 / 0.7 = 20 scheduled (no float ceiling to 21)
    assert math.ceil(round(14 / (1 - 0.3), 9)) == 20


def test_13_agents_fail_the_target():
    r = metrics(100, 1800, 180, 13, 20)
    assert float(r["service_level"]) == pytest.approx(0.7956, abs=5e-5)
    assert float(r["service_level"]) < 0.8


def test_360_calls_55_agents_15_s():
    r = metrics(360, 1800, 240, 55, 15)
    assert float(r["p_wait"]) == pytest.approx(0.2387, abs=5e-5)
    assert float(r["asa_s"]) == pytest.approx(8.184, abs=5e-4)
    assert float(r["service_level"]) == pytest.approx(0.8459, abs=5e-5)


def test_large_centre_no_overflow():
    # 60,000 calls an hour, AHT 300 s, 80/20 -> 5,000 Erlangs, 5,019 agents
    assert int(required_agents(60000, 3600, 300, 20, 0.8)) == 5019
    r = metrics(60000, 3600, 300, np.array([5018, 5019, 12000]), 20)
    assert np.all(np.isfinite(r["p_wait"]))
    assert r["service_level"][0] < 0.8 <= r["service_level"][1]
    r = metrics(100000 * 3600 / 300, 3600, 300, 100500, 20)  # 100,000 Erlangs
    assert 0 < float(r["p_wait"]) < 1 and np.isfinite(float(r["asa_s"]))


def test_zero_volume():
    r = metrics(0, 1800, 180, [0, 3], 20)
    assert r["service_level"].tolist() == [1.0, 1.0]
    assert r["asa_s"].tolist() == [0.0, 0.0]
    assert r["p_wait"].tolist() == [0.0, 0.0]
    assert int(required_agents(0, 1800, 180, 20, 0.8)) == 0


def test_unstable_queue():
    r = metrics(100, 1800, 180, [5, 10], 20)  # traffic 10 Erlangs
    assert r["p_wait"].tolist() == [1.0, 1.0]
    assert r["service_level"].tolist() == [0.0, 0.0]
    assert np.isinf(r["asa_s"]).all()
    assert r["occupancy"].tolist() == [1.0, 1.0]


def test_answer_time_zero_is_one_minus_p_wait():
    r = metrics(100, 1800, 180, 14, 0)
    assert float(r["service_level"]) == pytest.approx(1 - float(r["p_wait"]), abs=1e-15)


def test_one_agent_is_mm1():
    lam, mu = 5 / 1800, 1 / 180  # rho = 0.5
    r = metrics(5, 1800, 180, 1, 20)
    rho = lam / mu
    assert float(r["p_wait"]) == pytest.approx(rho, rel=1e-12)
    assert float(r["service_level"]) == pytest.approx(1 - rho * math.exp(-(mu - lam) * 20), rel=1e-12)
    assert float(r["asa_s"]) == pytest.approx(rho / (mu - lam), rel=1e-12)


def test_small_traffic_needs_one_agent():
    assert int(required_agents(0.01, 1800, 180, 20, 0.8)) == 1
    assert required_agents([0.5, 1, 2], 1800, 180, 20, 0.8).tolist() == [1, 1, 1]


@pytest.mark.parametrize("calls,aht,n,t", [(100, 180, 14, 20), (7, 600, 4, 30), (900, 240, 130, 15),
                                          (3000, 300, 520, 60), (1, 100, 1, 0)])
def test_agrees_with_textbook_recursion(calls, aht, n, t):
    c, sl, asa = erlang_c_by_recursion(calls, 1800, aht, n, t)
    r = metrics(calls, 1800, aht, n, t)
    assert float(r["p_wait"]) == pytest.approx(c, rel=1e-10)
    assert float(r["service_level"]) == pytest.approx(sl, rel=1e-10)
    assert float(r["asa_s"]) == pytest.approx(asa, rel=1e-10)


def test_exact_tie_does_not_add_an_agent():
    sl14 = float(metrics(100, 1800, 180, 14, 20)["service_level"])
    assert int(required_agents(100, 1800, 180, 20, sl14)) == 14
    # occupancy exactly at the limit: 8.5 Erlangs, 10 agents, max 85%
    assert int(required_agents(85, 1800, 180, 20, 0.01, max_occupancy=0.85)) == 10
    asa14 = float(metrics(100, 1800, 180, 14, 20)["asa_s"])
    assert int(required_agents(100, 1800, 180, 20, 0.5, max_asa_s=asa14)) == 14


def test_every_target_binds():
    base = int(required_agents(100, 1800, 180, 20, 0.8))
    assert int(required_agents(100, 1800, 180, 20, 0.8, max_occupancy=0.6)) == math.ceil(10 / 0.6)
    with_asa = int(required_agents(100, 1800, 180, 20, 0.8, max_asa_s=2.0))
    assert with_asa > base
    assert float(metrics(100, 1800, 180, with_asa, 20)["asa_s"]) <= 2.0
    assert float(metrics(100, 1800, 180, with_asa - 1, 20)["asa_s"]) > 2.0


def test_vectorized_matches_scalar_and_broadcasts():
    rng = np.random.default_rng(3)
    calls = rng.uniform(1, 1000, 50)
    aht = rng.uniform(180, 420, 50)
    n = required_agents(calls, 1800, aht, 20, 0.8)
    assert n.shape == (50,)
    for i in range(0, 50, 7):
        assert n[i] == int(required_agents(calls[i], 1800, aht[i], 20, 0.8))
    r = metrics(calls[:, None], 1800, aht[:, None], n[:, None] + np.arange(3)[None, :], 20)
    assert r["service_level"].shape == (50, 3)
    assert np.all(r["service_level"][:, 0] >= 0.8 - 1e-12)


@settings(max_examples=80, deadline=None)
@given(calls=st.floats(0.5, 3000), aht=st.floats(30, 900), t=st.floats(0, 120),
       target=st.floats(0.05, 0.99), occ=st.floats(0.5, 1.0))
def test_required_agents_is_minimal(calls, aht, t, target, occ):
    n = int(required_agents(calls, 1800, aht, t, target, max_occupancy=occ))
    r = metrics(calls, 1800, aht, [n - 1, n], t)
    sl, oc = r["service_level"], r["occupancy"]
    assert sl[1] >= target * (1 - 1e-12) and oc[1] <= occ * (1 + 1e-12)
    assert sl[0] < target or oc[0] > occ


@settings(max_examples=80, deadline=None)
@given(calls=st.floats(0, 2000), aht=st.floats(30, 900), t=st.floats(0, 300), n=st.integers(0, 400))
def test_service_level_monotone(calls, aht, t, n):
    more_agents = metrics(calls, 1800, aht, [n, n + 1], t)["service_level"]
    assert more_agents[1] >= more_agents[0] - 1e-12
    more_calls = metrics([calls, calls * 1.05 + 0.1], 1800, aht, n, t)["service_level"]
    assert more_calls[1] <= more_calls[0] + 1e-12


@pytest.mark.parametrize("kwargs,name", [
    (dict(calls=-1), "calls"), (dict(calls=float("nan")), "calls"), (dict(aht_s=0), "aht_s"),
    (dict(aht_s=-5), "aht_s"), (dict(target_sl=1.0), "target_sl"), (dict(target_sl=0), "target_sl"),
    (dict(interval_s=0), "interval_s"), (dict(max_occupancy=1.2), "max_occupancy"),
    (dict(patience_s=-1), "patience_s"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    args = dict(calls=100, interval_s=1800, aht_s=180, answer_s=20, target_sl=0.8)
    args.update(kwargs)
    extra = {k: args.pop(k) for k in ("max_occupancy", "patience_s") if k in args}
    with pytest.raises(ValueError, match=name):
        required_agents(**args, **extra)


def test_bad_value_in_an_array_names_its_position():
    with pytest.raises(ValueError, match=r"calls\[2\] = -3.0"):
        metrics([1, 2, -3], 1800, 180, 3, 20)
    with pytest.raises(ValueError, match="agents"):
        metrics(10, 1800, 180, 2.5, 20)
    with pytest.raises(ValueError, match="sl_definition"):
        metrics(10, 1800, 180, 2, 20, sl_definition="abandoned")

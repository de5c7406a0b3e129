"""Erlang A (M/M/n+M) against an independent truncated birth-death chain, limits and targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from scheduling.erlang import metrics, required_agents


def chain(calls, interval_s, aht_s, n, patience_s, answer_s, size=600):
    """Stationary distribution of the truncated chain, then every measure from first principles."""
    lam, mu, th = calls / interval_s, 1 / aht_s, 1 / patience_s
    k = np.arange(size)
    death = np.where(k <= n, k * mu, n * mu + (k - n) * th)
    logp = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death[1:]))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    p_wait = p[n:].sum()
    p_ab = th * (p * np.maximum(k - n, 0)).sum() / lam
    # a contact finding j waiting ahead: stages with rates n mu + i theta (i = j..0) while its own
    # patience (theta) runs; P(answered within T) from the phase-type generator via expm
    within = p[:n].sum()
    wait_answered = 0.0
    jmax = size - n - 1
    states = jmax + 1  # i = 0..jmax waiting ahead; absorbing: served, abandoned
    q = np.zeros((states + 2, states + 2))
    for i in range(states):
        adv = n * mu + i * th
        if i == 0:
            q[i, states] = adv
        else:
            q[i, i - 1] = adv
        q[i, states + 1] = th
        q[i, i] = -(adv + th)
    served_by_t = expm(q * answer_s)[:states, states]
    for j in range(states):
        w = p[n + j]
        within += w * served_by_t[j]
        r = n * mu + np.arange(j + 1) * th
        wait_answered += w * np.prod(r / (r + th)) * np.sum(1 / (r + th))
    return dict(p_wait=p_wait, p_abandon=p_ab, service_level=within, asa_s=wait_answered / (1 - p_ab),
                occupancy=calls * aht_s / interval_s * (1 - p_ab) / n)


CASES = [(100, 1800, 180, 14, 180, 20), (100, 1800, 180, 8, 60, 20), (500, 1800, 300, 60, 100, 30),
         (50, 1800, 200, 3, 30, 10), (200, 1800, 240, 30, 600, 0), (20, 1800, 300, 1, 90, 20)]


@pytest.mark.parametrize("calls,interval_s,aht_s,n,patience_s,answer_s", CASES)
def test_agrees_with_birth_death_chain(calls, interval_s, aht_s, n, patience_s, answer_s):
    want = chain(calls, interval_s, aht_s, n, patience_s, answer_s, size=n + 220)
    got = metrics(calls, interval_s, aht_s, n, answer_s, patience_s=patience_s)
    for key, value in want.items():
        assert float(got[key]) == pytest.approx(value, rel=1e-7, abs=1e-10), key


def test_finite_when_overloaded_and_for_zero_agents():
    r = metrics(1000, 1800, 300, [0, 50, 150], 20, patience_s=120)  # 166.7 Erlangs
    assert np.all(np.isfinite(r["p_wait"])) and np.all(np.isfinite(r["p_abandon"]))
    assert r["p_abandon"][0] == 1.0 and r["service_level"][0] == 0.0
    assert 0 < r["service_level"][1] < r["service_level"][2] < 1
    # overloaded: at least 1 - n/a abandon, carried load cannot exceed n
    assert r["p_abandon"][1] >= 1 - 50 / (1000 * 300 / 1800) - 1e-12
    assert np.isfinite(r["asa_s"][1:]).all()


def test_large_erlang_a_no_overflow():
    r = metrics(60000, 3600, 300, [4800, 5019, 5200], 20, patience_s=180)
    for key in ("p_wait", "service_level", "asa_s", "p_abandon"):
        assert np.all(np.isfinite(r[key])), key
    assert np.all(np.diff(r["service_level"]) > 0)


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(5, 1500), aht=st.floats(60, 600), t=st.floats(0, 120), extra=st.integers(1, 30))
def test_tends_to_erlang_c_as_patience_grows(calls, aht, t, extra):
    # patience far beyond the Erlang C mean wait of those who wait, aht / (n - a)
    n = int(np.ceil(calls * aht / 1800 + 0.5)) + extra - 1
    c = metrics(calls, 1800, aht, n, t)
    a = metrics(calls, 1800, aht, n, t, patience_s=1e6 * aht / (n - calls * aht / 1800))
    for key in ("p_wait", "service_level", "occupancy"):
        assert float(a[key]) == pytest.approx(float(c[key]), abs=2e-4), key
    assert float(a["p_abandon"]) < 1e-4


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(1, 800), aht=st.floats(60, 600), pat=st.floats(10, 900), n=st.integers(0, 200))
def test_more_agents_never_hurt(calls, aht, pat, n):
    r = metrics(calls, 1800, aht, [n, n + 1], 20, patience_s=pat)
    assert r["service_level"][1] >= r["service_level"][0] - 1e-12
    assert r["p_abandon"][1] <= r["p_abandon"][0] + 1e-12


def test_service_level_definitions():
    kw = dict(patience_s=120, short_abandon_s=5)
    off = metrics(100, 1800, 180, 11, 20, sl_definition="offered", **kw)
    ans = metrics(100, 1800, 180, 11, 20, sl_definition="answered", **kw)
    short = metrics(100, 1800, 180, 11, 20, sl_definition="short_abandon", **kw)
    assert float(ans["service_level"]) == pytest.approx(float(off["service_level"]) / (1 - float(off["p_abandon"])))
    assert float(off["service_level"]) < float(short["service_level"]) < float(ans["service_level"])
    zero = metrics(100, 1800, 180, 11, 20, patience_s=120, sl_definition="short_abandon", short_abandon_s=0)
    assert float(zero["service_level"]) == pytest.approx(float(off["service_level"]), rel=1e-12)
    huge = metrics(100, 1800, 180, 11, 20, patience_s=120, sl_definition="short_abandon", short_abandon_s=1e9)
    assert float(huge["service_level"]) == pytest.approx(float(ans["service_level"]), rel=1e-9)


def test_short_abandons_against_chain():
    # P(abandon with patience <= s) = integral of theta e^-theta u P(V > u) du; check by quadrature
    calls, aht, n, pat, s = 100, 180, 9, 100, 15
    off = metrics(calls, 1800, aht, n, 20, patience_s=pat)
    short = metrics(calls, 1800, aht, n, 20, patience_s=pat, sl_definition="short_abandon", short_abandon_s=s)
    implied_short_ab = 1 - float(off["service_level"]) / float(short["service_level"])
    ts = np.linspace(0, s, 401)
    # P(V > u) = P(wait > u | infinitely patient caller) = P(answered, wait > u) / e^{-theta u}
    pv = []
    for u in ts:
        ans_within = metrics(calls, 1800, aht, n, u, patience_s=pat)["service_level"]
        # P(V <= u and patient) = answered within u; P(V > u) = P(W>0) - int_0^u f_V
        pv.append(float(ans_within))
    # numerical derivative route: f_V(u) e^{-theta u} = d/du answered_within(u)
    d = np.gradient(np.array(pv), ts)
    fv = d * np.exp(ts / pat)
    p_v_gt = float(off["p_wait"]) - np.concatenate([[0.0], np.cumsum((fv[1:] + fv[:-1]) / 2 * np.diff(ts))])
    integrand = np.exp(-ts / pat) / pat * p_v_gt
    want = float(np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(ts)))
    assert implied_short_ab == pytest.approx(want, rel=2e-3)


def test_required_agents_erlang_a_minimal_with_every_target():
    calls, aht, pat = np.array([10.0, 100, 400, 2000]), 240.0, 150.0
    for kw in (dict(), dict(max_abandon=0.02), dict(max_asa_s=5.0), dict(max_occupancy=0.8),
               dict(sl_definition="answered")):
        n = required_agents(calls, 1800, aht, 20, 0.8, patience_s=pat, **kw)
        sd = kw.get("sl_definition", "offered")
        for i in range(calls.size):
            r = metrics(calls[i], 1800, aht, [n[i] - 1, n[i]], 20, patience_s=pat, sl_definition=sd)

            def ok(j):
                return (r["service_level"][j] >= 0.8 - 1e-12
                        and r["p_abandon"][j] <= kw.get("max_abandon", 1) + 1e-12
                        and r["asa_s"][j] <= kw.get("max_asa_s", np.inf) + 1e-9
                        and r["occupancy"][j] <= kw.get("max_occupancy", 1) + 1e-12)
            assert ok(1) and not ok(0), (kw, i, n[i])


def test_absurd_patience_near_critical_load_stays_fast_and_sane():
    # 50 agents for 49.99999999999999 Erlangs and patience of 1e21 s: no endless series
    r = metrics(1499.9999999999998, 1800, 60, 50, 0, patience_s=8.5e21)
    assert 0 <= float(r["p_wait"]) <= 1 and 0 <= float(r["service_level"]) <= 1
    r = metrics(1000, 1800, 60, 34, 20, patience_s=1e13)  # 33.3 Erlangs, huge patience
    c = metrics(1000, 1800, 60, 34, 20)
    assert float(r["service_level"]) == pytest.approx(float(c["service_level"]), abs=1e-4)


def test_patience_nan_rows_are_erlang_c():
    n = required_agents([100, 100], 1800, 180, 20, 0.8, patience_s=np.array([np.nan, 180.0]))
    assert n.tolist() == [14, int(required_agents(100, 1800, 180, 20, 0.8, patience_s=180))]

"""The service curve: equal to the queueing model at integer agents, never above it between, concave."""

from __future__ import annotations

import numpy as np
import pytest

from scheduling import erlang
from scheduling.channels import chat_metrics
from scheduling.service_curve import concave_start, service_curves

# volume (contacts / 30 min), aht_s: tiny, small, the classic 100 x 180 s, large, long handle times
CASES = [(0.3, 200.0), (5.0, 300.0), (100.0, 180.0), (1000.0, 240.0), (12.0, 3000.0), (2000.0, 300.0)]
MODELS = [(None, 1), (120.0, 1), (600.0, 1), (None, 2), (180.0, 3), (None, 5)]  # (patience_s, concurrency)
# the breakpoints come from whole-agent formulas (series), the dense check from the incomplete-gamma
# interpolation: they agree to about 1e-9 of the volume
TOL = 1e-8


def _curves(patience_s, concurrency):
    vol = np.array([v for v, _ in CASES])
    aht = np.array([a for _, a in CASES])
    return vol, aht, service_curves(vol, aht, interval_s=1800, answer_s=20, patience_s=patience_s,
                                    concurrency=concurrency)


def _model(vol, aht, agents, patience_s, concurrency, fractional=False):
    m = chat_metrics(vol, 1800, aht, agents, 20, concurrency=concurrency, patience_s=patience_s,
                     fractional_agents=fractional)
    return vol * m["service_level"]


def _at(curves, i, agents):
    x = np.full((len(agents), len(curves)), 1e9)
    x[:, i] = agents
    return curves.value(x)[:, i]


@pytest.mark.parametrize("patience_s,concurrency", MODELS)
def test_equals_the_queueing_model_at_every_integer_breakpoint(patience_s, concurrency):
    vol, aht, curves = _curves(patience_s, concurrency)
    for i in range(len(CASES)):
        ks = np.arange(curves.min_agents[i], curves.max_agents[i] + 1)
        expected = _model(vol[i], aht[i], ks.astype(float), patience_s, concurrency)
        assert np.allclose(_at(curves, i, ks.astype(float)), expected, rtol=0, atol=1e-12 * vol[i])


@pytest.mark.parametrize("patience_s,concurrency", MODELS)
def test_never_above_the_model_between_breakpoints_dense(patience_s, concurrency):
    vol, aht, curves = _curves(patience_s, concurrency)
    for i in range(len(CASES)):
        xs = np.linspace(curves.min_agents[i], curves.max_agents[i] + 3, 4001)
        exact = _model(vol[i], aht[i], xs, patience_s, concurrency, fractional=True)
        assert np.all(_at(curves, i, xs) <= exact + TOL * vol[i]), CASES[i]
        # and it is the model's chord, not something lower: within the gap between neighbours
        ks = np.arange(curves.min_agents[i], curves.max_agents[i] + 1)
        assert np.all(_at(curves, i, xs) >= _model(vol[i], aht[i], np.clip(np.floor(xs), None, ks[-1]),
                                                   patience_s, concurrency) - TOL * vol[i])


@pytest.mark.parametrize("patience_s,concurrency", MODELS)
def test_concave_and_non_decreasing(patience_s, concurrency):
    _vol, _aht, curves = _curves(patience_s, concurrency)
    pieces = curves.pieces()
    for i, part in pieces.groupby("interval"):
        slopes = part["slope"].to_numpy()
        assert np.all(slopes >= -1e-12)
        assert np.all(np.diff(slopes) <= 1e-9 * curves.volume[i]), (i, slopes)
        assert slopes[-1] == 0.0  # flat beyond the last breakpoint


def test_the_cuts_give_the_curve():
    vol, _aht, curves = _curves(180.0, 1)
    pieces = curves.pieces()
    rng = np.random.default_rng(3)
    x = curves.min_agents + rng.random(len(curves)) * (curves.max_agents - curves.min_agents + 5)
    cut = pieces["answered_within"] + pieces["slope"] * (x[pieces["interval"]] - pieces["agents"])
    assert np.allclose(cut.groupby(pieces["interval"]).min().to_numpy(), curves.value(x), atol=1e-9)


def test_known_answer_and_where_the_curve_starts():
    curves = service_curves([100.0], [180.0], interval_s=1800, answer_s=20)
    # 100 calls x 180 s / 1800 s = 10 Erlangs; 14 agents: SL 0.8884 (tests/scheduling/test_erlang.py)
    assert round(float(curves.value([14.0])[0]), 2) == 88.84
    assert float(curves.value([14.0])[0]) == pytest.approx(100 * float(erlang.metrics(100, 1800, 180, 14, 20)["service_level"]))
    # Erlang C is 0 up to the load (10) and convex just above: the curve starts above it
    assert curves.min_agents[0] == 11
    assert np.isnan(curves.value([10.5])[0])
    # a higher count never gives less; far above, every call is answered within T
    assert curves.value([60.0])[0] == pytest.approx(100.0, abs=1e-6)


def test_closed_intervals_are_flat_at_zero():
    curves = service_curves([0.0, 50.0], [np.nan, 200.0], interval_s=900, answer_s=30)
    assert curves.min_agents[0] == 0 and curves.max_agents[0] == 0
    assert curves.value([0.0, 30.0])[0] == 0.0 and curves.value([7.0, 30.0])[0] == 0.0
    assert np.isnan(curves.service_level([3.0, 30.0])[0])


def test_concave_start():
    assert concave_start(np.array([0.0, 0.0, 1.0, 3.0, 4.0, 4.5])) == 2  # increments 0, 1, 2, 1, 0.5
    assert concave_start(np.array([0.0, 2.0, 3.0, 3.5])) == 0
    assert concave_start(np.array([1.0])) == 0


@pytest.mark.parametrize("kwargs,message", [
    (dict(volume=[-1.0], aht_s=[100.0]), r"volume\[0\] = -1.0"),
    (dict(volume=[5.0], aht_s=[0.0]), r"aht_s\[0\] = 0.0: must be > 0"),
    (dict(volume=[5.0], aht_s=[100.0], concurrency=7), r"concurrency = 7"),
])
def test_bad_input_is_named(kwargs, message):
    args = dict(interval_s=1800, answer_s=20) | kwargs
    with pytest.raises(ValueError, match=message):
        service_curves(args.pop("volume"), args.pop("aht_s"), **args)


def test_fractional_agents_interpolate_and_whole_agents_agree():
    whole = erlang.metrics(100, 1800, 180, np.arange(11, 20), 20)["service_level"]
    frac = erlang.metrics(100, 1800, 180, np.arange(11, 20).astype(float), 20, fractional_agents=True)["service_level"]
    assert np.allclose(whole, frac, atol=1e-12)
    mid = erlang.metrics(100, 1800, 180, 13.5, 20, fractional_agents=True)["service_level"]
    assert whole[2] < mid < whole[3]
    with pytest.raises(ValueError, match="whole number"):
        erlang.metrics(100, 1800, 180, 13.5, 20)

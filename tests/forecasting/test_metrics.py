from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from forecasting import metrics


def test_known_values():
    a, f = np.array([10.0, 20.0, 0.0]), np.array([12.0, 18.0, 1.0])
    assert metrics.wape(a, f) == pytest.approx(5 / 30)
    assert metrics.bias(a, f) == pytest.approx(1 / 30)
    assert metrics.rmse(a, f) == pytest.approx(np.sqrt((4 + 4 + 1) / 3))
    assert metrics.mape_nonzero(a, f) == pytest.approx((0.2 + 0.1) / 2)  # zero actual skipped
    # MASE scale: in-sample seasonal naive error with period 2 is |3-1|, |4-2| -> 2
    assert metrics.mase([5.0], [6.0], insample=[1.0, 2.0, 3.0, 4.0], season=2) == pytest.approx(0.5)


def test_nan_actuals_are_skipped():
    assert metrics.wape([10, np.nan, 10], [11, 500, 9]) == pytest.approx(0.1)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.01, max_value=400.0))
def test_poisson_mad_equals_direct_sum(m):
    k = np.arange(0, int(m + 40 * np.sqrt(m) + 60))
    direct = float(np.sum(np.abs(k - m) * poisson.pmf(k, m)))
    assert metrics.poisson_mad(m) == pytest.approx(direct, rel=1e-7, abs=1e-12)


def test_noise_floor_matches_simulation():
    rng = np.random.default_rng(3)
    m = rng.uniform(5, 80, size=2000)
    sims = rng.poisson(m, size=(200, m.size))
    simulated = np.mean([metrics.wape(s, m) for s in sims])
    assert metrics.noise_floor_wape(m) == pytest.approx(simulated, rel=0.01)


def test_noise_floor_of_us_bank_is_published_value(us_history):
    """README: a forecast equal to the true rate would show WAPE ~0.023 at 30 minutes."""
    s = us_history.set_index("interval_start")["offered"]
    last_weeks = s[s.index >= "2003-09-29"].resample("30min").sum()
    assert metrics.noise_floor_wape(last_weeks[last_weeks > 0]) == pytest.approx(0.023, abs=0.002)


def test_scores_has_every_metric():
    got = metrics.scores([1, 2, 3], [1, 2, 4], insample=[1, 2, 3, 4], season=1)
    assert set(got) == {"wape", "bias", "mase", "rmse", "mape", "noise_floor", "n"}
    assert got["n"] == 3 and got["wape"] == pytest.approx(1 / 6)


def test_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match="3 != 2"):
        metrics.wape([1, 2, 3], [1, 2])

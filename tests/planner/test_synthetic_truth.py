"""The sample generator's true rates on another interval grid (planner.synthetic.true_rates):
the noise floor a perfect rate forecast shows, measured two ways on a known Poisson case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.metrics import noise_floor_wape, wape
from planner.synthetic import generate_centre, true_rates
from wfm_errors import InputError


def test_true_rates_sum_the_generator_rates_per_interval():
    times = pd.date_range("2025-03-03", periods=8, freq="15min")
    truth = pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice",
                          "rate": [1.0, 2.0, 0.0, 4.0, 0.5, 0.5, 3.0, 0.0], "aht_s": 300.0, "open": True})
    rates = true_rates(truth, "voice", interval_minutes=30)
    assert list(rates.index) == list(times[::2])
    assert rates.tolist() == [3.0, 4.0, 1.0, 3.0]
    with pytest.raises(InputError, match="'chat'"):
        true_rates(truth, "chat", interval_minutes=30)


def test_a_forecast_equal_to_the_true_rate_shows_the_poisson_floor_on_sampled_counts():
    """Two independent ways to the floor: the counts the generator drew, scored against its own
    rates (30-min sums), and the closed form sum E|N - m| / sum m over the same intervals; and
    at rate 1 the closed form is 2/e (E|N - 1| = 2 e^-1 for N ~ Poisson(1))."""
    history, truth = generate_centre(weeks=4, seed=11)
    for channel in ("voice", "email"):
        rates = true_rates(truth, channel, interval_minutes=30)
        rows = history[history["channel"] == channel]
        counts = rows["offered"].groupby(rows["interval_start"].dt.floor("30min")).sum()
        counts = counts.reindex(rates.index, fill_value=0).to_numpy(dtype=float)
        assert counts.sum() == pytest.approx(rates.sum(), rel=0.02)
        realised, expected = wape(counts, rates.to_numpy()), noise_floor_wape(rates.to_numpy())
        assert 0.05 < expected < 0.5
        assert realised == pytest.approx(expected, rel=0.04)
    assert noise_floor_wape(np.ones(10)) == pytest.approx(2 / np.e, rel=1e-12)

"""Real and synthetic series for the forecasting tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path("/work/shared/data")


def real_history(stem: str) -> pd.DataFrame:
    """One of the two bundled real series as a History frame (queue main, channel voice)."""
    path = DATA / f"{stem}.csv.gz"
    if not path.exists():
        path = SHARED / f"{stem}.csv"
    frame = pd.read_csv(path, parse_dates=["interval_start"])
    return frame.assign(queue="main", channel="voice")


@pytest.fixture(scope="session")
def us_history() -> pd.DataFrame:
    return real_history("us_bank_2003_5min")


@pytest.fixture(scope="session")
def il_history() -> pd.DataFrame:
    return real_history("anonymous_bank_1999_6min")


def poisson_rate(ts: pd.DatetimeIndex, *, daily: float = 2000.0) -> np.ndarray:
    """A known arrival rate per interval: open 08:00-20:00, a two-hump day, quieter weekends."""
    minutes = ts.hour * 60 + ts.minute
    open_ = (minutes >= 8 * 60) & (minutes < 20 * 60)
    x = (minutes - 8 * 60) / 720.0
    shape = np.where(open_, 1.0 + 0.6 * np.sin(2 * np.pi * x) ** 2 + 0.3 * np.sin(np.pi * x), 0.0)
    week = np.array([1.15, 1.0, 1.0, 0.95, 0.9, 0.5, 0.0])[ts.day_of_week]
    per_day = 1440 // int((ts[1] - ts[0]).total_seconds() // 60)
    day_sum = shape[:per_day].sum()  # every day has the same shape
    return daily * week * shape / day_sum


def synthetic_history(*, days: int = 70, minutes: int = 30, seed: int = 7, start="2024-01-01",
                      queue: str = "main", channel: str = "voice", daily: float = 2000.0) -> pd.DataFrame:
    """Poisson counts of :func:`poisson_rate` on a regular grid, with a fixed seed."""
    ts = pd.date_range(start, periods=days * 1440 // minutes, freq=f"{minutes}min")
    rate = poisson_rate(ts, daily=daily)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"interval_start": ts, "queue": queue, "channel": channel,
                         "offered": rng.poisson(rate)})


@pytest.fixture(scope="session")
def rate():
    """:func:`poisson_rate`, the known arrival rate of the synthetic series."""
    return poisson_rate


@pytest.fixture(scope="session")
def make_history():
    """:func:`synthetic_history`: Poisson counts of the known rate, fixed seed."""
    return synthetic_history

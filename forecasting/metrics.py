"""Forecast accuracy metrics, and the Poisson noise floor they should be read against.

All functions take the actual values and the forecast as array-likes of the same shape (contacts
per interval, or per day). Missing actuals (NaN) are skipped, so a backtest over a series with
gaps scores only the intervals that were observed. Every metric is a plain float; ``nan`` when
nothing is left to score.

Definitions (README.md, Definitions):

* WAPE = sum|F - A| / sum A
* bias = sum(F - A) / sum A (positive: over-forecast)
* MASE = mean|F - A| / mean|A_t - A_(t-m)| with the in-sample seasonal naive error as scale
* RMSE = sqrt(mean (F - A)^2)
* MAPE = mean |F - A| / A over the intervals with A > 0 only
* noise floor = sum E|N - F| / sum F for N ~ Poisson(F): the WAPE a forecast equal to the true
  arrival rate would still show, because arrivals are random.

Example:
    >>> wape([10, 20], [12, 18])
    0.13333333333333333
    >>> round(poisson_mad(4.0), 4)   # E|N - 4| for N ~ Poisson(4)
    1.5629
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

__all__ = [
    "wape",
    "bias",
    "mase",
    "rmse",
    "mape_nonzero",
    "poisson_mad",
    "noise_floor_wape",
    "scores",
]


def _pair(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.size} != {f.size}")
    keep = ~(np.isnan(a) | np.isnan(f))
    return a[keep], f[keep]


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error, sum|F - A| / sum A (a share, 0.05 = 5%)."""
    a, f = _pair(actual, forecast)
    total = a.sum()
    return float(np.abs(f - a).sum() / total) if total > 0 else float("nan")


def bias(actual, forecast) -> float:
    """Signed bias sum(F - A) / sum A; positive means the forecast was too high."""
    a, f = _pair(actual, forecast)
    total = a.sum()
    return float((f - a).sum() / total) if total > 0 else float("nan")


def rmse(actual, forecast) -> float:
    """Root mean squared error, in contacts per interval."""
    a, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((f - a) ** 2))) if a.size else float("nan")


def mape_nonzero(actual, forecast) -> float:
    """Mean absolute percentage error over the intervals whose actual is above zero."""
    a, f = _pair(actual, forecast)
    pos = a > 0
    return float(np.mean(np.abs(f[pos] - a[pos]) / a[pos])) if pos.any() else float("nan")


def mase(actual, forecast, *, insample, season: int) -> float:
    """Mean absolute error scaled by the in-sample seasonal-naive error with period ``season``.

    ``insample`` is the training series (NaN allowed); ``season`` is in steps, e.g. one week.
    """
    a, f = _pair(actual, forecast)
    y = np.asarray(insample, dtype=float)
    if season < 1 or y.size <= season or not a.size:
        return float("nan")
    scale = np.nanmean(np.abs(y[season:] - y[:-season]))
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return float(np.mean(np.abs(f - a)) / scale)


def poisson_mad(mean) -> np.ndarray | float:
    """Exact mean absolute deviation E|N - m| of a Poisson count N with mean ``m`` (>= 0).

    Uses the closed form 2 e^-m m^(k+1) / k! with k = floor(m).
    """
    m = np.asarray(mean, dtype=float)
    safe = np.where(m > 0, m, 1.0)
    k = np.floor(safe)
    out = 2.0 * np.exp(-safe + (k + 1.0) * np.log(safe) - gammaln(k + 1.0))
    out = np.where(m > 0, out, 0.0)
    return float(out) if out.ndim == 0 else out


def noise_floor_wape(forecast) -> float:
    """WAPE a perfect Poisson-rate forecast would show: sum E|N - F| / sum F."""
    f = np.asarray(forecast, dtype=float).ravel()
    f = f[~np.isnan(f)]
    total = f.sum()
    return float(np.sum(poisson_mad(f)) / total) if total > 0 else float("nan")


def scores(actual, forecast, *, insample=None, season: int = 0) -> dict[str, float]:
    """All metrics at once, as a dict: wape, bias, mase, rmse, mape, noise_floor, n."""
    a, f = _pair(actual, forecast)
    return {
        "wape": wape(a, f),
        "bias": bias(a, f),
        "mase": mase(a, f, insample=insample, season=season) if insample is not None else float("nan"),
        "rmse": rmse(a, f),
        "mape": mape_nonzero(a, f),
        "noise_floor": noise_floor_wape(f),
        "n": int(a.size),
    }

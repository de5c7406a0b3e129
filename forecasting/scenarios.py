"""Arrival scenarios for a forecast week: how far the real week may fall from the point forecast.

A forecast is a rate per interval; the real week differs from it twice over: Poisson noise
around the true rate (a simulation adds that itself), and the rate's own error, which is
what this module samples. The error of a day's intervals moves together (a busy Monday is busy
all day), so a scenario's rate is

    ``rate[s, i] = forecast[i] x D[s, day(i)] x E[s, i]``

with ``D`` a day-level factor shared by the day's intervals and ``E`` independent interval
noise, both lognormal with mean 1 (so the scenarios average to the forecast) and
coefficients of variation ``day_cv`` and ``interval_cv`` per series (queue x channel).
Series are independent of each other.

**Calibration** (:func:`forecast_spread`), per series, from the forecast's own backtest
(``forecasting.api.ForecastResult``: ``selection`` and ``backtest``), taking errors as normal
(mean absolute error = sqrt(2/pi) x standard deviation) and using the forecast week's shape:

* the relative rate error ``kappa`` (beyond Poisson) solves
  ``sqrt(2/pi) sum_i sqrt(f_i + kappa^2 f_i^2) / sum_i f_i = interval WAPE``;
* the day-level share solves the same for daily totals, ``F_d = sum of the day's f_i``:
  ``sqrt(2/pi) sum_d sqrt(F_d + day_cv^2 F_d^2 + interval_cv^2 sum_{i in d} f_i^2) / sum_d F_d
  = daily WAPE`` with ``interval_cv^2 = max(kappa^2 - day_cv^2, 0)``.

A WAPE below the Poisson noise floor gives 0. Without a daily backtest score (an ensemble's is
taken from its members' daily scores) the whole ``kappa`` is put on the day (the widest spread
of daily service levels: the cautious choice); without any backtest, ``kappa`` comes from the
forecast's 10-90 % band ``lo``/``hi`` read as normal quantiles, also all on the day. The
``source`` column says which.

Example:
    >>> import pandas as pd
    >>> fc = pd.DataFrame({"interval_start": pd.date_range("2025-06-02", periods=96, freq="30min"),
    ...                    "queue": "main", "channel": "voice", "forecast": 100.0})
    >>> spread = pd.DataFrame({"queue": ["main"], "channel": ["voice"], "day_cv": [0.1], "interval_cv": [0.05],
    ...                        "source": ["given"]})
    >>> paths = sample_scenarios(fc, spread, scenarios=50, seed=1)
    >>> int(paths["scenario"].nunique()), round(float(paths["volume"].mean()) / 100, 1)
    (50, 1.0)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from wfm_errors import ForecastInputError

__all__ = ["forecast_spread", "sample_scenarios", "SPREAD_COLUMNS", "SCENARIO_COLUMNS", "MIN_SCENARIOS"]

SPREAD_COLUMNS = ("queue", "channel", "day_cv", "interval_cv", "source")
SCENARIO_COLUMNS = ("scenario", "interval_start", "queue", "channel", "volume")
#: fewest scenarios a plan's probability is computed from
MIN_SCENARIOS = 50
_MAD = math.sqrt(2.0 / math.pi)  # E|X| / sd for a normal error
_Z90 = 1.2815515655446004  # the 90 % normal quantile


def _solve(fn, target: float, hi: float = 25.0) -> float:
    """Smallest x in [0, hi] with fn(x) >= target for increasing fn (0 when fn(0) >= target)."""
    if not np.isfinite(target) or fn(0.0) >= target:
        return 0.0
    lo = 0.0
    if fn(hi) < target:
        return hi
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if fn(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _kappa2(f: np.ndarray, wape: float) -> float:
    total = f.sum()
    return _solve(lambda k2: _MAD * np.sqrt(f + k2 * f**2).sum() / total, wape)


def _day_cv2(f: np.ndarray, day: np.ndarray, kappa2: float, daily_wape: float) -> float:
    sums = pd.Series(f).groupby(day).sum().to_numpy()
    squares = pd.Series(f**2).groupby(day).sum().to_numpy()

    def wape(d2: float) -> float:
        e2 = max(kappa2 - d2, 0.0)
        return _MAD * np.sqrt(sums + d2 * sums**2 + e2 * squares).sum() / sums.sum()

    return _solve(wape, daily_wape)


def _scores(selection: pd.DataFrame | None, backtest: pd.DataFrame | None, queue, channel) -> tuple[float, float]:
    """(interval WAPE, daily WAPE) of the series' chosen model; NaN where unknown."""
    wape = daily = float("nan")
    if selection is None or not len(selection):
        return wape, daily
    row = selection[(selection["queue"].astype(str) == str(queue)) & (selection["channel"].astype(str) == str(channel))]
    if not len(row):
        return wape, daily
    row = row.iloc[0]
    wape = float(row.get("wape", np.nan))
    daily = float(row.get("daily_wape", np.nan)) if "daily_wape" in row else float("nan")
    model = str(row.get("model", ""))
    if not np.isfinite(daily) and backtest is not None and len(backtest) and model.startswith("ensemble("):
        members = model[len("ensemble("):-1].split("+")
        part = backtest[(backtest["queue"].astype(str) == str(queue)) & (backtest["channel"].astype(str) == str(channel))
                        & (backtest["level"] == "daily") & backtest["model"].isin(members)]
        if len(part):
            daily = float(pd.to_numeric(part["wape"], errors="coerce").mean())
    return wape, daily


def forecast_spread(forecast: pd.DataFrame, selection: pd.DataFrame | None = None,
                    backtest: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per series ``queue, channel, day_cv, interval_cv, source``: see the module docstring.

    ``forecast``: the Forecast frame (``interval_start, queue, channel, forecast, lo, hi``);
    ``selection`` and ``backtest``: the :class:`forecasting.api.ForecastResult` tables (None:
    the spread comes from ``lo``/``hi``).
    """
    rows = []
    frame = forecast.assign(interval_start=pd.to_datetime(forecast["interval_start"]))
    for (queue, channel), part in frame.groupby(["queue", "channel"], sort=True):
        f = part["forecast"].to_numpy(dtype=float)
        open_ = f > 0
        if not open_.any():
            rows.append({"queue": queue, "channel": channel, "day_cv": 0.0, "interval_cv": 0.0, "source": "closed"})
            continue
        day = part["interval_start"].dt.normalize().to_numpy()[open_]
        f = f[open_]
        wape, daily = _scores(selection, backtest, queue, channel)
        if np.isfinite(wape):
            k2 = _kappa2(f, wape)
            if np.isfinite(daily):
                d2 = _day_cv2(f, day, k2, daily)
                e2 = max(k2 - d2, 0.0)
                source = "backtest (interval and daily WAPE)"
            else:
                d2, e2 = k2, 0.0
                source = "backtest (interval WAPE; no daily score: all of it on the day)"
        elif {"lo", "hi"} <= set(part.columns):
            lo = part["lo"].to_numpy(dtype=float)[open_]
            hi = part["hi"].to_numpy(dtype=float)[open_]
            scale2 = ((hi - lo) / (2.0 * _Z90)) ** 2
            d2 = float(np.median(np.maximum(scale2 - f - 1.0, 0.0) / f**2))
            e2 = 0.0
            source = "forecast lo/hi as normal 10/90 % quantiles (no backtest: all of it on the day)"
        else:
            d2 = e2 = 0.0
            source = "none (no backtest, no lo/hi): Poisson noise only"
        rows.append({"queue": queue, "channel": channel, "day_cv": math.sqrt(d2), "interval_cv": math.sqrt(e2),
                     "source": source})
    return pd.DataFrame(rows, columns=list(SPREAD_COLUMNS))


def _lognormal_mean_one(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    if cv <= 0:
        return np.ones(size)
    s2 = math.log1p(cv * cv)
    return np.exp(rng.normal(-0.5 * s2, math.sqrt(s2), size))


def sample_scenarios(expected: pd.DataFrame, spread: pd.DataFrame, *, scenarios: int = MIN_SCENARIOS,
                     seed: int = 0) -> pd.DataFrame:
    """``scenarios`` seeded arrival-rate paths around ``expected`` (see the module docstring).

    ``expected``: ``interval_start, queue, channel, forecast`` (contacts per interval);
    ``spread``: :func:`forecast_spread`'s frame (a series it lacks gets no rate error).
    Returns the long frame ``scenario, interval_start, queue, channel, volume`` (expected
    contacts in that scenario; the simulation adds the Poisson noise). The same seed gives
    the same paths.
    """
    if int(scenarios) != scenarios or scenarios < 1:
        raise ForecastInputError(f"scenarios = {scenarios!r}: must be a whole number >= 1")
    scenarios = int(scenarios)
    rng = np.random.default_rng(seed)
    frame = expected.assign(interval_start=pd.to_datetime(expected["interval_start"]))
    frame = frame.sort_values(["queue", "channel", "interval_start"], kind="stable").reset_index(drop=True)
    known = {(str(q), str(c)): (float(d), float(e))
             for q, c, d, e in spread[["queue", "channel", "day_cv", "interval_cv"]].itertuples(index=False)}
    parts = []
    for (queue, channel), part in frame.groupby(["queue", "channel"], sort=True):
        f = part["forecast"].to_numpy(dtype=float)
        day_cv, interval_cv = known.get((str(queue), str(channel)), (0.0, 0.0))
        if not (math.isfinite(day_cv) and math.isfinite(interval_cv) and day_cv >= 0 and interval_cv >= 0):
            raise ForecastInputError(f"spread: queue {queue!r} channel {channel!r}: day_cv = {day_cv!r}, interval_cv = "
                             f"{interval_cv!r}: must be finite and >= 0")
        day_index, _days = pd.factorize(part["interval_start"].dt.normalize())
        d = _lognormal_mean_one(rng, day_cv, (scenarios, int(day_index.max()) + 1))
        e = _lognormal_mean_one(rng, interval_cv, (scenarios, f.size))
        volume = f[None, :] * d[:, day_index] * e
        parts.append(pd.DataFrame({
            "scenario": np.repeat(np.arange(scenarios), f.size),
            "interval_start": np.tile(part["interval_start"].to_numpy(), scenarios),
            "queue": queue, "channel": channel, "volume": volume.ravel(),
        }))
    if not parts:
        return pd.DataFrame(columns=list(SCENARIO_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(SCENARIO_COLUMNS)]

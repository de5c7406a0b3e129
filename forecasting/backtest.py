"""Rolling-origin backtests and model selection.

A backtest fits each model on the data before an origin and scores its forecast of the next
``horizon_days`` days, for ``windows`` origins ``step_days`` apart ending at the end of the
history. Only observed (non-NaN) intervals inside opening hours are scored; metrics are computed
at interval level and on daily totals (days with every open interval observed).

Example:
    >>> table, pairs = backtest(y, ts, calendar, models=["week_mean_4", "decomposition"])
    >>> best = select(table)        # lowest mean interval WAPE
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wfm_errors import ForecastInputError
from forecasting import metrics
from forecasting.calendar import Calendar
from forecasting.models import make_model

__all__ = ["origins", "backtest", "select", "ensemble_candidate", "ranking"]


def origins(ts: pd.DatetimeIndex, *, windows: int, horizon_days: int, step_days: int = 7,
            min_train_days: int = 21) -> list[pd.Timestamp]:
    """Backtest origins (midnights), oldest first, each leaving ``min_train_days`` of training
    before it and ``horizon_days`` of data after it."""
    if windows < 1 or horizon_days < 1 or step_days < 1:
        raise ForecastInputError(f"windows={windows}, horizon_days={horizon_days} and step_days={step_days} "
                         "must all be >= 1")
    end = ts[-1].normalize() + pd.Timedelta(days=1)
    last = end - pd.Timedelta(days=horizon_days)
    out = [last - pd.Timedelta(days=step_days * k) for k in range(windows)]
    first_ok = ts[0].normalize() + pd.Timedelta(days=min_train_days)
    return sorted(o for o in out if o >= first_ok)


class _DailyActuals:
    """What scoring daily totals needs of one origin's test window that no model changes: the
    days whose open intervals were all observed (``full``) and their actual totals (``da``),
    computed once per origin instead of once per candidate model."""

    def __init__(self, a: np.ndarray, ts: pd.DatetimeIndex, is_open: np.ndarray):
        self.day = ts.normalize()
        frame = pd.DataFrame({"day": self.day, "a": a, "seen": ~np.isnan(a) | ~is_open})
        grouped = frame.groupby("day")
        self.full = grouped["seen"].all() & grouped["a"].count().gt(0)
        self.da = grouped["a"].sum()[self.full]

    def forecast_totals(self, f: np.ndarray) -> pd.Series:
        """The forecast's totals of the ``full`` days."""
        return pd.DataFrame({"day": self.day, "f": f}).groupby("day")["f"].sum()[self.full]


def _score(name: str, origin, a: np.ndarray, f: np.ndarray, daily: _DailyActuals,
           insample: np.ndarray, season: int) -> list[dict]:
    rows = [{"model": name, "origin": origin, "level": "interval",
             **metrics.scores(a, f, insample=insample, season=season)}]
    df = daily.forecast_totals(f)
    rows.append({"model": name, "origin": origin, "level": "daily",
                 **metrics.scores(daily.da.to_numpy(), df.to_numpy(), insample=None)})
    return rows


def backtest(y: np.ndarray, ts: pd.DatetimeIndex, calendar: Calendar, *, models: Sequence[str],
             windows: int = 3, horizon_days: int = 7, step_days: int = 7,
             min_train_days: int = 21) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Score ``models`` (registry names) on rolling origins.

    Returns the table (one row per model, origin and level ``interval``/``daily`` with wape,
    bias, mase, rmse, mape, noise_floor, n) and, per model, the scored (actual, forecast) pairs
    of all windows concatenated, for calibration and ensembles.
    """
    y = np.asarray(y, dtype=float)
    ts = pd.DatetimeIndex(ts)
    step = ts[1] - ts[0]
    season = int(pd.Timedelta(weeks=1) / step)
    rows: list[dict] = []
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {m: [] for m in models}
    for origin in origins(ts, windows=windows, horizon_days=horizon_days, step_days=step_days,
                          min_train_days=min_train_days):
        train = ts < origin
        test = (ts >= origin) & (ts < origin + pd.Timedelta(days=horizon_days))
        ts_test = ts[test]
        is_open = calendar.is_open(ts_test)
        a = np.where(is_open, y[test], np.nan)
        daily = _DailyActuals(a, ts_test, is_open)
        for name in models:
            model = make_model(name).fit(y[train], ts[train], calendar)
            f = model.predict_mean(ts_test)
            rows.extend(_score(name, origin, a, f, daily, y[train], season))
            pairs[name].append((a, f))
    table = pd.DataFrame(rows, columns=["model", "origin", "level", "wape", "bias", "mase", "rmse",
                                        "mape", "noise_floor", "n"])
    joined = {m: (np.concatenate([p[0] for p in v]), np.concatenate([p[1] for p in v]))
              for m, v in pairs.items() if v}
    return table, joined


def ensemble_candidate(table: pd.DataFrame, pairs: dict[str, tuple[np.ndarray, np.ndarray]], *,
                       size: int = 3) -> tuple[str, float] | None:
    """Name and pooled interval WAPE of the mean of the ``size`` best models (no refit needed:
    the mean of their backtest forecasts is the ensemble's backtest forecast)."""
    ranked = ranking(table)
    if len(ranked) < 2:
        return None
    best = list(ranked.index[:size])
    a = pairs[best[0]][0]
    f = np.mean([pairs[m][1] for m in best], axis=0)
    return "ensemble(" + "+".join(best) + ")", metrics.wape(a, f)


def ranking(table: pd.DataFrame) -> pd.Series:
    """Mean interval WAPE per model over the windows, best first (models never scored left out)."""
    inter = table[table["level"] == "interval"]
    return inter.groupby("model")["wape"].mean().dropna().sort_values()


def select(table: pd.DataFrame) -> str:
    """The model with the lowest mean interval WAPE over the backtest windows."""
    ranked = ranking(table)
    if ranked.empty:
        raise ForecastInputError("backtest table has no scored interval rows")
    return str(ranked.index[0])

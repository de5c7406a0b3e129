"""Forecast runs (planner side): load history, forecast, write the CSV, keep the snapshot;
and the accuracy report of a stored snapshot against actuals.

Example:
    >>> result, snapshot = run_forecast("data/us_bank_2003_5min.csv.gz", start="2003-10-20",
    ...                                 days=7, interval_minutes=30, country="US",
    ...                                 out="forecast.csv")       # doctest: +SKIP
    >>> report = accuracy_report(Store.open().forecast(snapshot), actuals)   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wfm_errors import InputError
from wfm_progress import Progress
from execution import Executor
from forecasting import ForecastResult, forecast_frame, read_special_days
from forecasting import metrics
from planner.writers import write_csv

__all__ = ["run_forecast", "accuracy_report", "align_actuals"]


def run_forecast(history_path: str | Path, *, start: str, days: int, interval_minutes: int,
                 country: str | None = None, subdivision: str | None = None,
                 method: str = "auto", special_days_path: str | Path | None = None,
                 opening_hours: str | None = None, timezone: str | None = None,
                 out: str | Path | None = None, store_url: str | None = None,
                 save: bool = True, progress: Progress | None = None,
                 history_options: dict | None = None, executor: Executor | None = None,
                 ) -> tuple[ForecastResult, int | None]:
    """Forecast a History file; write ``out`` atomically; save the snapshot in the store.

    The series run on ``executor`` (:class:`execution.Executor`; default a local cluster for the call).

    Returns the result and the snapshot id (None when ``save`` is False).
    """
    from planner.io import load_history

    history = load_history(history_path, timezone=timezone, **(history_options or {}))
    special = read_special_days(special_days_path) if special_days_path else None
    result = forecast_frame(history, start=start, days=days, interval_minutes=interval_minutes,
                            country=country, subdivision=subdivision, method=method,
                            special_days=special, opening_hours=opening_hours, progress=progress,
                            timezone=timezone, executor=executor)
    if out is not None:
        write_csv(result.frame, out)
    snapshot = None
    if save:
        from planner.store import Store

        store = Store.open(store_url)
        params = {"history": str(history_path), "start": str(start), "days": days,
                  "interval_minutes": interval_minutes, "country": country,
                  "subdivision": subdivision, "method": method,
                  "special_days": str(special_days_path) if special_days_path else None,
                  "opening_hours": opening_hours,
                  "selection": result.selection.to_dict(orient="records")}
        snapshot = store.save_forecast(result.frame, dataset=None, method=method, params=params,
                                       backtest=result.backtest, train_end=str(pd.Timestamp(start)))
    return result, snapshot


def align_actuals(forecast: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Forecast rows joined with the actual volume summed onto the forecast's interval grid.

    Only intervals the actuals cover are kept; intervals closed in the forecast (0) with no
    contacts are left out. Columns: interval_start, queue, channel, forecast, actual.
    """
    fc = forecast.copy()
    fc["interval_start"] = pd.to_datetime(fc["interval_start"])
    act = actuals.copy()
    act["interval_start"] = pd.to_datetime(act["interval_start"])
    for col, default in (("queue", "main"), ("channel", "voice")):
        if col not in act:
            act[col] = default
    starts = np.sort(fc["interval_start"].unique())
    minutes = int(np.min(np.diff(starts)) / np.timedelta64(1, "m")) if len(starts) > 1 else 60
    act["interval_start"] = act["interval_start"].dt.floor(f"{minutes}min")
    act = act.groupby(["interval_start", "queue", "channel"], as_index=False)["offered"].sum()
    joined = fc.merge(act.rename(columns={"offered": "actual"}),
                      on=["interval_start", "queue", "channel"], how="inner")
    joined = joined[~((joined["forecast"] == 0) & (joined["actual"] == 0))]
    return joined[["interval_start", "queue", "channel", "forecast", "actual"]]


def _table(joined: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = []
    for key, grp in joined.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "actual": float(grp["actual"].sum()),
                     "forecast": float(grp["forecast"].sum()),
                     "wape": metrics.wape(grp["actual"], grp["forecast"]),
                     "bias": metrics.bias(grp["actual"], grp["forecast"]),
                     "noise_floor": metrics.noise_floor_wape(grp["forecast"]),
                     "intervals": len(grp)})
    return pd.DataFrame(rows)


def accuracy_report(forecast: pd.DataFrame, actuals: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Interval-level WAPE and bias next to the Poisson noise floor, per queue, per day and per
    time of day; the ``daily`` table scores daily totals (a day's WAPE hides interval error).

    Keys: ``queue``, ``day`` (interval errors summed per date), ``daily`` (errors of daily
    totals per queue), ``interval`` (per time of day), ``detail`` (the aligned rows).
    """
    joined = align_actuals(forecast, actuals)
    if joined.empty:
        raise InputError("actuals: no interval overlaps the forecast snapshot (check dates, "
                         "queue and channel)")
    joined = joined.assign(date=joined["interval_start"].dt.date.astype(str),
                           time=joined["interval_start"].dt.strftime("%H:%M"))
    daily = joined.groupby(["queue", "channel", "date"], as_index=False)[["forecast", "actual"]].sum()
    daily_tab = _table(daily.assign(one=1), ["queue", "channel"]).rename(
        columns={"intervals": "days"})
    return {"queue": _table(joined, ["queue", "channel"]), "day": _table(joined, ["date"]),
            "daily": daily_tab, "interval": _table(joined, ["time"]), "detail": joined}


# -- the Forecast page's defaults and checks -------------------------------------------------
LONG_GAP_DAYS = 14  # more than this many days between the history's last day and the start: warn


def history_last_day(store, dataset: str) -> pd.Timestamp | None:
    """The last day (a date) with history in a stored ``dataset``; None when it has no rows."""
    summary = store.dataset_info(dataset).get("summary") or {}
    last = summary.get("last_interval")
    return pd.Timestamp(last).normalize() if last else None


def default_start(store, dataset: str | None, *, plan_start: pd.Timestamp | None = None,
                  plan_dataset: str | None = None) -> pd.Timestamp | None:
    """Where a forecast of ``dataset`` starts by default: the plan's start when the dataset is
    the plan's own and that start is not after the day following the history, else the day
    after the history's last day (so a 2003 dataset starts in 2003, not at a 2025 plan's week)."""
    if not dataset:
        return None
    last = history_last_day(store, dataset)
    if last is None:
        return None
    following = last + pd.Timedelta(days=1)
    if plan_start is not None and dataset == plan_dataset and pd.Timestamp(plan_start).normalize() <= following:
        return pd.Timestamp(plan_start).normalize()
    return following


def start_gap_warning(store, dataset: str | None, start) -> str | None:
    """A warning, in words, when ``start`` lies more than :data:`LONG_GAP_DAYS` days after the
    history's last day: the forecast would repeat patterns that old, and the backtest can't say
    how far off that is. None otherwise (also when ``start`` is not a date)."""
    if not dataset or not start:
        return None
    try:
        begin = pd.Timestamp(str(start)).normalize()
    except ValueError:
        return None
    last = history_last_day(store, dataset)
    if last is None:
        return None
    gap_days = int((begin - last).days) - 1
    if gap_days <= LONG_GAP_DAYS:
        return None
    span = f"{gap_days / 365.25:.1f} years" if gap_days >= 730 else f"{gap_days:,} days"
    return (f"The history of {dataset!r} ends on {last:%a %Y-%m-%d}, {span} before the start {begin:%Y-%m-%d}: "
            f"the forecast would repeat patterns that old, and the backtest can't tell how far off that is. "
            f"Start on {last + pd.Timedelta(days=1):%Y-%m-%d} for a forecast that follows on from the history.")


def history_on_grid(history: pd.DataFrame, *, interval_minutes: int) -> pd.DataFrame:
    """Offered contacts of ``history`` (``interval_start, offered``, one series, any finer grid)
    summed onto the forecast's ``interval_minutes`` grid, so both are contacts per the same
    interval; only complete intervals are kept (a partly missing one would look like a dip).

    Example:
        >>> h = pd.DataFrame({"interval_start": pd.date_range("2025-01-06 08:00", periods=7, freq="5min"),
        ...                   "offered": [1, 2, 3, 4, 5, 6, 7]})
        >>> history_on_grid(h, interval_minutes=15)["offered"].tolist()
        [6, 15]
    """
    if history is None or history.empty:
        return pd.DataFrame(columns=["interval_start", "offered"])
    times = pd.to_datetime(history["interval_start"])
    distinct = np.sort(times.unique())
    steps = np.diff(distinct).astype("timedelta64[m]").astype(np.int64) if len(distinct) > 1 else np.array([interval_minutes])
    step = int(steps[steps > 0].min()) if (steps > 0).any() else int(interval_minutes)
    if step >= interval_minutes:
        out = history.assign(interval_start=times).groupby("interval_start", as_index=False)["offered"].sum()
        return out.sort_values("interval_start", ignore_index=True)
    per_bucket = int(interval_minutes) // step
    frame = pd.DataFrame({"interval_start": times.dt.floor(f"{int(interval_minutes)}min"), "slot": times,
                          "offered": history["offered"].to_numpy()})
    grouped = frame.groupby("interval_start").agg(offered=("offered", "sum"), slots=("slot", "nunique"))
    complete = grouped[grouped["slots"] >= per_bucket]
    return complete.reset_index()[["interval_start", "offered"]].sort_values("interval_start", ignore_index=True)

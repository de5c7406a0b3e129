"""Forecast every queue and channel of a history frame: :func:`forecast_frame`.

History frame in (docs/architecture.md section 3): ``interval_start`` (tz-naive local time), ``queue``,
``channel``, ``offered`` and optionally ``handled``, ``aht_s`` or ``handle_time_s``. Missing
intervals are absent rows. Forecast frame out: ``interval_start, queue, channel, forecast, lo,
hi, model`` (+ ``aht_s`` when the history has handle time), contacts per interval, lo/hi the
10%/90% quantiles, 0 when closed.

Example:
    >>> result = forecast_frame(history, start="2003-10-20", days=7, interval_minutes=30,
    ...                         country="US")
    >>> result.frame.head()        # the forecast
    >>> result.selection           # chosen model and its backtest accuracy per series
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from wfm_errors import ForecastInputError
from wfm_progress import Progress, within
from execution import Executor
from forecasting import backtest as bt
from forecasting import metrics
from forecasting.calendar import (EVE, HOLIDAY, Calendar, OpeningHours, SpecialDay,
                                  learn_opening_hours)
from forecasting.models import MODELS, SIMPLE_MODEL, make_model

__all__ = ["ForecastResult", "forecast_frame", "aggregate", "reconcile_to_daily",
           "AUTO_CANDIDATES", "SUPPORTED_MINUTES", "dst_factor"]

SUPPORTED_MINUTES = (5, 6, 10, 15, 30, 60)
#: models tried by ``method="auto"``; mstl only on grids of 30 minutes or coarser (speed)
AUTO_CANDIDATES = ("week_mean_4", "week_median_6", "seasonal_naive", "profile_scaled",
                   "decomposition", "decomposition_long", "topdown_ets", "fourier_ols", "holt_winters", "mstl")
FORECAST_COLUMNS = ["interval_start", "queue", "channel", "forecast", "lo", "hi", "model"]
MIN_DAYS = 14
#: the history columns a series task needs (the rest of the frame stays behind)
TASK_COLUMNS = ("interval_start", "offered", "handled", "aht_s", "handle_time_s")
#: what a series task imports (a cluster's workers import them once, before the first task)
TASK_MODULES = ("forecasting.api", "statsmodels.tsa.holtwinters", "statsmodels.tsa.seasonal")


@dataclass(frozen=True)
class ForecastResult:
    """The forecast frame, the chosen model per series and the backtest table: every series'
    :class:`SeriesForecast` put together (the frames concatenated and rounded once).

    ``selection``: queue, channel, model, wape, bias, daily_wape, noise_floor, coverage,
    windows, note (per series; wape, bias, noise floor and coverage of the 10-90% band are
    pooled over the backtest windows, daily_wape is the mean over windows and is left empty
    for an ensemble, whose members' rows are in the backtest table).
    ``backtest``: queue, channel, model, origin, level, wape, bias, mase, rmse, mape,
    noise_floor, n.
    """

    frame: pd.DataFrame
    selection: pd.DataFrame
    backtest: pd.DataFrame


def _step_minutes(ts: pd.Series) -> int:
    values = np.sort(pd.to_datetime(ts).unique())
    if len(values) < 2:
        raise ForecastInputError("history: need at least two distinct interval_start values")
    diffs = np.diff(values).astype("timedelta64[s]").astype(np.int64)
    diffs = diffs[diffs > 0]
    step = int(np.min(diffs) // 60)
    if step not in SUPPORTED_MINUTES:
        raise ForecastInputError(f"history: interval length {step} min is not one of {SUPPORTED_MINUTES}")
    return step


def aggregate(series: pd.DataFrame, *, step_minutes: int, interval_minutes: int,
              end: pd.Timestamp) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray | None]:
    """One series' rows summed onto the ``interval_minutes`` grid from its first midnight to
    ``end`` (exclusive). A bucket with any sub-interval missing is NaN (missing, not zero).
    Returns (timestamps, offered, handle) where handle is None without handle time, else an
    (n, 2) array of total handle time (seconds) and the calls it belongs to, per bucket."""
    t = pd.to_datetime(series["interval_start"])
    bucket = t.dt.floor(f"{interval_minutes}min")
    grid = pd.date_range(t.min().normalize(), end, freq=f"{interval_minutes}min", inclusive="left")
    per = interval_minutes // step_minutes
    g = series.assign(_b=bucket.to_numpy()).groupby("_b")
    offered = g["offered"].sum().astype(float)
    # distinct sub-interval starts: a DST fall-back duplicate adds volume, not a missing slot
    count = g["interval_start"].nunique()
    offered[count < per] = np.nan
    y = offered.reindex(grid).to_numpy()
    ht = None
    if "handle_time_s" in series or "aht_s" in series:
        calls = series["handled"] if "handled" in series else series["offered"]
        if "handle_time_s" in series:
            total = series["handle_time_s"]
        else:
            total = series["aht_s"] * calls
        frame = pd.DataFrame({"_b": bucket.to_numpy(), "ht": total.to_numpy(dtype=float),
                              "calls": calls.to_numpy(dtype=float)})
        sums = frame.groupby("_b")[["ht", "calls"]].sum(min_count=1)
        ht = sums.reindex(grid).to_numpy()
    return grid, y, ht


def reconcile_to_daily(interval: np.ndarray, ts: pd.DatetimeIndex, daily: pd.Series) -> np.ndarray:
    """Scale interval forecasts so that each day's intervals sum to ``daily`` (indexed by
    midnight); days whose intervals are all 0 stay 0.

    Example:
        >>> ts = pd.date_range("2024-01-01", periods=4, freq="12h")
        >>> reconcile_to_daily(np.array([1., 3., 2., 2.]), ts,
        ...                    pd.Series([8., 2.], index=pd.to_datetime(["2024-01-01", "2024-01-02"])))
        array([2. , 6. , 1. , 1. ])
    """
    x = np.asarray(interval, dtype=float)
    day = pd.DatetimeIndex(ts).normalize()
    sums = pd.Series(x).groupby(day).transform("sum").to_numpy()
    target = daily.reindex(day).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(sums > 0, target / np.where(sums > 0, sums, 1), 0.0)
    return np.where(np.isnan(factor), x, x * factor)


def _aht_forecast(handle: np.ndarray, ts: pd.DatetimeIndex, future: pd.DatetimeIndex,
                  *, weeks: int = 6, shrink_calls: float = 30.0) -> np.ndarray:
    """Volume-weighted AHT per weekday and interval over the last ``weeks`` weeks, shrunk
    towards the overall AHT of that window where few calls were handled (seconds)."""
    recent = ts >= ts[-1] - pd.Timedelta(weeks=weeks)
    ht, calls = handle[:, 0], handle[:, 1]
    known = ~np.isnan(ht) & ~np.isnan(calls)
    frame = pd.DataFrame({"w": ts.day_of_week[recent], "m": ts.hour[recent] * 60 + ts.minute[recent],
                          "ht": np.where(known, ht, 0.0)[recent], "c": np.where(known, calls, 0.0)[recent]})
    total_c = frame["c"].sum()
    overall = frame["ht"].sum() / total_c if total_c > 0 else np.nan
    cell = frame.groupby(["w", "m"])[["ht", "c"]].sum()
    est = (cell["ht"] + shrink_calls * overall) / (cell["c"] + shrink_calls)
    key = pd.MultiIndex.from_arrays([future.day_of_week, future.hour * 60 + future.minute])
    return est.reindex(key).fillna(overall).to_numpy()


def series_cost(rows: pd.DataFrame, *, start: pd.Timestamp, interval_minutes: int, method: str,
                windows: int) -> float:
    """Estimated work of forecasting one series (relative units, for longest-first ordering):
    intervals on its grid from its first day to ``start``, times the model fits it will make
    (every candidate at every backtest origin plus the final fit; one fit when it has fewer
    than ``MIN_DAYS`` observed days).

    Example:
        >>> rows = pd.DataFrame({"interval_start": pd.date_range("2025-01-06", periods=21 * 24, freq="h")})
        >>> series_cost(rows, start=pd.Timestamp("2025-01-27"), interval_minutes=60, method="auto", windows=2)
        10584.0
    """
    t = rows["interval_start"]
    if not len(t):
        return 0.0
    intervals = (start - t.min().normalize()) / pd.Timedelta(minutes=interval_minutes)
    if t.dt.normalize().nunique() < MIN_DAYS:
        return float(intervals)
    candidates = (len([m for m in AUTO_CANDIDATES if m != "mstl" or interval_minutes >= 30])
                  if method == "auto" else 1)
    return float(intervals * (candidates * windows + 1))


BACKTEST_COLUMNS = ["model", "origin", "level", "wape", "bias", "mase", "rmse", "mape", "noise_floor", "n"]
SELECTION_COLUMNS = ["queue", "channel", "model", "wape", "bias", "daily_wape", "noise_floor", "coverage",
                     "windows", "note"]


@dataclass(frozen=True)
class SeriesForecast:
    """One series' forecast (a queue and channel), as :func:`series_task` returns it.

    ``frame``: the series' rows of the Forecast frame (``interval_start, queue, channel,
    forecast, lo, hi, model`` and ``aht_s`` in seconds when the history has handle times; not
    rounded yet). ``model``: the model chosen (or ``ensemble(a+b+c)``). The chosen model's
    backtest, pooled over the windows (NaN without one): ``wape`` and ``bias`` (shares of the
    actual volume), ``daily_wape`` (mean over windows; NaN for an ensemble), ``noise_floor``
    (the WAPE Poisson noise alone would give), ``coverage`` (share of actuals inside the
    calibrated 10-90 % band); ``windows``: backtest origins scored; ``note``: why the model is
    a fallback ("" otherwise). ``backtest``: every candidate's backtest rows (the
    :class:`ForecastResult` ``backtest`` columns). ``warnings``: what forecasting this series
    warned about, in words, to be raised again where the series was asked for.
    """

    queue: str
    channel: str
    frame: pd.DataFrame
    model: str
    wape: float
    bias: float
    daily_wape: float
    noise_floor: float
    coverage: float
    windows: int
    note: str
    backtest: pd.DataFrame
    warnings: tuple[str, ...] = ()

    def selection_row(self) -> dict:
        """The series' row of :attr:`ForecastResult.selection` (:data:`SELECTION_COLUMNS`)."""
        return {column: getattr(self, column) for column in SELECTION_COLUMNS}


def series_task(settings: dict, job: dict) -> SeriesForecast:
    """Forecast one series (a Dask task): ``settings`` are shared by every series of the call,
    ``job`` holds the series' key and its own rows (plain columns, Arrow-friendly)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _forecast_one(**settings, **job)
    said = tuple(str(w.message) for w in caught if not issubclass(w.category, (RuntimeWarning, FutureWarning)))
    return dataclasses.replace(out, warnings=said)


def _forecast_one(*, key, rows, step, interval_minutes, start, days, calendar, method,
                  opening_text, windows, horizon_days) -> SeriesForecast:
    """One series' forecast: its history on the grid, its calendar, the model chosen by backtest
    (or the fallback), the forecast and the chosen model's backtest scores."""
    queue, channel = key
    ts, y, ht = aggregate(rows, step_minutes=step, interval_minutes=interval_minutes, end=start)
    future = pd.date_range(start, start + pd.Timedelta(days=days), freq=f"{interval_minutes}min",
                           inclusive="left")
    observed_days = int(pd.Series(ts[~np.isnan(y)].normalize()).nunique())
    short = observed_days < MIN_DAYS
    cal = _series_calendar(y, ts, calendar, opening_text=opening_text, interval_minutes=interval_minutes, short=short)
    if short:
        chosen = SIMPLE_MODEL if observed_days >= 7 else "week_mean_4"
        note = f"only {observed_days} days of history: simple model {chosen}"
        warnings.warn(f"queue {queue!r} channel {channel!r}: only {observed_days} days of history "
                      f"before {start}; using the simple model {chosen}", stacklevel=2)
        table, pairs = pd.DataFrame(columns=BACKTEST_COLUMNS), {}
    else:
        chosen, note, table, pairs = _chosen_model(y, ts, cal, method=method, interval_minutes=interval_minutes,
                                                   windows=windows, horizon_days=horizon_days)
    model = make_model(chosen).fit(y, ts, cal)
    if chosen in pairs:
        model.calibrate(*pairs[chosen])
    mean, lo, hi = model.predict(future)
    _warn_unseen_days(model, cal, future, queue=queue, channel=channel)
    frame = pd.DataFrame({"interval_start": future, "queue": queue, "channel": channel,
                          "forecast": mean, "lo": lo, "hi": hi, "model": chosen})
    if ht is not None and np.isfinite(ht[:, 0]).any():
        frame["aht_s"] = _aht_forecast(ht, ts, future)
        frame.loc[frame["forecast"] <= 0, "aht_s"] = frame["aht_s"].where(frame["forecast"] > 0)
    scores = _backtest_scores(model, chosen, pairs, table)
    if len(table):
        table = table.assign(queue=queue, channel=channel)
    return SeriesForecast(queue=queue, channel=channel, frame=frame, model=chosen, note=note, backtest=table, **scores)


def _series_calendar(y: np.ndarray, ts: pd.DatetimeIndex, calendar: Calendar, *, opening_text: str | None,
                     interval_minutes: int, short: bool) -> Calendar:
    """The series' calendar: the call's holidays and special days with the series' opening hours
    (``opening_text``, else learned from its history; any time open on one day is open every
    day when the history is too ``short`` to know the weekly pattern)."""
    if opening_text:
        opening = OpeningHours.parse(opening_text, interval_minutes=interval_minutes)
    else:
        opening = learn_opening_hours(y, ts, interval_minutes=interval_minutes)
        if short:  # too few weeks to know the weekly pattern: any time open on one day is open
            opening = OpeningHours(interval_minutes, np.tile(opening.mask.any(axis=0), (7, 1)))
    return Calendar(calendar.country, calendar.subdivision, calendar.special_days, opening)


def _chosen_model(y: np.ndarray, ts: pd.DatetimeIndex, cal: Calendar, *, method: str, interval_minutes: int,
                  windows: int, horizon_days: int) -> tuple[str, str, pd.DataFrame, dict]:
    """The model (``method``, or with ``"auto"`` the lowest backtest WAPE, or the ensemble of
    the best three when it beats it), the note when it is a fallback, the backtest table and
    the (actual, forecast) pairs per model."""
    candidates = ([m for m in AUTO_CANDIDATES if m != "mstl" or interval_minutes >= 30] if method == "auto"
                  else [method])
    table, pairs = pd.DataFrame(columns=BACKTEST_COLUMNS), {}
    if windows > 0:
        table, pairs = bt.backtest(y, ts, cal, models=candidates, windows=windows, horizon_days=horizon_days)
    if table.empty:
        chosen = "decomposition" if method == "auto" else method
        return chosen, ("history too short for a backtest window" if windows > 0 else "no backtest asked for"), table, pairs
    if bt.ranking(table).empty:
        return ("week_mean_4" if method == "auto" else method), "no contacts in the backtest windows", table, pairs
    chosen = bt.select(table) if method == "auto" else method
    if method == "auto":
        ens = bt.ensemble_candidate(table, pairs)
        if ens is not None and ens[1] < _pooled_wape(pairs[chosen]):
            chosen = ens[0]
            members = chosen[len("ensemble("):-1].split("+")
            pairs[chosen] = (pairs[members[0]][0], np.mean([pairs[m][1] for m in members], axis=0))
    return chosen, "", table, pairs


def _warn_unseen_days(model, cal: Calendar, future: pd.DatetimeIndex, *, queue: str, channel: str) -> None:
    """Warn when the horizon has holidays or eves the model never saw an example of."""
    unknown = []
    kinds = cal.day_kinds(future.normalize().unique())
    if (kinds == HOLIDAY).any() and model.examples[HOLIDAY] == 0:
        unknown += list(cal.holidays(future.normalize().unique()).values())
    if (kinds == EVE).any() and model.examples[EVE] == 0:
        unknown.append("holiday eves")
    if unknown:
        warnings.warn(f"queue {queue!r} channel {channel!r}: no past example of "
                      + ", ".join(sorted(set(unknown))) + " in the history; forecast from the "
                      "weekly pattern (give a special-days file to set the effect)", stacklevel=3)


def _backtest_scores(model, chosen: str, pairs: dict, table: pd.DataFrame) -> dict:
    """The ``chosen`` model's pooled backtest scores (:class:`SeriesForecast`'s ``wape``, ``bias``,
    ``daily_wape``, ``noise_floor``, ``coverage``, and ``windows``: the backtest's origins); NaN
    and 0 windows without a backtest of it."""
    scores = {"wape": np.nan, "bias": np.nan, "daily_wape": np.nan, "noise_floor": np.nan, "coverage": np.nan,
              "windows": 0}
    if chosen not in pairs:
        return scores
    a, f = pairs[chosen]
    scores.update(wape=metrics.wape(a, f), bias=metrics.bias(a, f),
                  noise_floor=metrics.noise_floor_wape(np.where(np.isnan(a), np.nan, f)),
                  windows=int(table["origin"].nunique()))
    daily = table[(table.level == "daily") & (table.model == chosen)]
    if len(daily):
        scores["daily_wape"] = float(daily["wape"].mean())
    # coverage of the calibrated 10-90% band on the backtest pairs (in-sample calibration)
    z_lo, z_hi = model.z
    scale = np.sqrt(f + 1 + model.kappa ** 2 * f ** 2)
    ok = ~np.isnan(a) & (f > 0)
    inside = (a[ok] >= np.maximum(f[ok] + z_lo * scale[ok], 0)) & (a[ok] <= f[ok] + z_hi * scale[ok])
    scores["coverage"] = float(inside.mean()) if ok.any() else np.nan
    return scores


def _pooled_wape(pair) -> float:
    return metrics.wape(*pair)


def dst_factor(ts: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Per local timestamp: 0 when it does not exist in ``timezone`` (spring forward), 2 when it
    occurs twice (fall back), else 1.

    Example:
        >>> dst_factor(pd.DatetimeIndex(["2024-03-31 02:30", "2024-10-27 02:30", "2024-10-28 02:30"]),
        ...            "Europe/Berlin").tolist()
        [0.0, 2.0, 1.0]
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ForecastInputError(f"timezone {timezone!r} is not a known IANA time zone") from None
    gap = ts.tz_localize(zone, nonexistent="NaT", ambiguous=np.ones(len(ts), bool)).isna()
    twice = ts.tz_localize(zone, nonexistent="shift_forward", ambiguous="NaT").isna()
    return np.where(gap, 0.0, np.where(twice, 2.0, 1.0))


def _validate(history: pd.DataFrame, start, days, interval_minutes, method,
              backtest_windows: int) -> pd.Timestamp:
    missing = {"interval_start", "offered"} - set(history.columns)
    if missing:
        raise ForecastInputError(f"history lacks column(s) {sorted(missing)}")
    if not isinstance(days, (int, np.integer)) or days < 1:
        raise ForecastInputError(f"days must be a whole number >= 1, got {days!r}")
    if interval_minutes not in SUPPORTED_MINUTES:
        raise ForecastInputError(f"interval_minutes must be one of {SUPPORTED_MINUTES}, got {interval_minutes!r}")
    try:
        ts = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise ForecastInputError(f"start {start!r} is not a date/time") from None
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    minutes = ts.hour * 60 + ts.minute
    if ts.second or ts.microsecond or ts.nanosecond or minutes % interval_minutes:
        raise ForecastInputError(f"start {start!r} is not on the {interval_minutes}-minute grid "
                         f"(e.g. {ts.floor(f'{interval_minutes}min')})")
    if backtest_windows < 0 or (method == "auto" and backtest_windows < 1):
        raise ForecastInputError(f"backtest_windows must be >= 1 with method auto (>= 0 otherwise), "
                         f"got {backtest_windows}")
    if method != "auto" and not method.startswith("ensemble(") and method not in MODELS:
        raise ForecastInputError(f"method {method!r} is not one of auto, {', '.join(MODELS)}")
    return ts


def forecast_frame(history: pd.DataFrame, *, start, days: int, interval_minutes: int,
                   country: str | None = None, subdivision: str | None = None,
                   method: str = "auto", special_days: Sequence[SpecialDay] | None = None,
                   opening_hours: str | None = None, backtest_windows: int = 6,
                   horizon_days: int | None = None,
                   progress: Progress | None = None,
                   max_workers: int | None = None, timezone: str | None = None,
                   executor: Executor | None = None) -> ForecastResult:
    """Forecast ``days`` days from ``start`` for every queue and channel of ``history``.

    Trains only on rows before ``start`` (local time, on the ``interval_minutes`` grid). With
    ``method="auto"`` each series gets the model (or ensemble of the best three) with the lowest
    WAPE over ``backtest_windows`` weekly rolling origins of ``horizon_days`` (default: ``days``,
    at most 14). ``country``/``subdivision`` select public holidays; ``special_days`` are the
    user's; ``opening_hours`` (e.g. ``"Mon-Fri 08:00-18:00"``) overrides the learned hours.
    ``progress`` (:class:`wfm_progress.Progress`) hears ``series 3/10`` as series finish.
    Series are Dask tasks on ``executor`` (:class:`execution.Executor`: an existing cluster, a
    local one or this process); without one, a local cluster of ``max_workers`` (default the
    machine's cores) is started for the call when there are several series, and closed after
    it. Results do not depend on where the series ran; a failing series raises
    :class:`execution.TaskFailed` naming its queue and channel. With ``timezone`` (IANA name of
    the local clock) the hour skipped by a spring-forward change forecasts 0 and the hour repeated at a
    fall-back change forecasts twice the volume (two real intervals share one local label, as
    they do in the history).
    """
    start_ts = _validate(history, start, days, interval_minutes, method, backtest_windows)
    hist = history.copy()
    hist["interval_start"] = pd.to_datetime(hist["interval_start"])
    if "queue" not in hist:
        hist["queue"] = "main"
    if "channel" not in hist:
        hist["channel"] = "voice"
    step = _step_minutes(hist["interval_start"])
    if interval_minutes % step:
        raise ForecastInputError(f"interval_minutes {interval_minutes} is not a multiple of the history's "
                         f"{step}-minute intervals")
    calendar = Calendar(country=country, subdivision=subdivision,
                        special_days=tuple(special_days or ()))
    train = hist[hist["interval_start"] < start_ts]
    if train.empty:
        raise ForecastInputError(f"history has no rows before start {start_ts}")
    horizon = horizon_days or min(days, 14)
    settings = dict(step=step, interval_minutes=interval_minutes, start=start_ts, days=int(days),
                    calendar=calendar, method=method, opening_text=opening_hours,
                    windows=backtest_windows, horizon_days=horizon)
    columns = [c for c in TASK_COLUMNS if c in train]
    jobs, labels, costs = [], [], []
    for key, rows in train.groupby(["queue", "channel"], sort=True):
        key = (str(key[0]), str(key[1]))
        jobs.append(dict(key=key, rows=rows[columns].reset_index(drop=True)))
        labels.append(f"queue {key[0]!r} channel {key[1]!r}")
        costs.append(series_cost(rows, start=start_ts, interval_minutes=interval_minutes, method=method,
                                 windows=backtest_windows))
    options = dict(common=(settings,), labels=labels, progress=within(progress, 0.0, 1.0, prefix="series "),
                   costs=costs, warm=TASK_MODULES)
    if executor is None:
        with Executor(workers=max_workers) as own:
            results = own.map(series_task, jobs, **options)
    else:
        results = executor.map(series_task, jobs, **options)
    for res in results:
        for message in res.warnings:
            warnings.warn(message, stacklevel=2)
    frame = pd.concat([r.frame for r in results], ignore_index=True)
    if timezone:
        factor = dst_factor(pd.DatetimeIndex(frame["interval_start"]), timezone)
        for col in ("forecast", "lo", "hi"):
            frame[col] = frame[col] * factor
    for col in ("forecast", "lo", "hi"):
        frame[col] = frame[col].round(4)  # the one rounding, at the end
    if "aht_s" in frame:
        frame["aht_s"] = frame["aht_s"].round(2)
    frame = frame[[c for c in FORECAST_COLUMNS + ["aht_s"] if c in frame]]
    selection = pd.DataFrame([r.selection_row() for r in results])
    tables = [r.backtest for r in results if len(r.backtest)]
    backtest = (pd.concat(tables, ignore_index=True) if tables else
                pd.DataFrame(columns=["queue", "channel", "model", "origin", "level", "wape"]))
    if len(backtest):
        backtest = backtest[["queue", "channel"] + [c for c in backtest if c not in ("queue", "channel")]]
    return ForecastResult(frame=frame, selection=selection, backtest=backtest)

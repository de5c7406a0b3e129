"""Intraday: today's forecast vs actual, the re-forecast of the rest of the day, the staffing gap.

Everything is measured against the forecast snapshot the stored plan (and so the roster)
was built from, per channel, on the plan's interval grid (actuals at a finer grid are
summed; only complete intervals count as "so far").

Re-forecast of the rest of the day, per channel: **the learned update**
(:mod:`forecasting.intraday`) when the plan's history can be read - how the plan's model's
errors in the morning carried into the afternoon over the 16 weeks before the plan (level,
shape factors or the within-day covariance, the method chosen by backtest on those days),
with its 10-90 % band - else the damped ratio below (with a note saying why).

**Damped ratio.** The day's multiplier ``m`` has a Gamma prior with mean 1 and strength
``k`` contacts (``k = max(30, prior_share x the day's forecast)``); after ``A`` actual
contacts against ``F`` forecast so far its posterior is Gamma(A + k, F + k), with mean
``(A + k) / (F + k)``. Early in the day the ratio is damped towards 1; as volume comes in it
takes over. Each remaining interval's forecast ``f`` becomes ``m f``, and its 10-90 % range
is that of the Poisson-Gamma (negative binomial) count, so it covers both the unknown level
and arrival noise. (The summary's ``multiplier`` is this ratio, shown in either case.)

Required agents under the re-forecast come from the same service targets as the plan; the
gap is scheduled (net of breaks) minus required; the projected service level is the Erlang
value of the scheduled coverage under the re-forecast.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy.exc import SQLAlchemyError

from wfm_errors import InputError
from forecasting.api import aggregate
from forecasting.calendar import Calendar, read_special_days
from forecasting.intraday import MODEL_COLUMNS, SAME_KIND_PRIOR_KINDS, IntradayModel, fit_intraday_model, past_forecasts
from planner.pipeline import requirements_stage
from planner.service import expected_service
from planner.staffing import staffing_from_mapping
from planner.store import Store

PRIOR_SHARE = 0.15
MIN_PRIOR = 30.0
#: fitted intraday models per (store identity, forecast or plan, channel): fitting takes seconds, a page refresh should not
_MODELS: dict[tuple[str, str, str], IntradayModel | str] = {}
#: the plan table that keeps the fitted intraday models (per channel)
MODEL_TABLE = "intraday_models"
_FITTING: dict[tuple[str, str], threading.Lock] = {}  # one lock per plan's models: one thread fits, the others wait
_FITTING_GUARD = threading.Lock()


ACTUALS_PREFIX = "actuals_"
_FILE_SUFFIXES = (".gz", ".zip", ".csv", ".tsv", ".txt", ".xlsx", ".xls", ".json", ".parquet")


def actuals_dataset_name(filename: str) -> str:
    """The dataset name an uploaded actuals file is stored under: ``actuals_`` and the file's
    name without its extensions, never the prefix twice, only letters, digits and ``._-``.

    Example:
        >>> actuals_dataset_name("actuals_2025-06-03.csv"), actuals_dataset_name("ACD today.csv.gz")
        ('actuals_2025-06-03', 'actuals_ACD_today')
    """
    import re

    stem = Path(str(filename)).name
    lowered = stem.lower()
    while lowered.endswith(_FILE_SUFFIXES):
        cut = next(len(x) for x in _FILE_SUFFIXES if lowered.endswith(x))
        stem, lowered = stem[:-cut], lowered[:-cut]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    while stem.lower() == "actuals" or stem.lower().startswith(("actuals_", "actuals-", "actuals.")):
        stem = stem[len("actuals"):].strip("._-")
    return ACTUALS_PREFIX + (stem or "upload")


@dataclass(frozen=True)
class PlanWeek:
    """A stored plan's dates: ``first_day`` .. ``last_day`` (local dates, both included)."""

    plan_id: int
    name: str
    first_day: pd.Timestamp
    last_day: pd.Timestamp


def plan_weeks(store: Store) -> list[PlanWeek]:
    """Every stored plan's dates, oldest first."""
    weeks = []
    for plan_id in store.list_plans()["id"].tolist():
        info = store.plan(int(plan_id))
        config, summary = info.config, info.summary
        start = pd.Timestamp(config.get("start") or summary.get("week_start")).normalize()
        days = int(config.get("days") or summary.get("days") or 7)
        weeks.append(PlanWeek(int(plan_id), str(info.name or summary.get("name") or ""), start,
                              start + pd.Timedelta(days=days - 1)))
    return weeks


def actuals_outside_plans(store: Store, actuals: pd.DataFrame) -> str | None:
    """A warning, in words, when some days of ``actuals`` (``interval_start``) lie in no stored
    plan's dates (intraday compares actuals only with a plan's forecast); None when every
    day is covered."""
    if actuals.empty:
        return None
    days = pd.DatetimeIndex(pd.to_datetime(actuals["interval_start"]).dt.normalize().unique()).sort_values()
    weeks = plan_weeks(store)
    covered = np.zeros(len(days), dtype=bool)
    for week in weeks:
        covered |= (days >= week.first_day) & (days <= week.last_day)
    if covered.all():
        return None
    outside = days[~covered]
    span = f"{outside[0]:%a %Y-%m-%d}" + (f" .. {outside[-1]:%a %Y-%m-%d}" if len(outside) > 1 else "")
    what = (f"{len(outside)} of their {len(days)} days ({span}) are" if covered.any()
            else f"they are dated {span},")
    if not weeks:
        return f"These actuals can't be compared with a forecast yet: {what} and there is no plan in the store."
    listed = "; ".join(f"plan {w.plan_id}: {w.first_day:%Y-%m-%d} .. {w.last_day:%Y-%m-%d}" for w in weeks[-3:])
    more = f" (and {len(weeks) - 3} older)" if len(weeks) > 3 else ""
    return (f"These actuals were stored, but {what} outside every plan's dates ({listed}{more}), so intraday "
            "can't compare them with a forecast. Check the file's dates, or build a plan for those days.")


@dataclass(frozen=True)
class IntradayResult:
    """Tables for one day: ``intervals`` (per interval and channel), ``summary`` per channel."""

    date: pd.Timestamp
    plan_id: int
    now: pd.Timestamp | None  # end of the last complete interval with actuals
    intervals: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def actuals_on_grid(actuals: pd.DataFrame, *, date: pd.Timestamp, interval_minutes: int) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """Actual offered per plan interval and channel on ``date``; incomplete last bucket dropped."""
    day = actuals[(actuals["interval_start"] >= date) & (actuals["interval_start"] < date + pd.Timedelta(days=1))].copy()
    if day.empty:
        return pd.DataFrame(columns=["interval_start", "channel", "actual"]), None
    step = _step_minutes(actuals["interval_start"]) or interval_minutes
    if interval_minutes % step:
        raise InputError(f"actuals: {step}-minute intervals don't add up to the plan's {interval_minutes}-minute intervals")
    day["bucket"] = day["interval_start"].dt.floor(f"{interval_minutes}min")
    grouped = day.groupby(["bucket", "channel"]).agg(actual=("offered", "sum"), parts=("offered", "size")).reset_index()
    complete = grouped[grouped["parts"] >= interval_minutes // step]
    frame = complete.rename(columns={"bucket": "interval_start"})[["interval_start", "channel", "actual"]]
    now = frame["interval_start"].max() + pd.Timedelta(minutes=interval_minutes) if len(frame) else None
    return frame, now


def _step_minutes(times: pd.Series) -> int | None:
    values = np.sort(pd.to_datetime(times).unique())
    if len(values) < 2:
        return None
    diffs = np.diff(values).astype("timedelta64[m]").astype(int)
    diffs = diffs[diffs > 0]
    return int(np.min(diffs)) if len(diffs) else None


def damped_reforecast(forecast: np.ndarray, actual_so_far: float, forecast_so_far: float, day_forecast: float,
                      *, quantiles: tuple[float, float] = (0.1, 0.9)) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Posterior multiplier and per-interval mean, lo, hi for the remaining intervals.

    >>> m, mean, lo, hi = damped_reforecast(np.array([100.0]), 1200.0, 1000.0, 2000.0)
    >>> round(m, 3), bool(lo[0] < mean[0] < hi[0])
    (1.154, True)
    """
    k = max(MIN_PRIOR, PRIOR_SHARE * day_forecast)
    shape, rate = actual_so_far + k, forecast_so_far + k
    multiplier = shape / rate
    mean = multiplier * forecast
    # count ~ Poisson(m f), m ~ Gamma(shape, rate) -> negative binomial(shape, rate / (rate + f))
    p = rate / (rate + np.maximum(forecast, 1e-12))
    lo = stats.nbinom.ppf(quantiles[0], shape, p)
    hi = stats.nbinom.ppf(quantiles[1], shape, p)
    zero = forecast <= 0
    return multiplier, mean, np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)


def intraday(
    date: str | pd.Timestamp,
    *,
    store: Store | None = None,
    plan_id: int | None = None,
    actuals_dataset: str | None = None,
) -> IntradayResult:
    """Forecast vs actual so far, re-forecast, staffing gap and projected service for ``date``.

    Steps: the plan's tables for the day (:func:`_plan_day`), the actuals on the plan's grid,
    each channel's re-forecast (:func:`_channel_reforecast`), the staffing gap and the
    projected service per channel (:func:`_with_projected_service`)."""
    store = store or Store.open()
    date = pd.Timestamp(date).normalize()
    plan_id = plan_id or _plan_covering(store, date)
    config = store.plan(plan_id).config
    interval_minutes = int(config["interval_minutes"])
    forecast, coverage, day_forecast = _plan_day(store, plan_id, date)
    models = learned_models(store, plan_id, config, forecast, notes := [])
    actual_rows = store.actuals(actuals_dataset)
    actual, now = actuals_on_grid(actual_rows, date=date, interval_minutes=interval_minutes)
    if now is None:
        notes.append(f"no actuals for {date:%Y-%m-%d} yet: the re-forecast is the plan's forecast")
    per_channel = day_forecast.groupby(["interval_start", "channel"], as_index=False).agg(
        forecast=("forecast", "sum"), lo=("lo", "sum"), hi=("hi", "sum")
    )
    frame = per_channel.merge(actual, on=["interval_start", "channel"], how="left")
    targets = staffing_from_mapping(config["staffing"], source=f"plan {plan_id} staffing")
    parts, summary_rows = [], []
    for channel, rows in frame.groupby("channel", sort=True):
        part, summary_row = _channel_reforecast(rows, channel, now=now, date=date, model=models.get(channel), config=config,
                                                forecast=forecast, actual_rows=actual_rows)
        parts.append(part)
        summary_rows.append(summary_row)
    intervals = _staffing_gap(pd.concat(parts, ignore_index=True), coverage, targets, interval_minutes)
    intervals, summary = _with_projected_service(intervals, pd.DataFrame(summary_rows))
    return IntradayResult(date=date, plan_id=plan_id, now=now, intervals=intervals, summary=summary, notes=notes)


def _plan_day(store: Store, plan_id: int, date: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plan ``plan_id``'s forecast (every day), coverage and the forecast rows of ``date``;
    ``InputError`` when the plan has no forecast for it."""
    forecast = store.plan_table(plan_id, "forecast")
    forecast["interval_start"] = pd.to_datetime(forecast["interval_start"])
    coverage = store.plan_table(plan_id, "coverage")
    coverage["interval_start"] = pd.to_datetime(coverage["interval_start"])
    day_forecast = forecast[(forecast["interval_start"] >= date) & (forecast["interval_start"] < date + pd.Timedelta(days=1))]
    if day_forecast.empty:
        raise InputError(f"--date {date:%Y-%m-%d}: plan {plan_id} has no forecast for that day")
    return forecast, coverage, day_forecast


def _channel_reforecast(rows: pd.DataFrame, channel: str, *, now: pd.Timestamp | None, date: pd.Timestamp, model,
                        config: dict, forecast: pd.DataFrame, actual_rows: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One channel's day (``interval_start, forecast, lo, hi, actual`` rows): the intervals seen
    so far, the damped ratio update and, with a learned ``model``, its update (the day's calendar
    kind, the previous days' prior when the model keeps one, and on a bridge day the prior from
    the plan's bridge days before it). Returns the rows with the re-forecast columns and the
    channel's summary row."""
    rows = rows.sort_values("interval_start").copy()
    seen = rows["actual"].notna().to_numpy()
    if now is not None:
        seen = seen & (rows["interval_start"] < now).to_numpy()
    f = rows["forecast"].to_numpy(dtype=float)
    a = rows["actual"].fillna(0.0).to_numpy(dtype=float)
    actual_so_far, forecast_so_far = float(a[seen].sum()), float(f[seen].sum())
    multiplier, mean, lo, hi = damped_reforecast(f, actual_so_far, forecast_so_far, float(f.sum()))
    ref = mean.copy()
    method = "damped"
    if isinstance(model, IntradayModel):
        kind = int(_plan_calendar(config).intraday_kinds([date])[0])
        previous = (previous_days(forecast, actual_rows, channel, date, model, _plan_calendar(config))
                    if model.previous_weight > 0 and kind == 0 else None)
        same_kind = (previous_days(forecast, actual_rows, channel, date, model, _plan_calendar(config), kind=kind)
                     if kind in SAME_KIND_PRIOR_KINDS else None)
        update = _learned_update(model, rows["interval_start"], f, np.where(seen, a, np.nan), date, day_kind=kind,
                                 previous=previous, same_kind=same_kind)
        if update is not None:
            ref, lo, hi, method = update
    rows["seen"] = seen
    rows["cum_forecast"] = np.cumsum(np.where(seen, f, 0.0))
    rows["cum_actual"] = np.cumsum(np.where(seen, a, 0.0))
    rows["actual"] = np.where(seen, a, np.nan)
    rows["ratio_reforecast"] = np.where(seen, np.nan, mean)
    rows["method"] = method
    rows["reforecast"] = np.where(seen, a, ref)
    rows["reforecast_lo"] = np.where(seen, a, lo)
    rows["reforecast_hi"] = np.where(seen, a, hi)
    errors = np.abs(f[seen] - a[seen])
    summary_row = {
        "channel": channel,
        "intervals_so_far": int(seen.sum()),
        "actual_so_far": actual_so_far,
        "forecast_so_far": forecast_so_far,
        "wape_so_far": float(errors.sum() / actual_so_far) if actual_so_far > 0 else float("nan"),
        "bias_so_far": float((f[seen] - a[seen]).sum() / actual_so_far) if actual_so_far > 0 else float("nan"),
        "multiplier": multiplier,
        "method": method,
        "day_forecast": float(f.sum()),
        "day_reforecast": float(np.where(seen, a, ref).sum()),
    }
    return rows, summary_row


def _with_projected_service(intervals: pd.DataFrame, summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary with each channel's short intervals and projected service level over the
    rest of the day (volume-weighted); the intervals without the weighting columns."""
    remaining = intervals[~intervals["seen"]]
    gap_by_channel = remaining.groupby("channel").agg(
        short_intervals=("gap", lambda g: int((g < -1e-6).sum())),
        projected_service_level=("projected_sl_weighted", "sum"),
        remaining_volume=("reforecast_for_sl", "sum"),
    )
    gap_by_channel["projected_service_level"] = gap_by_channel["projected_service_level"] / gap_by_channel["remaining_volume"].where(
        gap_by_channel["remaining_volume"] > 0
    )
    summary = summary.merge(gap_by_channel.reset_index(), on="channel", how="left")
    return intervals.drop(columns=["projected_sl_weighted", "reforecast_for_sl"]), summary


def learn_models(store: Store, plan_id: int) -> list[str]:
    """Fit the intraday models of plan ``plan_id`` now (kept in this process, as :func:`intraday`
    does on first use: seconds on a real history); the notes name the channels without one and why.
    ``planner app`` calls it before its server forks its workers, which inherit the models."""
    info = store.plan(plan_id)
    notes: list[str] = []
    learned_models(store, plan_id, info.config, store.plan_table(plan_id, "forecast"), notes)
    return notes


def learned_models(store: Store, plan_id: int, config: dict, forecast: pd.DataFrame, notes: list[str]) -> dict[str, Any]:
    """Per channel, the intraday model fitted on the plan's history before its start, or a note
    why there is none (the damped ratio is used then). Fitting refits the plan's model at 16
    weekly origins (minutes); the result is kept in memory and with the plan in the store
    (table :data:`MODEL_TABLE`, copied to re-planned versions), so later calls - another
    page, another process, ``planner intraday --replan`` - read it instead."""
    forecast_id = store.plan(plan_id).forecast_id  # a re-planned version shares its forecast
    key = (store.identity, f"forecast {forecast_id}" if forecast_id else f"plan {plan_id}")
    channels = sorted(forecast["channel"].unique())
    if not all((*key, c) in _MODELS for c in channels):
        with _FITTING_GUARD:
            lock = _FITTING.setdefault(key, threading.Lock())
        with lock:  # a server's threads asking at once (every page load of a fresh worker) fit them once, not each
            if not all((*key, c) in _MODELS for c in channels):
                found = _stored_models(store, plan_id, channels)
                if found is None:
                    found = fit_models(store, config, forecast, channels)
                    try:
                        store.save_plan_table(plan_id, MODEL_TABLE, models_frame(found))
                    except SQLAlchemyError:  # another process kept its fit first (or the store is read-only): only a cache
                        pass
                for c, m in found.items():
                    _MODELS[(*key, c)] = m
    out = {c: _MODELS[(*key, c)] for c in channels}
    for channel, model in out.items():
        if isinstance(model, str):
            notes.append(f"{channel}: {model}; the re-forecast is the damped ratio")
    return out


def models_frame(models: dict[str, IntradayModel | str]) -> pd.DataFrame:
    """Per channel, the fitted model's table (:meth:`IntradayModel.to_frame`) or the note why
    there is none (``field`` = "note"), in one long table: ``channel`` + :data:`MODEL_COLUMNS`."""
    parts = []
    for channel, model in sorted(models.items()):
        part = (model.to_frame() if isinstance(model, IntradayModel)
                else pd.DataFrame({"field": ["note"], "row": [0], "col": [0], "value": [np.nan], "text": [str(model)]}))
        parts.append(part.assign(channel=channel))
    if not parts:
        return pd.DataFrame(columns=["channel", *MODEL_COLUMNS])
    return pd.concat(parts, ignore_index=True)[["channel", *MODEL_COLUMNS]]


def _stored_models(store: Store, plan_id: int, channels: list[str]) -> dict[str, Any] | None:
    """The models kept with the plan (None when it has none for every channel yet)."""
    if MODEL_TABLE not in store.plan(plan_id).tables:
        return None
    table = store.plan_table(plan_id, MODEL_TABLE)
    if not set(channels) <= set(table["channel"]):
        return None
    out: dict[str, Any] = {}
    for channel in channels:
        rows = table[table["channel"] == channel]
        note = rows[rows["field"] == "note"]
        out[channel] = str(note["text"].iloc[0]) if len(note) else IntradayModel.from_frame(rows)
    return out


def forget_models() -> None:
    """Drop the intraday models kept in this process (as a new process starts with none): the
    next :func:`learned_models` reads the ones kept with the plan in the store, or fits them."""
    _MODELS.clear()


def fit_models(store: Store, config: dict, forecast: pd.DataFrame, channels: list[str]) -> dict[str, Any]:
    """Per channel of ``channels``, the intraday model fitted on the plan's history (``config``:
    the plan's config as stored; its ``history`` file or ``dataset``) before the plan's start,
    learning from what the plan's forecasting model (``forecast``'s ``model``) forecast in past
    weeks when the channel has one queue; or the words why there is none (no history, an
    unreadable one, intervals that do not add up to the plan's ``interval_minutes``). Seconds
    to minutes of CPU on a real history: :func:`learned_models` calls it once per plan."""
    interval_minutes = int(config["interval_minutes"])
    start = pd.Timestamp(config["start"])
    try:
        if config.get("history"):
            from planner.io import load_history

            history = load_history(config["history"], timezone=config.get("timezone"))
        elif config.get("dataset"):
            history = store.dataset(config["dataset"])
        else:
            return {c: "the plan names no history to learn from" for c in channels}
    except (OSError, ValueError) as exc:
        return {c: f"the plan's history could not be read ({exc})" for c in channels}
    if "channel" not in history:
        history = history.assign(channel="voice")
    history = history[pd.to_datetime(history["interval_start"]) < start]
    out: dict[str, Any] = {}
    for channel in channels:
        rows = history[history["channel"] == channel]
        if rows.empty:
            out[channel] = "no history for this channel"
            continue
        rows = rows.groupby("interval_start", as_index=False)["offered"].sum()
        rows["interval_start"] = pd.to_datetime(rows["interval_start"])
        step = _step_minutes(rows["interval_start"]) or interval_minutes
        if interval_minutes % step:
            out[channel] = f"history intervals of {step} min do not add up to {interval_minutes} min"
            continue
        ts, y, _ = aggregate(rows, step_minutes=step, interval_minutes=interval_minutes, end=start)
        models = forecast.loc[forecast["channel"] == channel, ["queue", "model"]].drop_duplicates()
        baseline = None
        if len(models) == 1:  # one queue: learn from what its model forecast in the past weeks
            try:
                baseline = past_forecasts(y, ts, model=str(models["model"].iloc[0]), interval_minutes=interval_minutes,
                                          country=config.get("country"))
            except ValueError:
                baseline = None
        out[channel] = fit_intraday_model(y, ts, interval_minutes=interval_minutes, baseline=baseline,
                                          calendar=_plan_calendar(config))
    return out


def _plan_calendar(config: dict) -> Calendar:
    """The plan's holidays and special days (what its forecast used), for the day kinds."""
    path = config.get("special_days")
    special = read_special_days(path) if path and Path(path).exists() else ()
    return Calendar(config.get("country") or None, config.get("subdivision") or None, special)


def previous_days(forecast: pd.DataFrame, actual_rows: pd.DataFrame, channel: str, date: pd.Timestamp,
                   model: IntradayModel, calendar: Calendar, *, kind: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """``(forecasts, actuals)``, days x the model's slots, of the plan's days of ``kind`` (a
    :meth:`~forecasting.calendar.Calendar.intraday_kinds` value; 0 = ordinary) before ``date``
    (from the plan's first day; none from ``date`` or later) with actuals for the channel; None
    without any. The model's prior for today comes from these."""
    times = pd.to_datetime(forecast["interval_start"])
    first = times.min().normalize()
    days = pd.date_range(first, date - pd.Timedelta(days=1), freq="D") if date > first else []
    if not len(days):
        return None
    kinds = calendar.intraday_kinds(days)
    fs, acts = [], []
    for day, day_kind in zip(days, kinds):
        if day_kind != kind:
            continue
        grid, _ = actuals_on_grid(actual_rows, date=day, interval_minutes=model.interval_minutes)
        grid = grid[grid["channel"] == channel]
        if grid.empty:
            continue
        rows = forecast[(forecast["channel"] == channel) & (times >= day) & (times < day + pd.Timedelta(days=1))]
        per = rows.groupby("interval_start")["forecast"].sum()
        f = np.zeros(model.slots)
        a = np.full(model.slots, np.nan)
        f_slots = ((pd.to_datetime(per.index) - day) / pd.Timedelta(minutes=model.interval_minutes)).to_numpy().astype(int)
        a_slots = ((pd.to_datetime(grid["interval_start"]) - day) / pd.Timedelta(minutes=model.interval_minutes)).to_numpy().astype(int)
        f[f_slots] = per.to_numpy(dtype=float)
        a[a_slots] = grid["actual"].to_numpy(dtype=float)
        fs.append(f)
        acts.append(a)
    return (np.array(fs), np.array(acts)) if fs else None


def _learned_update(model: IntradayModel, times: pd.Series, forecast: np.ndarray, actual: np.ndarray,
                    date: pd.Timestamp, *, day_kind: int = 0,
                    previous: tuple[np.ndarray, np.ndarray] | None = None,
                    same_kind: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """The model's update on the day's slots (the plan's rows may skip closed intervals): mean,
    lo, hi and the method that made it."""
    slots = ((pd.to_datetime(times) - date) / pd.Timedelta(minutes=model.interval_minutes)).to_numpy().astype(int)
    if (slots < 0).any() or (slots >= model.slots).any():
        return None
    f = np.zeros(model.slots)
    a = np.full(model.slots, np.nan)
    f[slots] = forecast
    a[slots] = actual
    update = model.update(f, a, day_kind=day_kind, previous=previous, same_kind=same_kind, weekday=date.day_of_week)
    return update.mean[slots], update.lo[slots], update.hi[slots], update.method


def _staffing_gap(intervals: pd.DataFrame, coverage: pd.DataFrame, targets, interval_minutes: int) -> pd.DataFrame:
    """Add required (under the re-forecast), scheduled, gap and projected service level."""
    reforecast = intervals.assign(queue="main", forecast=intervals["reforecast"].clip(lower=0.0), model="reforecast")[
        ["interval_start", "queue", "channel", "forecast", "model"]
    ]
    known = reforecast[reforecast["channel"].isin(list(targets))]
    required = requirements_stage(known, targets, interval_minutes=interval_minutes, source="the plan's staffing")
    need = required.groupby(["interval_start", "channel"], as_index=False)["required_agents"].sum()
    merged = intervals.merge(need, on=["interval_start", "channel"], how="left").merge(
        coverage[["interval_start", "channel", "scheduled"]], on=["interval_start", "channel"], how="left"
    )
    merged["scheduled"] = merged["scheduled"].fillna(0.0)
    merged["required_agents"] = merged["required_agents"].fillna(0.0)
    merged["gap"] = merged["scheduled"] - merged["required_agents"]
    cover = merged[["interval_start", "channel", "required_agents", "scheduled"]].rename(columns={"required_agents": "required"})
    service = expected_service(cover, required, targets, interval_minutes=interval_minutes)
    merged = merged.merge(service[["interval_start", "channel", "service_level"]].rename(columns={"service_level": "projected_sl"}),
                          on=["interval_start", "channel"], how="left")
    merged["reforecast_for_sl"] = np.where(merged["projected_sl"].notna(), merged["reforecast"], 0.0)
    merged["projected_sl_weighted"] = merged["projected_sl"].fillna(0.0) * merged["reforecast_for_sl"]
    return merged


def _plan_covering(store: Store, date: pd.Timestamp) -> int:
    plans = store.list_plans()
    for plan_id in sorted(plans["id"], reverse=True):
        config = store.plan(int(plan_id)).config
        start = pd.Timestamp(config["start"])
        if start <= date < start + pd.Timedelta(days=int(config.get("days", 7))):
            return int(plan_id)
    raise InputError(f"--date {date:%Y-%m-%d}: no stored plan covers that day (run 'planner plan' for its week first)")


def summary_dict(result: IntradayResult) -> dict[str, Any]:
    """JSON-ready summary of an intraday result."""
    return {
        "date": f"{result.date:%Y-%m-%d}",
        "plan_id": result.plan_id,
        "now": result.now.isoformat() if result.now is not None else None,
        "notes": result.notes,
        "channels": result.summary.replace({np.nan: None}).to_dict("records"),
        "definitions": {
            "wape": "sum |forecast - actual| / sum actual over the intervals so far",
            "bias": "sum (forecast - actual) / sum actual (positive = over-forecast)",
            "reforecast": "learned update (forecasting.intraday; method per channel chosen by backtest on the 16 weeks "
            "before the plan): the morning's deviation from the plan carried into the rest of the day; range = 10-90 %; "
            "without the plan's history: remaining forecast x damped ratio (A + k) / (F + k)",
            "gap": "scheduled agents (net of breaks) - required agents under the re-forecast",
        },
    }

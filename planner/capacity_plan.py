"""Capacity plan over months (for finance): required vs available FTE per week, the hiring
plan that closes the gap, and cost per month. ``planner capacity`` runs it.

The chain, per channel:

1. **Forecast** the interval volumes (and handle time) of the whole horizon with the
   pipeline's forecast stage (:func:`planner.pipeline.forecast_stage`), one fixed fast model (default ``topdown_ets``: daily
   totals by damped-trend ETS times the weekday's intraday profile; ``decomposition`` is
   flat-level and faster), no backtest.
2. **Interval requirements** with the pipeline's requirements stage
   (:func:`planner.pipeline.requirements_stage`: Erlang C/A,
   chat concurrency, deferred work; ``required_agents`` is scheduled staff after shrinkage).
3. **Required FTE per week** = sum(required_agents x interval hours) over the week /
   ``paid_hours_per_fte_week``. Not a daily average: :func:`daily_average_fte` computes that
   naive number (the day's volume spread evenly over its open intervals) for comparison.
4. **Available FTE and the hiring plan** with :mod:`scheduling.capacity` (attrition per
   month compounded weekly, training, linear ramp, integer hiring classes).

``capacity.toml`` (see ``data/sample/capacity.toml``; paths relative to the file)::

    history = "history.csv.gz"        start = "2025-06-02" (a Monday)    weeks = 26 (13..52)
    interval_minutes = 30             country = "US"                     method = "topdown_ets"
    staffing = "staffing.toml"        (or an inline [staffing] table, same format)
    paid_hours_per_fte_week = 37.5    attrition_per_month = 0.02
    [hiring]  training_weeks, ramp_weeks, lead_time_weeks, min_class_size, max_class_size,
              class_every_weeks
    [cost]    hourly_cost (or annual_salary), hire_cost, class_cost
    [channel.voice]  headcount = 58   (+ any key above to override it for the channel)
    [[class]] start = "2025-06-16"    channel = "voice"    size = 6     (classes already planned)

Example:
    >>> config = load_capacity_config("data/sample/capacity.toml")       # doctest: +SKIP
    >>> result = capacity_plan(config)                                    # doctest: +SKIP
    >>> result.weekly.head()                                              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import CapacityError
from wfm_progress import Progress, quiet, within
from execution import Executor
from forecasting import MODELS
from planner.pipeline import forecast_stage, requirements_stage
from planner.toml_files import read_toml, resolve
from planner.writers import json_ready, write_csv, write_outputs, write_text
from planner.io import load_history
from planner.staffing import staffing_from_mapping
from scheduling.capacity import HiringClass, HiringPlan, HiringRules, plan_hiring
from scheduling.requirements import ServiceTarget
from scheduling.rules import GRIDS_MINUTES

__all__ = ["CapacityConfig", "CapacityResult", "load_capacity_config", "required_fte", "daily_average_fte",
           "capacity_plan", "write_capacity_outputs"]

INTERVALS = GRIDS_MINUTES  # owned by scheduling.rules
MIN_WEEKS, MAX_WEEKS = 13, 52
TOP_KEYS = {"name", "history", "start", "weeks", "interval_minutes", "country", "subdivision", "timezone",
            "method", "opening_hours", "staffing", "paid_hours_per_fte_week", "attrition_per_month",
            "time_limit_s", "hiring", "cost", "channel", "class"}
TOP_RULE_KEYS = {"paid_hours_per_fte_week", "attrition_per_month"}
HIRING_KEYS = {"training_weeks", "ramp_weeks", "lead_time_weeks", "min_class_size", "max_class_size",
               "class_every_weeks"}
COST_KEYS = {"hourly_cost", "annual_salary", "hire_cost", "class_cost"}
CHANNEL_KEYS = {"headcount"} | TOP_RULE_KEYS | HIRING_KEYS | COST_KEYS
WEEKLY_OUT = ["week", "channel", "required_fte", "available_fte", "gap_fte", "hires_starting", "in_training",
              "ramping", "headcount_fte", "required_hours", "hiring_can_close"]


@dataclass(frozen=True)
class CapacityConfig:
    """Everything :func:`capacity_plan` needs; build with :func:`load_capacity_config`."""

    name: str
    source: Path
    history: Path
    start: pd.Timestamp
    weeks: int
    interval_minutes: int
    staffing: dict[str, Any]
    rules: dict[str, HiringRules]
    starting_fte: dict[str, float]
    classes: tuple[HiringClass, ...] = ()
    country: str | None = None
    subdivision: str | None = None
    timezone: str | None = None
    method: str = "topdown_ets"
    opening_hours: str | None = None
    time_limit_s: float = 60.0

    @property
    def channels(self) -> list[str]:
        return sorted(self.rules)


@dataclass(frozen=True)
class CapacityResult:
    """The plan: ``weekly`` (one row per week and channel), ``hiring`` (classes), ``monthly``
    (cost per month and channel), ``summary`` (JSON-ready), plus the forecast and the
    interval requirements it came from."""

    config: CapacityConfig
    weekly: pd.DataFrame
    hiring: pd.DataFrame
    monthly: pd.DataFrame
    summary: dict[str, Any]
    forecast: pd.DataFrame = field(repr=False)
    requirements: pd.DataFrame = field(repr=False)
    plan: HiringPlan = field(repr=False)


# -- config ------------------------------------------------------------------------------------
def _number(where: str, key: str, value: Any, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise CapacityError(f"{where} {key} = {value!r}: must be a number >= {minimum:g}")
    return float(value)


def _table(data: Mapping[str, Any], key: str, source: Path, allowed: set[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise CapacityError(f"{source}: '{key}' must be a table ([{key}]), not {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise CapacityError(f"{source}: [{key}] unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return dict(value)


def _rules(values: Mapping[str, Any], where: str) -> HiringRules:
    """HiringRules from merged keys; ``annual_salary`` becomes an hourly cost."""
    values = dict(values)
    salary = values.pop("annual_salary", None)
    paid = values.get("paid_hours_per_fte_week", HiringRules.paid_hours_per_fte_week)
    if salary is not None:
        _number(where, "annual_salary", salary)
        _number(where, "paid_hours_per_fte_week", paid, minimum=1e-9)
        values["hourly_cost"] = float(salary) / (52.0 * float(paid))
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CapacityError(f"{where} {key} = {value!r}: must be a number")
    try:
        return HiringRules(**values)
    except ValueError as exc:
        raise CapacityError(f"{where} {exc}") from None


def _date(value: Any, where: str, key: str) -> pd.Timestamp:
    if isinstance(value, dt.datetime) or isinstance(value, dt.date):
        return pd.Timestamp(value)
    if isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value.strip()[:10]))
        except ValueError:
            pass
    raise CapacityError(f"{where} {key} = {value!r}: must be a date like 2025-06-02")


def _channel_rules(channels: Any, defaults: dict[str, Any], targets: Mapping[str, Any], *, where: str,
                   staffing_source: str) -> tuple[dict[str, HiringRules], dict[str, float]]:
    """The ``[channel.NAME]`` tables of capacity.toml: each channel's hiring rules (the shared
    ``defaults`` with the channel's own values over them) and its starting headcount (FTE)."""
    if not isinstance(channels, Mapping) or not channels:
        raise CapacityError(f"{where} no [channel.NAME] tables: give at least one channel with its headcount")
    rules: dict[str, HiringRules] = {}
    starting: dict[str, float] = {}
    for name, table in channels.items():
        cwhere = f"{where} [channel.{name}]"
        if not isinstance(table, Mapping):
            raise CapacityError(f"{cwhere} must be a table")
        bad = sorted(set(table) - CHANNEL_KEYS)
        if bad:
            raise CapacityError(f"{cwhere} unknown key {bad[0]!r} (known: {', '.join(sorted(CHANNEL_KEYS))})")
        if name not in targets:
            raise CapacityError(f"{cwhere} has no service target in {staffing_source} "
                             f"(targets for: {', '.join(sorted(targets))})")
        if "headcount" not in table:
            raise CapacityError(f"{cwhere} 'headcount' is missing: the FTE employed at the start")
        starting[name] = _number(cwhere, "headcount", table["headcount"])
        pay_keys = {"hourly_cost", "annual_salary"}
        merged = {k: v for k, v in defaults.items() if not (k in pay_keys and pay_keys & set(table))}
        merged.update({k: v for k, v in table.items() if k != "headcount"})
        if "hourly_cost" in table and "annual_salary" in table:
            raise CapacityError(f"{cwhere} give hourly_cost or annual_salary, not both")
        rules[name] = _rules(merged, cwhere)
    return rules, starting


def _fixed_classes(items: Any, rules: Mapping[str, HiringRules], *, start: pd.Timestamp, weeks: int,
                   where: str) -> tuple[HiringClass, ...]:
    """The ``[[class]]`` tables of capacity.toml: hiring classes already decided (``fixed``),
    each on a channel of ``rules`` and starting before the plan's last week."""
    classes = []
    if not isinstance(items, list):
        raise CapacityError(f"{where} 'class' must be a list of [[class]] tables")
    for i, item in enumerate(items, start=1):
        cwhere = f"{where} [[class]] #{i}"
        if not isinstance(item, Mapping):
            raise CapacityError(f"{cwhere} must be a table")
        bad = sorted(set(item) - {"start", "channel", "size"})
        if bad:
            raise CapacityError(f"{cwhere} unknown key {bad[0]!r} (known: start, channel, size)")
        for key in ("start", "channel", "size"):
            if key not in item:
                raise CapacityError(f"{cwhere} '{key}' is missing")
        if item["channel"] not in rules:
            raise CapacityError(f"{cwhere} channel = {item['channel']!r}: not one of the [channel.NAME] tables "
                             f"({', '.join(sorted(rules))})")
        size = _number(cwhere, "size", item["size"], minimum=1e-9)
        when = _date(item["start"], cwhere, "start")
        if when >= start + pd.Timedelta(weeks=weeks):
            raise CapacityError(f"{cwhere} start = {item['start']!s}: after the plan's last week")
        classes.append(HiringClass(start=when, channel=str(item["channel"]), size=size, fixed=True))
    return tuple(classes)


def load_capacity_config(path: str | Path) -> CapacityConfig:
    """Read and check ``capacity.toml``; every error names the file, the table, the key and
    the value (``ValueError``), or says the file is missing (``OSError``)."""
    source = Path(path)
    data = read_toml(source)
    where = f"{source}:"
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise CapacityError(f"{where} unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})")
    history_value = data.get("history")
    if not isinstance(history_value, str) or not history_value:
        raise CapacityError(f"{where} 'history' is missing: give the path of the history file")
    history = resolve(source, history_value)
    if not history.exists():
        raise CapacityError(f"{where} history = {history_value!r}: no such file ({history})")
    if "start" not in data:
        raise CapacityError(f"{where} 'start' is missing: the Monday the plan starts")
    start = _date(data["start"], where, "start")
    if start.weekday() != 0:
        raise CapacityError(f"{where} start = {data['start']!s}: must be a Monday (it is a {start:%A})")
    weeks = data.get("weeks", 26)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise CapacityError(f"{where} weeks = {weeks!r}: must be a whole number from {MIN_WEEKS} to {MAX_WEEKS}")
    interval = data.get("interval_minutes", 30)
    if interval not in INTERVALS or isinstance(interval, bool):
        raise CapacityError(f"{where} interval_minutes = {interval!r}: must be one of {', '.join(map(str, INTERVALS))}")
    method = data.get("method", "topdown_ets")
    methods = [m for m in MODELS if m != "ensemble"]
    if method not in methods:
        raise CapacityError(f"{where} method = {method!r}: must be one of {', '.join(methods)}")
    for key in ("country", "subdivision", "timezone", "opening_hours", "name"):
        if key in data and not isinstance(data[key], str):
            raise CapacityError(f"{where} {key} = {data[key]!r}: must be text")
    time_limit = _number(where, "time_limit_s", data.get("time_limit_s", 60.0), minimum=1.0)

    staffing_value = data.get("staffing")
    if isinstance(staffing_value, Mapping):
        staffing, staffing_source = dict(staffing_value), f"{source} [staffing]"
    elif isinstance(staffing_value, str):
        staffing_path = resolve(source, staffing_value)
        staffing, staffing_source = read_toml(staffing_path), str(staffing_path)
    else:
        raise CapacityError(f"{where} 'staffing' is missing: give a path to staffing.toml or an inline [staffing] table")
    targets = staffing_from_mapping(staffing, source=staffing_source)

    defaults: dict[str, Any] = {k: data[k] for k in TOP_RULE_KEYS if k in data}
    defaults.update(_table(data, "hiring", source, HIRING_KEYS))
    cost = _table(data, "cost", source, COST_KEYS)
    if "hourly_cost" in cost and "annual_salary" in cost:
        raise CapacityError(f"{where} [cost] give hourly_cost or annual_salary, not both")
    defaults.update(cost)
    _rules(defaults, where)  # errors in the shared values are reported once, here

    rules, starting = _channel_rules(data.get("channel"), defaults, targets, where=where, staffing_source=staffing_source)
    classes = _fixed_classes(data.get("class", []), rules, start=start, weeks=weeks, where=where)
    return CapacityConfig(
        name=str(data.get("name", source.stem)), source=source, history=history, start=start, weeks=weeks,
        interval_minutes=interval, staffing=staffing, rules=rules, starting_fte=starting, classes=classes,
        country=data.get("country"), subdivision=data.get("subdivision"), timezone=data.get("timezone"),
        method=method, opening_hours=data.get("opening_hours"), time_limit_s=time_limit)


# -- required FTE --------------------------------------------------------------------------------
def _paid_hours(channel: str, paid_hours_per_fte_week: Mapping[str, float] | float) -> float:
    if isinstance(paid_hours_per_fte_week, Mapping):
        return float(paid_hours_per_fte_week[channel])
    return float(paid_hours_per_fte_week)


def _weekly_hours(reqs: pd.DataFrame, *, start: pd.Timestamp, weeks: int, interval_minutes: int,
                  paid_hours_per_fte_week: Mapping[str, float] | float) -> pd.DataFrame:
    times = pd.to_datetime(reqs["interval_start"])
    week_index = ((times - start) // pd.Timedelta(weeks=1)).astype(int)
    inside = (week_index >= 0) & (week_index < weeks)
    hours = reqs["required_agents"].to_numpy(dtype=float) * interval_minutes / 60.0
    frame = pd.DataFrame({"week": week_index[inside].to_numpy(), "channel": reqs["channel"][inside].astype(str).to_numpy(),
                          "required_hours": hours[inside.to_numpy()]})
    grid = pd.MultiIndex.from_product([range(weeks), sorted(frame["channel"].unique())], names=["week", "channel"])
    out = frame.groupby(["week", "channel"])["required_hours"].sum().reindex(grid, fill_value=0.0).reset_index()
    out["week_start"] = start + pd.to_timedelta(out["week"] * 7, unit="D")
    out["required_fte"] = [h / _paid_hours(c, paid_hours_per_fte_week) for h, c in zip(out["required_hours"], out["channel"])]
    return out[["week_start", "channel", "required_hours", "required_fte"]]


def required_fte(forecast: pd.DataFrame, targets: Mapping[str, ServiceTarget], *, start: Any, weeks: int,
                 interval_minutes: int, paid_hours_per_fte_week: Mapping[str, float] | float
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Required FTE per week and channel from interval requirements.

    Returns ``(weekly, requirements)``: ``weekly`` has ``week_start, channel, required_hours,
    required_fte`` where required_hours = sum over the week's intervals of
    ``required_agents`` (scheduled, after shrinkage) x interval hours and required_fte =
    required_hours / paid hours per FTE-week; ``requirements`` is the interval frame.

    Example:
        >>> weekly, _ = required_fte(forecast, targets, start="2025-06-02", weeks=13,
        ...                          interval_minutes=30, paid_hours_per_fte_week=37.5)  # doctest: +SKIP
    """
    reqs = requirements_stage(forecast, targets, interval_minutes=interval_minutes, source="capacity plan")
    weekly = _weekly_hours(reqs, start=pd.Timestamp(start), weeks=weeks, interval_minutes=interval_minutes,
                           paid_hours_per_fte_week=paid_hours_per_fte_week)
    return weekly, reqs


def daily_average_fte(forecast: pd.DataFrame, targets: Mapping[str, ServiceTarget], *, start: Any, weeks: int,
                      interval_minutes: int, paid_hours_per_fte_week: Mapping[str, float] | float) -> pd.DataFrame:
    """The naive number, for comparison: each day's volume spread evenly over the day's open
    intervals (forecast > 0), with the day's volume-weighted handle time, staffed by the same
    queueing model. Same columns as the weekly frame of :func:`required_fte`.

    It ignores the intraday peaks: staff planned this way are short at the peaks and idle in
    the valleys.
    """
    fc = forecast.reset_index(drop=True)
    fc["interval_start"] = pd.to_datetime(fc["interval_start"])
    volume = fc["forecast"].astype(float)
    keys = [fc["queue"], fc["channel"], fc["interval_start"].dt.normalize()]
    is_open = volume > 0
    total = volume.groupby(keys).transform("sum")
    n_open = is_open.groupby(keys).transform("sum")
    fc["forecast"] = np.where(is_open, total / n_open.where(n_open > 0, 1), 0.0)
    if "aht_s" in fc:
        aht = pd.to_numeric(fc["aht_s"], errors="coerce")
        known = volume.where(aht.notna(), 0.0)
        work_sum = (known * aht.fillna(0.0)).groupby(keys).transform("sum")
        known_sum = known.groupby(keys).transform("sum")
        fc["aht_s"] = np.where(is_open & (known_sum > 0), work_sum / known_sum.where(known_sum > 0, 1), np.nan)
    weekly, _ = required_fte(fc, targets, start=start, weeks=weeks, interval_minutes=interval_minutes,
                             paid_hours_per_fte_week=paid_hours_per_fte_week)
    return weekly


# -- the plan ------------------------------------------------------------------------------------
def capacity_plan(config: CapacityConfig, *, history: pd.DataFrame | None = None,
                  progress: Progress | None = None, executor: Executor | None = None) -> CapacityResult:
    """Forecast, required FTE per week, available FTE and the cheapest hiring plan.

    ``history`` (a History frame) replaces reading ``config.history`` (tests). ``progress``
    (:class:`wfm_progress.Progress`) is told each stage and the share of the plan done. The series forecasts run on ``executor``
    (:class:`execution.Executor`; default a local cluster for the call). Raises :class:`scheduling.capacity.HiringInfeasibleError`
    (a ``ValueError`` naming the weeks short) when no plan within the hiring rules closes the
    gap.
    """
    began = time.perf_counter()
    say = progress or quiet
    say("history", 0.0)
    if history is None:
        history = load_history(config.history, timezone=config.timezone)
    channels = config.channels
    present = set(history["channel"].astype(str)) if "channel" in history else {"voice"}
    missing = [c for c in channels if c not in present]
    if missing:
        raise CapacityError(f"{config.source}: [channel.{missing[0]}] has no rows in the history {config.history}")
    extra = sorted(present - set(channels))
    if extra:
        warnings.warn(f"{config.source}: history channel(s) {', '.join(extra)} have no [channel.NAME] table; "
                      f"left out of the capacity plan", stacklevel=2)
        history = history[history["channel"].astype(str).isin(channels)]
    say("forecast", 0.05)
    days = config.weeks * 7
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*no past example.*")
        fc = forecast_stage(history, start=config.start, days=days, interval_minutes=config.interval_minutes,
                            country=config.country, subdivision=config.subdivision, method=config.method,
                            opening_hours=config.opening_hours, backtest_windows=0, executor=executor,
                            progress=within(say, 0.05, 0.5, prefix="forecast "))
    say("requirements", 0.5)
    targets = staffing_from_mapping(config.staffing, source=f"{config.source} staffing")
    targets = {c: targets[c] for c in channels}
    paid = {c: config.rules[c].paid_hours_per_fte_week for c in channels}
    weekly_req, reqs = required_fte(fc.frame, targets, start=config.start, weeks=config.weeks,
                                    interval_minutes=config.interval_minutes, paid_hours_per_fte_week=paid)
    naive = daily_average_fte(fc.frame, targets, start=config.start, weeks=config.weeks,
                              interval_minutes=config.interval_minutes, paid_hours_per_fte_week=paid)
    say("hiring plan", 0.75)
    plan = plan_hiring(weekly_req[["week_start", "channel", "required_fte"]], rules=config.rules,
                       starting_fte=config.starting_fte, fixed_classes=config.classes,
                       time_limit_s=config.time_limit_s)
    say("tables", 0.95)
    weekly = plan.weekly.merge(weekly_req[["week_start", "channel", "required_hours"]], on=["week_start", "channel"])
    weekly = weekly.rename(columns={"week_start": "week"})[WEEKLY_OUT]
    summary = _summary(config, plan, weekly, naive, fc.frame, seconds=time.perf_counter() - began)
    result = CapacityResult(config=config, weekly=_rounded(weekly), hiring=_rounded(plan.hiring),
                            monthly=_rounded(plan.monthly), summary=summary, forecast=fc.frame,
                            requirements=reqs, plan=plan)
    say("done", 1.0)
    return result


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """The one rounding, for output: FTE and hours to 2 decimals, money to cents."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(2)
    for column in ("week", "start_week", "productive_from", "full_from"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    return out


def _summary(config: CapacityConfig, plan: HiringPlan, weekly: pd.DataFrame, naive: pd.DataFrame,
             forecast: pd.DataFrame, *, seconds: float) -> dict[str, Any]:
    per_channel = {}
    targets = staffing_from_mapping(config.staffing, source=f"{config.source} staffing")
    shrinkage = {c: float(t.shrinkage) for c, t in targets.items()}
    for channel in config.channels:
        w = weekly[weekly["channel"] == channel]
        n = naive[naive["channel"] == channel]
        chosen = plan.hiring[(plan.hiring["channel"] == channel) & ~plan.hiring["fixed"]]
        fixed = plan.hiring[(plan.hiring["channel"] == channel) & plan.hiring["fixed"]]
        unavoidable = plan.unavoidable[plan.unavoidable["channel"] == channel]
        money = plan.monthly[plan.monthly["channel"] == channel]
        rules = config.rules[channel]
        per_channel[channel] = {
            "starting_headcount_fte": config.starting_fte[channel],
            "ending_headcount_fte": round(float(w["headcount_fte"].iloc[-1]), 2),
            "required_fte_mean": round(float(w["required_fte"].mean()), 2),
            "required_fte_peak": round(float(w["required_fte"].max()), 2),
            "daily_average_fte_mean": round(float(n["required_fte"].mean()), 2),
            "forecast_contacts": round(float(forecast.loc[forecast["channel"] == channel, "forecast"].sum()), 1),
            "new_classes": int(len(chosen)), "new_hires": int(chosen["size"].sum()),
            "planned_hires": round(float(fixed["size"].sum()), 2),
            "weeks_short_unavoidable": int(len(unavoidable)),
            "unavoidable_short_fte_max": round(float(unavoidable["short_fte"].max()), 2) if len(unavoidable) else 0.0,
            "hourly_cost": round(rules.hourly_cost, 4),
            "attrition_per_month": rules.attrition_per_month,
            "paid_hours_per_fte_week": rules.paid_hours_per_fte_week,
            "training_weeks": rules.training_weeks, "ramp_weeks": rules.ramp_weeks,
            "lead_time_weeks": rules.lead_time_weeks, "hire_cost": rules.hire_cost, "class_cost": rules.class_cost,
            "shrinkage": shrinkage.get(channel),
            "total_cost": round(float(money["total_cost"].sum()), 2),
        }
    return json_ready({
        "name": config.name,
        "start": f"{config.start:%Y-%m-%d}",
        "weeks": config.weeks,
        "end": f"{config.start + pd.Timedelta(weeks=config.weeks) - pd.Timedelta(days=1):%Y-%m-%d}",
        "interval_minutes": config.interval_minutes,
        "forecast_method": config.method,
        "channels": per_channel,
        "total_cost": round(float(plan.monthly["total_cost"].sum()), 2),
        "new_hires": int(plan.hiring.loc[~plan.hiring["fixed"], "size"].sum()) if len(plan.hiring) else 0,
        "solver": {"status": plan.status, "objective": round(plan.objective, 2), "seconds": round(plan.seconds, 3)},
        "seconds": round(seconds, 2),
        "definitions": {
            "fte": "full-time equivalent: paid hours / paid_hours_per_fte_week (one person working the full "
                   "paid week is 1 FTE; two half-time people are 1 FTE)",
            "shrinkage": "share of paid time not available for contacts (breaks, meetings, training, absence), per "
                         "channel from staffing.toml; required agents = net agents from the queueing model / "
                         "(1 - shrinkage), so required FTE includes it",
            "attrition": "attrition_per_month: share of staff leaving per month, compounded weekly "
                         "((1 - attrition_per_month) ** (12/52) stay each week), applied to the starting "
                         "headcount and every class",
            "training_and_ramp": "a hire is paid from the class's first week, 0 productive for training_weeks, "
                                 "then r/(ramp_weeks+1) productive in ramp week r, then fully productive",
            "required_fte": "sum over the week's intervals of required_agents (scheduled staff after shrinkage, "
                            "from the queueing model per interval) x interval hours / paid_hours_per_fte_week",
            "daily_average_fte": "for comparison only: each day's volume spread evenly over its open intervals, "
                                 "same queueing model (ignores intraday peaks)",
            "available_fte": "productive FTE: starting headcount and hires after attrition "
                             "((1 - attrition_per_month) ** (12/52) per week), hires at 0 in training and "
                             "r/(ramp_weeks+1) in ramp week r",
            "gap_fte": "available_fte - required_fte (negative = short)",
            "hiring_can_close": "from this week a class started at the lead time is fully productive: no week "
                                "is short from here; earlier weeks: training weeks cannot be helped, in the "
                                "ramp-up weeks the shortfall is made as small as possible first (unavoidable rest "
                                "reported)",
            "cost": "headcount FTE x paid_hours_per_fte_week x hourly_cost (trainees included), plus hire_cost per "
                    "hire and class_cost per class in the month the class starts; prorated by day",
            "objective": "hire and class costs plus salary of the new hires to the end of the horizon",
        },
    })


def write_capacity_outputs(result: CapacityResult, folder: str | Path) -> None:
    """``weekly.csv``, ``hiring.csv``, ``monthly_cost.csv`` and ``summary.json`` into
    ``folder``, built aside and swapped in as a whole."""
    summary = json.dumps(result.summary, indent=2)
    write_outputs(Path(folder), {
        "weekly.csv": lambda p: write_csv(result.weekly, p),
        "hiring.csv": lambda p: write_csv(result.hiring, p),
        "monthly_cost.csv": lambda p: write_csv(result.monthly, p),
        "summary.json": lambda p: write_text(summary + "\n", p),
    })

"""Service targets per channel and the Requirements frame built from a forecast.

:class:`ServiceTarget` holds the goals of one channel (``[channel.X]`` of staffing.toml).
:func:`requirements` turns a Forecast frame (docs/architecture.md section 3) into the Requirements frame:

``interval_start, queue, channel, volume, aht_s, required_agents, workload_minutes,
due_minutes`` and, so that every number can be traced, ``net_agents, traffic_erlangs,
expected_sl, expected_asa_s, occupancy, p_abandon, shrinkage, model``.

* ``volume`` is the forecast contacts in the interval; ``aht_s`` the forecast handle time
  when the forecast has an ``aht_s`` column (per row; empty rows fall back), else the
  target's ``aht_s`` (seconds).
* ``net_agents`` (integer) is the fewest agents on the phones/desks: Erlang C for voice
  without ``patience_s``, Erlang A with it (:mod:`scheduling.erlang`); chat and messaging with
  ``concurrency`` sessions per agent (:mod:`scheduling.channels`); deferred channels (email,
  social, backoffice): the smallest constant staffing per open day that finishes every item
  within ``due_minutes`` open minutes. ``min_agents`` is the floor while open; an interval
  whose forecast is 0 is closed and needs 0.
* ``required_agents`` is the SCHEDULED requirement ``net_agents / (1 - shrinkage)``, a float
  rounded once to 6 decimals (so 14 / 0.7 is 20.0, not 20.000000000000004); round it up
  where whole people are needed.
* ``workload_minutes`` (agent-minutes of work arriving, ``volume * aht_s / 60``) and
  ``due_minutes`` are filled for deferred channels and empty (NaN) for immediate ones.
* ``expected_sl``, ``expected_asa_s``, ``occupancy``, ``p_abandon`` are the queueing model's
  values at ``net_agents`` (immediate channels; NaN for deferred), by the target's
  ``sl_definition``.

Example:
    >>> import pandas as pd
    >>> fc = pd.DataFrame({"interval_start": pd.to_datetime(["2025-06-02 09:00", "2025-06-02 09:30"]),
    ...                    "queue": "main", "channel": "voice", "forecast": [100.0, 0.0]})
    >>> t = {"voice": ServiceTarget(aht_s=180, target_sl=0.8, answer_s=20, shrinkage=0.3)}
    >>> requirements(fc, t)[["net_agents", "required_agents"]].values.tolist()
    [[14.0, 20.0], [0.0, 0.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import RequirementsError
from scheduling import channels as _channels
from scheduling import erlang

__all__ = ["ServiceTarget", "requirements", "REQUIREMENT_COLUMNS", "CHANNELS", "SERVICE_GOALS",
           "DEFAULT_MIN_INTERVAL_SL"]

#: what the service target is judged on: each interval, the volume-weighted day, or the week
SERVICE_GOALS = ("interval", "daily", "weekly")
#: the service floor of every open interval under a daily or weekly goal (capped at the target)
DEFAULT_MIN_INTERVAL_SL = 0.5

CHANNELS = _channels.IMMEDIATE_CHANNELS + _channels.DEFERRED_CHANNELS
REQUIREMENT_COLUMNS = (
    "interval_start", "queue", "channel", "volume", "aht_s", "required_agents", "workload_minutes",
    "due_minutes", "net_agents", "traffic_erlangs", "expected_sl", "expected_asa_s", "occupancy",
    "p_abandon", "shrinkage", "model",
)


def _show(v: Any) -> str:
    """repr of a cell value without numpy's type wrapper."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return _is_number(v) and float(v) == int(v)


# key -> (rule text, predicate); None allowed where the default is None
_RULES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "aht_s": ("must be a number > 0", lambda v: _is_number(v) and v > 0),
    "target_sl": ("must be a number in (0, 1)", lambda v: _is_number(v) and 0 < v < 1),
    "answer_s": ("must be a number >= 0", lambda v: _is_number(v) and v >= 0),
    "max_occupancy": ("must be a number in (0, 1]", lambda v: _is_number(v) and 0 < v <= 1),
    "shrinkage": ("must be a number in [0, 1)", lambda v: _is_number(v) and 0 <= v < 1),
    "patience_s": ("must be a number > 0 (leave it out for Erlang C)", lambda v: _is_number(v) and v > 0),
    "min_agents": ("must be a whole number >= 0", lambda v: _is_int(v) and v >= 0),
    "concurrency": (f"must be a whole number from 1 to {len(_channels.CONCURRENCY_CAPACITY)}",
                    lambda v: _is_int(v) and 1 <= v <= len(_channels.CONCURRENCY_CAPACITY)),
    "due_minutes": ("must be a number > 0", lambda v: _is_number(v) and v > 0),
    "max_asa_s": ("must be a number > 0", lambda v: _is_number(v) and v > 0),
    "max_abandon": ("must be a number in [0, 1]", lambda v: _is_number(v) and 0 <= v <= 1),
    "sl_definition": (f"must be one of {', '.join(erlang.SL_DEFINITIONS)}",
                      lambda v: isinstance(v, str) and v in erlang.SL_DEFINITIONS),
    "short_abandon_s": ("must be a number >= 0", lambda v: _is_number(v) and v >= 0),
    "service_goal": (f"must be one of {', '.join(SERVICE_GOALS)}", lambda v: isinstance(v, str) and v in SERVICE_GOALS),
    "min_interval_sl": ("must be a number in [0, target_sl]", lambda v: _is_number(v) and 0 <= v <= 1),
    "risk": ("must be a number in (0, 1) (the share of forecast scenarios in which the goal must hold)",
             lambda v: _is_number(v) and 0 < v < 1),
}
_OPTIONAL = {"aht_s", "patience_s", "due_minutes", "max_asa_s", "max_abandon", "min_interval_sl", "risk"}
#: keys that set a service goal: immediate channels only (deferred ones keep their due-time rule)
_GOAL_KEYS = ("service_goal", "min_interval_sl", "risk")


@dataclass(frozen=True)
class ServiceTarget:
    """Service goals of one channel; seconds and minutes as in the names.

    ``channel`` one of :data:`CHANNELS`; ``aht_s`` handle time where the forecast has none
    (for chat/messaging: one session handled alone); ``target_sl`` share answered within
    ``answer_s`` (by ``sl_definition``); ``max_occupancy``; ``shrinkage`` in [0, 1), applied as
    net / (1 - shrinkage); ``patience_s`` mean patience (None = Erlang C); ``min_agents`` floor
    while open; ``concurrency`` sessions per agent (chat/messaging); ``due_minutes`` (deferred
    channels, required there); optional ``max_asa_s`` and ``max_abandon``;
    ``short_abandon_s`` for ``sl_definition="short_abandon"``. Change with
    ``dataclasses.replace``.

    Service goals (immediate channels; deferred channels keep their due-time rule):
    ``service_goal`` is what ``target_sl`` is judged on: ``"interval"`` (every interval, the
    default), ``"daily"`` (the volume-weighted service level of each day) or ``"weekly"`` (of
    the week); ``min_interval_sl`` the floor no open interval may fall below under a daily or
    weekly goal (None: :data:`DEFAULT_MIN_INTERVAL_SL`, or ``target_sl`` when that is lower; see
    :attr:`interval_floor_sl`); ``risk`` the share of forecast scenarios in which the daily or
    weekly goal must hold (None: the point forecast only). Daily and weekly goals sum answered
    contacts, so they need ``sl_definition = "offered"``. They pool ``target_sl`` only:
    ``max_occupancy``, ``max_asa_s`` and ``max_abandon`` still hold in every open interval.

    Example:
        >>> ServiceTarget.from_mapping({"target_sl": 0.9, "answer_s": 10}, channel="voice").target_sl
        0.9
    """

    channel: str = "voice"
    aht_s: float | None = None
    target_sl: float = 0.8
    answer_s: float = 20.0
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    patience_s: float | None = None
    min_agents: int = 0
    concurrency: int = 1
    due_minutes: float | None = None
    max_asa_s: float | None = None
    max_abandon: float | None = None
    sl_definition: str = "offered"
    short_abandon_s: float = 0.0
    service_goal: str = "interval"
    min_interval_sl: float | None = None
    risk: float | None = None

    def __post_init__(self) -> None:
        _validate(self.__dict__, lambda key: f"ServiceTarget(channel={self.channel!r}).{key}")

    @property
    def deferred(self) -> bool:
        """True for email, social and backoffice."""
        return self.channel in _channels.DEFERRED_CHANNELS

    @property
    def interval_floor_sl(self) -> float:
        """The service floor of every open interval: ``min_interval_sl``, by default
        :data:`DEFAULT_MIN_INTERVAL_SL` capped at ``target_sl``.

        Example:
            >>> ServiceTarget(target_sl=0.4, service_goal="weekly").interval_floor_sl
            0.4
        """
        if self.min_interval_sl is not None:
            return float(self.min_interval_sl)
        return min(DEFAULT_MIN_INTERVAL_SL, self.target_sl)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], *, channel: str, source: str = "staffing.toml") -> ServiceTarget:
        """Build from a ``[channel.X]`` table; errors name ``source: [channel.X] key = value``.

        Example:
            >>> ServiceTarget.from_mapping({"shrinkage": 1.2}, channel="voice")
            Traceback (most recent call last):
            ...
            ValueError: staffing.toml: [channel.voice] shrinkage = 1.2: must be a number in [0, 1)
        """
        if not isinstance(d, Mapping):
            raise RequirementsError(f"{source}: [channel.{channel}] must be a table, got {d!r}")
        known = [f.name for f in fields(cls) if f.name != "channel"]
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise RequirementsError(f"{source}: [channel.{channel}] unknown key {unknown[0]!r} "
                             f"(known keys: {', '.join(known)})")
        if channel not in CHANNELS:
            raise RequirementsError(f"{source}: [channel.{channel}] unknown channel (known: {', '.join(CHANNELS)})")
        given = [key for key in _GOAL_KEYS if key in d]
        if given and channel in _channels.DEFERRED_CHANNELS:
            raise RequirementsError(f"{source}: [channel.{channel}] {given[0]} = {d[given[0]]!r}: service goals are for "
                             f"immediate channels ({', '.join(_channels.IMMEDIATE_CHANNELS)}); the deferred channel "
                             f"{channel!r} keeps its due-time rule (due_minutes)")
        values = dict(d)
        values["channel"] = channel
        _validate(values, lambda key: f"{source}: [channel.{channel}] {key}")
        return cls(**{k: (int(v) if k in ("min_agents", "concurrency") else v) for k, v in values.items()})


def _validate(values: Mapping[str, Any], label: Callable[[str], str]) -> None:
    channel = values.get("channel", "voice")
    if channel not in CHANNELS:
        raise RequirementsError(f"{label('channel')} = {channel!r}: unknown channel (known: {', '.join(CHANNELS)})")
    for key, (rule, ok) in _RULES.items():
        if key not in values:
            continue
        v = values[key]
        if v is None and key in _OPTIONAL:
            continue
        if not ok(v):
            raise RequirementsError(f"{label(key)} = {v!r}: {rule}")
    deferred = channel in _channels.DEFERRED_CHANNELS
    if deferred and values.get("due_minutes") is None:
        raise RequirementsError(f"{label('due_minutes')} is required for the deferred channel {channel!r}")
    if not deferred and values.get("due_minutes") is not None:
        raise RequirementsError(f"{label('due_minutes')} = {values['due_minutes']!r}: only for deferred channels "
                         f"({', '.join(_channels.DEFERRED_CHANNELS)})")
    _validate_goal(values, label, deferred=deferred)
    if channel not in _channels.CONCURRENT_CHANNELS and values.get("concurrency", 1) != 1:
        raise RequirementsError(f"{label('concurrency')} = {values['concurrency']!r}: only "
                                f"{' and '.join(_channels.CONCURRENT_CHANNELS)} hold several sessions")


def _validate_goal(values: Mapping[str, Any], label: Callable[[str], str], *, deferred: bool) -> None:
    """The rules between the goal keys and the rest of the target (each value's own rule is in _RULES)."""
    goal = values.get("service_goal", "interval")
    floor, risk = values.get("min_interval_sl"), values.get("risk")
    if deferred:
        for key, default in (("service_goal", "interval"), ("min_interval_sl", None), ("risk", None)):
            if values.get(key, default) != default:
                raise RequirementsError(f"{label(key)} = {values[key]!r}: service goals are for immediate channels; "
                                 f"deferred channels keep their due-time rule (due_minutes)")
        return
    target = values.get("target_sl", 0.8)
    if floor is not None and floor > target:
        raise RequirementsError(f"{label('min_interval_sl')} = {floor!r}: must be in [0, target_sl] = [0, {target!r}]")
    if goal == "interval" and risk is not None:
        raise RequirementsError(f"{label('risk')} = {risk!r}: needs service_goal = \"daily\" or \"weekly\" (the share of "
                         f"forecast scenarios in which the day's or the week's service level meets target_sl)")
    if goal != "interval" and values.get("sl_definition", "offered") != "offered":
        raise RequirementsError(f"{label('service_goal')} = {goal!r}: a daily or weekly goal adds up answered contacts, so it "
                         f"needs sl_definition = \"offered\" (got {values['sl_definition']!r})")


# ---------------------------------------------------------------------------


def _infer_interval_minutes(frame: pd.DataFrame) -> int:
    times = frame.sort_values(["queue", "channel", "interval_start"])
    diffs = times.groupby(["queue", "channel"], sort=False)["interval_start"].diff().dropna()
    diffs = diffs[diffs > pd.Timedelta(0)]
    if diffs.empty:
        raise RequirementsError("interval_minutes: cannot be inferred from a forecast with one interval per "
                         "queue and channel; give interval_minutes")
    minutes = diffs.min() / pd.Timedelta(minutes=1)
    if minutes != int(minutes):
        raise RequirementsError(f"interval_start: intervals of {minutes} minutes are not whole minutes")
    return int(minutes)


def _validate_forecast(forecast: pd.DataFrame, targets: Mapping[str, ServiceTarget]) -> pd.DataFrame:
    if not isinstance(forecast, pd.DataFrame):
        raise ValueError(f"forecast must be a pandas DataFrame, got {type(forecast).__name__}")
    missing = [c for c in ("interval_start", "queue", "channel", "forecast") if c not in forecast.columns]
    if missing:
        raise RequirementsError(f"forecast: missing column(s) {', '.join(missing)} "
                         f"(need interval_start, queue, channel, forecast)")
    frame = forecast.copy()
    try:
        frame["interval_start"] = pd.to_datetime(frame["interval_start"], format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise RequirementsError(f"forecast: column interval_start is not ISO-8601 date-times: {exc}") from None
    values = pd.to_numeric(frame["forecast"], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float)) | (values < 0)
    if bad.any():
        i = bad.idxmax()
        raise RequirementsError(f"forecast: row {i}, column forecast = {_show(forecast.loc[i, 'forecast'])}: "
                         f"must be a number >= 0")
    frame["forecast"] = values.astype(float)
    unknown = sorted(set(frame["channel"].astype(str)) - set(targets))
    if unknown:
        raise RequirementsError(f"forecast: channel {unknown[0]!r} has no service target "
                         f"(targets given for: {', '.join(sorted(targets)) or 'none'})")
    if "aht_s" in frame.columns:
        aht = pd.to_numeric(frame["aht_s"], errors="coerce")
        given = frame["aht_s"].notna() & (frame["aht_s"].astype(str).str.strip() != "")
        bad = given & (aht.isna() | ~(aht > 0) | ~np.isfinite(aht.fillna(0.0)))
        if bad.any():
            i = bad.idxmax()
            raise RequirementsError(f"forecast: row {i}, column aht_s = {_show(forecast.loc[i, 'aht_s'])}: must be a number > 0")
        frame["aht_s"] = aht
    dup = frame.duplicated(["interval_start", "queue", "channel"])
    if dup.any():
        i = dup.idxmax()
        raise RequirementsError(f"forecast: row {i} repeats interval_start {frame.loc[i, 'interval_start']}, "
                         f"queue {frame.loc[i, 'queue']!r}, channel {frame.loc[i, 'channel']!r}")
    return frame


def requirements(
    forecast: pd.DataFrame,
    targets: Mapping[str, ServiceTarget],
    *,
    interval_minutes: int | None = None,
) -> pd.DataFrame:
    """The Requirements frame for a Forecast frame and the service targets per channel.

    See the module docstring for every column. ``interval_minutes`` is inferred from the
    smallest step between timestamps of a queue and channel when not given. Rows come back
    sorted by ``interval_start, queue, channel``.
    """
    _check_targets(targets)
    frame = _validate_forecast(forecast, targets)
    interval_minutes = _grid_minutes(frame, interval_minutes)
    interval_s = interval_minutes * 60.0

    frame = frame.sort_values(["interval_start", "queue", "channel"], kind="stable").reset_index(drop=True)
    n = len(frame)
    volume = frame["forecast"].to_numpy(float, copy=True)
    chan = frame["channel"].astype(str).to_numpy()
    aht = np.full(n, np.nan)
    if "aht_s" in frame.columns:
        aht = frame["aht_s"].to_numpy(float, copy=True)
    cols = {k: np.full(n, np.nan) for k in ("workload_minutes", "due_minutes", "net_agents", "traffic_erlangs",
                                            "expected_sl", "expected_asa_s", "occupancy", "p_abandon", "shrinkage")}
    model = np.empty(n, dtype=object)
    for name in pd.unique(chan):
        target = targets[name]
        rows = np.nonzero(chan == name)[0]
        vol = volume[rows]
        open_ = vol > 0
        a = _handle_times(frame, rows, aht[rows], vol, target)
        aht[rows] = np.where(open_ | (a > 0), a, np.nan)
        cols["shrinkage"][rows] = target.shrinkage
        if target.deferred:
            net = _deferred_net(frame, rows, vol, a, target, cols, interval_minutes=interval_minutes)
            model[rows] = "deferred_fifo"
        else:
            net = _immediate_net(rows, vol, a, target, cols, interval_s=interval_s)
            base = "erlang_a" if target.patience_s is not None else "erlang_c"
            model[rows] = base if target.concurrency == 1 else f"{base}_concurrency_{target.concurrency}"
        net = np.where(open_, np.maximum(net, target.min_agents), 0.0)
        cols["net_agents"][rows] = net
    required = np.round(cols["net_agents"] / (1.0 - cols["shrinkage"]), 6)
    out = pd.DataFrame({
        "interval_start": frame["interval_start"],
        "queue": frame["queue"],
        "channel": frame["channel"],
        "volume": volume,
        "aht_s": aht,
        "required_agents": required,
    })
    for key in REQUIREMENT_COLUMNS[6:-1]:
        out[key] = cols[key]
    out["model"] = model
    return out


def _check_targets(targets: Mapping[str, ServiceTarget]) -> None:
    """Every target a :class:`ServiceTarget` under its own channel's name (a bug otherwise)."""
    for name, target in targets.items():
        if not isinstance(target, ServiceTarget):
            raise ValueError(f"targets[{name!r}] must be a ServiceTarget, got {type(target).__name__}")
        if target.channel != name:
            raise ValueError(f"targets[{name!r}] is the target of channel {target.channel!r}")


def _grid_minutes(frame: pd.DataFrame, interval_minutes: int | None) -> int:
    """The interval length in minutes (inferred when None; 15 for an empty forecast); every
    ``interval_start`` must be on its grid."""
    if interval_minutes is None:
        interval_minutes = _infer_interval_minutes(frame) if len(frame) else 15
    if not isinstance(interval_minutes, (int, np.integer)) or interval_minutes <= 0:
        raise RequirementsError(f"interval_minutes = {interval_minutes!r}: must be a whole number > 0")
    if len(frame):
        offsets = (frame["interval_start"] - frame["interval_start"].min()) / pd.Timedelta(minutes=interval_minutes)
        off_grid = offsets != np.round(offsets)
        if off_grid.any():
            i = off_grid.idxmax()
            raise RequirementsError(f"forecast: row {i}, interval_start {frame.loc[i, 'interval_start']} is not on "
                             f"the {interval_minutes}-minute grid")
    return interval_minutes


def _handle_times(frame: pd.DataFrame, rows: np.ndarray, a: np.ndarray, vol: np.ndarray,
                  target: ServiceTarget) -> np.ndarray:
    """One channel's handle times in seconds (the forecast's, else the target's ``aht_s``; 0
    where closed and unknown); an open interval with neither is the user's mistake."""
    if target.aht_s is not None:
        a = np.where(np.isnan(a), target.aht_s, a)
    missing = (vol > 0) & np.isnan(a)
    if missing.any():
        i = rows[np.argmax(missing)]
        raise RequirementsError(f"channel {target.channel!r}: no aht_s for interval {frame.loc[i, 'interval_start']} "
                         f"(queue {frame.loc[i, 'queue']!r}): the forecast has none and the service target "
                         f"has no aht_s")
    return np.where(np.isnan(a), 0.0, a)


def _deferred_net(frame: pd.DataFrame, rows: np.ndarray, vol: np.ndarray, a: np.ndarray, target: ServiceTarget,
                  cols: dict[str, np.ndarray], *, interval_minutes: int) -> np.ndarray:
    """A deferred channel's net agents per interval (each queue's work done within ``due_minutes``,
    per day); fills its workload, due and traffic columns of ``cols``."""
    open_ = vol > 0
    net = np.zeros(rows.size)
    work = _channels.deferred_workload_minutes(vol, a)
    cols["workload_minutes"][rows] = work
    cols["due_minutes"][rows] = target.due_minutes
    cols["traffic_erlangs"][rows] = work / interval_minutes
    queues = frame["queue"].to_numpy()[rows]
    days = frame["interval_start"].dt.date.to_numpy()[rows]
    for q in pd.unique(queues):
        sel = np.nonzero((queues == q) & open_)[0]
        if sel.size:
            net[sel] = _channels.deferred_required_agents(
                work[sel], interval_minutes=interval_minutes, due_minutes=target.due_minutes,
                period=pd.factorize(days[sel])[0])
    return net


def _immediate_net(rows: np.ndarray, vol: np.ndarray, a: np.ndarray, target: ServiceTarget,
                   cols: dict[str, np.ndarray], *, interval_s: float) -> np.ndarray:
    """An immediate channel's net agents per interval (Erlang C or A, with concurrency, meeting
    every target of ``target``; at least ``min_agents`` while open); fills its expected traffic,
    service level, ASA (s), occupancy and abandon columns of ``cols``."""
    open_ = vol > 0
    net = np.zeros(rows.size)
    sel = np.nonzero(open_)[0]
    kw = dict(patience_s=target.patience_s, sl_definition=target.sl_definition,
              short_abandon_s=target.short_abandon_s)
    if sel.size:
        need = _channels.chat_required_agents(
            vol[sel], interval_s, a[sel], target.answer_s, target.target_sl, concurrency=target.concurrency,
            max_occupancy=target.max_occupancy, max_asa_s=target.max_asa_s,
            max_abandon=target.max_abandon, **kw)
        net[sel] = np.maximum(need, target.min_agents)
        m = _channels.chat_metrics(vol[sel], interval_s, a[sel], net[sel], target.answer_s,
                                   concurrency=target.concurrency, **kw)
        for out, key in (("traffic_erlangs", "traffic_erlangs"), ("expected_sl", "service_level"),
                         ("expected_asa_s", "asa_s"), ("occupancy", "occupancy"), ("p_abandon", "p_abandon")):
            cols[out][rows[sel]] = m[key]
    closed = np.nonzero(~open_)[0]
    cols["traffic_erlangs"][rows[closed]] = 0.0
    return net

"""Coverage over the whole week as one grid.

The planning week is one array of intervals (``7 * 1440 / interval_minutes``),
its first day's 00:00 first (any weekday: Monday in most centres, Sunday in Israel and
the Gulf), so a shift starting at 22:00 covers the next day's first intervals; when the
week wraps (steady state) the hours of a night shift on its last day after midnight land
on its first morning. Inside the model a day is its index in the week (0 = the first
day); :meth:`WeekGrid.weekday` turns it into a calendar weekday (0 = Monday). Requirements become per-channel numpy
arrays on that grid; roster frames become the ``coverage.csv`` frame.

Example::

    >>> grid = WeekGrid(pd.Timestamp("2024-01-01"), interval_minutes=60)
    >>> grid.covered(6 * 1440 + 22 * 60, 480).tolist()[:3]   # Sunday 22:00 + 8 h
    [166, 167, 0]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm_errors import RequirementsError
from scheduling import channels as _channels
from scheduling.rules import WEEKDAYS

DEFERRED_CHANNELS: frozenset[str] = frozenset(_channels.DEFERRED_CHANNELS)
MINUTES_PER_WEEK = 7 * 1440


@dataclass(frozen=True)
class WeekGrid:
    """A week of ``interval_minutes`` intervals starting at ``start`` (a midnight)."""

    start: pd.Timestamp
    interval_minutes: int
    wrap: bool = True

    @property
    def n_intervals(self) -> int:
        """Intervals in the week."""
        return MINUTES_PER_WEEK // self.interval_minutes

    def weekday(self, day: int) -> int:
        """Calendar weekday (0 = Monday) of day ``day`` of the week (0 = its first day)."""
        return (self.start.weekday() + day) % 7

    def days_on(self, weekdays: Iterable[int]) -> tuple[int, ...]:
        """The days of the week (0 = its first day) that fall on the calendar ``weekdays``."""
        wanted = set(weekdays)
        return tuple(d for d in range(7) if self.weekday(d) in wanted)

    def day_names(self) -> tuple[str, ...]:
        """Short weekday names of the week's days, in order (``("Sun", "Mon", ...)`` for a Sunday week)."""
        return tuple(WEEKDAYS[self.weekday(d)] for d in range(7))

    def times(self) -> pd.DatetimeIndex:
        """Start time of every interval of the week."""
        return pd.date_range(self.start, periods=self.n_intervals, freq=f"{self.interval_minutes}min")

    def covered(self, start_minute: int, length_minutes: int) -> np.ndarray:
        """Interval indexes covered by ``[start_minute, start_minute + length)`` (minutes after week start).

        Minutes beyond the week wrap to its start when ``wrap``, else they are dropped.
        """
        first = start_minute // self.interval_minutes
        idx = np.arange(first, first + length_minutes // self.interval_minutes)
        if self.wrap:
            return idx % self.n_intervals
        return idx[(idx >= 0) & (idx < self.n_intervals)]

    def index_of(self, times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Grid index of each timestamp; raises ``ValueError`` naming the first one off the grid."""
        times = pd.DatetimeIndex(pd.to_datetime(times))
        minutes = (times - self.start) / pd.Timedelta(minutes=1)
        minutes = np.asarray(minutes, dtype=float)
        bad = (minutes < 0) | (minutes >= MINUTES_PER_WEEK) | (minutes % self.interval_minutes != 0)
        if bad.any():
            raise RequirementsError(
                f"interval_start={times[int(np.argmax(bad))]} is not on the {self.interval_minutes}-minute grid "
                f"of the week starting {self.start.date()}"
            )
        return (minutes // self.interval_minutes).astype(int)


@dataclass(frozen=True)
class ChannelDemand:
    """One channel's demand on the week grid.

    ``required`` is scheduled agents per interval (immediate channels); for deferred
    channels ``work_minutes`` is the agent-minutes of work arriving per interval
    (already scaled like ``required_agents``, i.e. including shrinkage) and
    ``due_minutes`` how long each interval's work may wait.
    """

    channel: str
    required: np.ndarray
    deferred: bool = False
    work_minutes: np.ndarray | None = None
    due_minutes: np.ndarray | None = None


def planning_week_start(times: pd.Series | pd.DatetimeIndex, *, first_weekday: int | None = None) -> pd.Timestamp:
    """The midnight the planning week of ``times`` starts.

    With ``first_weekday`` (0 = Monday ... 6 = Sunday) it is the last such day on or before
    the first time; without it, the day of the first time itself, so a week of requirements
    that starts on a Sunday is planned Sunday to Saturday.

    >>> planning_week_start(pd.Series(pd.to_datetime(["2025-06-04 08:00"])), first_weekday=6).date()
    datetime.date(2025, 6, 1)
    """
    times = pd.Series(pd.to_datetime(times))
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    first = times.min().normalize()
    if first_weekday is None:
        return first
    return first - pd.Timedelta(days=(first.weekday() - first_weekday) % 7)


def week_grid(requirements: pd.DataFrame, *, interval_minutes: int, wrap: bool = True,
              first_weekday: int | None = None) -> WeekGrid:
    """The week grid of a requirements frame, starting as :func:`planning_week_start` says.

    Raises ``ValueError`` when the frame spans more than that week.
    """
    times = pd.to_datetime(requirements["interval_start"])
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    grid = WeekGrid(planning_week_start(times, first_weekday=first_weekday), interval_minutes, wrap)
    grid.index_of(times)
    return grid


def validate_requirements(requirements: pd.DataFrame, *, source: str = "requirements") -> pd.DataFrame:
    """Check the Requirements frame of docs/architecture.md section 3 and return a clean copy.

    Missing columns, negative or non-numeric ``required_agents`` raise ``ValueError``
    naming the source, row and value; ``queue`` defaults to ``main``.
    """
    frame = requirements.copy()
    missing = [c for c in ("interval_start", "channel", "required_agents") if c not in frame.columns]
    if missing:
        raise RequirementsError(f"{source}: missing column(s) {', '.join(missing)}")
    if "queue" not in frame.columns:
        frame["queue"] = "main"
    try:
        times = pd.to_datetime(frame["interval_start"])
    except (ValueError, TypeError) as exc:
        raise RequirementsError(f"{source}: column interval_start: {exc}") from None
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    frame["interval_start"] = times
    for column in ("required_agents", "workload_minutes", "due_minutes", "volume", "aht_s"):
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        deferred_only = column in ("workload_minutes", "due_minutes")
        relevant = frame["channel"].isin(DEFERRED_CHANNELS) if deferred_only else pd.Series(True, index=frame.index)
        if column == "required_agents":
            relevant &= ~(frame["channel"].isin(DEFERRED_CHANNELS) & values.isna())
        optional = column in ("volume", "aht_s")  # only used by the service check
        bad = relevant & ((values < 0) if optional else (values.isna() | (values < 0)))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raw = frame[column].iloc[row]
            shown = raw.item() if hasattr(raw, "item") else raw
            raise RequirementsError(f"{source}: row {row + 2}: {column}={shown!r} is not a number >= 0")
        frame[column] = values
    for channel in sorted(set(frame["channel"]) & DEFERRED_CHANNELS):
        for column in ("workload_minutes", "due_minutes"):
            if column not in frame.columns:
                raise RequirementsError(f"{source}: deferred channel {channel!r} needs column {column}")
    return frame


def channel_demands(requirements: pd.DataFrame, grid: WeekGrid) -> dict[str, ChannelDemand]:
    """Per-channel demand arrays on the grid (queues of a channel are added up).

    For deferred channels the work is converted to scheduled agent-minutes with the
    channel's own ratio ``sum(required_agents) * interval_minutes / sum(workload_minutes)``
    when ``required_agents`` is given (that carries the shrinkage), else 1.
    """
    idx = grid.index_of(requirements["interval_start"])
    out: dict[str, ChannelDemand] = {}
    for channel in sorted(requirements["channel"].unique()):
        mask = (requirements["channel"] == channel).to_numpy()
        required = np.zeros(grid.n_intervals)
        req_values = requirements.loc[mask, "required_agents"].to_numpy(dtype=float)
        np.add.at(required, idx[mask], np.nan_to_num(req_values))
        if channel not in DEFERRED_CHANNELS:
            out[channel] = ChannelDemand(channel, required)
            continue
        work = np.zeros(grid.n_intervals)
        np.add.at(work, idx[mask], requirements.loc[mask, "workload_minutes"].to_numpy(dtype=float))
        due = np.full(grid.n_intervals, np.inf)
        due_values = requirements.loc[mask, "due_minutes"].to_numpy(dtype=float)
        np.minimum.at(due, idx[mask], due_values)
        due[np.isinf(due)] = float(np.nanmax(due_values)) if len(due_values) else grid.interval_minutes
        ratio = 1.0
        if np.nansum(req_values) > 0 and work.sum() > 0:
            ratio = float(np.nansum(req_values) * grid.interval_minutes / work.sum())
        work = work * ratio
        if np.nansum(req_values) <= 0:
            required = work / grid.interval_minutes
        out[channel] = ChannelDemand(channel, required, True, work, due)
    return out


def coverage_frame(
    roster: pd.DataFrame, activities: pd.DataFrame, demands: dict[str, ChannelDemand], grid: WeekGrid
) -> pd.DataFrame:
    """The ``coverage.csv`` frame: ``interval_start, channel, required, scheduled``.

    ``scheduled`` counts agents on shift in each interval net of their activities
    (breaks, lunches), on the week grid (wrapping when the grid wraps). An activity named
    after a channel (``email``) moves the agent to that channel for its duration.
    """
    channels = sorted(set(demands) | set(roster["channel"]) if len(roster) else set(demands))
    net = {c: np.zeros(grid.n_intervals) for c in channels}

    def minutes(times: pd.Series) -> np.ndarray:
        return ((pd.to_datetime(times) - grid.start) / pd.Timedelta(minutes=1)).to_numpy().astype(int)

    shifts_of: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    if len(roster):
        for agent, begin, end, channel in zip(roster["agent_id"], minutes(roster["shift_start"]),
                                              minutes(roster["shift_end"]), roster["channel"]):
            np.add.at(net[channel], grid.covered(begin, end - begin), 1.0)
            shifts_of[agent].append((begin, end, channel))
    if len(activities):
        for agent, begin, end, kind in zip(activities["agent_id"], minutes(activities["start"]),
                                           minutes(activities["end"]), activities["activity"]):
            channel = next(c for b, e, c in shifts_of[agent] if b <= begin and e >= end)
            np.add.at(net[channel], grid.covered(begin, end - begin), -1.0)
            if kind in net:  # deferred work done in idle time of an immediate-channel shift
                np.add.at(net[kind], grid.covered(begin, end - begin), 1.0)
    times = grid.times()
    frames = []
    for channel in channels:
        required = demands[channel].required if channel in demands else np.zeros(grid.n_intervals)
        frames.append(pd.DataFrame({
            "interval_start": times, "channel": channel, "required": required, "scheduled": net[channel],
        }))
    return pd.concat(frames, ignore_index=True)

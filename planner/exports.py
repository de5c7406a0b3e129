"""Files a workforce manager hands out: CSV, an Excel roster, iCalendar feeds, written safely.

This module formats the files (the Excel roster grid, iCalendar text); writing them - atomic,
neutralized against formula injection - is :mod:`planner.writers`' job, the one module that
writes files. The writer functions are re-exported here for existing callers.

Example:
    >>> neutralize("=1+2")
    "'=1+2"
    >>> neutralize(-3.5)
    -3.5
    >>> safe_filename("../Ann Lee")
    'Ann_Lee'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from wfm_errors import InputError
from scheduling.rules import WEEKDAYS
from planner.writers import (FORMULA_PREFIXES, atomic_write, neutralize, neutralize_frame,  # noqa: F401
                             safe_filename, unique_filenames, write_bytes, write_csv, write_outputs)

__all__ = [
    "neutralize",
    "neutralize_frame",
    "safe_filename",
    "unique_filenames",
    "write_csv",
    "write_roster_xlsx",
    "write_ics",
    "write_outputs",
    "ics_text",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in iCalendar TEXT
WEEKDAY_NAMES = WEEKDAYS  # owned by scheduling.rules


# -- the Excel roster ------------------------------------------------------------------------
def _times(values: pd.Series, field: str) -> pd.Series:
    try:
        return pd.to_datetime(values, format="ISO8601") if values.dtype == object else pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise InputError(f"roster: column {field} is not ISO date-times: {exc}") from None


def _check_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}")


def _shift_text(start: pd.Timestamp, end: pd.Timestamp, channel: Any) -> str:
    return f"{start:%H:%M}-{end:%H:%M} {channel}"


def roster_grid(roster: pd.DataFrame, *, week_start: Any) -> pd.DataFrame:
    """One row per agent, one column per day of the week from ``week_start`` (cells like
    ``08:00-16:30 voice``, several shifts joined by ``; ``, ``off`` on days without one),
    plus ``shifts`` and ``hours`` (on-site hours of the week). Text is not neutralized.

    Example:
        >>> r = pd.DataFrame({"agent_id": ["A"], "date": ["2025-01-06"], "shift_start": ["2025-01-06T08:00"],
        ...                   "shift_end": ["2025-01-06T16:30"], "channel": ["voice"]})
        >>> roster_grid(r, week_start="2025-01-06").iloc[0, :3].tolist()
        ['A', '08:00-16:30 voice', 'off']
    """
    _check_columns(roster, ("agent_id", "date", "shift_start", "shift_end", "channel"), "roster")
    start_day = pd.Timestamp(week_start).normalize()
    days = [start_day + pd.Timedelta(days=i) for i in range(7)]
    headers = [f"{WEEKDAY_NAMES[d.weekday()]} {d:%Y-%m-%d}" for d in days]
    frame = roster.copy()
    frame["_start"] = _times(frame["shift_start"], "shift_start")
    frame["_end"] = _times(frame["shift_end"], "shift_end")
    frame["_date"] = pd.to_datetime(frame["date"]).dt.normalize()
    rows = []
    for agent_id, shifts in frame.sort_values("_start").groupby("agent_id", sort=False):
        row: dict[str, Any] = {"agent_id": agent_id}
        for day, header in zip(days, headers):
            on_day = shifts[shifts["_date"] == day]
            row[header] = "; ".join(_shift_text(s, e, c) for s, e, c in
                                    zip(on_day["_start"], on_day["_end"], on_day["channel"])) or "off"
        row["shifts"] = int(len(shifts))
        row["hours"] = float(((shifts["_end"] - shifts["_start"]).dt.total_seconds() / 3600.0).sum())
        rows.append(row)
    columns = ["agent_id", *headers, "shifts", "hours"]
    grid = pd.DataFrame(rows, columns=columns)
    return grid.sort_values("agent_id", key=lambda s: s.astype(str), ignore_index=True)


def _coverage_sheet(coverage: pd.DataFrame, channel: Any) -> pd.DataFrame:
    part = coverage[coverage["channel"] == channel]
    times = pd.to_datetime(part["interval_start"])
    if times.dt.tz is not None:
        times = times.dt.tz_localize(None)
    out = pd.DataFrame({
        "interval_start": times,
        "required": part["required"].astype(float),
        "scheduled": part["scheduled"].astype(float),
    })
    out["gap"] = out["scheduled"] - out["required"]
    return out.sort_values("interval_start", ignore_index=True)


def _sheet_title(text: str, taken: set[str]) -> str:
    """An Excel sheet title: at most 31 characters, none of ``[]:*?/\\``, unique."""
    title = re.sub(r"[\[\]:*?/\\]", "_", text)[:31].strip("'") or "Sheet"
    base, n = title, 1
    while title.lower() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(title.lower())
    return title


def _fill_sheet(ws, frame: pd.DataFrame, *, widths: Mapping[str, float] | None = None) -> None:
    from openpyxl.utils import get_column_letter

    safe = neutralize_frame(frame)
    ws.append([str(c) for c in safe.columns])
    for values in safe.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in values])
    ws.freeze_panes = "B2"
    for i, column in enumerate(safe.columns, start=1):
        if widths and column in widths:
            width = widths[column]
        else:
            longest = max([len(str(column))] + [len(str(v)) for v in safe[column].head(500)])
            width = min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(i)].width = width
    from openpyxl.styles import Font

    for cell in ws[1]:
        cell.font = Font(bold=True)


def _cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_roster_xlsx(roster: pd.DataFrame, activities: pd.DataFrame, coverage: pd.DataFrame,
                      path: str | Path, *, week_start: Any) -> None:
    """A readable Excel roster, written atomically.

    Sheets: ``Roster`` (one row per agent, one column per day of the week starting
    ``week_start``, cells like ``08:00-16:30 voice`` or ``off``, plus shifts and on-site
    hours; header frozen), ``Coverage <channel>`` per channel (interval_start, required,
    scheduled, gap = scheduled - required, in agents), ``Activities`` (agent_id, start, end,
    activity). All text is neutralized against formula injection.

    Example:
        >>> write_roster_xlsx(roster, activities, coverage, "out/roster.xlsx",
        ...                   week_start="2025-01-06")                       # doctest: +SKIP
    """
    from openpyxl import Workbook

    _check_columns(activities, ("agent_id", "start", "end", "activity"), "activities")
    _check_columns(coverage, ("interval_start", "channel", "required", "scheduled"), "coverage")
    grid = roster_grid(roster, week_start=week_start)
    workbook = Workbook()
    taken: set[str] = set()
    sheet = workbook.active
    sheet.title = _sheet_title("Roster", taken)
    day_columns = {c: 22.0 for c in grid.columns[1:8]}
    _fill_sheet(sheet, grid, widths=day_columns)
    for channel in sorted(coverage["channel"].dropna().unique(), key=str):
        ws = workbook.create_sheet(_sheet_title(f"Coverage {neutralize(str(channel))}", taken))
        _fill_sheet(ws, _coverage_sheet(coverage, channel), widths={"interval_start": 20.0})
        for row in ws.iter_rows(min_row=2, max_col=1):
            row[0].number_format = "yyyy-mm-dd hh:mm"
    acts = activities[["agent_id", "start", "end", "activity"]].copy()
    acts["start"] = _times(acts["start"], "start")
    acts["end"] = _times(acts["end"], "end")
    acts = acts.sort_values(["agent_id", "start"], key=lambda s: s.astype(str), ignore_index=True)
    ws = workbook.create_sheet(_sheet_title("Activities", taken))
    _fill_sheet(ws, acts, widths={"start": 18.0, "end": 18.0})
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.number_format = "yyyy-mm-dd hh:mm"
    atomic_write(Path(path), lambda tmp: workbook.save(tmp))


# -- iCalendar ---------------------------------------------------------------------------------
def _escape(text: Any) -> str:
    """RFC 5545 TEXT escaping (backslash, semicolon, comma, newline)."""
    value = _CONTROL.sub("", str(text))
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with one space), never
    splitting a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, current, size, limit = [], [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space takes one octet
        current.append(ch)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _local(ts: pd.Timestamp) -> str:
    return f"{ts:%Y%m%dT%H%M%S}"


def _offset(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"
    return text + (f"{seconds % 60:02d}" if seconds % 60 else "")


def _transitions(zone: ZoneInfo, first: dt.datetime, last: dt.datetime) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta, str, bool]]:
    """UTC-offset changes of ``zone`` between two UTC instants, to the minute: (UTC instant,
    offset before, offset after, zone abbreviation after, daylight time after)."""
    found = []
    day = dt.timedelta(days=1)
    t = first
    prev = t.astimezone(zone).utcoffset()
    while t < last:
        nxt = t + day
        offset = nxt.astimezone(zone).utcoffset()
        if offset != prev:
            lo, hi = 0, 24 * 60  # minutes after t: the old offset holds at lo, the new one at hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if (t + dt.timedelta(minutes=mid)).astimezone(zone).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            instant = t + dt.timedelta(minutes=hi)
            local = instant.astimezone(zone)
            found.append((instant, prev, local.utcoffset(), local.tzname() or "", bool(local.dst())))
        prev = offset
        t = nxt
    return found


def _vtimezone(timezone: str, first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    """A VTIMEZONE for the IANA ``timezone`` with every transition from a year before
    ``first`` to a year after ``last`` (explicit DTSTARTs, no RRULE)."""
    zone = ZoneInfo(timezone)
    lo = dt.datetime(first.year - 1, 1, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(last.year + 2, 1, 1, tzinfo=dt.timezone.utc)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{timezone}"]
    changes = _transitions(zone, lo, hi)
    start_local = lo.astimezone(zone)
    if not changes:
        offset = start_local.utcoffset() or dt.timedelta(0)
        kind = "DAYLIGHT" if start_local.dst() else "STANDARD"
        lines += [f"BEGIN:{kind}", "DTSTART:19700101T000000", f"TZOFFSETFROM:{_offset(offset)}",
                  f"TZOFFSETTO:{_offset(offset)}", f"TZNAME:{_escape(start_local.tzname() or timezone)}",
                  f"END:{kind}"]
    else:
        first_change = changes[0]
        offset = first_change[1]
        kind = "DAYLIGHT" if start_local.dst() else "STANDARD"
        lines += [f"BEGIN:{kind}", f"DTSTART:{(lo + offset).replace(tzinfo=None):%Y%m%dT%H%M%S}",
                  f"TZOFFSETFROM:{_offset(offset)}", f"TZOFFSETTO:{_offset(offset)}",
                  f"TZNAME:{_escape(start_local.tzname() or timezone)}", f"END:{kind}"]
        for instant, before, after, name, daylight in changes:
            kind = "DAYLIGHT" if daylight else "STANDARD"
            # DTSTART is the local time of the change in the offset in force before it
            onset = (instant + before).replace(tzinfo=None)
            lines += [f"BEGIN:{kind}", f"DTSTART:{onset:%Y%m%dT%H%M%S}", f"TZOFFSETFROM:{_offset(before)}",
                      f"TZOFFSETTO:{_offset(after)}", f"TZNAME:{_escape(name or timezone)}", f"END:{kind}"]
    lines.append("END:VTIMEZONE")
    return lines


def _zone_or_error(timezone: str) -> ZoneInfo | None:
    if timezone in ("UTC", "Etc/UTC", "Z"):
        return None
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"timezone = {timezone!r}: not an IANA time zone (e.g. Europe/London, America/New_York)") from None


def ics_text(shifts: pd.DataFrame, activities: pd.DataFrame, *, agent_id: Any, timezone: str | None,
             calendar_name: str, dtstamp: dt.datetime | None = None, uid_prefix: str | None = None) -> str:
    """One agent's iCalendar (RFC 5545) text with CRLF line endings.

    ``shifts``/``activities`` are that agent's rows (local times in ``timezone``). Each shift
    is a VEVENT ``Shift (voice)``; each break, lunch or other activity a VEVENT of its own
    (``Break``, ``Lunch``...) and listed in the shift's DESCRIPTION. Times carry
    ``TZID=<timezone>`` with a VTIMEZONE built from the IANA data, are UTC (``Z``) when
    ``timezone`` is UTC, and are floating local times (no zone: a 06:00 shift shows at 06:00 in
    any calendar) when ``timezone`` is None, a plan without a time zone. UIDs start with
    ``uid_prefix`` (default: the safe file name of the agent id), so a republished roster
    updates the same events.
    """
    floating = timezone is None
    zone = None if floating else _zone_or_error(timezone)
    stamp = (dtstamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    stamp_text = f"{stamp:%Y%m%dT%H%M%SZ}"
    starts = _times(shifts["shift_start"], "shift_start")
    ends = _times(shifts["shift_end"], "shift_end")
    act_start = _times(activities["start"], "start") if len(activities) else pd.Series([], dtype="datetime64[ns]")
    act_end = _times(activities["end"], "end") if len(activities) else pd.Series([], dtype="datetime64[ns]")

    def when(name: str, ts: pd.Timestamp) -> str:
        if floating:
            return f"{name}:{_local(ts)}"
        if zone is None:
            return f"{name}:{_local(ts)}Z"
        return f"{name};TZID={timezone}:{_local(ts)}"

    uid_agent = uid_prefix or safe_filename(agent_id)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//wfm-planner//roster export//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(f'{calendar_name} - {agent_id}')}"]
    if zone is not None:
        lines.append(f"X-WR-TIMEZONE:{timezone}")
        if len(starts):
            lines += _vtimezone(timezone, starts.min(), ends.max())
    for start, end, channel in zip(starts, ends, shifts["channel"]):
        inside = (act_start >= start) & (act_end <= end)
        described = [f"{s:%H:%M}-{e:%H:%M} {a}" for s, e, a in
                     zip(act_start[inside], act_end[inside], activities["activity"][inside.to_numpy()])]
        lines += ["BEGIN:VEVENT",
                  f"UID:{uid_agent}-{_local(start)}-shift@wfm-planner",
                  f"DTSTAMP:{stamp_text}", when("DTSTART", start), when("DTEND", end),
                  f"SUMMARY:{_escape(f'Shift ({channel})')}",
                  f"DESCRIPTION:{_escape(f'Agent {agent_id}, channel {channel}' + (chr(10) + chr(10).join(described) if described else ''))}",
                  "CATEGORIES:SHIFT", "TRANSP:OPAQUE", "END:VEVENT"]
    for start, end, activity in zip(act_start, act_end, activities["activity"]):
        label = str(activity)
        lines += ["BEGIN:VEVENT",
                  f"UID:{uid_agent}-{_local(start)}-{re.sub(r'[^A-Za-z0-9_-]', '_', label)}@wfm-planner",
                  f"DTSTAMP:{stamp_text}", when("DTSTART", start), when("DTEND", end),
                  f"SUMMARY:{_escape(label[:1].upper() + label[1:])}",
                  f"CATEGORIES:{_escape(label.upper())}", "TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def write_ics(roster: pd.DataFrame, activities: pd.DataFrame, folder: str | Path, *, timezone: str | None,
              calendar_name: str, dtstamp: dt.datetime | None = None) -> dict[Any, Path]:
    """One iCalendar file per agent, ``folder/<safe agent id>.ics``; returns id -> path.

    Shift and activity times are local times in the IANA ``timezone`` (written with its TZID
    and VTIMEZONE; ``UTC`` writes UTC times); ``None`` (the plan has no time zone) writes
    floating local times, shown at the same clock time wherever the calendar is. Each file is
    written atomically. ``dtstamp`` (UTC) fixes the DTSTAMP of every
    event (default: now).

    Example:
        >>> write_ics(roster, activities, "out/ics", timezone="Europe/London",
        ...           calendar_name="Week 2") # doctest: +SKIP
    """
    _check_columns(roster, ("agent_id", "shift_start", "shift_end", "channel"), "roster")
    _check_columns(activities, ("agent_id", "start", "end", "activity"), "activities")
    if timezone is not None:
        _zone_or_error(timezone)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dtstamp or dt.datetime.now(dt.timezone.utc)
    names = unique_filenames(roster["agent_id"].drop_duplicates().tolist())
    written: dict[Any, Path] = {}
    for agent_id, stem in names.items():
        shifts = roster[roster["agent_id"] == agent_id].sort_values("shift_start")
        acts = activities[activities["agent_id"] == agent_id].sort_values("start")
        text = ics_text(shifts, acts.reset_index(drop=True), agent_id=agent_id, timezone=timezone,
                        calendar_name=calendar_name, dtstamp=stamp, uid_prefix=stem)
        path = folder / f"{stem}.ics"
        write_bytes(text.encode("utf-8"), path)
        written[agent_id] = path
    return written

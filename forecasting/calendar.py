"""The calendar a forecast needs: public holidays, user special days and opening hours.

* Public holidays come from the ``holidays`` package for a country (and subdivision). In
  countries whose holidays start at sunset (Israel), the day before a holiday is an *eve*, a
  short day like Friday.
* Special days are the user's own: a CSV file ``date,label,effect`` where effect is ``closed``
  or a multiplier on the normal forecast (``1.3`` = 30% more). They override holidays.
* Opening hours are a weekday x time-of-day mask on the forecast grid. They are learned from
  history (an interval is open on a weekday when any contact ever arrived there in the recent
  weeks) and can be given instead as text, e.g. ``"Mon-Fri 07:00-21:00; Sat 09:00-13:00"``.
  Closed intervals forecast 0 and are left out of accuracy.

Dates are local calendar dates; timestamps are tz-naive local clock time.

Example:
    >>> cal = Calendar(country="US")
    >>> cal.day_kinds(pd.to_datetime(["2003-07-04", "2003-07-07"]))
    array([1, 0], dtype=int8)
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import holidays as holidays_pkg
import numpy as np
import pandas as pd

from wfm_errors import ForecastInputError

__all__ = [
    "REGULAR",
    "HOLIDAY",
    "EVE",
    "SPECIAL",
    "BRIDGE",
    "EVE_COUNTRIES",
    "SpecialDay",
    "OpeningHours",
    "Calendar",
    "read_special_days",
    "learn_opening_hours",
]

REGULAR, HOLIDAY, EVE, SPECIAL = 0, 1, 2, 3
#: a working day inside a holiday season or between a holiday and the weekend (Israel's Chol
#: HaMoed, the US Friday after Thanksgiving): returned only by :meth:`Calendar.intraday_kinds`,
#: the week-ahead models see such days as REGULAR
BRIDGE = 4
#: Countries whose public holidays begin at sunset the evening before: that day is a short day.
EVE_COUNTRIES = frozenset({"IL"})
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class SpecialDay:
    """A user special day: ``closed`` or a ``multiplier`` on the usual forecast of that date."""

    date: dt.date
    label: str
    closed: bool = False
    multiplier: float = 1.0


def read_special_days(path: str | Path) -> tuple[SpecialDay, ...]:
    """Read a special-days CSV with columns ``date,label,effect`` (effect: ``closed`` or a number).

    Example file::

        date,label,effect
        2024-12-24,Christmas Eve,0.6
        2024-12-25,Christmas,closed
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"date", "label", "effect"} - set(reader.fieldnames or ())
        if missing:
            raise ForecastInputError(f"{path}: special days file lacks column(s) {sorted(missing)}; "
                             "expected date,label,effect")
        days: list[SpecialDay] = []
        for row_no, row in enumerate(reader, start=2):
            try:
                date = dt.date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise ForecastInputError(f"{path}: row {row_no}: date {row['date']!r} is not YYYY-MM-DD") from None
            effect = (row["effect"] or "").strip().lower()
            if effect == "closed":
                days.append(SpecialDay(date, row["label"] or "", closed=True, multiplier=0.0))
                continue
            try:
                mult = float(effect)
            except ValueError:
                raise ForecastInputError(f"{path}: row {row_no}: effect {row['effect']!r} is neither "
                                 "'closed' nor a number") from None
            if not np.isfinite(mult) or mult < 0:
                raise ForecastInputError(f"{path}: row {row_no}: effect {mult} must be a number >= 0")
            days.append(SpecialDay(date, row["label"] or "", closed=mult == 0, multiplier=mult))
    return tuple(days)


@dataclass(frozen=True, eq=False)
class OpeningHours:
    """Open intervals as a (7, slots per day) boolean mask; row 0 is Monday."""

    interval_minutes: int
    mask: np.ndarray

    def __post_init__(self) -> None:
        slots = 1440 // self.interval_minutes
        if self.mask.shape != (7, slots):
            raise ValueError(f"opening hours mask has shape {self.mask.shape}, expected (7, {slots})")

    @classmethod
    def always(cls, interval_minutes: int) -> OpeningHours:
        """Open every interval of every day."""
        return cls(interval_minutes, np.ones((7, 1440 // interval_minutes), dtype=bool))

    @classmethod
    def parse(cls, text: str, *, interval_minutes: int) -> OpeningHours:
        """Parse ``"Mon-Fri 07:00-21:00; Sat 09:00-13:00"`` (days not named are closed).

        ``24:00`` is allowed as an end; an interval is open when it starts inside a range.
        """
        slots = 1440 // interval_minutes
        mask = np.zeros((7, slots), dtype=bool)
        for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
            try:
                days_text, hours_text = part.split()
                first, _, last = days_text.partition("-")
                d0 = WEEKDAYS.index(first.title()[:3])
                d1 = WEEKDAYS.index(last.title()[:3]) if last else d0
                h0, _, h1 = hours_text.partition("-")
                m0, m1 = _minutes(h0), _minutes(h1)
            except ValueError:
                raise ForecastInputError(f"opening hours: cannot read {part!r}; expected e.g. "
                                 "'Mon-Fri 07:00-21:00'") from None
            if not 0 <= m0 < m1 <= 1440:
                raise ForecastInputError(f"opening hours: {part!r} must run forward within one day")
            days = range(d0, d1 + 1) if d0 <= d1 else [*range(d0, 7), *range(0, d1 + 1)]
            starts = np.arange(slots) * interval_minutes
            for d in days:
                mask[d] |= (starts >= m0) & (starts < m1)
        return cls(interval_minutes, mask)

    def is_open(self, ts: pd.DatetimeIndex) -> np.ndarray:
        """Boolean array: is each timestamp (on this grid) inside opening hours?"""
        slot = (ts.hour * 60 + ts.minute) // self.interval_minutes
        return self.mask[np.asarray(ts.day_of_week), np.asarray(slot)]


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def learn_opening_hours(y: np.ndarray, ts: pd.DatetimeIndex, *, interval_minutes: int,
                        weeks: int = 8) -> OpeningHours:
    """Learn opening hours from the last ``weeks`` weeks of a series on a regular grid.

    An interval of a weekday is open when at least one contact arrived in it in that window
    (missing values say nothing). A weekday never observed in the window is closed. When the
    window shows nothing at all the whole history is used.

    Example:
        >>> ts = pd.date_range("2024-01-01", periods=14 * 24, freq="60min")
        >>> y = np.where(ts.hour >= 8, 5.0, 0.0)
        >>> learn_opening_hours(y, ts, interval_minutes=60).mask[0, 7:9].tolist()
        [False, True]
    """
    y = np.asarray(y, dtype=float)
    slots = 1440 // interval_minutes
    keep = ts >= ts[-1] - pd.Timedelta(weeks=weeks) if len(ts) else np.zeros(0, bool)
    mask = np.zeros((7, slots), dtype=bool)
    for window in (keep, np.ones(len(ts), dtype=bool)):
        pos = window & (np.nan_to_num(y, nan=0.0) > 0)
        if pos.any():
            slot = (ts.hour[pos] * 60 + ts.minute[pos]) // interval_minutes
            mask[np.asarray(ts.day_of_week[pos]), np.asarray(slot)] = True
            break
    return OpeningHours(interval_minutes, mask)


#: results a :class:`Calendar` remembers (:meth:`Calendar.remember`)
MEMO_SIZE = 256


def daily_span(idx: pd.DatetimeIndex) -> tuple[str, int, int] | None:
    """``(dtype, first day as an integer, number of days)`` when ``idx`` holds consecutive
    midnights one day apart (a key for :meth:`Calendar.remember`), else None.

    Example:
        >>> days = pd.date_range("2025-01-06", periods=3)
        >>> daily_span(days) == (str(days.dtype), int(days.asi8[0]), 3)
        True
        >>> daily_span(pd.DatetimeIndex(["2025-01-06", "2025-01-08"])) is None
        True
    """
    if not len(idx):
        return None
    values = idx.asi8
    if len(values) > 1:
        step = values[1] - values[0]
        if idx[1] - idx[0] != pd.Timedelta(days=1) or not (np.diff(values) == step).all():
            return None
    elif idx[0] != idx[0].normalize():
        return None
    return str(idx.dtype), int(values[0]), len(values)


@lru_cache(maxsize=64)
def _optional_dates(country: str, subdivision: str | None, years: tuple[int, ...]) -> frozenset[dt.date]:
    """Dates of the ``holidays`` package's "optional" category (Israel: Chol HaMoed of Pesach and
    Sukkot, Purim, Remembrance Day, ...); empty where the country has no such category."""
    try:
        found = holidays_pkg.country_holidays(country, subdiv=subdivision, years=list(years), categories=("optional",))
    except (NotImplementedError, ValueError):
        return frozenset()
    return frozenset(found)


@lru_cache(maxsize=64)
def _holiday_dates(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict[dt.date, str]:
    try:
        found = holidays_pkg.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError:
        raise ForecastInputError(f"country {country!r} is not known to the holidays package") from None
    return dict(found)


@dataclass(frozen=True)
class Calendar:
    """Holidays of ``country``/``subdivision``, user ``special_days`` and ``opening`` hours.

    ``opening=None`` means open every interval.
    """

    country: str | None = None
    subdivision: str | None = None
    special_days: tuple[SpecialDay, ...] = ()
    opening: OpeningHours | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.country is not None:
            object.__setattr__(self, "country", self.country.upper())
            _holiday_dates(self.country, self.subdivision, (2000,))

    def holidays(self, dates) -> dict[dt.date, str]:
        """Public holidays among ``dates`` (anything ``pd.to_datetime`` reads) as date -> name."""
        if self.country is None:
            return {}
        idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
        if not len(idx):
            return {}
        years = tuple(range(int(idx.year.min()) - 1, int(idx.year.max()) + 2))
        table = _holiday_dates(self.country, self.subdivision, years)
        return {d.date(): table[d.date()] for d in idx if d.date() in table}

    def day_kinds(self, dates) -> np.ndarray:
        """Per date: REGULAR (0), HOLIDAY (1), EVE (2, day before a holiday where it applies) or
        SPECIAL (3, a user special day; overrides the others)."""
        idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
        span = daily_span(idx)
        if span is None:
            return self._day_kinds(idx)
        return self.remember(("day_kinds", *span), lambda: self._day_kinds(idx))

    def remember(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        """``make()``, computed once per ``key`` for this calendar and then copied: for pure
        functions of the calendar and a run of days (:func:`daily_span`), which the models
        fitted on one series ask for again and again (every candidate at every backtest
        origin). Keeps at most ``MEMO_SIZE`` results (then starts again)."""
        memo = self.__dict__.setdefault("_memo", {})
        found = memo.get(key)
        if found is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            found = memo[key] = np.asarray(make()).copy()
        return found.copy()

    def _day_kinds(self, idx: pd.DatetimeIndex) -> np.ndarray:
        kinds = np.zeros(len(idx), dtype=np.int8)
        if self.country is not None and len(idx):
            span = pd.date_range(idx.min() - pd.Timedelta(days=1), idx.max() + pd.Timedelta(days=1))
            hol = set(self.holidays(span))
            dates_ = [d.date() for d in idx]
            if self.country in EVE_COUNTRIES:
                eve = np.array([(d + dt.timedelta(days=1)) in hol for d in dates_], dtype=bool)
                kinds[eve] = EVE
            kinds[np.array([d in hol for d in dates_], dtype=bool)] = HOLIDAY
        special = self._special_map()
        if special:
            kinds[np.array([d.date() in special for d in idx], dtype=bool)] = SPECIAL
        return kinds

    def intraday_kinds(self, dates) -> np.ndarray:
        """:meth:`day_kinds` plus BRIDGE (4) for a regular date that is an optional holiday of the
        country (Israel's Chol HaMoed) or a weekday between a public holiday and a Saturday or
        Sunday (the Friday after Thanksgiving). Such days are like no ordinary day: the intraday
        update lets their morning set their level (:mod:`forecasting.intraday`).

        Example:
            >>> Calendar("IL").intraday_kinds(pd.to_datetime(["1999-09-23", "1999-09-27"])).tolist()
            [0, 4]
        """
        idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
        kinds = self.day_kinds(idx)
        if self.country is None or not len(idx):
            return kinds
        years = tuple(range(int(idx.year.min()) - 1, int(idx.year.max()) + 2))
        optional = _optional_dates(self.country, self.subdivision, years)
        hol = set(self.holidays(pd.date_range(idx.min() - pd.Timedelta(days=1), idx.max() + pd.Timedelta(days=1))))
        for i, d in enumerate(idx):
            if kinds[i] != REGULAR:
                continue
            day = d.date()
            before, after = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
            between = d.day_of_week < 5 and ((before in hol and after.weekday() >= 5) or (after in hol and before.weekday() >= 5))
            if day in optional or between:
                kinds[i] = BRIDGE
        return kinds

    def special_multipliers(self, dates) -> np.ndarray:
        """Per date the user multiplier (0 when closed, 1 when not a special day)."""
        idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
        special = self._special_map()
        return np.array([special[d.date()].multiplier if d.date() in special else 1.0 for d in idx])

    def _special_map(self) -> dict[dt.date, SpecialDay]:
        return {s.date: s for s in self.special_days}

    def is_open(self, ts: pd.DatetimeIndex) -> np.ndarray:
        """Is each timestamp inside opening hours (always True without ``opening``)."""
        if self.opening is None:
            return np.ones(len(ts), dtype=bool)
        return self.opening.is_open(ts)


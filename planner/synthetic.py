"""A seeded synthetic multi-channel contact centre, for where a known truth is needed.

The real series in ``data/`` are voice only and carry no handle time; this generator adds
what they lack, with the true rates kept beside the sampled counts so that tests can
compare a forecast or a staffing plan with the truth:

- voice 24/7 (two daily peaks, quiet nights), chat and messaging in business hours
  (Mon-Sat 08:00-20:00, closed on public holidays), email arriving all day, every day
  (worked in office hours by the scheduler, not by the generator);
- weekly seasonality (Monday busiest, Sunday quietest), US public holidays (volume x 0.45
  on voice and email, chat and messaging closed), linear growth per week;
- handle time per interval (longer at night, shorter in the afternoon) with sampling
  noise that shrinks with the number of contacts handled;
- abandonment on voice and chat that rises with the interval's load.

Counts are Poisson around the true rate, so the noise floor is known exactly.

>>> history, truth = generate_centre(weeks=2, seed=1)
>>> sorted(history["channel"].unique())
['chat', 'email', 'messaging', 'voice']
"""

from __future__ import annotations

from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd

from wfm_errors import InputError


@dataclass(frozen=True)
class ChannelSpec:
    """The truth behind one synthetic channel (volumes per day on a Monday, before growth)."""

    channel: str
    monday_volume: float
    aht_s: float
    open_hours: tuple[int, int] | None  # [start, end) hour of day; None = 24 hours
    open_days: tuple[int, ...]  # weekdays open, Monday = 0
    closed_on_holidays: bool
    abandon_base: float  # share abandoning at average load (0 for deferred channels)


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("voice", 2600.0, 300.0, None, tuple(range(7)), False, 0.05),
    ChannelSpec("chat", 900.0, 480.0, (8, 20), tuple(range(6)), True, 0.03),
    ChannelSpec("messaging", 420.0, 600.0, (8, 20), tuple(range(6)), True, 0.0),
    ChannelSpec("email", 650.0, 420.0, None, tuple(range(7)), False, 0.0),
)
WEEKDAY_FACTOR = np.array([1.0, 0.93, 0.9, 0.88, 0.85, 0.55, 0.38])  # Monday .. Sunday
HOLIDAY_FACTOR = 0.45
WEEKLY_GROWTH = 0.004  # +0.4 % per week


def _intraday_shape(hours: np.ndarray, channel: str) -> np.ndarray:
    """Relative arrival intensity by hour of day (fractional hours), before normalising."""
    if channel == "email":
        return 0.25 + np.exp(-0.5 * ((hours - 10.5) / 3.0) ** 2) + 0.6 * np.exp(-0.5 * ((hours - 20.0) / 2.5) ** 2)
    base = 0.04 + np.exp(-0.5 * ((hours - 10.75) / 1.8) ** 2) + 0.85 * np.exp(-0.5 * ((hours - 15.0) / 2.2) ** 2)
    if channel == "voice":
        base += 0.25 * np.exp(-0.5 * ((hours - 19.5) / 1.5) ** 2)
    return base


def generate_centre(
    *,
    start: str = "2025-01-06",
    weeks: int = 21,
    interval_minutes: int = 15,
    seed: int = 7,
    country: str = "US",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sampled History rows and the truth behind them.

    Returns ``(history, truth)``: ``history`` in the History format (``interval_start, queue,
    channel, offered, handled, abandoned, aht_s``; closed intervals have no row), ``truth`` with
    ``interval_start, queue, channel, rate, aht_s, open`` (``rate`` = expected arrivals in the
    interval, ``aht_s`` the true mean handle time).
    """
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=weeks * 7 * 24 * 60 // interval_minutes, freq=f"{interval_minutes}min")
    hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0 + interval_minutes / 120.0
    weekday = times.day_of_week.to_numpy()
    day_index = (times.normalize() - times[0].normalize()).days.to_numpy()
    years = range(times[0].year, times[-1].year + 1)
    holiday_dates = set(holidays.country_holidays(country, years=years))
    is_holiday = np.array([d in holiday_dates for d in times.date])
    growth = 1.0 + WEEKLY_GROWTH * day_index / 7.0

    history_parts, truth_parts = [], []
    for spec in CHANNELS:
        shape = _intraday_shape(hours, spec.channel)
        is_open = np.isin(weekday, spec.open_days)
        if spec.open_hours is not None:
            is_open &= (times.hour >= spec.open_hours[0]) & (times.hour < spec.open_hours[1])
        if spec.closed_on_holidays:
            is_open &= ~is_holiday
        # normalise the shape so that an open Monday sums to monday_volume
        monday = (weekday == 0) & is_open
        first_monday = monday & (day_index == day_index[monday].min())
        scale = spec.monday_volume / shape[first_monday].sum()
        rate = scale * shape * WEEKDAY_FACTOR[weekday] * growth
        rate = np.where(is_holiday, rate * HOLIDAY_FACTOR, rate)
        rate = np.where(is_open, rate, 0.0)
        night = (hours < 7) | (hours >= 22)
        aht = spec.aht_s * np.where(night, 1.15, 1.0) * (1.0 - 0.05 * np.sin((hours - 6.0) / 24.0 * 2 * np.pi))
        offered = rng.poisson(rate)
        load = rate / max(rate[is_open].mean(), 1e-9)
        p_abandon = np.clip(spec.abandon_base * load**1.5, 0.0, 0.5)
        abandoned = rng.binomial(offered, p_abandon)
        handled = offered - abandoned
        # mean of `handled` gamma(shape=2) handle times: cv of the mean = 1/sqrt(2 * handled)
        with np.errstate(divide="ignore", invalid="ignore"):
            sampled_aht = np.where(
                handled > 0, rng.gamma(2.0 * np.maximum(handled, 1), aht / (2.0 * np.maximum(handled, 1))), np.nan
            )
        history_parts.append(
            pd.DataFrame(
                {
                    "interval_start": times[is_open],
                    "queue": "main",
                    "channel": spec.channel,
                    "offered": offered[is_open],
                    "handled": handled[is_open],
                    "abandoned": abandoned[is_open],
                    "aht_s": np.round(sampled_aht[is_open], 1),
                }
            )
        )
        truth_parts.append(
            pd.DataFrame(
                {"interval_start": times, "queue": "main", "channel": spec.channel, "rate": rate, "aht_s": aht, "open": is_open}
            )
        )
    history = pd.concat(history_parts, ignore_index=True)
    truth = pd.concat(truth_parts, ignore_index=True)
    return history, truth


#: channels of :func:`generate_many_queues` with their open hours ([start, end) hour; None =
#: 24 hours), weekdays open (Monday = 0) and mean handle time (s)
MANY_CHANNELS: tuple[tuple[str, tuple[int, int] | None, tuple[int, ...], float], ...] = (
    ("voice", None, tuple(range(7)), 300.0),
    ("voice", (8, 20), tuple(range(6)), 330.0),
    ("chat", (8, 20), tuple(range(6)), 480.0),
    ("messaging", (8, 22), tuple(range(7)), 600.0),
    ("email", None, tuple(range(7)), 420.0),
    ("backoffice", (9, 17), tuple(range(5)), 900.0),
)


def true_rates(truth: pd.DataFrame, channel: str, *, interval_minutes: int) -> pd.Series:
    """The generator's expected arrivals per ``interval_minutes`` interval of ``channel`` (the
    sum of ``truth``'s ``rate`` over the interval: Poisson counts of disjoint intervals add),
    indexed by interval start; ``truth`` as :func:`generate_centre` returns it (or
    data/sample/truth.csv.gz). A forecast equal to these rates is the best any forecast can be:
    its WAPE on the sampled counts is the noise floor the re-forecast is measured against."""
    rows = truth[truth["channel"] == channel]
    if rows.empty:
        raise InputError(f"truth: no rows for channel {channel!r} (channels {sorted(truth['channel'].unique())})")
    starts = pd.to_datetime(rows["interval_start"])
    return rows["rate"].groupby(starts.dt.floor(f"{interval_minutes}min")).sum().astype(float)


def generate_many_queues(
    *,
    series: int = 500,
    weeks: int = 10,
    start: str = "2025-01-06",
    interval_minutes: int = 30,
    seed: int = 15,
    min_weekly: float = 20.0,
    max_weekly: float = 20_000.0,
    country: str = "US",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Many seeded queue x channel series with realistic shapes, for scale benchmarks.

    Each series gets a channel pattern (24/7 voice, business-hours voice, chat, messaging,
    email, back office), a weekly volume drawn log-uniformly from ``min_weekly`` to
    ``max_weekly`` contacts, its own intraday peaks, weekday profile and growth; about a third
    follow public holidays (closed, or volume x 0.3-0.7) and about a quarter have gaps (whole
    days or half-day blocks of missing rows - missing, never zero). Counts are Poisson around
    the true rate.

    Returns ``(history, series_table)``: History rows (``interval_start, queue, channel,
    offered, aht_s``; closed intervals and gaps have no row) and one row per series
    (``queue, channel, weekly_volume, holidays, gaps``). The same arguments give the same frames.
    """
    if series < 1 or weeks < 1:
        raise InputError(f"series ({series}) and weeks ({weeks}) must be >= 1")
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=weeks * 7 * 24 * 60 // interval_minutes, freq=f"{interval_minutes}min")
    hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0 + interval_minutes / 120.0
    weekday = times.day_of_week.to_numpy()
    day_index = (times.normalize() - times[0].normalize()).days.to_numpy()
    holiday_dates = set(holidays.country_holidays(country, years=range(times[0].year, times[-1].year + 1)))
    is_holiday = np.array([d in holiday_dates for d in times.date])
    parts, table = [], []
    for i in range(series):
        channel, open_hours, open_days, aht_s = MANY_CHANNELS[int(rng.integers(len(MANY_CHANNELS)))]
        weekly = float(np.exp(rng.uniform(np.log(min_weekly), np.log(max_weekly))))
        morning, afternoon = rng.uniform(9.0, 12.0), rng.uniform(13.5, 17.0)
        shape = (0.05 + np.exp(-0.5 * ((hours - morning) / rng.uniform(1.2, 2.5)) ** 2)
                 + rng.uniform(0.4, 1.0) * np.exp(-0.5 * ((hours - afternoon) / rng.uniform(1.5, 3.0)) ** 2))
        days = WEEKDAY_FACTOR * rng.uniform(0.85, 1.15, 7)
        is_open = np.isin(weekday, open_days)
        if open_hours is not None:
            is_open &= (hours >= open_hours[0]) & (hours < open_hours[1])
        follows = rng.random() < 0.35
        holiday_effect = 0.0 if follows and rng.random() < 0.5 else float(rng.uniform(0.3, 0.7))
        rate = shape * days[weekday] * (1.0 + rng.uniform(-0.005, 0.01) * day_index / 7.0)
        rate = np.where(is_open, rate, 0.0)
        first_week = day_index < 7
        rate *= weekly / max(rate[first_week].sum(), 1e-9)
        if follows:
            rate = np.where(is_holiday, rate * holiday_effect, rate)
        keep = is_open & ~(follows & is_holiday & (holiday_effect == 0.0))
        gaps = rng.random() < 0.25
        if gaps:  # whole missing days and half-day blocks, never in the last two weeks
            last = max(1, weeks * 7 - 14)
            for day in rng.choice(last, size=min(last, int(rng.integers(1, 4))), replace=False):
                block = day_index == day
                if rng.random() < 0.5:
                    block &= hours < 12
                keep &= ~block
        offered = rng.poisson(rate)
        handled = np.maximum(offered, 1)
        sampled_aht = rng.gamma(2.0 * handled, aht_s / (2.0 * handled))
        queue = f"q{i:03d}"
        parts.append(pd.DataFrame({"interval_start": times[keep], "queue": queue, "channel": channel,
                                   "offered": offered[keep], "aht_s": np.round(sampled_aht[keep], 1)}))
        table.append({"queue": queue, "channel": channel, "weekly_volume": round(weekly, 1),
                      "holidays": "closed" if follows and holiday_effect == 0.0 else
                      (f"x{holiday_effect:.2f}" if follows else "ignored"), "gaps": gaps})
    return pd.concat(parts, ignore_index=True), pd.DataFrame(table)

"""Forecasting models behind one contract, and the registry :data:`MODELS`.

Every model takes a series on a regular grid (contacts per interval, NaN where not observed),
its timestamps (tz-naive local time) and a :class:`~forecasting.calendar.Calendar`, and predicts
the mean and the 10%/90% quantiles for future timestamps on the same grid::

    model = MODELS["decomposition"]().fit(y, ts, calendar)
    mean, lo, hi = model.predict(ts_future, quantiles=(0.1, 0.9))

Inside, a series is a days x intervals-of-the-day matrix. The shared base class does what every
model needs the same way: holidays, eves, user special days and outlier days are left out of
estimation (and outlier intervals too); the forecast of a holiday is the model's own forecast of
the reference weekday (the quiet day of the week where there is one, e.g. Saturday) times the
ratio learned from past holidays in the history; the first ``rebound_days`` open days after a
holiday (the held-over work) get their own learned ratios, shrunk towards 1 by the noise of an
ordinary day; closed intervals forecast 0; user multipliers apply last. Subclasses only
forecast *regular* days.

Prediction intervals: with error scale s(F) = sqrt(F + 1 + k^2 F^2) (Poisson noise plus a
proportional model error k), lo/hi = F + z_lo s(F), F + z_hi s(F). :meth:`DayModel.calibrate` sets
k, z_lo and z_hi from backtest errors; before that they are k = 0.05 and +-1.2816 (normal).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd
from scipy.stats import norm

from wfm_errors import ForecastInputError
from forecasting.calendar import EVE, HOLIDAY, REGULAR, SPECIAL, Calendar, daily_span

__all__ = ["Model", "DayModel", "MODELS", "make_model", "Ensemble", "SIMPLE_MODEL", "shrunk_ratio"]

DAY = pd.Timedelta(days=1)
AFTER = 4  # key of the first-day-after-a-holiday effect in DayModel.effect
#: the model used when the history is too short for anything else
SIMPLE_MODEL = "seasonal_naive"


@runtime_checkable
class Model(Protocol):
    """What every forecasting model offers, and what :mod:`forecasting.api` reads of it.

    ``z``: the (lower, upper) standardised quantiles of the 10-90 % band (normal ones until
    :meth:`calibrate`); ``kappa``: the over-dispersion of the band's scale
    ``sqrt(f + 1 + kappa^2 f^2)`` (contacts); ``examples``: after :meth:`fit`, how many past
    days of each calendar kind (``forecasting.calendar.HOLIDAY``, ``EVE``, and the day after)
    the model learned its effect from (0: the forecast warns that it has no example).
    """

    name: str
    z: tuple[float, float]
    kappa: float
    examples: dict[int, int]

    def fit(self, y: np.ndarray, ts: pd.DatetimeIndex, calendar: Calendar) -> Self: ...

    def calibrate(self, actual: np.ndarray, forecast: np.ndarray, *,
                  quantiles: tuple[float, float] = (0.1, 0.9)) -> Self: ...

    def predict(self, ts_future: pd.DatetimeIndex, *,
                quantiles: tuple[float, float] = (0.1, 0.9)) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def _nanmean(a: np.ndarray, axis: int = 0, weights: np.ndarray | None = None) -> np.ndarray:
    ok = ~np.isnan(a)
    w = ok.astype(float) if weights is None else ok * np.expand_dims(weights, 1 - axis)
    total = np.where(ok, a, 0.0) * w
    den = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, total.sum(axis=axis) / np.where(den > 0, den, 1), np.nan)


def shrunk_ratio(ratios: Sequence[float], noise_var: float) -> float:
    """Geometric mean of ``ratios`` shrunk towards 1 (positive-part James-Stein on the log
    scale): the mean log m of n examples keeps the share max(0, 1 - v / (n m^2)), v the
    variance of one ordinary day's log ratio to its level. An effect that ordinary days reach
    by chance fades to 1; a large, repeated one is kept. (The examples' own variance is not
    used: with 2-4 holidays a year it is too unstable, and it over-shrank the US bank's
    rebounds on the origins before the evaluation weeks.)

    Example:
        >>> shrunk_ratio([1.2, 1.2, 1.2], 0.0), round(shrunk_ratio([1.02, 1.02], 0.0025), 3)
        (1.2, 1.0)
    """
    x = np.log(np.maximum(np.asarray(ratios, dtype=float), 1e-3))
    n, m = len(x), float(np.mean(x))
    if m == 0.0:
        return 1.0
    return float(np.exp(m * max(0.0, 1.0 - noise_var / (n * m * m))))


class DayModel:
    """Base class: turns the series into a days x slots matrix and applies the calendar."""

    name = "base"
    #: weeks of history the model looks at (the base class still learns holidays from all)
    weeks = 8
    #: open days after a holiday that get their own learned rebound effect (and are kept out
    #: of the regular level and profile)
    rebound_days = 2

    def __init__(self) -> None:
        self.kappa = 0.05
        self.z = (float(norm.ppf(0.1)), float(norm.ppf(0.9)))

    # ----------------------------------------------------------------- fitting
    def fit(self, y: np.ndarray, ts: pd.DatetimeIndex, calendar: Calendar) -> Self:
        y = np.asarray(y, dtype=float)
        ts = pd.DatetimeIndex(ts)
        if y.shape != (len(ts),):
            raise ValueError(f"y has {y.size} values but ts has {len(ts)} timestamps")
        if len(ts) < 2:
            raise ForecastInputError("a series needs at least two intervals to fit")
        step = ts[1] - ts[0]
        self.interval_minutes = int(step / pd.Timedelta(minutes=1))
        if self.interval_minutes <= 0 or 1440 % self.interval_minutes:
            raise ForecastInputError(f"interval of {step} does not divide a day")
        self.S = 1440 // self.interval_minutes
        self.calendar = calendar
        self.day0 = ts[0].normalize()
        rel = (ts - self.day0) // pd.Timedelta(minutes=self.interval_minutes)
        rel = np.asarray(rel, dtype=np.int64)
        self.D = int(rel[-1] // self.S) + 1
        Y = np.full(self.D * self.S, np.nan)
        Y[rel] = y
        Y = Y.reshape(self.D, self.S)
        self.first_obs = int(rel[0])  # leading padding before the first timestamp is not data
        self.days = self.day0 + pd.to_timedelta(np.arange(self.D), unit="D")
        self.wd = np.asarray(self.days.day_of_week)
        self.kinds = calendar.day_kinds(self.days)
        mask = (calendar.opening.mask if calendar.opening is not None
                else np.ones((7, self.S), dtype=bool))
        if mask.shape[1] != self.S:
            raise ValueError(f"opening hours are on a {1440 // mask.shape[1]}-minute grid, "
                             f"the series on {self.interval_minutes} minutes")
        self.open = mask
        Y = np.where(mask[self.wd], Y, np.nan)  # closed intervals are not data
        self.Y_raw = Y
        self.after_k = self.after_holiday(self.days)
        self.after = self.after_k > 0
        self.after_gap = self._after_gap(Y) & ~self.after
        self._learn_levels(Y)
        clean = self._clean(Y)
        self.Y = clean
        self._learn_calendar_effects(Y)
        self._fit(clean)
        return self

    def _day_totals(self, Y: np.ndarray) -> np.ndarray:
        """Daily totals where the day's open intervals are all observed, else NaN."""
        open_ = self.open[self.wd]
        complete = ~(np.isnan(Y) & open_).any(axis=1) & open_.any(axis=1)
        return np.where(complete, np.nansum(Y, axis=1), np.nan)

    def _learn_levels(self, Y: np.ndarray) -> None:
        """Median daily total per weekday over recent regular days; quiet and short weekdays."""
        T = self._day_totals(Y)
        regular = self.kinds == REGULAR
        recent = np.arange(self.D) >= self.D - 7 * self.weeks
        lvl = np.full(7, np.nan)
        for w in range(7):
            sel = (self.wd == w) & regular & ~np.isnan(T)
            if (sel & recent).any():
                sel &= recent
            if sel.any():
                lvl[w] = np.median(T[sel])
        open_days = np.flatnonzero(self.open.any(axis=1) & (np.nan_to_num(lvl) > 0))
        self.weekday_level = lvl
        self.T = T
        if len(open_days) >= 2:
            order = open_days[np.argsort(lvl[open_days])]
            med = np.median(lvl[open_days])
            self.has_quiet = bool(lvl[order[0]] < 0.6 * med)
            self.quiet_wd = int(order[0])
            self.short_wd = int(order[1]) if lvl[order[1]] < 0.8 * med else int(order[0])
        else:
            self.has_quiet, self.quiet_wd, self.short_wd = False, 0, 0

    def _clean(self, Y: np.ndarray) -> np.ndarray:
        """Leave out non-regular days, outlier days and outlier intervals (set to NaN)."""
        Y = Y.copy()
        Y[(self.kinds != REGULAR) | self.after | self.after_gap] = np.nan
        T = self.T
        lvl = self.weekday_level[self.wd]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = T / lvl
        odd_day = (ratio > 1.6) | (ratio < 0.4)
        Y[odd_day & ~np.isnan(ratio)] = np.nan
        # outlier intervals: far above the median of the same weekday and interval
        ref = np.full((7, self.S), np.nan)
        recent = slice(max(0, self.D - 7 * self.weeks), self.D)
        for w in range(7):
            rows = Y[recent][self.wd[recent] == w]
            if len(rows) and (~np.isnan(rows)).any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    ref[w] = np.nanmedian(rows, axis=0)
        r = ref[self.wd]
        limit = 2.0 * r + 6.0 * np.sqrt(np.nan_to_num(r) + 1.0) + 3.0
        spike = ~np.isnan(r) & (Y > limit)
        Y[spike] = np.nan
        return Y

    def _base_weekday(self, kind: int, w: int) -> int:
        if kind == HOLIDAY and self.has_quiet:
            return self.quiet_wd
        if kind == EVE and self.has_quiet:
            return self.short_wd
        return w

    def _learn_calendar_effects(self, Y: np.ndarray) -> None:
        """Ratio of past holidays (and eves) to their reference weekday's nearby level, and of
        the k-th open day after a holiday (k = 1..``rebound_days``) to its own weekday's
        nearby regular level."""
        T = self.T
        self.effect = {HOLIDAY: 1.0, EVE: 1.0, AFTER: 1.0}
        self.examples = {HOLIDAY: 0, EVE: 0, AFTER: 0}
        size = max(self.rebound_days, 1) + 1
        self.after_effect = np.ones(size)  # index k; [0] (not after a holiday) stays 1
        self.after_examples = np.zeros(size, dtype=int)
        noise = self._day_ratio_noise(T)
        for k in range(1, self.rebound_days + 1):
            ratios = []
            for d in np.flatnonzero((self.after_k == k) & ~np.isnan(T)):
                near = ((self.wd == self.wd[d]) & (self.kinds == REGULAR) & ~self.after
                        & ~self.after_gap & ~np.isnan(T)
                        & (np.abs(np.arange(self.D) - d) <= 28))
                if near.any() and np.median(T[near]) > 0:
                    ratios.append(T[d] / np.median(T[near]))
            if ratios:
                self.after_effect[k] = shrunk_ratio(ratios, noise)
                self.after_examples[k] = len(ratios)
        self.effect[AFTER] = float(self.after_effect[1])
        self.examples[AFTER] = int(self.after_examples[1])
        for kind in (HOLIDAY, EVE):
            ratios = []
            for d in np.flatnonzero((self.kinds == kind) & ~np.isnan(T)):
                b = self._base_weekday(kind, int(self.wd[d]))
                near = ((self.wd == b) & (self.kinds == REGULAR) & ~np.isnan(T)
                        & (np.abs(np.arange(self.D) - d) <= 28))
                if near.any() and np.median(T[near]) > 0:
                    ratios.append(T[d] / np.median(T[near]))
            if ratios:
                self.effect[kind] = float(np.median(ratios))
                self.examples[kind] = len(ratios)

    def _day_ratio_noise(self, T: np.ndarray) -> float:
        """Variance of log(day total / median of the same weekday within 4 weeks) over regular
        days: how far one day strays from its level by chance (0 with fewer than 10 days)."""
        reg = ((self.kinds == REGULAR) & ~self.after & ~self.after_gap & ~np.isnan(T)
               & (np.nan_to_num(T) > 0))
        # every candidate model at a backtest origin sees the same days: computed once for them
        key = ("day_ratio_noise", reg.tobytes(), np.asarray(self.wd).tobytes(), T.tobytes())
        return float(self.calendar.remember(key, lambda: self._day_ratio_noise_of(T, reg)))

    def _day_ratio_noise_of(self, T: np.ndarray, reg: np.ndarray) -> float:
        logs = []
        for d in np.flatnonzero(reg):
            near = reg & (self.wd == self.wd[d]) & (np.abs(np.arange(self.D) - d) <= 28)
            near[d] = False
            if near.sum() >= 3:
                logs.append(np.log(T[d] / np.median(T[near])))
        return float(np.var(logs)) if len(logs) >= 10 else 0.0

    def after_holiday(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Per date, k when it is the k-th open regular day (k <= ``rebound_days``) after a
        public holiday that fell on an open weekday, else 0. The work held over from the
        holiday arrives then, most of it on the first day and the rest over the next few
        (US bank 2003: +27/+11/+5% after Memorial Day, +35/+18/+11% after Labor Day);
        another holiday ends the run."""
        K = self.rebound_days
        if K < 1:
            return np.zeros(len(dates), dtype=int)
        span = daily_span(pd.DatetimeIndex(dates))
        if span is None:
            return self._after_holiday_runs(dates)
        open_wd = self.open.any(axis=1)
        return self.calendar.remember(("after_holiday", K, open_wd.tobytes(), *span),
                                      lambda: self._after_holiday_runs(dates))

    def _after_holiday_runs(self, dates: pd.DatetimeIndex) -> np.ndarray:
        K = self.rebound_days
        pad = 7 * ((K + 4) // 5 + 1)  # enough calendar days to hold K open days and a weekend
        ext = pd.date_range(dates[0] - pd.Timedelta(days=pad), dates[-1])
        kinds = self.calendar.day_kinds(ext)
        open_wd = self.open.any(axis=1)[np.asarray(ext.day_of_week)]
        out = np.zeros(len(ext), dtype=int)
        run = 0  # open regular days since the last holiday on an open weekday (0: none yet)
        for i in range(len(ext)):
            if not open_wd[i]:
                continue
            if kinds[i] == HOLIDAY:
                run = 1
                continue
            if kinds[i] != REGULAR:
                run = 0
                continue
            if 0 < run <= K:
                out[i] = run
                run += 1
            else:
                run = 0
        return out[pad:]

    def _after_gap(self, Y: np.ndarray) -> np.ndarray:
        """First observed open day after an open weekday that is missing from the history (no
        data at all, e.g. an unlisted closure): like the day after a holiday it carries the
        held-over work, so it is kept out of the regular level and profile (the rebound effect
        itself is learned from holidays only, whose dates are known in advance)."""
        open_wd = self.open.any(axis=1)[self.wd]
        seen = ~np.isnan(Y).all(axis=1)
        out = np.zeros(self.D, dtype=bool)
        first = self.first_obs // self.S
        for d in np.flatnonzero(seen & open_wd):
            j = d - 1
            while j >= first and not open_wd[j]:
                j -= 1
            out[d] = j >= first and not seen[j] and self.kinds[j] == REGULAR
        return out

    def _recent_rows(self, w: int, n: int, Y: np.ndarray | None = None) -> np.ndarray:
        """The last ``n`` days of weekday ``w`` that carry any data, newest first."""
        Y = self.Y if Y is None else Y
        idx = np.flatnonzero((self.wd == w) & ~np.isnan(Y).all(axis=1))[::-1][:n]
        return Y[idx]

    def _fit(self, Y: np.ndarray) -> None:
        raise TypeError(f"{type(self).__name__} must implement _fit")

    def forecast_days(self, day_idx: np.ndarray) -> np.ndarray:
        """Regular-day forecast (len(day_idx), S) for absolute day numbers >= self.D - 1."""
        raise TypeError(f"{type(self).__name__} must implement forecast_days")

    # -------------------------------------------------------------- predicting
    def predict_mean(self, ts_future: pd.DatetimeIndex) -> np.ndarray:
        """Mean forecast per timestamp (contacts per interval), calendar applied."""
        ts_future = pd.DatetimeIndex(ts_future)
        if not len(ts_future):
            return np.zeros(0)
        rel = np.asarray((ts_future - self.day0) // pd.Timedelta(minutes=self.interval_minutes),
                         dtype=np.int64)
        day = rel // self.S
        slot = rel % self.S
        first, last = int(day.min()), int(day.max())
        last = max(last, first + 6)  # a full week, so every weekday has a regular forecast
        block = np.arange(first, last + 1)
        F = np.asarray(self.forecast_days(block), dtype=float)
        dates = self.day0 + pd.to_timedelta(block, unit="D")
        kinds = self.calendar.day_kinds(dates)
        wd = np.asarray(dates.day_of_week)
        F = np.where(np.isfinite(F) & self.open[wd], np.maximum(F, 0.0), 0.0)
        out = F.copy()
        open_rows = self.open[wd].copy()
        for i in np.flatnonzero((kinds == HOLIDAY) | (kinds == EVE)):
            b = self._base_weekday(int(kinds[i]), int(wd[i]))
            back = i - ((wd[i] - b) % 7)
            j = back if back >= 0 else i + ((b - wd[i]) % 7)
            out[i] = F[j] * self.effect[int(kinds[i])]  # F is the regular-day forecast
            open_rows[i] = self.open[b]
        out *= self.after_effect[self.after_holiday(dates)][:, None]
        mult = self.calendar.special_multipliers(dates)
        out[kinds == SPECIAL] *= mult[kinds == SPECIAL][:, None]
        out = np.where(open_rows, out, 0.0)
        return out[day - first, slot]

    def calibrate(self, actual: np.ndarray, forecast: np.ndarray, *,
                  quantiles: tuple[float, float] = (0.1, 0.9)) -> Self:
        """Set the interval scale from backtest errors (NaN and closed intervals skipped)."""
        a = np.asarray(actual, dtype=float)
        f = np.asarray(forecast, dtype=float)
        ok = ~np.isnan(a) & ~np.isnan(f) & (f > 0)
        if ok.sum() < 20:
            return self
        a, f = a[ok], f[ok]
        k2 = max(0.0, float((np.sum((a - f) ** 2) - np.sum(f)) / np.sum(f ** 2)))
        e = (a - f) / np.sqrt(f + 1.0 + k2 * f ** 2)
        self.kappa = float(np.sqrt(k2))
        self.z = (min(float(np.quantile(e, quantiles[0])), 0.0),
                  max(float(np.quantile(e, quantiles[1])), 0.0))
        self.calibrated_quantiles = tuple(quantiles)
        return self

    def predict(self, ts_future: pd.DatetimeIndex, *,
                quantiles: tuple[float, float] = (0.1, 0.9)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, lower and upper quantile per timestamp (contacts per interval, >= 0)."""
        mean = self.predict_mean(ts_future)
        if getattr(self, "calibrated_quantiles", (0.1, 0.9)) == tuple(quantiles):
            z_lo, z_hi = self.z
        else:
            z_lo, z_hi = float(norm.ppf(quantiles[0])), float(norm.ppf(quantiles[1]))
            z_lo, z_hi = min(z_lo, 0.0), max(z_hi, 0.0)
        scale = np.sqrt(mean + 1.0 + self.kappa ** 2 * mean ** 2)
        lo = np.where(mean > 0, np.clip(mean + z_lo * scale, 0.0, mean), 0.0)
        hi = np.where(mean > 0, np.maximum(mean + z_hi * scale, mean), 0.0)
        return mean, lo, hi


# ------------------------------------------------------------------ simple models
class SeasonalNaive(DayModel):
    """Same interval on the last observed regular day of the same weekday."""

    name = "seasonal_naive"

    def _fit(self, Y):
        self.last = np.zeros((7, self.S))
        for w in range(7):
            rows = self._recent_rows(w, self.weeks)
            if len(rows):
                filled = rows[0].copy()
                for r in rows[1:]:
                    filled = np.where(np.isnan(filled), r, filled)
                self.last[w] = np.nan_to_num(filled)

    def forecast_days(self, day_idx):
        return self.last[(self.day0.weekday() + day_idx) % 7]


class WeekMean(DayModel):
    """Mean (or median) of the same interval over the last ``k`` regular days of that weekday."""

    def __init__(self, k: int = 4, *, stat: str = "mean") -> None:
        super().__init__()
        self.k, self.stat = k, stat
        self.name = f"week_{stat}_{k}"

    def _fit(self, Y):
        self.prof = np.zeros((7, self.S))
        for w in range(7):
            rows = self._recent_rows(w, self.k)
            if len(rows):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    v = np.nanmean(rows, 0) if self.stat == "mean" else np.nanmedian(rows, 0)
                self.prof[w] = np.nan_to_num(v)

    def forecast_days(self, day_idx):
        return self.prof[(self.day0.weekday() + day_idx) % 7]


class ScaledProfile(WeekMean):
    """Mean of the same interval over 8 weeks, rescaled to the level of the last two weeks."""

    def __init__(self) -> None:
        super().__init__(8)
        self.name = "profile_scaled"

    def _fit(self, Y):
        super()._fit(Y)
        recent = np.arange(self.D) >= self.D - 14
        expected = self.prof[self.wd[recent]]
        obs = Y[recent]
        ok = ~np.isnan(obs)
        den = expected[ok].sum()
        self.scale = float(obs[ok].sum() / den) if den > 0 else 1.0
        self.scale = float(np.clip(self.scale, 0.5, 2.0))

    def forecast_days(self, day_idx):
        return self.scale * super().forecast_days(day_idx)


# --------------------------------------------------- decomposition: level x profile
class Decomposition(DayModel):
    """Daily total per weekday (weekday factor x smoothed level) times an intraday profile.

    The profile of a weekday is a recency-weighted mean over ``profile_weeks`` of each day's
    shares, shrunk towards the pooled profile of weekdays with a similar level and the same
    opening hours. The level is exponential smoothing (``alpha`` per day) of the daily totals
    divided by their weekday factors (with ``level_days``: their plain mean over the last that
    many observed days instead; a tuple of day counts picks one by rolling-origin backtest on
    the daily totals before the forecast origin). With ``shape_by_level`` the profile of a day also leans
    by its day-of-month level effect (per-interval slope learned from busy and quiet days).
    """

    name = "decomposition"
    weeks = 12

    def __init__(self, *, profile_weeks: int = 8, alpha: float = 0.1, shrink: float = 4.0,
                 decay: float = 0.9, level_weeks: int = 8,
                 month_days_shrink: float | None = 2.0, month_key: str = "calendar",
                 shape_by_level: bool = False, level_days: int | tuple[int, ...] | None = None,
                 name: str | None = None) -> None:
        super().__init__()
        self.level_days = level_days
        if name is not None:
            self.name = name
        self.profile_weeks, self.alpha, self.shrink, self.decay = profile_weeks, alpha, shrink, decay
        self.level_weeks, self.month_days_shrink = level_weeks, month_days_shrink
        self.month_key = month_key
        self.shape_by_level = shape_by_level

    def _profiles(self, Y: np.ndarray) -> np.ndarray:
        T = self._day_totals(Y)
        prof = np.zeros((7, self.S))
        n = np.zeros(7)
        for w in range(7):
            idx = np.flatnonzero((self.wd == w) & ~np.isnan(T) & (np.nan_to_num(T) > 0))
            idx = idx[::-1][: self.profile_weeks]
            if not len(idx):
                continue
            shares = Y[idx] / T[idx, None]
            weights = self.decay ** np.arange(len(idx))
            prof[w] = np.nan_to_num(_nanmean(shares, 0, weights))
            n[w] = weights.sum()
        pooled = prof.copy()
        lvl = np.nan_to_num(self.weekday_level)
        for w in range(7):
            similar = [v for v in range(7) if n[v] > 0 and lvl[w] > 0
                       and abs(lvl[v] / lvl[w] - 1) < 0.25 and (self.open[v] == self.open[w]).all()]
            if similar:
                pooled[w] = np.average(prof[similar], axis=0, weights=n[similar])
        prof = (n[:, None] * prof + self.shrink * pooled) / np.maximum(n[:, None] + self.shrink, 1e-9)
        s = prof.sum(axis=1, keepdims=True)
        return np.where(s > 0, prof / np.where(s > 0, s, 1), 0.0)

    def _fit(self, Y):
        self.prof = self._profiles(Y)
        T = self._day_totals(Y)
        self.dom_effect = self._month_day_effect(T)
        T = T / self._dom_factor(self.days)
        recent = np.arange(self.D) >= self.D - 7 * self.level_weeks
        factor = np.zeros(7)
        for w in range(7):
            sel = recent & (self.wd == w) & ~np.isnan(T)
            factor[w] = np.mean(T[sel]) if sel.any() else 0.0
        open_w = factor > 0
        self.factor = factor / (factor[open_w].mean() if open_w.any() else 1.0)
        x = np.where(self.factor[self.wd] > 0, T / np.where(self.factor[self.wd] > 0,
                                                             self.factor[self.wd], 1), np.nan)
        self.level_window = (self.choose_level_days(x) if isinstance(self.level_days, tuple)
                             else self.level_days)
        x = x[recent & ~np.isnan(x)]
        self.level = self._smooth_level(x)
        self.beta = self._shape_slope(Y) if self.shape_by_level else np.zeros(self.S)

    def choose_level_days(self, x: np.ndarray, *, cuts: int = 8) -> int:
        """The window (days) among ``level_days`` whose plain mean best forecast the next
        week's deseasonalised daily totals, over ``cuts`` weekly rolling origins inside the
        history (sum of absolute errors); the first candidate when there is too little data."""
        options = tuple(int(n) for n in self.level_days)
        days = np.flatnonzero(~np.isnan(x))
        err = np.zeros(len(options))
        for k in range(1, cuts + 1):
            cut = self.D - 7 * k
            past = x[days[days < cut]]
            future = x[days[(days >= cut) & (days < cut + 7)]]
            if len(past) < max(options) or not len(future):
                continue
            err += [np.abs(future - past[-n:].mean()).sum() for n in options]
        return options[int(np.argmin(err))]

    def _shape_slope(self, Y: np.ndarray) -> np.ndarray:
        """Per interval, the change of a day's share per unit of log(day total / the nearby
        level of its weekday), least squares over the last 16 weeks: busy days (month start
        and end) fill some intervals more than others."""
        ratio = self._dom_ratio
        beta = np.zeros(self.S)
        T = self._day_totals(Y)
        if ratio is None:
            return beta
        recent = np.arange(self.D) >= self.D - 7 * 16
        idx = np.flatnonzero(recent & ~np.isnan(ratio) & (np.nan_to_num(T) > 0))
        if len(idx) < 20:
            return beta
        dev = np.nan_to_num(Y[idx] / T[idx, None] - self.prof[self.wd[idx]])
        x = np.log(ratio[idx])
        x = x - x.mean()
        return (x @ dev) / (x @ x) if x @ x > 0 else beta

    def _month_day_effect(self, T: np.ndarray) -> np.ndarray:
        """Multiplier per day of the month (pay days, month end), from at least 2 months of
        daily totals relative to the nearby level of the same weekday; shrunk towards 1."""
        effect = np.ones(31)
        self._dom_ratio = None
        if self.month_days_shrink is None or np.sum(~np.isnan(T)) < 50:
            return effect
        ratio = np.full(self.D, np.nan)
        for d in np.flatnonzero(~np.isnan(T)):
            near = (self.wd == self.wd[d]) & ~np.isnan(T) & (np.abs(np.arange(self.D) - d) <= 28)
            near[d] = False  # the day itself would pull its own ratio towards 1
            ref = np.median(T[near]) if near.any() else 0.0
            if ref > 0 and near.sum() >= 3:
                ratio[d] = T[d] / ref
        self._dom_ratio = ratio
        dom = self._month_key(self.days)
        ok = ~np.isnan(ratio)
        dev = np.bincount(dom[ok], weights=ratio[ok] - 1, minlength=31)
        n = np.bincount(dom[ok], minlength=31)
        raw = dev / (n + self.month_days_shrink)
        smooth = 0.25 * np.roll(raw, 1) + 0.5 * raw + 0.25 * np.roll(raw, -1)
        return 1.0 + smooth

    def _month_key(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Position in the month: calendar day (0-30), or with ``month_key="business"`` the
        ordinal of the open, non-holiday day from the start (0-15) and from the end of the
        month (16-30 = last, second last, ...)."""
        if self.month_key == "calendar":
            return np.asarray(dates.day) - 1
        first = dates.min().to_period("M").start_time
        last = dates.max().to_period("M").end_time.normalize()
        span = pd.date_range(first, last)
        open_day = self.open.any(axis=1)[np.asarray(span.day_of_week)]
        open_day &= self.calendar.day_kinds(span) != HOLIDAY
        month = np.asarray(span.year * 12 + span.month)
        frame = pd.DataFrame({"m": month, "o": open_day.astype(int)})
        from_start = frame.groupby("m")["o"].cumsum().to_numpy() - 1
        from_end = frame[::-1].groupby("m")["o"].cumsum()[::-1].to_numpy() - 1
        key = np.where(from_start <= from_end, np.clip(from_start, 0, 15),
                       16 + np.clip(from_end, 0, 14))
        pos = (dates.normalize() - first).days
        return key[np.asarray(pos)]

    def _dom_factor(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Day-of-month multiplier of each date."""
        return self.dom_effect[self._month_key(dates)]

    def _daily_totals(self, day_idx: np.ndarray) -> np.ndarray:
        dates = self.day0 + pd.to_timedelta(day_idx, unit="D")
        return (self.level * self.factor[(self.day0.weekday() + day_idx) % 7]
                * self._dom_factor(dates))

    def _smooth_level(self, x: np.ndarray) -> float:
        if not len(x):
            return 0.0
        if self.level_window:
            return float(np.mean(x[-self.level_window:]))
        level = float(np.mean(x[: min(len(x), 10)]))
        for v in x:
            level += self.alpha * (v - level)
        return level

    def forecast_days(self, day_idx):
        w = (self.day0.weekday() + day_idx) % 7
        prof = self.prof[w]
        if self.shape_by_level and self.beta.any():
            dates = self.day0 + pd.to_timedelta(day_idx, unit="D")
            log_ratio = np.log(self._dom_factor(dates))
            prof = np.maximum(prof + log_ratio[:, None] * self.beta * self.open[w], 0.0)
            s = prof.sum(axis=1, keepdims=True)
            prof = np.where(s > 0, prof / np.where(s > 0, s, 1), 0.0)
        return self._daily_totals(day_idx)[:, None] * prof


class TopDownETS(Decomposition):
    """Daily totals by ETS (statsmodels, damped additive trend, weekly seasonality, log scale)
    on the open weekdays, times the intraday profile of :class:`Decomposition`."""

    name = "topdown_ets"
    weeks = 16

    def _fit(self, Y):
        super()._fit(Y)
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        open_w = np.flatnonzero(self.factor > 0)
        self.open_w = open_w
        recent = (np.arange(self.D) >= self.D - 7 * self.weeks) & np.isin(self.wd, open_w)
        T = self._day_totals(Y)[recent]
        wd = self.wd[recent]
        lvl = np.array([self.level * self.factor[w] for w in wd])
        x = np.log(np.maximum(np.where(np.isnan(T), lvl, T), 1.0))
        p = len(open_w)
        self.ets = None
        if len(x) >= 2 * p + 4 and p >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.ets = ExponentialSmoothing(x, trend="add", damped_trend=True, seasonal="add",
                                                seasonal_periods=p,
                                                initialization_method="estimated").fit()
            self.last_day = int(np.flatnonzero(recent)[-1])

    def _daily_totals(self, day_idx):
        base = super()._daily_totals(day_idx)
        if self.ets is None:
            return base
        w = (self.day0.weekday() + day_idx) % 7
        # number of open days from the last fitted day to each requested day
        steps = np.array([int(np.isin((self.day0.weekday() + np.arange(self.last_day + 1, d + 1)) % 7,
                                      self.open_w).sum()) for d in day_idx])
        h = max(int(steps.max()), 1)
        path = np.exp(self.ets.forecast(h))
        out = np.where(steps >= 1, path[np.clip(steps, 1, h) - 1], base)
        return np.where(np.isin(w, self.open_w), out, 0.0)


# --------------------------------------------------------- interval-level models
def _impute(model: DayModel, Y: np.ndarray, weeks: int) -> np.ndarray:
    """Recent ``weeks`` of the matrix with NaN replaced by the weekday-interval mean."""
    rows = Y[max(0, model.D - 7 * weeks):]
    wd = model.wd[max(0, model.D - 7 * weeks):]
    prof = np.zeros((7, model.S))
    for w in range(7):
        r = rows[wd == w]
        if len(r):
            prof[w] = np.nan_to_num(_nanmean(r, 0))
    return np.where(np.isnan(rows), prof[wd], rows)


class FourierRegression(DayModel):
    """Least squares on the square-root scale: per weekday a Fourier series of the time of day
    (``harmonics`` pairs) plus a linear trend, over the last ``weeks`` weeks; holidays and
    special days enter through the shared calendar effects."""

    name = "fourier_ols"

    def __init__(self, *, harmonics: int = 10, weeks: int = 8) -> None:
        super().__init__()
        self.harmonics, self.weeks = harmonics, weeks

    def _design(self, day_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.arange(self.S) / self.S
        k = np.arange(1, self.harmonics + 1)
        four = np.hstack([np.ones((self.S, 1)), np.sin(2 * np.pi * np.outer(t, k)),
                          np.cos(2 * np.pi * np.outer(t, k))])  # (S, 1 + 2K)
        w = (self.day0.weekday() + day_idx) % 7
        return four, w

    def _fit(self, Y):
        lo = max(0, self.D - 7 * self.weeks)
        rows = Y[lo:]
        four, w = self._design(np.arange(lo, self.D))
        self.coef = np.zeros((7, four.shape[1]))
        self.trend = 0.0
        # trend from daily means, then per weekday shape
        dm = _nanmean(np.sqrt(np.maximum(rows, 0)), axis=1) if rows.size else np.zeros(0)
        ok = ~np.isnan(dm)
        resid_rows = np.sqrt(np.maximum(rows, 0))
        if ok.sum() >= 14:
            t = np.arange(len(dm))[ok]
            for v in range(7):  # remove the weekday mean before fitting a common slope
                sel = w[ok] == v
                if sel.any():
                    dm[np.flatnonzero(ok)[sel]] -= dm[ok][sel].mean()
            self.trend = float(np.polyfit(t, dm[ok], 1)[0])
            self.trend = float(np.clip(self.trend, -0.05, 0.05))
        self.t_end = len(dm) - 1 + lo
        for v in range(7):
            r = resid_rows[w == v]
            if not len(r):
                continue
            ages = (np.flatnonzero(w == v) + lo - self.t_end).astype(float)
            target = r - self.trend * ages[:, None]
            good = ~np.isnan(target)
            X = np.tile(four, (len(r), 1))[good.ravel()]
            if len(X) < four.shape[1]:
                continue
            ridge = 1e-2 * len(X) * np.eye(X.shape[1])
            ridge[0, 0] = 0.0
            self.coef[v] = np.linalg.solve(X.T @ X + ridge, X.T @ target.ravel()[good.ravel()])

    def forecast_days(self, day_idx):
        four, w = self._design(day_idx)
        age = np.minimum(day_idx - self.t_end, 14).astype(float)
        root = self.coef[w] @ four.T + self.trend * age[:, None]
        return np.maximum(root, 0.0) ** 2


class HoltWinters(DayModel):
    """Holt-Winters (statsmodels ExponentialSmoothing) on the square root of the series, with
    additive weekly seasonality over the last ``weeks`` weeks (NaN imputed by the
    weekday-interval mean). On grids finer than 30 minutes it runs on the daily cycle."""

    name = "holt_winters"

    def __init__(self, *, weeks: int = 4) -> None:
        super().__init__()
        self.weeks = weeks

    def _fit(self, Y):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        X = np.sqrt(np.maximum(_impute(self, Y, self.weeks), 0))
        self.period = 7 * self.S if 7 * self.S <= 336 else self.S
        x = X.ravel()
        self.fitted = None
        self.fallback = X[-7:] ** 2 if len(X) >= 7 else None
        if len(x) >= 2 * self.period + 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.fitted = ExponentialSmoothing(
                    x, trend=None, seasonal="add", seasonal_periods=self.period,
                    initialization_method="heuristic").fit(
                        smoothing_level=0.02, smoothing_seasonal=0.1, optimized=False)
        if self.period == self.S and len(X) >= 7:  # weekly shape on top of the daily cycle
            wd = self.wd[self.D - len(X):]
            mean_w = np.array([X[wd == v].sum(axis=1).mean() if (wd == v).any() else 0.0
                               for v in range(7)])
            self.week_scale = np.where(mean_w.mean() > 0, mean_w / mean_w.mean(), 1.0)
        else:
            self.week_scale = np.ones(7)

    def forecast_days(self, day_idx):
        if self.fitted is None:
            return np.zeros((len(day_idx), self.S))
        h = (int(day_idx.max()) - (self.D - 1)) * self.S
        path = np.asarray(self.fitted.forecast(max(h, 1)))
        start = (day_idx - self.D) * self.S
        out = np.empty((len(day_idx), self.S))
        for i, s0 in enumerate(start):
            if s0 < 0:
                out[i] = path[: self.S] if len(path) >= self.S else 0.0
            else:
                out[i] = path[s0: s0 + self.S]
        w = (self.day0.weekday() + day_idx) % 7
        return (np.maximum(out, 0) * self.week_scale[w][:, None]) ** 2


class MSTLModel(DayModel):
    """MSTL (statsmodels) with daily and weekly periods on log1p of the last ``weeks`` weeks;
    seasonal components repeat the last cycle, the trend continues by damped Holt (ETS)."""

    name = "mstl"

    def __init__(self, *, weeks: int = 6) -> None:
        super().__init__()
        self.weeks = weeks

    def _fit(self, Y):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        from statsmodels.tsa.seasonal import MSTL

        X = np.log1p(np.maximum(_impute(self, Y, self.weeks), 0))
        x = X.ravel()
        self.ok = len(X) >= 14
        if not self.ok:
            self.fallback = np.expm1(X[-1]) if len(X) else np.zeros(self.S)
            return
        periods = (self.S, 7 * self.S) if len(X) >= 14 else (self.S,)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = MSTL(x, periods=periods, stl_kwargs={"robust": False}).fit()
        seas = np.asarray(res.seasonal).reshape(len(x), -1).sum(axis=1)
        self.week_season = seas[-7 * self.S:].reshape(7, self.S)
        self.last_wd = int(self.wd[-1])
        trend = np.asarray(res.trend) + np.asarray(res.resid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            daily_trend = trend.reshape(-1, self.S).mean(axis=1)
            self.tfit = ExponentialSmoothing(daily_trend, trend="add", damped_trend=True,
                                             initialization_method="estimated").fit()

    def forecast_days(self, day_idx):
        if not self.ok:
            return np.tile(self.fallback, (len(day_idx), 1))
        steps = np.maximum(day_idx - (self.D - 1), 1)
        tr = np.asarray(self.tfit.forecast(int(steps.max())))[steps - 1]
        # week_season row r is weekday (last_wd - 6 + r) % 7
        w = (self.day0.weekday() + day_idx) % 7
        rows = (w - self.last_wd + 6) % 7
        return np.expm1(tr[:, None] + self.week_season[rows])


class Ensemble(DayModel):
    """Mean of the member models' forecasts (members named from :data:`MODELS`)."""

    def __init__(self, members: Sequence[str] = ("decomposition", "topdown_ets", "fourier_ols")):
        super().__init__()
        self.members = tuple(members)
        self.name = "ensemble(" + "+".join(self.members) + ")"

    def _fit(self, Y):
        self.fitted = []
        # members refit from the raw series so that each applies the calendar its own way
        rel = np.arange(self.D * self.S)
        ts = self.day0 + pd.to_timedelta(rel * self.interval_minutes, unit="min")
        y = self.Y_raw.ravel()
        keep = slice(self.first_obs, self.D * self.S)
        for m in self.members:
            self.fitted.append(make_model(m).fit(y[keep], ts[keep], self.calendar))

    def predict_mean(self, ts_future):
        return np.mean([m.predict_mean(ts_future) for m in self.fitted], axis=0)


MODELS: dict[str, Callable[[], DayModel]] = {
    "seasonal_naive": SeasonalNaive,
    "week_mean_4": lambda: WeekMean(4),
    "week_median_6": lambda: WeekMean(6, stat="median"),
    "profile_scaled": ScaledProfile,
    "decomposition": Decomposition,
    "decomposition_long": lambda: Decomposition(profile_weeks=16, decay=1.0, month_days_shrink=0.5,
                                                shape_by_level=True, level_days=10, level_weeks=16,
                                                name="decomposition_long"),
    "topdown_ets": TopDownETS,
    "fourier_ols": FourierRegression,
    "holt_winters": HoltWinters,
    "mstl": MSTLModel,
    "ensemble": Ensemble,
}


def make_model(name: str) -> DayModel:
    """A fresh model by registry name; ``ensemble(a+b+c)`` builds an ensemble of those members."""
    if name.startswith("ensemble(") and name.endswith(")"):
        members = name[len("ensemble("):-1].split("+")
        unknown = [m for m in members if m not in MODELS or m == "ensemble"]
        if unknown:
            raise ForecastInputError(f"method {name!r}: unknown ensemble member(s) {unknown}")
        return Ensemble(members)
    if name not in MODELS:
        raise ForecastInputError(f"method {name!r} is not one of auto, {', '.join(MODELS)}")
    return MODELS[name]()

"""Intraday updating: the rest of today from this morning's actuals, learned from past days.

Statistics only (no ``planner`` or ``scheduling`` imports). Per series, the day x interval
matrix of history is compared with what was forecast for those days - best the plan's own model
refitted at weekly origins (:func:`past_forecasts`), else the mean of the same weekday over the
previous four weeks - as the log ratio

    r[d, t] = log((x[d, t] + 1/2) / (b[d, t] + 1/2)),

whose Poisson noise is about ``1/(b + 1/2)``. Two ways to carry the morning into the afternoon:

* **Level and shape factors** (Shen & Huang 2008: SVD of the day x interval matrix; here of
  the residuals after each day's level): ``r[d, t] = beta0[d] + sum_k beta_k[d] phi_k(t) + e``,
  ``e ~ N(0, sigma2 + 1/(b + 1/2))``. The spread of past days' scores (method of moments, the
  estimation noise taken off) is a Gaussian prior ``P``; today's intervals so far give the
  penalised least-squares (posterior) estimate ``beta = (P^-1 + Phi_s' W Phi_s)^-1 Phi_s' W r_s``.
* **Within-day covariance** (the Bayesian update of Weinberg, Brown & Stroud 2007 in Gaussian
  form): the covariance of ``r`` between intervals learned from past days (Poisson noise off
  its diagonal), optionally shrunk towards its diagonal; the rest of the day is the Gaussian
  conditional mean given the intervals seen.

**Days unlike any ordinary day** (a holiday, the eve of one, a bridge day such as Israel's Chol
HaMoed: :meth:`forecasting.calendar.Calendar.intraday_kinds`) are left out of what is learned
above; on such a day the update is the Gaussian conditional with the ordinary days' per-slot
variance (their between-slot covariance left out) plus a day-level variance ``V`` over the open
slots (``V`` = the mean squared level of past such days against their
forecast, at least the ordinary days' level variance; :data:`SPECIAL_LEVEL_VAR` with fewer than
two of them), so that a low morning pulls the whole afternoon down by nearly as much whatever
method the ordinary days chose. The week-ahead forecast already gives eves and holidays their
own level and a short weekday's profile; bridge days it forecasts as ordinary days. Bridge days
come in runs of alike days (Chol HaMoed Sun-Thu), so on a bridge day the plan's bridge days
before it give the prior (:func:`kind_profile`: their mean log ratio of actual to forecast per
slot - Chol HaMoed's afternoons fall further than its mornings) that the morning then updates.

**Evening days**: a weekday whose ordinary days bring less than :data:`EVENING_SHARE` of their
contacts before noon (the Israeli bank's Saturday, open after Shabbat ends) has a morning that
cannot tell when its evening starts, and that start moves with sunset. Such a weekday's forecast
is given the shape of its last :data:`EVENING_WEEKS` ordinary days (:func:`recent_shapes`,
:func:`reshape`: the day's total kept), where that lowers the backtest's WAPE on that weekday's
days (``evening_shape``; ``method`` then ends in "+evening").

Each remaining interval becomes ``f[t] exp(shift[t])`` (f: the plan's forecast). With no actuals
the shift is 0 and the update is the plan's forecast; with every interval seen it is the
actuals. The 10-90 % band is the Poisson-lognormal count with the posterior variance of the
shift, scaled by a factor calibrated on the backtest days to cover 80 % there, at each of the
backtest's cut times (interpolated between them by the time of day).

**The previous days** (issue 13): the plan's forecast is made once for the week and its error
persists from day to day, so the ordinary days since the week's start (the plan's start) give
a prior for today's level before any of today is seen: ``m = rho x`` the mean day level (the
weighted mean log ratio of actual to forecast) of those days, ``rho`` the least-squares slope
of a day's level on that mean over the history's weeks (clipped to 0..1); the update then
starts from ``f exp(m)`` instead of ``f``. Only days before today enter, and only ordinary ones
(not on holidays, eves or bridge days, nor from them).

The method (plan unchanged, naive ratio, damped ratio, level, level + 1..4 shape factors,
covariance with 0/30/60 % shrinkage) is chosen per series by a backtest on the last
``backtest_days`` days before the plan's start (factors and ``rho`` learned on the days before
those), at three cut times across the opening hours, by rest-of-day WAPE; then the previous
days' prior is kept for it when it lowers that WAPE on the same days (``method`` reads "+prev").

Example:
    >>> base = past_forecasts(y, ts, model="decomposition", interval_minutes=30)  # history before the plan
    >>> model = fit_intraday_model(y, ts, interval_minutes=30, baseline=base)
    >>> update = model.update(forecast_today, actual_today)              # NaN = not seen yet
    >>> update.mean, update.lo, update.hi                                # per interval of the day
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from wfm_errors import ForecastInputError
from forecasting import backtest as bt
from forecasting import metrics
from forecasting.calendar import BRIDGE, REGULAR, Calendar, learn_opening_hours
from forecasting.models import make_model

__all__ = ["IntradayModel", "IntradayUpdate", "fit_intraday_model", "day_matrix", "baseline_matrix",
           "naive_ratio", "damped_ratio", "rest_of_day_wape", "past_forecasts", "day_level", "previous_level",
           "previous_day_levels", "kind_profile", "recent_shapes", "reshape", "METHODS", "MODEL_COLUMNS", "SAME_KIND_PRIOR_KINDS"]

#: candidate methods, in the order they are tried
METHODS = ("plan", "ratio", "damped", "level", "factor1", "factor2", "factor3", "factor4", "cov", "cov30", "cov60")
DAMPED_PRIOR_SHARE = 0.15
DAMPED_MIN_PRIOR = 30.0
VARIANCE_SCALES = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.3, 16.0)
#: the coverage the band is calibrated to on the backtest days, at each cut time (calibrated
#: once for all cuts, the Anonymous Bank's TUNE weeks covered 0.78 at 10:00 but 0.73 at 14:00)
CALIBRATION_COVERAGE = 0.80
QUANTILES = (0.1, 0.9)
#: columns of :meth:`IntradayModel.to_frame`
MODEL_COLUMNS = ("field", "row", "col", "value", "text")
MIN_TRAIN_DAYS = 28
#: slots whose mean baseline is below this many contacts carry no shape factor (too noisy)
MIN_OPEN_MEAN = 2.0
#: days whose level is further than this many (robust) standard deviations out are not learned from
OUTLIER_MADS = 3.0
#: the day-level variance (log scale) of a holiday, eve or bridge day when the history holds
#: fewer than two of them: a standard deviation of 0.5, the level known to within x/÷ 1.65
SPECIAL_LEVEL_VAR = 0.25
#: at most this (log scale): a standard deviation of 1
MAX_SPECIAL_LEVEL_VAR = 1.0
#: day kinds whose earlier days in the plan give today's prior per slot (:func:`kind_profile`):
#: bridge days come in runs of alike days (Chol HaMoed); eves and holidays differ by holiday and weekday
SAME_KIND_PRIOR_KINDS = (BRIDGE,)
#: a weekday whose ordinary days bring less than this share of their contacts before noon is an
#: evening day (the Israeli bank's Saturday, open after Shabbat ends): its morning cannot tell
#: when the evening starts, the last weeks' same weekday can (:func:`recent_shapes`)
EVENING_SHARE = 0.1
#: an evening day's shape is the mean of the last this many ordinary days of its weekday
EVENING_WEEKS = 2


@dataclass(frozen=True)
class IntradayUpdate:
    """Per interval of one day (length ``1440 / interval_minutes``): ``mean`` (the re-forecast,
    equal to the actual where seen), ``lo``/``hi`` its 10 % / 90 % quantiles (contacts)."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    method: str


@dataclass(frozen=True)
class IntradayModel:
    """A fitted intraday update for one series on an ``interval_minutes`` grid.

    ``components``: (slots, K+1) level column of ones then K shape factors (unit norm over
    open slots); ``prior``: (K+1, K+1) second moment of past days' scores; ``sigma2``: extra
    per-interval log-rate variance beyond Poisson; ``variance_scale``: band calibration (and
    ``cut_scales`` at the backtest's ``cut_slots``, interpolated by the time of day);
    ``backtest``: rest-of-day WAPE per method on the backtest days (method, wape, coverage, n);
    ``special_level_var``: the day-level variance added on holidays, eves and bridge days
    (learned from ``special_days`` past ones); ``previous_weight``: ``rho``, the share of the
    previous days' mean level taken as today's prior level (0 = the backtest chose no prior);
    ``evening_shape``: (7, slots) by weekday (Mon = 0), for the evening days the backtest kept
    (zero rows elsewhere; None = none), the shape the day's forecast is given (:func:`reshape`).
    """

    interval_minutes: int
    method: str
    components: np.ndarray
    prior: np.ndarray
    sigma2: float
    covariance: np.ndarray
    variance_scale: float
    backtest: pd.DataFrame
    train_days: int
    cut_slots: tuple[int, ...] = ()
    cut_scales: tuple[float, ...] = ()
    special_level_var: float = SPECIAL_LEVEL_VAR
    special_days: int = 0
    previous_weight: float = 0.0
    evening_shape: np.ndarray | None = None

    @property
    def slots(self) -> int:
        return 1440 // self.interval_minutes

    def band_scale(self, seen: np.ndarray) -> float:
        """The band's variance scale at this time of day (the end of the last slot seen):
        interpolated between those calibrated at the backtest's cut times, flat outside."""
        if not self.cut_slots or not seen.any():
            return self.variance_scale
        now = float(np.flatnonzero(seen).max() + 1)
        return float(np.exp(np.interp(now, self.cut_slots, np.log(self.cut_scales))))

    def to_frame(self) -> pd.DataFrame:
        """The model as a long table (:data:`MODEL_COLUMNS`: ``field, row, col, value, text``),
        e.g. to keep it with a plan; :meth:`from_frame` reads it back exactly."""
        parts = [pd.DataFrame({"field": "scalar", "row": 0, "col": 0, "value": [float(v) for v in (
                     self.interval_minutes, self.sigma2, self.variance_scale, self.train_days,
                     self.special_level_var, self.special_days, self.previous_weight)],
                               "text": ["interval_minutes", "sigma2", "variance_scale", "train_days",
                                        "special_level_var", "special_days", "previous_weight"]}),
                 pd.DataFrame({"field": ["method"], "row": [0], "col": [0], "value": [np.nan], "text": [self.method]})]
        for name in ("components", "prior", "covariance", "evening_shape"):
            m = np.asarray(getattr(self, name) if getattr(self, name) is not None else np.zeros((7, self.slots)), dtype=float)
            r, c = np.nonzero(m) if name == "covariance" else np.indices(m.shape).reshape(2, -1)
            parts.append(pd.DataFrame({"field": name, "row": r, "col": c, "value": m[r, c], "text": str(m.shape)}))
        parts.append(pd.DataFrame({"field": "cut", "row": np.arange(len(self.cut_slots)), "col": list(self.cut_slots),
                                   "value": [float(v) for v in self.cut_scales], "text": ""}))
        bt_rows = self.backtest.reset_index(drop=True)
        parts.append(pd.DataFrame({"field": "backtest", "row": np.arange(len(bt_rows)), "col": 0,
                                   "value": bt_rows["wape"].to_numpy(dtype=float) if len(bt_rows) else [],
                                   "text": bt_rows["method"].astype(str).to_numpy() if len(bt_rows) else []}))
        out = pd.concat(parts, ignore_index=True)
        return out.astype({"row": "int64", "col": "int64", "value": "float64", "text": "object"})[list(MODEL_COLUMNS)]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> IntradayModel:
        """The model :meth:`to_frame` wrote."""
        missing = [c for c in MODEL_COLUMNS if c not in frame]
        if missing:
            raise ValueError(f"intraday model table: missing column(s) {', '.join(missing)}")
        scalar = frame[frame["field"] == "scalar"].set_index("text")["value"]
        arrays = {}
        for name in ("components", "prior", "covariance", "evening_shape"):
            rows = frame[frame["field"] == name]
            if rows.empty and name == "evening_shape":
                arrays[name] = None
                continue
            if rows.empty:
                raise ValueError(f"intraday model table: no {name}")
            shape = tuple(int(v) for v in str(rows["text"].iloc[0]).strip("()").split(",") if v.strip())
            m = np.zeros(shape)
            m[rows["row"].to_numpy(dtype=int), rows["col"].to_numpy(dtype=int)] = rows["value"].to_numpy(dtype=float)
            arrays[name] = m
        bt_rows = frame[frame["field"] == "backtest"].sort_values("row")
        cut_rows = frame[frame["field"] == "cut"].sort_values("row")
        return cls(interval_minutes=int(scalar["interval_minutes"]),
                   method=str(frame.loc[frame["field"] == "method", "text"].iloc[0]),
                   components=arrays["components"], prior=arrays["prior"], sigma2=float(scalar["sigma2"]),
                   covariance=arrays["covariance"], variance_scale=float(scalar["variance_scale"]),
                   backtest=pd.DataFrame({"method": bt_rows["text"].astype(str).to_numpy(),
                                          "wape": bt_rows["value"].to_numpy(dtype=float)}),
                   train_days=int(scalar["train_days"]), cut_slots=tuple(int(v) for v in cut_rows["col"]),
                   cut_scales=tuple(float(v) for v in cut_rows["value"]),
                   special_level_var=float(scalar.get("special_level_var", SPECIAL_LEVEL_VAR)),
                   special_days=int(scalar.get("special_days", 0)),
                   previous_weight=float(scalar.get("previous_weight", 0.0)),
                   evening_shape=arrays["evening_shape"] if arrays["evening_shape"] is not None
                   and arrays["evening_shape"].any() else None)

    def update(self, forecast: np.ndarray, actual: np.ndarray, *, day_kind: int = REGULAR,
               previous: tuple[np.ndarray, np.ndarray] | None = None,
               same_kind: tuple[np.ndarray, np.ndarray] | None = None, weekday: int | None = None) -> IntradayUpdate:
        """Re-forecast one day: ``forecast`` (contacts per slot, the whole day from midnight),
        ``actual`` (same length, NaN where not seen yet). Seen slots keep their actuals.
        ``day_kind``: the day's :meth:`~forecasting.calendar.Calendar.intraday_kinds` value; on
        any but REGULAR the morning sets the day's level (``method`` then reads "special").
        ``previous``: ``(forecasts, actuals)``, days x slots, of the ordinary days of the plan
        before today (none from today or later); with ``previous_weight`` > 0 their mean level
        x ``previous_weight`` is today's prior level: the update starts from the forecast x
        exp(that) (``method`` then ends in "+prev").
        ``same_kind``: ``(forecasts, actuals)``, days x slots, of the plan's days before today of
        today's kind; on a bridge day (:data:`SAME_KIND_PRIOR_KINDS`) their mean log ratio of
        actual to forecast per slot (:func:`kind_profile`) is the prior the morning updates:
        the update starts from the forecast x exp(that) (``method`` "special+prev").
        ``weekday`` (Mon = 0): on an ordinary day of a weekday with an ``evening_shape``, the
        update starts from the forecast given that shape (:func:`reshape`; ``method`` then
        ends in "+evening")."""
        forecast = np.asarray(forecast, dtype=float)
        actual = np.asarray(actual, dtype=float)
        if forecast.shape != (self.slots,) or actual.shape != (self.slots,):
            raise ValueError(f"forecast and actual must have {self.slots} values (one day of "
                             f"{self.interval_minutes}-minute intervals), got {forecast.shape} and {actual.shape}")
        seen = ~np.isnan(actual)
        method = self.method if day_kind == REGULAR else "special"
        if method == "special" and day_kind in SAME_KIND_PRIOR_KINDS and same_kind is not None and len(same_kind[0]):
            forecast = forecast * np.exp(kind_profile(*same_kind))
        elif method != "special" and self.previous_weight > 0 and previous is not None and len(previous[0]):
            forecast = forecast * np.exp(self.previous_weight * previous_level(*previous))
        else:
            previous = same_kind = None
        evening = (method != "special" and weekday is not None and self.evening_shape is not None
                   and self.evening_shape[weekday].any())
        if evening:
            forecast = reshape(forecast, self.evening_shape[weekday])
        mean, var = _point(method, self, forecast, actual, seen)
        lo, hi = _band(mean, var * self.band_scale(seen))
        return IntradayUpdate(mean=np.where(seen, actual, mean), lo=np.where(seen, actual, lo), hi=np.where(seen, actual, hi),
                              method=method + ("+prev" if previous is not None or same_kind is not None else "")
                              + ("+evening" if evening else ""))


# -- matrices ------------------------------------------------------------------------------
def day_matrix(y: np.ndarray, ts: pd.DatetimeIndex, *, interval_minutes: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Days (every calendar day from the first to the last) x slots of ``y`` (NaN = missing)."""
    ts = pd.DatetimeIndex(ts)
    slots = 1440 // interval_minutes
    days = pd.date_range(ts[0].normalize(), ts[-1].normalize(), freq="D")
    out = np.full((len(days), slots), np.nan)
    row = ((ts.normalize() - days[0]) // pd.Timedelta(days=1)).to_numpy()
    col = ((ts.hour * 60 + ts.minute) // interval_minutes).to_numpy()
    out[row, col] = y
    return days, out


def baseline_matrix(x: np.ndarray, *, weeks: int = 4, min_weeks: int = 2) -> np.ndarray:
    """Per day and slot, the mean of the same weekday over the previous ``weeks`` weeks (NaN
    when fewer than ``min_weeks`` of them were observed). Rows of ``x`` are consecutive days."""
    stack = np.full((weeks,) + x.shape, np.nan)
    for w in range(1, weeks + 1):
        stack[w - 1, 7 * w:] = x[:-7 * w] if 7 * w < len(x) else np.nan
    count = np.sum(~np.isnan(stack), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(stack, axis=0) / np.where(count > 0, count, 1)
    return np.where(count >= min_weeks, mean, np.nan)


def day_level(forecast: np.ndarray, actual: np.ndarray) -> float:
    """A day's level against its forecast: the mean log ratio of actual to forecast over the
    slots with both (forecast > 0), weighted by their Poisson precision; NaN with fewer than two
    such slots."""
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    ok = ~np.isnan(actual) & ~np.isnan(forecast) & (np.nan_to_num(forecast) > 0)
    if ok.sum() < 2:
        return float("nan")
    w = 1.0 / (1.0 / (forecast[ok] + 0.5) + 0.01)
    return float((w * _log_ratio(actual[ok], forecast[ok])).sum() / w.sum())


def previous_level(forecasts: np.ndarray, actuals: np.ndarray) -> float:
    """The mean :func:`day_level` of some days (rows of ``forecasts``/``actuals``); 0 without any."""
    levels = [day_level(f, a) for f, a in zip(np.atleast_2d(forecasts), np.atleast_2d(actuals))]
    levels = [v for v in levels if np.isfinite(v)]
    return float(np.mean(levels)) if levels else 0.0


def previous_day_levels(x: np.ndarray, b: np.ndarray, ordinary: np.ndarray, *, next_origin: int) -> np.ndarray:
    """Per day (rows of ``x``/``b``: consecutive days), the mean level of the ordinary days
    (``ordinary``: bool per row) of its forecast week before it, 0 without any: the prior
    :meth:`IntradayModel.update` gets from ``previous``. Weeks start every 7 days before row
    ``next_origin`` (the plan's start; :func:`past_forecasts` refits there). Row ``i`` reads
    only rows ``< i``."""
    out = np.zeros(len(x))
    levels = np.array([day_level(bd, xd) if ordinary[i] else np.nan for i, (xd, bd) in enumerate(zip(x, b))])
    for i in range(len(x)):
        origin = i - (i - next_origin) % 7
        prev = _inliers(levels[:i])[max(origin, 0):i]  # outliers judged by the days before i only
        prev = prev[np.isfinite(prev)]
        out[i] = float(prev.mean()) if len(prev) else 0.0
    return out


def kind_profile(forecasts: np.ndarray, actuals: np.ndarray) -> np.ndarray:
    """Per slot, the mean log ratio of actual to forecast of some days (rows), weighted by
    their Poisson precision; 0 where none of them was forecast or seen."""
    f = np.atleast_2d(np.asarray(forecasts, dtype=float))
    a = np.atleast_2d(np.asarray(actuals, dtype=float))
    ok = ~np.isnan(a) & ~np.isnan(f) & (np.nan_to_num(f) > 0)
    w = np.where(ok, 1.0 / (1.0 / (np.nan_to_num(f) + 0.5) + 0.01), 0.0)
    r = np.where(ok, _log_ratio(np.nan_to_num(a), np.nan_to_num(f)), 0.0)
    total = w.sum(axis=0)
    return np.where(total > 0, (w * r).sum(axis=0) / np.maximum(total, 1e-12), 0.0)


# -- the update methods --------------------------------------------------------------------
def naive_ratio(forecast: np.ndarray, actual: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Rest of the day x actual so far / forecast so far (the plan's forecast when nothing seen)."""
    f_seen = forecast[seen].sum()
    ratio = actual[seen].sum() / f_seen if f_seen > 0 else 1.0
    return forecast * ratio


def damped_ratio(forecast: np.ndarray, actual: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """The ratio damped towards 1: (A + k) / (F + k), k = max(30, 0.15 x the day's forecast)."""
    k = max(DAMPED_MIN_PRIOR, DAMPED_PRIOR_SHARE * float(forecast.sum()))
    return forecast * (actual[seen].sum() + k) / (forecast[seen].sum() + k)


def _factor_count(method: str) -> int:
    if method.startswith("factor"):
        return int(method[len("factor"):])
    return 0


def _log_ratio(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    return np.log((actual + 0.5) / (forecast + 0.5))


def _posterior(phi: np.ndarray, prior: np.ndarray, sigma2: float, forecast: np.ndarray, actual: np.ndarray,
               seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior log-rate deviation mean and variance per slot (zero mean / prior variance when
    nothing is seen)."""
    use = seen & (forecast > 0)
    precision = np.linalg.inv(prior)
    rhs = np.zeros(phi.shape[1])
    if use.any():
        w = 1.0 / (1.0 / (forecast[use] + 0.5) + sigma2)
        ps = phi[use]
        precision = precision + ps.T @ (ps * w[:, None])
        rhs = ps.T @ (w * _log_ratio(actual[use], forecast[use]))
    cov = np.linalg.inv(precision)
    beta = cov @ rhs
    shift = phi @ beta
    var = np.einsum("ij,jk,ik->i", phi, cov, phi) + sigma2
    return shift, var


def _conditional(cov: np.ndarray, forecast: np.ndarray, actual: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian conditioning of the day's log-rate deviations on the seen slots: ``cov`` is
    the within-day signal covariance learned from past days, plus today's Poisson noise."""
    use = seen & (forecast > 0)
    if not use.any():
        return np.zeros(len(forecast)), np.diag(cov).copy()
    noise = 1.0 / (forecast[use] + 0.5)
    s_ss = cov[np.ix_(use, use)] + np.diag(noise)
    s_as = cov[:, use]
    gain = np.linalg.solve(s_ss, s_as.T).T
    shift = gain @ _log_ratio(actual[use], forecast[use])
    var = np.diag(cov) - np.einsum("ij,ij->i", gain, s_as)
    return shift, np.maximum(var, 0.0)


def _point(method: str, model: IntradayModel | _Fit, forecast: np.ndarray, actual: np.ndarray,
           seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point re-forecast (contacts per slot) and the log-rate variance for its band."""
    if method == "special":  # a day unlike the ordinary ones: its level is mostly unknown, and
        # the ordinary days' links between slots do not hold (only their per-slot spread is kept)
        day = (forecast > 0).astype(float)
        cov = np.diag(np.diag(model.covariance)) + model.special_level_var * np.outer(day, day)
        shift, var = _conditional(cov, forecast, actual, seen)
        return (forecast * np.exp(shift) if seen.any() else forecast.copy()), var
    if method.startswith("cov"):
        cov = model.covariance * (1.0 - _shrink(method)) + np.diag(np.diag(model.covariance)) * _shrink(method)
        shift, var = _conditional(cov, forecast, actual, seen)
        return (forecast * np.exp(shift) if seen.any() else forecast.copy()), var
    k = _factor_count(method)
    shift, var = _posterior(model.components[:, :k + 1], model.prior[:k + 1, :k + 1], model.sigma2, forecast, actual, seen)
    if method == "plan" or not seen.any():
        return forecast.copy(), var
    if method == "ratio":
        return naive_ratio(forecast, actual, seen), var
    if method == "damped":
        return damped_ratio(forecast, actual, seen), var
    return forecast * np.exp(shift), var


def _shrink(method: str) -> float:
    """``cov`` methods: share of the off-diagonal covariance shrunk away (cov30 = 0.3)."""
    digits = method[len("cov"):]
    return int(digits) / 100 if digits else 0.0


def _band(mean: np.ndarray, log_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """10/90 % quantiles of a Poisson count whose rate is ``mean`` x lognormal(0, log_var),
    by the negative binomial with the same mean and variance."""
    mean = np.maximum(mean, 0.0)
    spread = np.expm1(np.maximum(log_var, 1e-9))
    shape = 1.0 / spread
    p = shape / (shape + np.maximum(mean, 1e-12))
    lo = stats.nbinom.ppf(QUANTILES[0], shape, p)
    hi = stats.nbinom.ppf(QUANTILES[1], shape, p)
    zero = mean <= 0
    return np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)


# -- fitting -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Fit:
    components: np.ndarray
    prior: np.ndarray
    sigma2: float
    covariance: np.ndarray


def _fit_factors(x: np.ndarray, b: np.ndarray, *, max_factors: int) -> _Fit:
    """Level + shape factors from days with both actuals and baseline (rows of ``x``/``b``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a slot never forecast is closed
        open_slot = np.nanmean(b, axis=0) >= MIN_OPEN_MEAN
    ok = ~np.isnan(x) & ~np.isnan(b) & open_slot[None, :] & (b > 0)
    rows = ok[:, open_slot].mean(axis=1) >= 0.8 if open_slot.any() else np.zeros(len(x), bool)
    slots = x.shape[1]
    if rows.sum() < 5 or open_slot.sum() < 2:
        return _Fit(components=np.ones((slots, max_factors + 1)) * np.r_[1.0, np.zeros(max_factors)],
                    prior=np.diag(np.r_[0.05, np.full(max_factors, 1e-6)]), sigma2=0.01,
                    covariance=np.full((slots, slots), 0.05))
    r = np.where(ok, _log_ratio(np.nan_to_num(x), np.nan_to_num(b)), 0.0)
    w = np.where(ok, 1.0 / (1.0 / (np.nan_to_num(b) + 0.5) + 0.01), 0.0)
    level = (r * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    # holidays and outages (a day far from its baseline) would swamp the day-to-day spread
    centre = np.median(level[rows])
    mad = 1.4826 * np.median(np.abs(level[rows] - centre)) + 1e-6
    rows &= np.abs(level - centre) <= OUTLIER_MADS * mad
    r, w, level = r[rows], w[rows], level[rows]
    resid = np.where(ok[rows], r - level[:, None], 0.0)[:, open_slot] * np.sqrt(w[:, open_slot] / w[:, open_slot].mean())
    _, _, vt = np.linalg.svd(resid, full_matrices=False)
    shapes = np.zeros((slots, max_factors))
    k_avail = min(max_factors, vt.shape[0])
    shapes[open_slot, :k_avail] = vt[:k_avail].T
    phi = np.column_stack([np.where(open_slot, 1.0, 0.0), shapes])
    # day scores by weighted least squares; their second moment minus the average estimation
    # covariance (method of moments) is the prior, its eigenvalues floored
    scores = np.zeros((rows.sum(), phi.shape[1]))
    noise = np.zeros((phi.shape[1], phi.shape[1]))
    okr = ok[rows]
    for i in range(len(scores)):
        use = okr[i]
        a = phi[use] * w[i, use][:, None]
        info = phi[use].T @ a + 1e-6 * np.eye(phi.shape[1])
        scores[i] = np.linalg.solve(info, a.T @ r[i, use])
        noise += np.linalg.inv(info)
    moment = scores.T @ scores / len(scores) - noise / len(scores)
    vals, vecs = np.linalg.eigh((moment + moment.T) / 2)
    prior = (vecs * np.maximum(vals, 1e-6)) @ vecs.T
    fitted = scores @ phi.T
    poisson = 1.0 / (np.nan_to_num(b[rows]) + 0.5)
    excess = ((r - fitted) ** 2 - poisson)[okr]
    sigma2 = float(max(np.mean(excess), 1e-4)) if excess.size else 0.01
    # the within-day covariance of the log-rate deviations (signal: Poisson noise taken off the
    # diagonal), eigenvalues floored so that it stays a covariance
    mask = okr.astype(float)
    pairs = mask.T @ mask
    second = (r * mask).T @ (r * mask) / np.maximum(pairs, 1.0)
    second -= np.diag((poisson * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1.0))
    second[~open_slot, :] = 0.0
    second[:, ~open_slot] = 0.0
    vals, vecs = np.linalg.eigh((second + second.T) / 2)
    covariance = (vecs * np.maximum(vals, 0.0)) @ vecs.T + np.diag(np.where(open_slot, 1e-4, 0.0))
    return _Fit(components=phi, prior=prior, sigma2=sigma2, covariance=covariance)


def _cut_slots(open_slot: np.ndarray) -> list[int]:
    """Three cut points across the open hours: a quarter, half and three quarters through."""
    idx = np.flatnonzero(open_slot)
    if len(idx) < 4:
        return []
    first, last = idx[0], idx[-1] + 1
    return sorted({int(first + q * (last - first)) for q in (0.25, 0.5, 0.75)})


def _score_day(method: str, fit: _Fit, f: np.ndarray, a: np.ndarray, cut: int) -> tuple[float, float]:
    """(sum |error|, sum actual) on the rest of one day after ``cut``."""
    seen = np.zeros(len(f), bool)
    seen[:cut] = True
    seen &= ~np.isnan(a)
    rest = (np.arange(len(f)) >= cut) & ~np.isnan(a) & (f > 0)
    mean, _ = _point(method, fit, f, np.where(seen, a, np.nan), seen)
    return float(np.abs(mean[rest] - a[rest]).sum()), float(a[rest].sum())


def past_forecasts(y: np.ndarray, ts: pd.DatetimeIndex, *, model: str, interval_minutes: int, weeks: int = 16,
                   country: str | None = None, subdivision: str | None = None,
                   cache: dict | None = None) -> np.ndarray:
    """What the week-ahead ``model`` (a registry name, e.g. the plan's chosen one) forecast for
    each of the last ``weeks`` weeks of ``y``, refitted at each weekly origin on the data before
    it (as the plan's backtest does); NaN before the first origin. Contacts per interval.
    ``cache`` (a dict the caller keeps for one series): forecasts by (model, origin), reused
    when the same series is asked again a week later."""
    ts = pd.DatetimeIndex(ts)
    y = np.asarray(y, dtype=float)
    opening = learn_opening_hours(y, ts, interval_minutes=interval_minutes)
    calendar = Calendar(country, subdivision, (), opening)
    out = np.full(len(y), np.nan)
    for origin in bt.origins(ts, windows=weeks, horizon_days=7):
        train = ts < origin
        test = (ts >= origin) & (ts < origin + pd.Timedelta(days=7))
        key = (model, origin, int(train.sum()))
        if cache is not None and key in cache:
            out[test] = cache[key]
            continue
        fitted = make_model(model).fit(y[train], ts[train], calendar)
        out[test] = fitted.predict_mean(ts[test])
        if cache is not None:
            cache[key] = out[test].copy()
    return out


def fit_intraday_model(y: np.ndarray, ts: pd.DatetimeIndex, *, interval_minutes: int, backtest_days: int = 21,
                       methods: tuple[str, ...] = METHODS, max_factors: int = 4,
                       baseline: np.ndarray | None = None, calendar: Calendar | None = None) -> IntradayModel:
    """Fit the intraday update for one series from its history ``y`` on ``ts`` (a regular
    ``interval_minutes`` grid, contacts per interval, NaN = missing; pass only data before the
    plan's start). The method is the candidate with the lowest rest-of-day WAPE over the last
    ``backtest_days`` days with actuals (factors fitted on the days before them), then the
    factors are refitted on all days and the band variance is scaled to cover 80 %.

    ``baseline`` (same length as ``y``): the forecast each past interval had - best
    :func:`past_forecasts` of the plan's own model, so that what is learned is how *that*
    forecast's errors in the morning carry into the afternoon; default (None) the mean of the
    same weekday over the previous four weeks.

    ``calendar``: the plan's holidays (country, subdivision, special days); holidays, eves and
    bridge days of the history are then kept out of the ordinary days' fit and backtest, and
    their levels against the baseline give ``special_level_var``.
    """
    if 1440 % interval_minutes:
        raise ForecastInputError(f"interval_minutes must divide a day, got {interval_minutes}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ForecastInputError(f"methods: {unknown[0]!r} is not one of {', '.join(METHODS)}")
    days, x = day_matrix(np.asarray(y, dtype=float), pd.DatetimeIndex(ts), interval_minutes=interval_minutes)
    if baseline is None:
        b = baseline_matrix(x)
    else:
        if len(baseline) != len(y):
            raise ValueError(f"baseline has {len(baseline)} values, y has {len(y)}")
        _, b = day_matrix(np.asarray(baseline, dtype=float), pd.DatetimeIndex(ts), interval_minutes=interval_minutes)
    usable = np.flatnonzero((~np.isnan(x)).any(axis=1) & (~np.isnan(b)).any(axis=1) & (np.nansum(x, axis=1) > 0))
    kinds = calendar.intraday_kinds(days) if calendar is not None else np.zeros(len(days), np.int8)
    special = usable[kinds[usable] != REGULAR]
    usable = usable[kinds[usable] == REGULAR]
    test = usable[-backtest_days:] if len(usable) >= MIN_TRAIN_DAYS // 2 + 5 else np.array([], int)
    train_rows = usable[~np.isin(usable, test)] if len(test) else usable
    fit_early = _fit_factors(x[train_rows], b[train_rows], max_factors=max_factors)
    with np.errstate(invalid="ignore"):
        open_slot = (np.nanmean(b[usable], axis=0) > 0.05) if len(usable) else np.zeros(x.shape[1], bool)
    cuts = _cut_slots(open_slot)
    # the previous days' prior: each day's ordinary days before it in its forecast week
    ordinary = np.zeros(len(days), bool)
    ordinary[usable] = True
    prior = previous_day_levels(x, b, ordinary, next_origin=len(days))
    rho_early = _previous_weight(x[train_rows], b[train_rows], prior[train_rows])
    rows = []

    def score(method: str, shift: np.ndarray | None, rows: np.ndarray = test, base: np.ndarray = b) -> float:
        err = tot = 0.0
        for d in rows:
            f = np.nan_to_num(base[d]) * (1.0 if shift is None else np.exp(shift[d]))
            for cut in cuts:
                e, t = _score_day(method, fit_early, f, x[d], cut)
                err, tot = err + e, tot + t
        return err / tot if tot > 0 else np.nan

    if len(test) and cuts:
        rows = [{"method": method, "wape": score(method, None)} for method in methods]
    table = pd.DataFrame(rows, columns=["method", "wape"])
    if table["wape"].notna().any():
        method = str(table.loc[table["wape"].idxmin(), "method"])
    else:
        method = "damped" if "damped" in methods else methods[0]
    # the previous days' prior, for the chosen method, kept when it lowers the same backtest's WAPE
    with_prior = False
    if len(test) and cuts and rho_early > 0 and table["wape"].notna().any():
        with_prior = bool(score(method, rho_early * prior) < table["wape"].min())
    evening, shaped = _evening_choice(lambda rows, base: score(method, rho_early * prior if with_prior else None, rows, base),
                                      x, b, days, usable, test if cuts and table["wape"].notna().any() else test[:0])
    # band calibration on the same days, with the chosen method
    shift = np.exp(rho_early * prior[test])[:, None] if with_prior else 1.0
    scale, cut_scales = _calibrate(method, fit_early, shaped[test] * shift, x[test], cuts) if len(test) and cuts else (1.0, ())
    rho = _previous_weight(x[usable], b[usable], prior[usable]) if with_prior else 0.0
    fit = _fit_factors(x[usable], b[usable], max_factors=max_factors)
    special_var, special_n = _special_level_var(x[special], b[special], floor=float(fit.prior[0, 0]))
    return IntradayModel(interval_minutes=interval_minutes, method=method, components=fit.components,
                         prior=fit.prior, sigma2=fit.sigma2, covariance=fit.covariance, variance_scale=scale, backtest=table,
                         train_days=int(len(usable)), cut_slots=tuple(cuts) if cut_scales else (), cut_scales=cut_scales,
                         special_level_var=special_var, special_days=special_n, previous_weight=rho,
                         evening_shape=_next_week_shapes(x, ordinary, days, evening) if evening.any() else None)


def _evening_choice(score, x: np.ndarray, b: np.ndarray, days: pd.DatetimeIndex, usable: np.ndarray,
                    test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kept, baseline): the evening weekdays (:func:`_evening_weekdays` of the ordinary days
    ``usable``) whose ``test`` days' backtest WAPE ``score(rows, base)`` is lower with the
    baseline given the last weeks' shape (:func:`recent_shapes`), a bool per weekday; and ``b``
    with the kept weekdays' days reshaped so."""
    ordinary = np.isin(np.arange(len(x)), usable)
    shaped = _reshaped(b, recent_shapes(x, ordinary))
    kept = np.zeros(7, bool)
    for weekday in _evening_weekdays(x[usable], days[usable]) if len(test) else ():
        rows = test[days[test].day_of_week == weekday]
        kept[weekday] = bool(len(rows)) and score(rows, shaped) < score(rows, b)
    return kept, np.where(kept[days.day_of_week][:, None], shaped, b)


def recent_shapes(x: np.ndarray, ordinary: np.ndarray, *, weeks: int = EVENING_WEEKS) -> np.ndarray:
    """Per day (rows of ``x``: consecutive days), the mean per slot of the last ``weeks`` ordinary
    days (``ordinary``: bool per row) of its weekday before it; NaN rows without any. Row ``i``
    reads only rows ``i - 7, i - 14, ...``."""
    out = np.full(x.shape, np.nan)
    for i in range(len(x)):
        same = [j for j in range(i - 7, -1, -7) if ordinary[j]][:weeks]
        seen = ~np.isnan(x[same])
        if seen.any():
            out[i] = np.where(seen, x[same], 0.0).sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
    return out


def reshape(forecast: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """The day's ``forecast`` total spread over its slots as ``shape`` is (the forecast as is where
    ``shape`` sums to 0 or is NaN)."""
    total = float(np.nansum(shape))
    if not np.isfinite(total) or total <= 0 or np.isnan(shape).any():
        return forecast
    return shape / total * float(np.nansum(forecast))


def _reshaped(b: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    return np.array([reshape(bd, sd) for bd, sd in zip(b, shapes)])


def _evening_weekdays(x: np.ndarray, days: pd.DatetimeIndex) -> list[int]:
    """Weekdays (Mon = 0) whose days (rows of ``x``) bring less than :data:`EVENING_SHARE` of
    their contacts before noon."""
    half = x.shape[1] // 2
    out = []
    for weekday in range(7):
        rows = x[days.day_of_week == weekday]
        total = np.nansum(rows)
        if total > 0 and np.nansum(rows[:, :half]) < EVENING_SHARE * total:
            out.append(weekday)
    return out


def _next_week_shapes(x: np.ndarray, ordinary: np.ndarray, days: pd.DatetimeIndex, evening: np.ndarray) -> np.ndarray:
    """(7, slots) by weekday: for the ``evening`` weekdays, the shape of the 7 days after the
    history (:func:`recent_shapes`); zero rows elsewhere."""
    ahead = recent_shapes(np.vstack([x, np.full((7, x.shape[1]), np.nan)]), np.r_[ordinary, np.zeros(7, bool)])[-7:]
    out = np.zeros((7, x.shape[1]))
    weekdays = (days[-1] + pd.to_timedelta(np.arange(1, 8), "D")).day_of_week
    keep = evening[weekdays]
    out[weekdays[keep]] = np.nan_to_num(ahead[keep])
    return out


def _inliers(levels: np.ndarray) -> np.ndarray:
    """``levels`` with those further than OUTLIER_MADS robust standard deviations from their
    median set to NaN (an outage or an unlisted holiday says nothing about the next day)."""
    ok = np.isfinite(levels)
    if ok.sum() < 5:
        return levels
    centre = np.median(levels[ok])
    mad = 1.4826 * np.median(np.abs(levels[ok] - centre)) + 1e-6
    return np.where(np.abs(levels - centre) <= OUTLIER_MADS * mad, levels, np.nan)


def _previous_weight(x: np.ndarray, b: np.ndarray, prior: np.ndarray) -> float:
    """``rho``: the least-squares slope (through 0) of a day's level on its previous days' mean
    level ``prior`` over the rows of ``x``/``b`` that have previous days, clipped to 0..1; 0
    with fewer than 5 such days."""
    levels = _inliers(np.array([day_level(bd, xd) for xd, bd in zip(x, b)]))
    use = np.isfinite(levels) & (prior != 0)
    if use.sum() < 5 or not (prior[use] ** 2).sum() > 0:
        return 0.0
    return float(np.clip((levels[use] * prior[use]).sum() / (prior[use] ** 2).sum(), 0.0, 1.0))


def _special_level_var(x: np.ndarray, b: np.ndarray, *, floor: float) -> tuple[float, int]:
    """(variance, days): the mean squared day level (weighted mean log ratio of actual to
    baseline over the slots forecast) of past holidays, eves and bridge days (rows of ``x``/``b``),
    at least ``floor`` (the ordinary days' level variance) and at most
    :data:`MAX_SPECIAL_LEVEL_VAR`; :data:`SPECIAL_LEVEL_VAR` with fewer than two such days."""
    levels = []
    for xd, bd in zip(x, b):
        ok = ~np.isnan(xd) & ~np.isnan(bd) & (np.nan_to_num(bd) > 0)
        if ok.sum() < 2 or bd[ok].sum() < MIN_OPEN_MEAN:
            continue
        w = 1.0 / (1.0 / (bd[ok] + 0.5) + 0.01)
        levels.append(float((w * _log_ratio(xd[ok], bd[ok])).sum() / w.sum()))
    if len(levels) < 2:
        return max(SPECIAL_LEVEL_VAR, floor), len(levels)
    return float(np.clip(np.mean(np.square(levels)), floor, MAX_SPECIAL_LEVEL_VAR)), len(levels)


def _calibrate(method: str, fit: _Fit, b: np.ndarray, x: np.ndarray, cuts: list[int]) -> tuple[float, tuple[float, ...]]:
    """The band's variance scale from :data:`VARIANCE_SCALES` whose coverage of the rest of the
    days ``b``/``x`` (baseline/actual rows) is nearest :data:`CALIBRATION_COVERAGE`: over all
    ``cuts`` together, and for each cut alone (the band's error changes with the time of day)."""
    pieces = {cut: [] for cut in cuts}
    for f, a in zip(np.nan_to_num(b), x):
        for cut in cuts:
            seen = (np.arange(len(f)) < cut) & ~np.isnan(a)
            rest = (np.arange(len(f)) >= cut) & ~np.isnan(a) & (f > 0)
            if rest.any():
                mean, var = _point(method, fit, f, np.where(seen, a, np.nan), seen)
                pieces[cut].append((mean[rest], var[rest], a[rest]))

    def best(chosen: list[int]) -> float:
        parts = [p for cut in chosen for p in pieces[cut]]
        if not parts:
            return 1.0
        mean, var, a = (np.concatenate(z) for z in zip(*parts))
        gaps = []
        for s in VARIANCE_SCALES:
            lo, hi = _band(mean, var * s)
            gaps.append(abs(float(((a >= lo) & (a <= hi)).mean()) - CALIBRATION_COVERAGE))
        return float(VARIANCE_SCALES[int(np.argmin(gaps))])

    return best(cuts), tuple(best([cut]) for cut in cuts)


def rest_of_day_wape(actual: np.ndarray, mean: np.ndarray, cut: int) -> float:
    """WAPE over the slots from ``cut`` on (a share)."""
    return metrics.wape(actual[cut:], mean[cut:])

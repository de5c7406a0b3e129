"""Capacity over months: headcount with attrition, training and ramp-up, and the hiring plan.

Weeks are numbered from the first week of the horizon (week 0). For one channel:

* **Attrition** of ``a`` per month is compounded weekly: a share ``s = (1 - a) ** (12 / 52)``
  of the staff of one week is still there the next. The starting headcount ``H`` (FTE) is
  ``H * s**t`` in week ``t``.
* **A hiring class** of ``n`` people starting in week ``j`` employs ``n * s**(t - j)`` FTE in
  week ``t >= j`` (attrition applies from the first day). Productivity is 0 for the
  ``training_weeks`` weeks of training, then ramps linearly: in ramp week ``r`` (1..R of
  ``ramp_weeks`` R) it is ``r / (R + 1)`` (R = 3: 25 %, 50 %, 75 %), then 1.0.
* **Available FTE** = productive FTE = starting staff + sum over classes of employed FTE x
  productivity. **Headcount FTE** counts trainees and ramping staff fully (they are paid).
* **Gap** = available - required (negative = short).

:func:`plan_hiring` chooses class sizes per allowed start week (from ``lead_time_weeks``,
every ``class_every_weeks``; a class that runs has ``min_class_size..max_class_size``
people) by an integer program (PuLP, HiGHS, CBC as fallback) in two steps:

1. weeks where a class started at the lead time is still in training (before
   ``lead_time_weeks + training_weeks``) cannot be helped: their gap is reported;
2. in the ramp-up weeks after that (``ramp_weeks`` of them) hiring can only partly help:
   the total shortfall there is made as small as possible first;
3. from ``lead_time_weeks + training_weeks + ramp_weeks`` on (``hiring_can_close``),
   available >= required is a hard constraint; among the plans with the least ramp-up
   shortfall, the cheapest (hire and class costs plus the hires' salary to the horizon end)
   is chosen.

No plan within the class sizes meeting step 3 raises :class:`HiringInfeasibleError` naming
the weeks that stay short.

Frames (long, one row per week and channel): ``required``: ``week_start, channel,
required_fte``; the weekly result adds ``headcount_fte, available_fte, gap_fte,
hires_starting, in_training, ramping, hiring_can_close``.

Example:
    >>> req = pd.DataFrame({"week_start": pd.date_range("2025-01-06", periods=3, freq="7D"),
    ...                     "channel": "voice", "required_fte": [10.0, 10.0, 10.0]})
    >>> rules = {"voice": HiringRules(attrition_per_month=0.0, max_class_size=5)}
    >>> plan = plan_hiring(req, rules=rules, starting_fte={"voice": 8.0})
    >>> plan.hiring[["channel", "size"]].values.tolist()
    [['voice', 2]]
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import pulp

from wfm_errors import CapacityError
from scheduling.solvers import lp_solver

__all__ = ["HiringRules", "HiringClass", "HiringPlan", "HiringInfeasibleError", "SolveError",
           "weekly_survival", "productivity", "project", "plan_hiring", "monthly_cost",
           "WEEKLY_COLUMNS", "HIRING_COLUMNS", "MONTHLY_COLUMNS"]

WEEKLY_COLUMNS = ("week_start", "channel", "required_fte", "headcount_fte", "available_fte", "gap_fte",
                  "hires_starting", "in_training", "ramping", "hiring_can_close")
HIRING_COLUMNS = ("start_week", "channel", "size", "fixed", "productive_from", "full_from")
MONTHLY_COLUMNS = ("month", "channel", "headcount_fte", "staff_cost", "trainee_cost", "hiring_cost", "total_cost")
WEEKS_PER_YEAR = 52
TOLERANCE_FTE = 1e-6


class HiringInfeasibleError(CapacityError):
    """No hiring plan within the rules closes the gap; ``shortfall`` has ``week_start, channel,
    short_fte`` for the weeks that stay short even with the best plan."""

    def __init__(self, message: str, shortfall: pd.DataFrame):
        super().__init__(message)
        self.shortfall = shortfall


class SolveError(RuntimeError):
    """The solver stopped without a usable solution (e.g. the time limit hit first)."""


def _check(name: str, value: Any, ok: bool, rule: str) -> None:
    if not ok:
        raise CapacityError(f"{name} = {value!r}: {rule}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)


def _is_whole(v: Any) -> bool:
    return _is_number(v) and float(v) == int(v)


@dataclass(frozen=True)
class HiringRules:
    """Hiring, attrition and cost rules of one channel (hours per week, costs per hour/hire).

    ``paid_hours_per_fte_week`` hours one FTE is paid a week; ``attrition_per_month`` share
    leaving per month (compounded weekly); ``training_weeks`` weeks at 0 productivity;
    ``ramp_weeks`` weeks of linear ramp-up after training; ``hourly_cost`` pay per paid hour;
    ``hire_cost`` one-off cost per hire (recruiting, equipment); ``class_cost`` one-off cost
    per class that runs (trainer, room); ``min_class_size``/``max_class_size`` people per
    class; ``lead_time_weeks`` earliest week (from the horizon start) a new class can start;
    ``class_every_weeks`` new classes only every this many weeks from there.

    Example:
        >>> HiringRules(training_weeks=4, ramp_weeks=3).training_weeks
        4
    """

    paid_hours_per_fte_week: float = 37.5
    attrition_per_month: float = 0.0
    training_weeks: int = 0
    ramp_weeks: int = 0
    hourly_cost: float = 0.0
    hire_cost: float = 0.0
    class_cost: float = 0.0
    min_class_size: int = 1
    max_class_size: int = 30
    lead_time_weeks: int = 0
    class_every_weeks: int = 1

    def __post_init__(self) -> None:
        _check("paid_hours_per_fte_week", self.paid_hours_per_fte_week,
               _is_number(self.paid_hours_per_fte_week) and 0 < self.paid_hours_per_fte_week <= 168,
               "must be a number of hours in (0, 168]")
        _check("attrition_per_month", self.attrition_per_month,
               _is_number(self.attrition_per_month) and 0 <= self.attrition_per_month < 1,
               "must be a share in [0, 1), e.g. 0.02 for 2 % a month")
        for name in ("training_weeks", "ramp_weeks", "lead_time_weeks", "min_class_size"):
            value = getattr(self, name)
            _check(name, value, _is_whole(value) and value >= 0, "must be a whole number >= 0")
        for name in ("max_class_size", "class_every_weeks"):
            value = getattr(self, name)
            _check(name, value, _is_whole(value) and value >= 1, "must be a whole number >= 1")
        _check("min_class_size", self.min_class_size, self.min_class_size <= self.max_class_size,
               f"must not exceed max_class_size = {self.max_class_size!r}")
        for name in ("hourly_cost", "hire_cost", "class_cost"):
            value = getattr(self, name)
            _check(name, value, _is_number(value) and value >= 0, "must be a number >= 0")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @property
    def survival(self) -> float:
        """Share of staff still employed one week later."""
        return weekly_survival(self.attrition_per_month)

    @property
    def first_productive_offset(self) -> int:
        """Weeks from a class start to its first productive week."""
        return self.training_weeks


@dataclass(frozen=True)
class HiringClass:
    """A hiring class: ``size`` people join ``channel`` on the week containing ``start``.

    A start before the horizon is a class already in training or ramping.
    """

    start: pd.Timestamp
    channel: str
    size: float
    fixed: bool = True


@dataclass(frozen=True)
class HiringPlan:
    """The result of :func:`plan_hiring`.

    ``weekly`` (:data:`WEEKLY_COLUMNS`), ``hiring`` (:data:`HIRING_COLUMNS`: fixed classes
    and the chosen ones), ``monthly`` (:data:`MONTHLY_COLUMNS`), ``status`` of the solver,
    ``objective`` (hiring + salary cost over the horizon), ``unavoidable`` (weeks short
    before any new class can help: ``week_start, channel, short_fte``), ``seconds``.
    """

    weekly: pd.DataFrame
    hiring: pd.DataFrame
    monthly: pd.DataFrame
    status: str
    objective: float
    unavoidable: pd.DataFrame
    seconds: float


def weekly_survival(attrition_per_month: float) -> float:
    """Weekly retention for a monthly attrition rate: ``(1 - a) ** (12 / 52)``.

    Example:
        >>> round(weekly_survival(0.02) ** (52 / 12), 12)
        0.98
    """
    return float((1.0 - attrition_per_month) ** (12.0 / WEEKS_PER_YEAR))


def productivity(weeks_since_start: np.ndarray | int, *, training_weeks: int, ramp_weeks: int) -> np.ndarray:
    """Productivity (0..1) of a hire ``weeks_since_start`` weeks after the class started
    (week 0 is the first week; negative = not started yet).

    Example:
        >>> productivity(np.arange(-1, 9), training_weeks=4, ramp_weeks=3).tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    k = np.asarray(weeks_since_start, dtype=float)
    ramp = (k - training_weeks + 1) / (ramp_weeks + 1)
    return np.where(k < training_weeks, 0.0, np.where(k < training_weeks + ramp_weeks, ramp, 1.0))


def _class_arrays(start_week: int, weeks: int, rules: HiringRules) -> tuple[np.ndarray, ...]:
    """Per hire: employed FTE, productive FTE, in training, ramping, for weeks 0..weeks-1."""
    t = np.arange(weeks)
    k = t - start_week
    started = k >= 0
    employed = np.where(started, rules.survival ** np.maximum(k, 0), 0.0)
    prod = productivity(k, training_weeks=rules.training_weeks, ramp_weeks=rules.ramp_weeks)
    training = started & (k < rules.training_weeks)
    ramping = started & (k >= rules.training_weeks) & (k < rules.training_weeks + rules.ramp_weeks)
    return employed, employed * prod, employed * training, employed * ramping


def _validate_required(required: pd.DataFrame, rules: Mapping[str, HiringRules],
                       starting_fte: Mapping[str, float]) -> tuple[pd.DatetimeIndex, list[str], dict[str, np.ndarray]]:
    missing = [c for c in ("week_start", "channel", "required_fte") if c not in required.columns]
    if missing:
        raise CapacityError(f"required: missing column(s) {', '.join(missing)} (need week_start, channel, required_fte)")
    frame = required.copy()
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    values = pd.to_numeric(frame["required_fte"], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        i = bad.idxmax()
        raise CapacityError(f"required: row {i}, required_fte = {required.loc[i, 'required_fte']!r}: must be a number >= 0")
    frame["required_fte"] = values.astype(float)
    weeks = pd.DatetimeIndex(sorted(frame["week_start"].unique()))
    if len(weeks) > 1 and (weeks[1:] - weeks[:-1] != pd.Timedelta(days=7)).any():
        raise CapacityError("required: week_start values must be consecutive weeks, 7 days apart")
    channels = sorted(frame["channel"].astype(str).unique())
    arrays = {}
    for channel in channels:
        if channel not in rules:
            raise CapacityError(f"rules: no hiring rules for channel {channel!r}")
        if channel not in starting_fte:
            raise CapacityError(f"starting_fte: no starting headcount for channel {channel!r}")
        value = starting_fte[channel]
        _check(f"starting_fte[{channel!r}]", value, _is_number(value) and value >= 0, "must be a number >= 0")
        part = frame[frame["channel"].astype(str) == channel].set_index("week_start")["required_fte"]
        if part.index.duplicated().any():
            raise CapacityError(f"required: channel {channel!r} repeats week_start {part.index[part.index.duplicated()][0]:%Y-%m-%d}")
        arrays[channel] = part.reindex(weeks).fillna(0.0).to_numpy(dtype=float)
    return weeks, channels, arrays


def _week_index(start: Any, weeks: pd.DatetimeIndex) -> int:
    return int(math.floor((pd.Timestamp(start).normalize() - weeks[0]).days / 7))


def project(required: pd.DataFrame, *, rules: Mapping[str, HiringRules], starting_fte: Mapping[str, float],
            classes: Sequence[HiringClass] = ()) -> pd.DataFrame:
    """The weekly table (:data:`WEEKLY_COLUMNS`) for given hiring classes: headcount,
    available (productive) FTE, gap, hires starting, FTE in training and ramping.

    ``hiring_can_close`` is True from the week a class started at the lead time is fully
    productive (lead time + training + ramp). Nothing is rounded.
    """
    weeks, channels, req = _validate_required(required, rules, starting_fte)
    W = len(weeks)
    parts = []
    for channel in channels:
        r = rules[channel]
        base = float(starting_fte[channel]) * r.survival ** np.arange(W)
        head, avail = base.copy(), base.copy()
        training, ramping, hires = np.zeros(W), np.zeros(W), np.zeros(W)
        for c in classes:
            if str(c.channel) != channel:
                continue
            j = _week_index(c.start, weeks)
            employed, prod, train, ramp = _class_arrays(j, W, r)
            head += c.size * employed
            avail += c.size * prod
            training += c.size * train
            ramping += c.size * ramp
            if 0 <= j < W:
                hires[j] += c.size
        parts.append(pd.DataFrame({
            "week_start": weeks, "channel": channel, "required_fte": req[channel], "headcount_fte": head,
            "available_fte": avail, "gap_fte": avail - req[channel], "hires_starting": hires,
            "in_training": training, "ramping": ramping,
            "hiring_can_close": np.arange(W) >= r.lead_time_weeks + r.training_weeks + r.ramp_weeks,
        }))
    return pd.concat(parts, ignore_index=True)[list(WEEKLY_COLUMNS)]




def _start_weeks(rules: HiringRules, W: int) -> list[int]:
    """Allowed new-class start weeks that can still be productive inside the horizon."""
    last = W - 1 - rules.training_weeks
    return list(range(rules.lead_time_weeks, last + 1, rules.class_every_weeks))


def _class_cost(rules: HiringRules, start_week: int, W: int) -> float:
    """Cost of one hire starting in ``start_week``: hire cost + salary to the horizon end."""
    employed = _class_arrays(start_week, W, rules)[0]
    return rules.hire_cost + rules.hourly_cost * rules.paid_hours_per_fte_week * float(employed.sum())


def plan_hiring(required: pd.DataFrame, *, rules: Mapping[str, HiringRules], starting_fte: Mapping[str, float],
                fixed_classes: Sequence[HiringClass] = (), time_limit_s: float = 60.0,
                gap_rel: float = 1e-4) -> HiringPlan:
    """The cheapest hiring plan keeping available >= required wherever hiring can reach.

    ``required``: ``week_start, channel, required_fte`` (consecutive weeks); ``rules`` and
    ``starting_fte`` per channel; ``fixed_classes`` already planned (counted, not chosen).
    Cost = hire cost + class cost + salary of the hires over the horizon (the starting staff
    and fixed classes cost the same whatever is chosen). Raises
    :class:`HiringInfeasibleError` (naming the weeks that stay short) when the class sizes or
    start weeks cannot close the gap, :class:`SolveError` when the solver stops without a
    solution.
    """
    began = time.perf_counter()
    weeks, channels, req = _validate_required(required, rules, starting_fte)
    W = len(weeks)
    fixed = project(required, rules=rules, starting_fte=starting_fte, classes=fixed_classes)
    prob = pulp.LpProblem("hiring", pulp.LpMinimize)
    size: dict[tuple[str, int], pulp.LpVariable] = {}
    runs: dict[tuple[str, int], pulp.LpVariable] = {}
    objective = []
    for channel in channels:
        r = rules[channel]
        for j in _start_weeks(r, W):
            x = prob.add_variable(f"size_{len(size)}", lowBound=0, upBound=r.max_class_size, cat="Integer")
            size[channel, j] = x
            objective.append(_class_cost(r, j, W) * x)
            if r.min_class_size > 1 or r.class_cost > 0:
                y = prob.add_variable(f"runs_{len(runs)}", cat="Binary")
                runs[channel, j] = y
                prob += x >= r.min_class_size * y
                prob += x <= r.max_class_size * y
                objective.append(r.class_cost * y)
    cost = pulp.lpSum(objective)
    shortfall: list[pulp.LpVariable] = []
    for channel in channels:
        r = rules[channel]
        base = fixed[fixed["channel"] == channel]["available_fte"].to_numpy()
        starts = [j for (c, j) in size if c == channel]
        prods = {j: _class_arrays(j, W, r)[1] for j in starts}
        reach = r.lead_time_weeks + r.training_weeks
        for t in range(reach, W):
            need = req[channel][t] - base[t]
            if need <= TOLERANCE_FTE:
                continue
            terms = [prods[j][t] * size[channel, j] for j in starts if prods[j][t] > 0]
            if t < reach + r.ramp_weeks:  # classes are still ramping: cover what can be covered
                u = prob.add_variable(f"short_{channel}_{t}", lowBound=0)
                shortfall.append(u)
                terms.append(u)
            prob += pulp.lpSum(terms) >= need, f"cover_{channel}_{t}"
    status = "Optimal"
    if size:
        solver = lp_solver(time_limit_s=time_limit_s, gap_rel=gap_rel)
        explain = dict(required=required, rules=rules, starting_fte=starting_fte, fixed_classes=fixed_classes,
                       weeks=weeks, channels=channels)
        if shortfall:  # lexicographic: first the least shortfall in the ramp-up weeks, then the least cost
            prob.setObjective(pulp.lpSum(shortfall))
            _solve(prob, solver, size, time_limit_s, explain)
            least = float(pulp.value(pulp.lpSum(shortfall)) or 0.0)
            prob += pulp.lpSum(shortfall) <= least * (1 + 1e-6) + 1e-6, "least_shortfall"
        prob.setObjective(cost)
        status = _solve(prob, solver, size, time_limit_s, explain)
    chosen = [HiringClass(start=weeks[j], channel=c, size=int(round(x.varValue)), fixed=False)
              for (c, j), x in size.items() if x.varValue is not None and round(x.varValue) > 0]
    all_classes = list(fixed_classes) + chosen
    weekly = project(required, rules=rules, starting_fte=starting_fte, classes=all_classes)
    hiring = _hiring_table(all_classes, weeks, rules)
    monthly = monthly_cost(weekly, rules=rules, classes=all_classes)
    objective_value = float(sum(_class_cost(rules[c.channel], _week_index(c.start, weeks), W) * c.size
                                + rules[c.channel].class_cost for c in chosen))
    unavoidable = weekly.loc[~weekly["hiring_can_close"] & (weekly["gap_fte"] < -TOLERANCE_FTE),
                             ["week_start", "channel", "gap_fte"]]
    unavoidable = unavoidable.assign(short_fte=-unavoidable["gap_fte"]).drop(columns="gap_fte").reset_index(drop=True)
    return HiringPlan(weekly=weekly, hiring=hiring, monthly=monthly, status=status, objective=objective_value,
                      unavoidable=unavoidable, seconds=time.perf_counter() - began)


def _solve(prob: pulp.LpProblem, solver: pulp.LpSolver, size: Mapping, time_limit_s: float,
           explain: dict[str, Any]) -> str:
    """Solve and read the status: infeasible -> :class:`HiringInfeasibleError` explained by
    week, no solution -> :class:`SolveError`; returns the status."""
    prob.solve(solver)
    status = pulp.LpStatus[prob.status]
    if status == "Infeasible":
        raise _infeasible(**explain)
    has_solution = all(v.varValue is not None for v in size.values())
    if status != "Optimal" and not has_solution:
        raise SolveError(f"hiring plan: solver status {status!r} without a solution "
                         f"(time limit {time_limit_s:g} s); raise time_limit_s")
    return status


def _hiring_table(classes: Sequence[HiringClass], weeks: pd.DatetimeIndex, rules: Mapping[str, HiringRules]) -> pd.DataFrame:
    rows = []
    for c in classes:
        r = rules[c.channel]
        start = weeks[0] + pd.Timedelta(weeks=_week_index(c.start, weeks))
        size = int(c.size) if float(c.size).is_integer() else float(c.size)
        rows.append({"start_week": start, "channel": c.channel, "size": size, "fixed": bool(c.fixed),
                     "productive_from": start + pd.Timedelta(weeks=r.training_weeks),
                     "full_from": start + pd.Timedelta(weeks=r.training_weeks + r.ramp_weeks)})
    frame = pd.DataFrame(rows, columns=list(HIRING_COLUMNS))
    return frame.sort_values(["start_week", "channel"], ignore_index=True)


def _infeasible(required: pd.DataFrame, *, rules, starting_fte, fixed_classes, weeks, channels) -> HiringInfeasibleError:
    """Explain an infeasible plan: the weeks still short when every allowed class is as
    large as allowed (the most any plan can reach)."""
    W = len(weeks)
    biggest = list(fixed_classes)
    for channel in channels:
        r = rules[channel]
        biggest += [HiringClass(start=weeks[j], channel=channel, size=r.max_class_size, fixed=False)
                    for j in _start_weeks(r, W)]
    most = project(required, rules=rules, starting_fte=starting_fte, classes=biggest)
    short = most[most["hiring_can_close"] & (most["gap_fte"] < -TOLERANCE_FTE)]
    shortfall = pd.DataFrame({"week_start": short["week_start"], "channel": short["channel"],
                              "short_fte": -short["gap_fte"]}).reset_index(drop=True)
    lines = []
    for channel, part in shortfall.groupby("channel", sort=True):
        r = rules[channel]
        listed = ", ".join(f"{w:%Y-%m-%d} short {s:.1f} FTE" for w, s in
                           zip(part["week_start"].head(6), part["short_fte"].head(6)))
        more = f" and {len(part) - 6} more weeks" if len(part) > 6 else ""
        lines.append(f"channel {channel}: even a class of max_class_size = {r.max_class_size} every "
                     f"{r.class_every_weeks} week(s) from lead_time_weeks = {r.lead_time_weeks} leaves "
                     f"{listed}{more}")
    if not lines:  # the solver said infeasible but the largest plan covers: min class size binds
        lines.append("the minimum class size and class spacing cannot be met together with the limits; "
                     "lower min_class_size or class_every_weeks")
    message = ("hiring plan infeasible: " + "; ".join(lines)
               + " (raise max_class_size, shorten training_weeks, ramp_weeks or lead_time_weeks, or allow "
                 "classes more often)")
    return HiringInfeasibleError(message, shortfall)


def monthly_cost(weekly: pd.DataFrame, *, rules: Mapping[str, HiringRules],
                 classes: Sequence[HiringClass] = ()) -> pd.DataFrame:
    """Cost per calendar month and channel (:data:`MONTHLY_COLUMNS`).

    Each week's salary (headcount FTE x paid hours x hourly cost) is spread over its 7 days
    and summed by month; ``trainee_cost`` is the part paid to staff in training,
    ``staff_cost`` the rest; ``hiring_cost`` (hire cost per hire + class cost) falls in the
    month of the class's first day; ``headcount_fte`` is the mean over the month's days.
    """
    rows = []
    for _, w in weekly.iterrows():
        r = rules[w["channel"]]
        weekly_pay = r.hourly_cost * r.paid_hours_per_fte_week
        for d in range(7):
            day = pd.Timestamp(w["week_start"]) + pd.Timedelta(days=d)
            rows.append({"month": day.strftime("%Y-%m"), "channel": w["channel"], "day": day,
                         "headcount_fte": w["headcount_fte"],
                         "staff_cost": (w["headcount_fte"] - w["in_training"]) * weekly_pay / 7.0,
                         "trainee_cost": w["in_training"] * weekly_pay / 7.0, "hiring_cost": 0.0})
    frame = pd.DataFrame(rows, columns=["month", "channel", "day", "headcount_fte", "staff_cost",
                                        "trainee_cost", "hiring_cost"])
    if frame.empty:
        return pd.DataFrame(columns=list(MONTHLY_COLUMNS))
    first, last = frame["day"].min(), frame["day"].max()
    for c in classes:
        start = pd.Timestamp(c.start)
        if first <= start <= last and c.size > 0:
            r = rules[c.channel]
            frame.loc[len(frame)] = {"month": start.strftime("%Y-%m"), "channel": c.channel, "day": pd.NaT,
                                     "headcount_fte": np.nan, "staff_cost": 0.0, "trainee_cost": 0.0,
                                     "hiring_cost": c.size * r.hire_cost + r.class_cost}
    out = frame.groupby(["month", "channel"], sort=True).agg(
        headcount_fte=("headcount_fte", "mean"), staff_cost=("staff_cost", "sum"),
        trainee_cost=("trainee_cost", "sum"), hiring_cost=("hiring_cost", "sum")).reset_index()
    out["total_cost"] = out["staff_cost"] + out["trainee_cost"] + out["hiring_cost"]
    return out[list(MONTHLY_COLUMNS)]

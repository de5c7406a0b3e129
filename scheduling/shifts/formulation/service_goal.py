"""Daily and weekly service goals: answered-within-T contacts instead of per-interval coverage.

For an immediate channel ``c`` whose ``service_goal`` is ``"daily"`` or ``"weekly"``
(staffing.toml; :class:`scheduling.requirements.ServiceTarget`), the coverage builder adds no
``cover`` rows; this builder adds, per open interval ``i`` (forecast volume ``v_i > 0``) that a
shift can reach:

* column ``goal_staffed_c_i`` (continuous): the **scheduled agents on duty**, row
  ``goal_staffed_c_i``: ``staffed[c][i] - staffed_c_i = 0``, the one row that carries the
  shifts' coverage expression (20-30 nonzeros); the net and floor rows below read the column
  (2 nonzeros each) instead of repeating the expression. The same LP (the column is the
  expression), 14 % fewer nonzeros on the bundled sample (177,146 -> 151,798) and its weekly
  LP's interior-point CPU time 7.1-7.2 s -> 5.1-5.6 s (the interval LP's: 4.6 s; load 6-8).
* column ``goal_net_c_i`` (integer, >= 0): **productive (net) agents**, at most the scheduled
  agents on duty times ``1 - shrinkage``, rounded down - row ``goal_net_c_i``:
  ``(1 - s) * staffed_c_i - net_c_i >= 0``. ``staffed`` is in *scheduled* agents (shifts on
  duty net of breaks and lunches); the queueing model and its curve are in *net* agents. Being
  integer, ``net_c_i = floor((1 - s) * staffed)``: the definition of productive agents the
  service check uses (:func:`planner.service.expected_service`), so a plan that meets the goal
  here meets it there by the exact Erlang formula.
* column ``goal_answered_c_i`` (continuous, at most ``v_i``, no lower bound): expected contacts answered within
  ``answer_s``, at most the interval's concave service curve at ``net_c_i``
  (:func:`scheduling.service_curve.service_curves`, breakpoints at integer net agents ``k``:
  ``answered_c_i <= f(k) + (f(k+1) - f(k)) * (net_c_i - k)`` for every piece ``k``; the last
  piece is flat, from the first breakpoint where the service level is within ``TOP_SHARE`` of
  1). At integer ``net`` the tightest piece is ``f(net)`` itself, the Erlang C (or A, or chat
  concurrency) value; it is never above it. The pieces are columns, not rows
  (:func:`curve_rows`: ``goal_piece_c_i_k`` in [0, 1], ``goal_below_c_i``, ``goal_above_c_i``;
  rows ``goal_curve_c_i`` and ``goal_answer_c_i``): the same (net, answered) set with two rows
  an interval instead of one a piece.
* the **floor** - row ``goal_floor_c_i``: ``staffed_c_i (+ v_c_i) >= ceil(n_floor(i) / (1 - s))``,
  with ``n_floor`` the fewest net agents whose service level is at least ``min_interval_sl``
  (and at least the curve's concave start ``min_agents``, the target's ``min_agents`` and the
  agents its per-interval caps ``max_occupancy``, ``max_asa_s`` and ``max_abandon`` need,
  :func:`interval_caps_need`: a goal pools the service level, not those caps): in
  scheduled agents, the same as ``net >= n_floor`` for whole agents and tighter in the LP.
  Hard coverage: no slack. Soft coverage: slack ``v`` (scheduled agents short) priced like
  under-coverage, ``(under_penalty + over_penalty) x interval hours``.
  Below the curve's start the first piece is extended (down to negative values, which the
  answered column may take: an overloaded interval then counts against its period); near the
  start it may credit a little more than the queue answers, so a plan short of its floor is
  priced and reported (``under_agent_hours``), never planned on.

and per period ``p`` (each day 0..6 of the planning week for ``"daily"``, the whole week for
``"weekly"``) - row ``goal_c_p``: ``sum_i answered_c_i + g_c_p >= target_sl x sum_i v_i``,
the volume-weighted service level of the period at least ``target_sl``. The sum of volume
includes open intervals no shift can reach (they answer nothing; they are listed in
``Coverage.unreachable`` as under interval goals). Slack ``g`` (contacts short of the goal)
is priced at ``(under_penalty + over_penalty) x interval hours`` per contact under soft
coverage - a contact short of the goal costs what an agent short for an interval costs, far
above what answering it costs near any target below 1 - and at 1e6 under hard coverage and
in the elastic model. Hard coverage keeps the slack (at that price) because a rounded plan's
whole productive agents may fall a little short of what the LP's fractional ones answered:
the rounded plan is then complete and the improvement buys the shortfall back; a goal the
LP relaxation itself cannot meet is unreachable, and :func:`scheduling.shifts.plan_shifts`
explains it (which day, which channel, the best level reachable) instead of planning.

Units: volume in contacts per interval, handle and answer times in seconds, ``staffed`` in
scheduled agents, ``net`` in productive agents, ``answered`` in contacts. Queues of a channel
are pooled (volume summed, handle time volume-weighted): the shifts serve the channel.

Channels with ``service_goal = "interval"`` (the default) get nothing from this builder and
keep their ``cover`` rows, so a model without goals is the model of before, row for row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from scheduling.channels import chat_required_agents
from wfm_errors import RequirementsError
from scheduling.coverage import WeekGrid
from scheduling.requirements import ServiceTarget
from scheduling.service_curve import ServiceCurves, service_curves
from scheduling.shifts.formulation.context import EPS, ROWS_LATER, Build
from scheduling.shifts.records import Coverage

__all__ = ["GOAL_DIVE_SHARE", "ChannelGoal", "GoalRows", "service_goals", "add_service_goals", "goal_levels", "goal_short", "goal_floor_need",
           "margin_before_solve", "rounding_margin", "fix_net_agents", "net_columns",
           "interval_caps_need", "curve_points", "curve_rows"]

# the service level asked of :func:`interval_caps_need`'s requirement: any positive share, so that only the caps bind
CAPS_ONLY_SL = 1e-9
ELASTIC_PRICE = 1e6  # the elastic model's price of a goal's and a floor's slack
# the curve is cut flat from the first breakpoint whose service level is within this of 1: the
# pieces above it (slopes of a thousandth of a contact per agent and less) only slow the LP, and
# the flat line stays under the curve (it increases); 12.8k rows in all became 7.7k on family seed 0
TOP_SHARE = 1e-3


@dataclass(frozen=True)
class ChannelGoal:
    """One channel's daily or weekly goal on the week grid (inputs of :func:`add_service_goals`).

    ``goal`` "daily" or "weekly"; ``target_sl`` and ``floor_sl`` shares; ``shrinkage`` in
    [0, 1) (productive = scheduled x (1 - shrinkage), rounded down); ``volume`` contacts per
    grid interval; ``curves`` the service curve of each grid interval in net agents;
    ``floor_agents`` the fewest net agents per interval (0 where closed): the floor service
    level, ``min_agents`` and the per-interval caps (:func:`interval_caps_need`).
    """

    channel: str
    goal: str
    target_sl: float
    floor_sl: float
    shrinkage: float
    volume: np.ndarray
    curves: ServiceCurves
    floor_agents: np.ndarray

    def periods(self, grid: WeekGrid) -> list[tuple[str, np.ndarray]]:
        """(label, grid intervals) of each period the goal is judged on: the 7 days or the week."""
        n = grid.n_intervals
        if self.goal == "weekly":
            return [("week", np.arange(n))]
        per_day = n // 7
        names = grid.day_names()
        return [(f"day{d} {names[d]}", np.arange(d * per_day, (d + 1) * per_day)) for d in range(7)]


@dataclass(frozen=True)
class GoalRows:
    """What :func:`add_service_goals` added for one channel: per grid interval the net-agent
    and answered columns (None where closed or out of reach) and the floor slack (None unless
    soft); per period its label, intervals and slack column (None under hard coverage)."""

    goal: ChannelGoal
    net: tuple[pulp.LpVariable | None, ...]
    answered: tuple[pulp.LpVariable | None, ...]
    floor_short: tuple[pulp.LpVariable | None, ...]
    periods: tuple[tuple[str, np.ndarray, pulp.LpVariable | None], ...]
    staffed: tuple[pulp.LpAffineExpression | None, ...] = field(default=(), compare=False)


def _pooled(requirements: pd.DataFrame, channel: str, grid: WeekGrid, fallback_aht_s: float | None,
            *, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Volume (contacts) and volume-weighted handle time (seconds) per grid interval of ``channel``."""
    rows = requirements[requirements["channel"] == channel]
    for column in ("volume", "aht_s"):
        if column not in rows.columns and not (column == "aht_s" and fallback_aht_s is not None):
            raise RequirementsError(f"{source}: service_goal of channel {channel!r} needs column {column} in the "
                             "requirements (contacts and handle time per interval)")
    idx = grid.index_of(rows["interval_start"])
    volume = np.nan_to_num(pd.to_numeric(rows["volume"], errors="coerce").to_numpy(dtype=float))
    aht = (pd.to_numeric(rows["aht_s"], errors="coerce").to_numpy(dtype=float) if "aht_s" in rows.columns
           else np.full(len(rows), np.nan))
    if fallback_aht_s is not None:
        aht = np.where(np.isfinite(aht), aht, float(fallback_aht_s))
    missing = (volume > 0) & ~(np.isfinite(aht) & (aht > 0))
    if missing.any():
        k = int(np.flatnonzero(missing)[0])
        raise RequirementsError(f"{source}: channel {channel!r} interval {rows['interval_start'].iloc[k]}: volume "
                         f"{volume[k]:g} with aht_s={aht[k]!r}; a daily or weekly service goal needs the handle "
                         "time (a requirements aht_s or staffing.toml aht_s)")
    vol = np.zeros(grid.n_intervals)
    work = np.zeros(grid.n_intervals)
    np.add.at(vol, idx, volume)
    np.add.at(work, idx, np.where(volume > 0, volume * np.nan_to_num(aht), 0.0))
    aht_grid = np.where(vol > 0, work / np.where(vol > 0, vol, 1.0), np.nan)
    return vol, aht_grid


def service_goals(requirements: pd.DataFrame, targets: Mapping[str, ServiceTarget] | None, grid: WeekGrid,
                  *, source: str = "requirements") -> dict[str, ChannelGoal]:
    """The daily and weekly goals of ``targets`` for the channels in ``requirements`` (others: {}).

    ``requirements``: the validated Requirements frame (``volume`` and ``aht_s`` per row);
    ``targets``: channel -> :class:`ServiceTarget`. Channels with goal "interval", deferred
    channels and channels without requirements are left out. Raises ``ValueError`` naming the
    channel when a goal channel lacks volume or handle time.
    """
    goals: dict[str, ChannelGoal] = {}
    present = set(requirements["channel"])
    interval_s = grid.interval_minutes * 60.0
    for channel, target in sorted((targets or {}).items()):
        if target.service_goal == "interval" or target.deferred or channel not in present:
            continue
        volume, aht = _pooled(requirements, channel, grid, target.aht_s, source=source)
        curves = service_curves(volume, aht, interval_s=interval_s, answer_s=target.answer_s,
                                patience_s=target.patience_s, concurrency=target.concurrency)
        floor_sl = target.interval_floor_sl
        floor = np.zeros(grid.n_intervals, dtype=np.int64)
        for i in np.flatnonzero(volume > 0):
            values = curves.values[curves.offsets[i]:curves.offsets[i + 1]]
            ok = np.flatnonzero(values >= floor_sl * volume[i] * (1.0 - 1e-9))
            k = int(ok[0]) if ok.size else values.size - 1
            floor[i] = max(int(curves.min_agents[i]) + k, int(target.min_agents))
        floor = np.maximum(floor, interval_caps_need(volume, aht, interval_s=interval_s, target=target))
        goals[channel] = ChannelGoal(channel=channel, goal=target.service_goal, target_sl=float(target.target_sl),
                                     floor_sl=float(floor_sl), shrinkage=float(target.shrinkage), volume=volume,
                                     curves=curves, floor_agents=floor)
    return goals


def interval_caps_need(volume: np.ndarray, aht_s: np.ndarray, *, interval_s: float,
                       target: ServiceTarget) -> np.ndarray:
    """Fewest net agents per interval meeting the target's per-interval caps: ``max_occupancy``,
    ``max_asa_s`` and ``max_abandon`` (0 where closed, and everywhere when none is set).

    A daily or weekly goal pools ``target_sl`` only: these caps protect the agents (occupancy)
    and each interval's callers (waiting time, abandons), so they hold in every open interval as
    under the interval goal, by the same queueing model (:func:`scheduling.channels.chat_required_agents`)."""
    need = np.zeros(volume.size, dtype=np.int64)
    if target.max_occupancy >= 1.0 and target.max_asa_s is None and target.max_abandon is None:
        return need
    open_ = np.flatnonzero(volume > 0)
    if open_.size:
        need[open_] = chat_required_agents(
            volume[open_], interval_s, aht_s[open_], target.answer_s, CAPS_ONLY_SL, concurrency=target.concurrency,
            max_occupancy=target.max_occupancy, max_asa_s=target.max_asa_s, max_abandon=target.max_abandon,
            patience_s=target.patience_s, sl_definition=target.sl_definition, short_abandon_s=target.short_abandon_s)
    return need


def add_service_goals(build: Build, coverage: Coverage) -> dict[str, GoalRows]:
    """Add the goal rows of every channel in ``build.goals`` (see the module docstring)."""
    rules, prob = build.rules, build.prob
    hard = build.hard and not build.elastic
    out: dict[str, GoalRows] = {}
    channels = list(build.demands)
    interval_price = (rules.under_penalty + rules.over_penalty) * build.hours_per_interval
    for channel, goal in build.goals.items():
        if channel not in build.demands:
            continue
        order = (ROWS_LATER, channels.index(channel))
        keep = 1.0 - goal.shrinkage
        floor_price = ELASTIC_PRICE if build.elastic else interval_price
        goal_price = ELASTIC_PRICE if build.elastic or build.hard else interval_price
        curves = goal.curves
        nets, answers, shorts, exprs = [], [], [], []
        for i, expr in enumerate(coverage.staffed[channel]):
            volume = float(goal.volume[i])
            reachable = any(abs(c) > EPS for c in expr.values())
            if volume <= 0 or not reachable:
                nets.append(None)
                answers.append(None)
                shorts.append(None)
                exprs.append(None)
                continue
            net = prob.add_variable(f"goal_net_{channel}_{i}", lowBound=0, cat="Integer")
            # no lower bound: below the curve's start its first piece, extended, falls under 0
            answered = prob.add_variable(f"goal_answered_{channel}_{i}", upBound=volume)
            # the coverage expression once (its own row); the net and floor rows read the column
            staffed = prob.add_variable(f"goal_staffed_{channel}_{i}")
            build.add_row(expr - staffed == 0, f"goal_staffed_{channel}_{i}", order=order)
            build.add_row(keep * staffed - net >= 0, f"goal_net_{channel}_{i}", order=order)
            for row, name in curve_rows(prob, f"{channel}_{i}", net, answered, curve_points(curves, i, volume)):
                build.add_row(row, name, order=order)
            short = None
            # the floor in scheduled agents: floor((1 - s) m) >= n_floor  <=>  m >= ceil(n_floor / (1 - s))
            floor = float(np.ceil(goal.floor_agents[i] / keep - 1e-9))
            if floor > 0:
                if hard:
                    build.add_row(staffed >= floor, f"goal_floor_{channel}_{i}", order=order)
                else:
                    short = prob.add_variable(f"goal_floor_short_{channel}_{i}", lowBound=0)
                    build.objective[short] += floor_price
                    build.add_row(staffed + short >= floor, f"goal_floor_{channel}_{i}", order=order)
            nets.append(net)
            answers.append(answered)
            shorts.append(short)
            exprs.append(expr)
        periods = []
        for label, idx in goal.periods(build.grid):
            wanted = goal.target_sl * float(goal.volume[idx].sum())
            if wanted <= 0:
                continue
            total = pulp.lpSum(answers[i] for i in idx if answers[i] is not None)
            slack = prob.add_variable(f"goal_short_{channel}_{label.split()[0]}", lowBound=0)
            build.objective[slack] += goal_price
            build.add_row(total + slack >= wanted, f"goal_{channel}_{label.split()[0]}", order=order)
            periods.append((label, idx, slack))
        out[channel] = GoalRows(goal=goal, net=tuple(nets), answered=tuple(answers), floor_short=tuple(shorts),
                                periods=tuple(periods), staffed=tuple(exprs))
    return out


def curve_points(curves: ServiceCurves, i: int, volume: float) -> tuple[int, np.ndarray]:
    """(first breakpoint in net agents, answered within T at each breakpoint) of interval
    ``i``'s service curve, cut flat from the first breakpoint within ``TOP_SHARE`` of the volume."""
    lo, values = int(curves.min_agents[i]), curves.values[curves.offsets[i]:curves.offsets[i + 1]]
    near_top = np.flatnonzero(values >= volume * (1.0 - TOP_SHARE))
    if near_top.size:  # flat from there: fewer pieces, never above the curve
        values = values[:int(near_top[0]) + 1]
    return lo, values


def curve_rows(prob: pulp.LpProblem, key: str, net: pulp.LpVariable, answered: pulp.LpVariable,
               points: tuple[int, np.ndarray]) -> list[tuple[pulp.LpConstraint, str]]:
    """The rows (with their names) holding ``answered <= the piecewise-linear curve at net``, the
    pieces as bounded columns of ``prob``: row ``goal_curve_{key}``: ``net + below - above -
    sum_k piece_k = lo`` and row ``goal_answer_{key}``: ``answered - sum_k slope_k piece_k +
    slope_0 below <= f(lo)``, with ``0 <= piece_k <= 1`` (the k-th piece, slope
    ``f(lo+k+1) - f(lo+k)``), ``0 <= below <= lo`` (the first piece extended under the curve's
    start) and ``above >= 0`` (flat past the last breakpoint); ``points``: :func:`curve_points`.
    The slopes decrease (the curve is concave), so the most ``answered`` a given ``net`` allows
    fills the pieces in order: the curve itself, the same set of (net, answered) as one row per
    piece (``answered <= f(lo+k) + slope_k (net - lo - k)``), with two rows an interval instead
    of one a piece (family seed 3: 5,404 rows -> 891; its goal LP's simplex 0.103 -> 0.068 CPU s)."""
    lo, values = points
    slopes = np.diff(values)
    if not slopes.size:  # one breakpoint: flat
        return [(pulp.LpAffineExpression({answered: 1.0}) <= float(values[0]), f"goal_answer_{key}")]
    pieces = [prob.add_variable(f"goal_piece_{key}_{k:03d}", lowBound=0, upBound=1) for k in range(slopes.size)]
    link = {net: 1.0, prob.add_variable(f"goal_above_{key}", lowBound=0): -1.0}
    curve = {answered: 1.0}
    if lo > 0:
        below = prob.add_variable(f"goal_below_{key}", lowBound=0, upBound=lo)
        link[below], curve[below] = 1.0, float(slopes[0])
    for piece, slope in zip(pieces, slopes):
        link[piece], curve[piece] = -1.0, -float(slope)
    return [(pulp.LpAffineExpression(link) == float(lo), f"goal_curve_{key}"),
            (pulp.LpAffineExpression(curve) <= float(values[0]), f"goal_answer_{key}")]


def goal_short(goals: Mapping[str, GoalRows]) -> float:
    """Contacts short of the daily/weekly goals at the current column values (their slacks)."""
    return sum(float(slack.varValue or 0.0) for rows in goals.values() for _l, _i, slack in rows.periods)


def net_columns(goals: Mapping[str, GoalRows]) -> np.ndarray:
    """HiGHS column index of every net-agent column (integer), channel by channel."""
    return np.array([v.index for rows in goals.values() for v in rows.net if v is not None], dtype=np.int32)


ROUNDING_MARGIN = 0.5  # net agents the dive's LP holds back per goal interval (shrinkage > 0)
# share of the fractional tours the dive rounds up per step on a model with daily/weekly goals
# (heuristics.DIVE_SHARE, 0.03, elsewhere): a goal model's LP re-solve costs 5-10 x an interval
# model's (the curve rows), and the coarser steps also rounded better on family seeds 0-2 at
# load 9-16: seed 0 10 re-solves, first plan 0.52 % above the bound (0.03: 18 re-solves, 2.40 %),
# seed 1 1.92 % (2.29 %), seed 2 0.35 % in 4.9 s (4.36 % after 59 s when its dive ran out of time)
GOAL_DIVE_SHARE = 0.1


@contextmanager
def rounding_margin(model) -> Iterator[None]:
    """While the LP roundings dive on ``model``'s HiGHS instance, each goal interval's net agents
    are held ``ROUNDING_MARGIN`` below ``(1 - s) x staffed`` (row ``goal_net``: ``>= margin``
    instead of ``>= 0``): whole productive agents are ``floor((1 - s) x staffed)``, about half
    an agent below the LP's fractional ones when ``s > 0``, so tours rounded on the exact rows
    fall short of the goal once completed (family seed 1: 292 contacts short, a plan the
    improvement had to buy back). The rows are restored on exit; the LP bound is the model's
    own (solved before)."""
    h = getattr(model.prob, "solverModel", None)
    rows = _net_rows(model) if h is not None and model.goal_rows else ([], [])
    if not len(rows[0]):
        yield
        return
    index, margin = rows
    h.changeRowsBounds(len(index), index, margin, np.full(len(index), np.inf))
    h.run()
    try:
        yield
    finally:
        h.changeRowsBounds(len(index), index, np.zeros(len(index)), np.full(len(index), np.inf))


def margin_before_solve(model) -> None:
    """The margin of :func:`rounding_margin` written into ``model``'s ``goal_net`` rows before
    its LP is first solved, for a model built only to be rounded (the spread-break model of
    :func:`scheduling.shifts.heuristics.spread_dive`, whose LP value is no bound): its LP is then
    solved once, with the margin, instead of solved and re-solved with it. On the bundled
    sample's weekly goal stage the re-solve took 13.5 s of its 60 s (quiet machine, 2026-11-30),
    and the dive that followed ran out of time."""
    for channel, rows in model.goal_rows.items():
        if rows.goal.shrinkage <= 0:
            continue
        for i, net in enumerate(rows.net):
            if net is not None:
                row = model.prob.constraints[f"goal_net_{channel}_{i}"]
                row.constant = -ROUNDING_MARGIN  # (1 - s) x staffed - net - margin >= 0


def _net_rows(model) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS row index of every ``goal_net`` row and its margin."""
    position = {name: k for k, name in enumerate(model.prob.constraints)}
    index, margin = [], []
    for channel, rows in model.goal_rows.items():
        m = ROUNDING_MARGIN if rows.goal.shrinkage > 0 else 0.0
        for i, net in enumerate(rows.net):
            if net is not None and m > 0:
                index.append(position[f"goal_net_{channel}_{i}"])
                margin.append(m)
    return np.array(index, dtype=np.int32), np.array(margin, dtype=float)


def goal_floor_need(goals: Mapping[str, GoalRows]) -> dict[str, np.ndarray]:
    """Per goal channel and grid interval, the fewest scheduled agents whose productive agents
    reach the floor: ``ceil(n_floor / (1 - s))`` (0 where closed). The completion of a rounded
    plan places breaks and lunches where the agents on duty are most above this."""
    out = {}
    for channel, rows in goals.items():
        keep = 1.0 - rows.goal.shrinkage
        out[channel] = np.ceil(rows.goal.floor_agents / keep - 1e-9)
    return out


def fix_net_agents(goals: Mapping[str, GoalRows], h) -> bool:
    """Fix every net-agent column at ``floor((1 - s) x staffed)`` of the solution in HiGHS
    instance ``h`` (scheduled agents fixed by the caller: tours, activities, blending) and
    re-solve: the most productive agents the scheduled ones give, which answer the most (the
    curve increases). True when the re-solve is optimal (every goal row holds, or is priced).
    The completion of a rounded plan calls it last, so the plan's goal rows are checked on
    whole productive agents, as the service check counts them."""
    cols = net_columns(goals)
    if not len(cols):
        return True
    import highspy

    x = np.asarray(h.getSolution().col_value)
    values = []
    for rows in goals.values():
        keep = 1.0 - rows.goal.shrinkage
        for net, expr in zip(rows.net, rows.staffed):
            if net is not None:
                staffed = sum(coef * x[var.index] for var, coef in expr.items())
                values.append(max(0.0, np.floor(keep * staffed + 1e-6)))
    values = np.array(values, dtype=float)
    h.changeColsBounds(len(cols), cols, values, values)
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def goal_levels(goals: Mapping[str, GoalRows]) -> pd.DataFrame:
    """Per channel and period at the current column values: ``channel, goal, period, volume,
    answered_within, service_level, target_sl, short_contacts``. ``answered_within`` is the
    service curve at each interval's net-agent value (at whole agents: the queueing model's
    value), ``service_level = answered_within / volume``; ``short_contacts`` the period's
    slack (contacts short of the goal, soft coverage)."""
    rows = []
    for channel, g in goals.items():
        net = np.array([float(v.varValue or 0.0) if v is not None else np.nan for v in g.net])
        answered_at = np.where(np.isfinite(net), g.goal.curves.value(np.nan_to_num(net)), 0.0)
        answered_at = np.nan_to_num(answered_at)  # below the curve's start (a floor short): counted as 0
        for label, idx, slack in g.periods:
            volume = float(g.goal.volume[idx].sum())
            answered = float(answered_at[idx].sum())
            rows.append({"channel": channel, "goal": g.goal.goal, "period": label, "volume": volume,
                         "answered_within": answered, "service_level": answered / volume if volume > 0 else np.nan,
                         "target_sl": g.goal.target_sl,
                         "short_contacts": float(slack.varValue or 0.0) if slack is not None else 0.0})
    return pd.DataFrame(rows, columns=["channel", "goal", "period", "volume", "answered_within", "service_level",
                                       "target_sl", "short_contacts"])

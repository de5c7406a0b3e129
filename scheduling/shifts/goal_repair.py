"""The repair of a rounded-up plan under daily or weekly service goals: drop agents while the goals hold.

:func:`scheduling.shifts.heuristics.drop_surplus` removes a rounded-up plan's surplus agents
per interval requirement; a channel planned on a daily or weekly goal has no per-interval
requirement (:mod:`scheduling.shifts.formulation.service_goal`), so its tours were kept as
rounded: the LP relaxation's tours rounded up (an interior point: many tours at 0.01 agents
become 1) were the plan, 2.5 x the paid hours of the dive's on family seed 0 when the dive
ran out of time at load 8 (4,540 h against 1,804 h; objective 101,503 against the LP bound
39,101). With the drop: 45,716 (112 tours instead of 236) from the same LP, in 0.6 s.

:func:`drop_goal_surplus` removes agents of tours, one at a time, the one that saves the most
money per answered contact it loses, while every goal still holds on the model's own terms,
read from the spread-break coverage (:func:`scheduling.shifts.heuristics.tour_coverage`, breaks and lunches in equal
shares over their windows) without an LP:

* per goal interval: productive agents ``floor((1 - s) x staffed)`` and the answered-within-T
  contacts of the model's piecewise-linear curve there (extended below its start, flat from
  its ``TOP_SHARE`` cut, at most the volume); under hard coverage a removal must keep each
  period's (day's or week's) total >= ``target_sl x volume`` (or not lower it, where the
  rounding left it short) and every interval at its floor ``ceil(n_floor / (1 - s))``
  scheduled agents (or not lower it, where already below); under soft coverage it must keep
  every floor that was met and save more than it adds in priced shortfall (contacts short of a
  goal and agents short of a floor already missed, each at ``(under_penalty + over_penalty) x
  interval hours``, as the model prices them: a greedy plan that covers each interval's
  requirement may sit below a floor somewhere, which would otherwise keep every tour through
  that interval);
* an immediate channel without a goal: every interval at its requirement (hard coverage: the
  next whole agent; soft: its shortfall priced likewise);
* a deferred channel's tours are kept, and so is ``keep`` (the LP's tours rounded down).

The completion (:func:`scheduling.shifts.heuristics.complete`) then places the activities and
checks every row on whole productive agents; the spread coverage is what the placement can
reach on average, so a plan the drop leaves exactly at a goal may complete a few contacts short
(priced, and bought back by the improvement), which is why the caller also tries the plan
without the drop and keeps the cheaper.

Units: agents (scheduled, and productive), contacts per interval, money per tour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.service_goal import TOP_SHARE

__all__ = ["drop_goal_surplus", "answered_at", "hold_floors", "FloorRepair", "goals_short", "hold_goals", "GoalRepair",
           "GOAL_REPAIR_MAX_AGENTS"]

LOSS_FLOOR = 1e-3  # contacts: a removal that loses none is ranked by its cost alone


def _curve_arrays(goal) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per grid interval of a :class:`ChannelGoal`: the curve's first agent count, the offset of
    its first value in ``curves.values`` and the number of values the model uses (cut at
    ``TOP_SHARE``; 0 where closed)."""
    curves = goal.curves
    n = goal.volume.size
    lo = np.asarray(curves.min_agents, dtype=float)
    start = np.asarray(curves.offsets[:-1], dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(goal.volume > 0):
        values = curves.values[curves.offsets[i]:curves.offsets[i + 1]]
        near_top = np.flatnonzero(values >= goal.volume[i] * (1.0 - TOP_SHARE))
        count[i] = int(near_top[0]) + 1 if near_top.size else values.size
    return lo, start, count


def answered_at(goal, intervals: np.ndarray, net: np.ndarray, *, arrays=None) -> np.ndarray:
    """The model's answered-within-T contacts of ``goal``'s ``intervals`` at ``net`` productive
    agents (whole numbers): the curve's value there, its first piece extended below its start
    (negative when far below), flat from the top cut, at most the volume; 0 where closed."""
    lo, start, count = arrays if arrays is not None else _curve_arrays(goal)
    values = goal.curves.values
    intervals = np.asarray(intervals, dtype=np.int64)
    net = np.asarray(net, dtype=float)
    k = count[intervals]
    open_ = k > 0
    idx = np.clip(net - lo[intervals], 0, np.maximum(k - 1, 0)).astype(np.int64)
    base = start[intervals]
    top = np.where(open_, values[np.minimum(base + idx, values.size - 1)], 0.0)
    first = values[np.minimum(base, values.size - 1)]
    second = values[np.minimum(base + np.minimum(1, np.maximum(k - 1, 0)), values.size - 1)]
    below = first + (second - first) * (net - lo[intervals])
    out = np.where(net < lo[intervals], below, top)
    return np.where(open_, np.minimum(out, goal.volume[intervals]), 0.0)


class _RowRules:
    """What each (channel x interval) row of the spread coverage is judged by in the drop: its
    goal (index into ``goals``, -1 none), the share of scheduled agents that is productive, the
    floor in scheduled agents (-inf none), its period (index into ``wanted``, -1 none), and
    per period the contacts the goal wants answered in time; ``plain``: an immediate channel's
    row without a goal (judged by its requirement)."""

    def __init__(self, model, channels: list[str], immediate: np.ndarray):
        n = model.grid.n_intervals
        n_rows = len(channels) * n
        self.n = n
        self.goal_of = np.full(n_rows, -1, dtype=np.int64)
        self.keep_share = np.ones(n_rows)
        self.floor_sched = np.full(n_rows, -np.inf)
        self.period_of = np.full(n_rows, -1, dtype=np.int64)
        self.goals, self.arrays, wanted = [], [], []
        for k, channel in enumerate(channels):
            rows = model.goal_rows.get(channel)
            if rows is None:
                continue
            g = len(self.goals)
            self.goals.append(rows.goal)
            self.arrays.append(_curve_arrays(rows.goal))
            base = k * n
            reach = np.array([net is not None for net in rows.net], dtype=bool)
            self.goal_of[base:base + n] = np.where(reach, g, -1)
            self.keep_share[base:base + n] = 1.0 - rows.goal.shrinkage
            self.floor_sched[base:base + n] = np.where(
                reach, np.ceil(rows.goal.floor_agents / (1.0 - rows.goal.shrinkage) - 1e-9), -np.inf)
            for _label, idx, _slack in rows.periods:
                self.period_of[base + np.asarray(idx)] = len(wanted)
                wanted.append(rows.goal.target_sl * float(rows.goal.volume[idx].sum()))
        self.wanted = np.asarray(wanted, dtype=float)
        self.goal_row = self.goal_of >= 0
        self.plain = immediate & ~self.goal_row & np.isin(
            np.arange(n_rows) // n, [k for k, c in enumerate(channels) if c not in model.goal_rows])

    def answered(self, row_idx: np.ndarray, scheduled: np.ndarray) -> np.ndarray:
        """Answered-within-T contacts of goal rows ``row_idx`` at ``scheduled`` agents
        (productive: ``floor(keep_share x scheduled)``)."""
        out = np.zeros(row_idx.size)
        net = np.floor(np.maximum(self.keep_share[row_idx] * scheduled, 0.0) + 1e-6)
        for g, goal in enumerate(self.goals):
            sel = self.goal_of[row_idx] == g
            if sel.any():
                out[sel] = answered_at(goal, row_idx[sel] % self.n, net[sel], arrays=self.arrays[g])
        return out


class _Removals:
    """The drop's state: per entry of the active tours' coverage (a row of a tour), what removing
    one agent of that tour changes there (answered contacts, agents short of a floor or a
    requirement, a met floor broken), kept current as agents are removed."""

    def __init__(self, model, tours: np.ndarray, active: np.ndarray, matrix, rules: _RowRules,
                 target: np.ndarray, floor: np.ndarray, staffed: np.ndarray | None = None):
        self.model, self.rules, self.target, self.active, self.tours = model, rules, target, active, tours
        self.staffed = matrix @ tours if staffed is None else np.asarray(staffed, dtype=float).copy()
        goal_rows = np.flatnonzero(rules.goal_row)
        self.now = np.zeros(rules.goal_of.size)
        self.now[goal_rows] = rules.answered(goal_rows, self.staffed[goal_rows])
        self.total = np.zeros(rules.wanted.size)
        with_period = goal_rows[rules.period_of[goal_rows] >= 0]
        np.add.at(self.total, rules.period_of[with_period], self.now[with_period])
        self.sub = matrix[:, active].tocsc()
        self.rows, self.values = self.sub.indices, self.sub.data
        self.column = np.repeat(np.arange(len(active)), np.diff(self.sub.indptr))
        self.cost = np.array([model.tours[j].cost for j in active])
        self.spare = tours[active] - floor[active]
        self.is_goal = rules.goal_row[self.rows]
        p = rules.period_of[self.rows]
        self.has_p = p >= 0
        self.key = self.column[self.has_p] * rules.wanted.size + p[self.has_p]
        self.live = self.values > EPS
        self.delta = np.zeros(self.rows.size)  # answered contacts a removal changes
        self.entry_short = np.zeros(self.rows.size)  # agents short of a floor or a requirement it adds
        self.entry_breaks = np.zeros(self.rows.size, dtype=bool)  # it takes a met floor below it
        self.refresh(np.arange(self.rows.size))

    def refresh(self, entries: np.ndarray) -> None:
        """Recompute ``entries``' effects from the current staffing."""
        rules, rows = self.rules, self.rows[entries]
        before = self.staffed[rows]
        after = before - self.values[entries]
        need = np.where(self.is_goal[entries], rules.floor_sched[rows],
                        np.where(rules.plain[rows], self.target[rows], -np.inf))
        added = np.maximum(need - after, 0.0) - np.maximum(need - before, 0.0)
        live = self.live[entries]
        self.entry_short[entries] = np.where(live & np.isfinite(need), added, 0.0)
        # a floor met before the removal stays met (min_interval_sl: no interval abandoned to save money)
        self.entry_breaks[entries] = live & self.is_goal[entries] & (before >= need - EPS) & (after < need - EPS)
        goal_e = self.is_goal[entries]
        d = np.zeros(entries.size)
        if goal_e.any():
            r = rows[goal_e]
            d[goal_e] = rules.answered(r, after[goal_e]) - self.now[r]
        self.delta[entries] = d

    def best(self) -> int | None:
        """The active tour (position in ``active``) whose removal saves the most money per
        answered contact it loses, among those every goal and floor allows (the module
        docstring); None when none. Ties (nothing lost) go to the most expensive tour."""
        n_active, wanted, rules = len(self.active), self.rules.wanted, self.model.rules
        short_agents = np.bincount(self.column, weights=self.entry_short, minlength=n_active)
        short_contacts = np.zeros(n_active)
        if self.has_p.any():
            lost = np.bincount(self.key, weights=self.delta[self.has_p],
                               minlength=n_active * wanted.size).reshape(n_active, wanted.size)
            gap_before = np.maximum(wanted - self.total, 0.0)
            short_contacts = (np.maximum(wanted[None, :] - self.total[None, :] - lost, 0.0)
                              - gap_before[None, :]).sum(1)
        if rules.coverage == "hard":
            ok = (short_agents <= EPS) & (short_contacts <= 1e-6) & (self.spare >= 0.5)
            saving = self.cost
        else:
            # soft coverage prices what the model prices (service_goal.add_service_goals): an agent short
            # of a floor or a requirement for an interval, and a contact short of a period's goal, each at
            # (under_penalty + over_penalty) x interval hours
            price = (rules.under_penalty + rules.over_penalty) * self.model.grid.interval_minutes / 60
            saving = self.cost - price * (short_agents + short_contacts)
            breaks = np.bincount(self.column, weights=self.entry_breaks.astype(float), minlength=n_active) > 0
            ok = (saving > EPS) & (self.spare >= 0.5) & ~breaks
        if not ok.any():
            return None
        # the goals bind on the period totals: a knapsack's ratio rule
        loss = np.maximum(-np.bincount(self.column, weights=self.delta, minlength=n_active), 0.0)
        return int(np.argmax(np.where(ok, saving / (loss + LOSS_FLOOR), -np.inf)))

    def remove(self, k: int) -> None:
        """Remove one agent of active tour ``k`` and bring the totals and effects up to date."""
        rules = self.rules
        self.spare[k] -= 1
        self.tours[self.active[k]] -= 1
        lo, hi = self.sub.indptr[k], self.sub.indptr[k + 1]
        r = self.rows[lo:hi]
        self.staffed[r] -= self.values[lo:hi]
        g = r[rules.goal_row[r]]
        if g.size:
            new = rules.answered(g, self.staffed[g])
            with_p = rules.period_of[g] >= 0
            np.add.at(self.total, rules.period_of[g][with_p], (new - self.now[g])[with_p])
            self.now[g] = new
        self.refresh(np.flatnonzero(np.isin(self.rows, r)))


def drop_goal_surplus(model, tours: np.ndarray, *, matrix, channels: list[str], target: np.ndarray,
                      immediate: np.ndarray, keep: np.ndarray | None = None,
                      staffed: np.ndarray | None = None) -> np.ndarray:
    """``tours`` (agents per tour) after the drop of the module docstring; ``matrix`` and
    ``channels``: :func:`~scheduling.shifts.heuristics.tour_coverage`; ``target`` and
    ``immediate``: :func:`~scheduling.shifts.heuristics.coverage_target` (used for the channels
    without a goal); ``keep``: agents per tour never removed; ``staffed``: the agents on duty per
    row the drop starts from (default ``matrix @ tours``, breaks spread; a placed plan's own
    coverage, :func:`~scheduling.shifts.goal_plan.start_staffed`). Steps: what each row is judged by
    (:class:`_RowRules`), each removal's effect (:class:`_Removals`), then the best allowed
    removal while there is one."""
    tours = np.asarray(tours, dtype=float).copy()
    floor = np.zeros(len(tours)) if keep is None else np.minimum(np.floor(np.asarray(keep) + EPS), tours)
    deferred = np.array([model.demands[t.channel].deferred for t in model.tours], dtype=bool)
    active = np.flatnonzero((tours > floor + 0.5) & ~deferred)
    if not len(active):
        return tours
    removals = _Removals(model, tours, active, matrix, _RowRules(model, channels, immediate), target, floor,
                         staffed=staffed)
    while (k := removals.best()) is not None:
        removals.remove(k)
    return tours


@dataclass(frozen=True)
class FloorRepair:
    """What :func:`hold_floors` did: ``tours`` (agents per tour, in ``model.tours`` order) with
    the added agents, ``added_agents`` and ``added_paid_hours`` (what holding the floors costs in
    paid hours), ``short``: per goal channel the grid intervals still below their floor (the
    headcount caps left no tour that reaches them; {} when every floor holds)."""

    tours: np.ndarray
    added_agents: int
    added_paid_hours: float
    short: dict[str, tuple[int, ...]]


def floor_rows(model, channels: list[str]) -> np.ndarray:
    """Per (channel x interval) row of :func:`~scheduling.shifts.heuristics.tour_coverage`: the
    floor in scheduled agents, ``ceil(n_floor / (1 - s))``, on goal intervals a shift reaches; 0
    elsewhere."""
    n = model.grid.n_intervals
    need = np.zeros(len(channels) * n)
    for k, channel in enumerate(channels):
        rows = model.goal_rows.get(channel)
        if rows is None:
            continue
        reach = np.array([net is not None for net in rows.net], dtype=bool)
        floor = np.ceil(rows.goal.floor_agents / (1.0 - rows.goal.shrinkage) - 1e-9)
        need[k * n:(k + 1) * n] = np.where(reach, floor, 0.0)
    return need


def hold_floors(model, tours: np.ndarray, *, only=None, on_duty: np.ndarray | None = None) -> FloorRepair:
    """``tours`` with agents added until every goal interval's scheduled agents (breaks and
    lunches spread over their windows, :func:`~scheduling.shifts.heuristics.tour_coverage`)
    reach its ``min_interval_sl`` floor: each step one agent of the tour covering the most of
    what is still short per unit of its cost, among the tours every headcount row still has
    room for (``min_interval_sl``: no interval abandoned to save money, whatever the shortfall
    price). A greedy interval-goal plan with priced shortfall leaves such intervals (the bundled
    sample's messaging at 0 agents in one). ``only``: (channel, grid interval) pairs, the floors
    to hold (None: every one). ``on_duty``: the scheduled agents per row the deficit counts from
    (default the spread coverage ``matrix @ tours``; a completed plan's own, breaks where it put
    them: :func:`~scheduling.shifts.goal_plan.repair_floors`)."""
    from scheduling.shifts import heuristics

    tours = np.asarray(tours, dtype=float).copy()
    matrix, channels = heuristics.tour_coverage(model)
    need = floor_rows(model, channels)
    if only is not None:
        n = model.grid.n_intervals
        keep = np.zeros(need.size, dtype=bool)
        keep[[channels.index(c) * n + int(i) for c, i in only if c in channels]] = True
        need = np.where(keep, need, 0.0)
    deficit = need - (matrix @ tours if on_duty is None else np.asarray(on_duty, dtype=float))
    adder = _TourAdder(model, tours)
    if (deficit > EPS).any():
        matrix_t = matrix.T.tocsr()
        while (deficit > EPS).any():
            j = adder.add_best(matrix_t @ np.clip(deficit, 0.0, 1.0))
            if j is None:
                break
            lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
            deficit[matrix.indices[lo:hi]] -= matrix.data[lo:hi]
    added = adder.added
    n = model.grid.n_intervals
    short = {c: tuple(int(i) for i in np.flatnonzero(deficit[k * n:(k + 1) * n] > EPS))
             for k, c in enumerate(channels) if c in model.goal_rows and (deficit[k * n:(k + 1) * n] > EPS).any()}
    paid = np.array([len(t.days) * t.template.paid_minutes / 60 for t in model.tours], dtype=float)
    return FloorRepair(tours=tours, added_agents=int(added.sum()), added_paid_hours=float(paid @ added), short=short)


def goals_short(model, tours: np.ndarray, *, staffed: np.ndarray | None = None) -> int:
    """How many periods (days or weeks, all goal channels) ``tours`` leave short of their goal
    on the spread-break coverage (the drop's arithmetic: the model's curve at whole productive
    agents): 0 when the tours meet every goal. An interval-goal plan's tours meet them when its
    requirements were computed for the goal's own ``target_sl``. ``staffed``: as in
    :func:`drop_goal_surplus`."""
    from scheduling.shifts import heuristics

    matrix, channels = heuristics.tour_coverage(model)
    rules = _RowRules(model, channels, np.zeros(len(channels) * model.grid.n_intervals, dtype=bool))
    rows = np.flatnonzero(rules.goal_row & (rules.period_of >= 0))
    total = np.zeros(rules.wanted.size)
    on_duty = matrix @ np.asarray(tours, dtype=float) if staffed is None else staffed
    np.add.at(total, rules.period_of[rows], rules.answered(rows, on_duty[rows]))
    return int((total < rules.wanted - 1e-6).sum())


@dataclass(frozen=True)
class GoalRepair:
    """What :func:`hold_goals` did: ``tours`` (agents per tour, in ``model.tours`` order) with
    the added agents, ``added_agents``, ``added_paid_hours`` and ``short_periods``: how many
    periods (days or weeks, all goal channels) are still short of their goal on its arithmetic
    (0: every goal met; more when the headcount caps left no tour that helps)."""

    tours: np.ndarray
    added_agents: int
    added_paid_hours: float
    short_periods: int


#: agents hold_goals adds at most (a guard: each one is a step over every tour)
GOAL_REPAIR_MAX_AGENTS = 200


def hold_goals(model, tours: np.ndarray, *, on_duty: np.ndarray) -> GoalRepair:
    """``tours`` with agents added until every daily or weekly goal holds, counted from a
    completed plan's scheduled agents per row (``on_duty``, breaks where its completion put
    them; rows of :func:`~scheduling.shifts.heuristics.tour_coverage`) at whole productive
    agents on the model's curve (the completion's own arithmetic): each step one agent of the
    tour that adds the most contacts answered in time to the periods still short per unit of
    its cost (an agent's effect on a row: its spread-break coverage there), among the tours
    every headcount row still has room for. A rounding whose LP meets a goal can complete a
    few contacts short of it once productive agents are whole (the bundled sample's weekly
    dive: chat 64 contacts short, priced at 73k where a few agents cost a few hundred each)."""
    from scheduling.shifts import heuristics

    tours = np.asarray(tours, dtype=float).copy()
    matrix, channels = heuristics.tour_coverage(model)
    rules = _RowRules(model, channels, np.zeros(len(channels) * model.grid.n_intervals, dtype=bool))
    rows = np.flatnonzero(rules.goal_row & (rules.period_of >= 0))
    staffed = np.asarray(on_duty, dtype=float).copy()
    adder = _TourAdder(model, tours)
    matrix_t = matrix.T.tocsr()

    def short() -> np.ndarray:
        total = np.zeros(rules.wanted.size)
        np.add.at(total, rules.period_of[rows], rules.answered(rows, staffed[rows]))
        return total < rules.wanted - 1e-6

    missing = short()
    while missing.any() and adder.added.sum() < GOAL_REPAIR_MAX_AGENTS:
        wanted_rows = rows[missing[rules.period_of[rows]]]
        marginal = np.zeros(staffed.size)
        marginal[wanted_rows] = (rules.answered(wanted_rows, staffed[wanted_rows] + 1.0)
                                 - rules.answered(wanted_rows, staffed[wanted_rows]))
        j = adder.add_best(matrix_t @ marginal)
        if j is None:
            break
        lo, hi = matrix.indptr[j], matrix.indptr[j + 1]
        staffed[matrix.indices[lo:hi]] += matrix.data[lo:hi]
        missing = short()
    paid = np.array([len(t.days) * t.template.paid_minutes / 60 for t in model.tours], dtype=float)
    return GoalRepair(tours=tours, added_agents=int(adder.added.sum()), added_paid_hours=float(paid @ adder.added),
                      short_periods=int(missing.sum()))


class _TourAdder:
    """The greedy step of :func:`hold_floors` and :func:`hold_goals`: one agent added to
    ``tours`` (changed in place) on the tour with the most gain per unit of its cost, among the
    tours of immediate channels every headcount row still has room for. ``added``: agents
    added per tour so far."""

    def __init__(self, model, tours: np.ndarray):
        from scheduling.shifts import heuristics

        self.tours = tours
        self.cap_t, self.limits = heuristics.headcount_matrix(model)
        self.used = self.cap_t.T @ tours if len(self.limits) else np.zeros(0)
        self.cost = np.array([max(t.cost, EPS) for t in model.tours])
        self.allowed = np.array([not model.demands[t.channel].deferred for t in model.tours], dtype=bool)
        self.added = np.zeros(len(tours))

    def add_best(self, gain: np.ndarray) -> int | None:
        """Add one agent to the best tour for ``gain`` (per tour); its index, or None when no
        allowed tour gains anything."""
        cap_t = self.cap_t
        while True:
            score = np.where(self.allowed & (gain > EPS), gain / self.cost, -np.inf)
            j = int(np.argmax(score))
            if not np.isfinite(score[j]):
                return None
            ks, coefs = cap_t.indices[cap_t.indptr[j]:cap_t.indptr[j + 1]], cap_t.data[cap_t.indptr[j]:cap_t.indptr[j + 1]]
            if len(ks) and np.any(self.used[ks] + coefs > self.limits[ks] + EPS):
                self.allowed[j] = False  # a full headcount row
                continue
            self.used[ks] += coefs
            self.tours[j] += 1
            self.added[j] += 1
            return j

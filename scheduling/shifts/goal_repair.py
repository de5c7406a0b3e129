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

import numpy as np

from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.service_goal import TOP_SHARE

__all__ = ["drop_goal_surplus", "answered_at"]

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


def drop_goal_surplus(model, tours: np.ndarray, *, matrix, channels: list[str], target: np.ndarray,
                      immediate: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """``tours`` (agents per tour) after the drop of the module docstring; ``matrix`` and
    ``channels``: :func:`~scheduling.shifts.heuristics.tour_coverage`; ``target`` and
    ``immediate``: :func:`~scheduling.shifts.heuristics.coverage_target` (used for the channels
    without a goal); ``keep``: agents per tour never removed."""
    tours = np.asarray(tours, dtype=float).copy()
    n = model.grid.n_intervals
    goals = model.goal_rows
    floor = np.zeros(len(tours)) if keep is None else np.minimum(np.floor(np.asarray(keep) + EPS), tours)
    deferred = np.array([model.demands[t.channel].deferred for t in model.tours], dtype=bool)
    active = np.flatnonzero((tours > floor + 0.5) & ~deferred)
    if not len(active):
        return tours
    n_rows = len(channels) * n
    # per (channel x interval) row: what it is judged by
    goal_of = np.full(n_rows, -1, dtype=np.int64)  # index into goal_list, -1: no goal
    keep_share = np.ones(n_rows)
    floor_sched = np.full(n_rows, -np.inf)
    period_of = np.full(n_rows, -1, dtype=np.int64)
    goal_list, arrays, wanted = [], [], []
    for k, channel in enumerate(channels):
        rows = goals.get(channel)
        if rows is None:
            continue
        g = len(goal_list)
        goal_list.append(rows.goal)
        arrays.append(_curve_arrays(rows.goal))
        base = k * n
        reach = np.array([net is not None for net in rows.net], dtype=bool)
        goal_of[base:base + n] = np.where(reach, g, -1)
        keep_share[base:base + n] = 1.0 - rows.goal.shrinkage
        floor_sched[base:base + n] = np.where(reach, np.ceil(rows.goal.floor_agents / (1.0 - rows.goal.shrinkage) - 1e-9),
                                              -np.inf)
        for _label, idx, _slack in rows.periods:
            period_of[base + np.asarray(idx)] = len(wanted)
            wanted.append(rows.goal.target_sl * float(rows.goal.volume[idx].sum()))
    goal_row = goal_of >= 0
    plain = immediate & ~goal_row & np.isin(np.arange(n_rows) // n, [k for k, c in enumerate(channels)
                                                                      if c not in goals])
    staffed = matrix @ tours

    def answered(row_idx: np.ndarray, scheduled: np.ndarray) -> np.ndarray:
        out = np.zeros(row_idx.size)
        net = np.floor(np.maximum(keep_share[row_idx] * scheduled, 0.0) + 1e-6)
        for g, goal in enumerate(goal_list):
            sel = goal_of[row_idx] == g
            if sel.any():
                out[sel] = answered_at(goal, row_idx[sel] % n, net[sel], arrays=arrays[g])
        return out

    all_goal_rows = np.flatnonzero(goal_row)
    now = np.zeros(n_rows)
    now[all_goal_rows] = answered(all_goal_rows, staffed[all_goal_rows])
    total = np.zeros(len(wanted))
    with_period = all_goal_rows[period_of[all_goal_rows] >= 0]
    np.add.at(total, period_of[with_period], now[with_period])
    wanted = np.asarray(wanted, dtype=float)

    sub = matrix[:, active].tocsc()
    rows, values = sub.indices, sub.data
    column = np.repeat(np.arange(len(active)), np.diff(sub.indptr))
    cost = np.array([model.tours[j].cost for j in active])
    spare = tours[active] - floor[active]
    is_goal = goal_row[rows]
    p = period_of[rows]
    has_p = p >= 0
    key = column[has_p] * len(wanted) + p[has_p]
    live = values > EPS
    hard = model.rules.coverage == "hard"
    # soft coverage prices what the model prices (service_goal.add_service_goals): an agent short of
    # a floor or a requirement for an interval, and a contact short of a period's goal, each at
    # (under_penalty + over_penalty) x interval hours; hard coverage allows none of it
    price = (model.rules.under_penalty + model.rules.over_penalty) * model.grid.interval_minutes / 60
    delta = np.zeros(rows.size)  # per entry (row of a tour): answered contacts its removal changes
    entry_short = np.zeros(rows.size)  # per entry: agents short of a floor or a requirement the removal adds
    entry_breaks = np.zeros(rows.size, dtype=bool)  # per entry: the removal takes a met floor below it

    def refresh(entries: np.ndarray) -> None:
        before = staffed[rows[entries]]
        after = before - values[entries]
        need = np.where(is_goal[entries], floor_sched[rows[entries]],
                        np.where(plain[rows[entries]], target[rows[entries]], -np.inf))
        added = np.maximum(need - after, 0.0) - np.maximum(need - before, 0.0)
        entry_short[entries] = np.where(live[entries] & np.isfinite(need), added, 0.0)
        # a floor met before the removal stays met (min_interval_sl: no interval abandoned to save money)
        entry_breaks[entries] = (live[entries] & is_goal[entries] & (before >= need - EPS) & (after < need - EPS))
        goal_e = is_goal[entries]
        d = np.zeros(entries.size)
        if goal_e.any():
            r = rows[entries][goal_e]
            d[goal_e] = answered(r, after[goal_e]) - now[r]
        delta[entries] = d

    refresh(np.arange(rows.size))
    while True:
        short_agents = np.bincount(column, weights=entry_short, minlength=len(active))
        short_contacts = np.zeros(len(active))
        if has_p.any():
            lost = np.bincount(key, weights=delta[has_p], minlength=len(active) * len(wanted)).reshape(
                len(active), len(wanted))
            gap_before = np.maximum(wanted - total, 0.0)
            short_contacts = (np.maximum(wanted[None, :] - total[None, :] - lost, 0.0) - gap_before[None, :]).sum(1)
        if hard:
            ok = (short_agents <= EPS) & (short_contacts <= 1e-6) & (spare >= 0.5)
            saving = cost
        else:
            saving = cost - price * (short_agents + short_contacts)
            breaks = np.bincount(column, weights=entry_breaks.astype(float), minlength=len(active)) > 0
            ok = (saving > EPS) & (spare >= 0.5) & ~breaks
        if not ok.any():
            break
        # the removal that saves the most money per answered contact it loses (the goals bind on the
        # period totals: a knapsack's ratio rule); ties (nothing lost) to the most expensive tour
        loss = np.maximum(-np.bincount(column, weights=delta, minlength=len(active)), 0.0)
        ratio = np.where(ok, saving / (loss + LOSS_FLOOR), -np.inf)
        k = int(np.argmax(ratio))
        spare[k] -= 1
        tours[active[k]] -= 1
        lo, hi = sub.indptr[k], sub.indptr[k + 1]
        r = rows[lo:hi]
        staffed[r] -= values[lo:hi]
        g = r[goal_row[r]]
        if g.size:
            new = answered(g, staffed[g])
            with_p = period_of[g] >= 0
            np.add.at(total, period_of[g][with_p], (new - now[g])[with_p])
            now[g] = new
        refresh(np.flatnonzero(np.isin(rows, r)))
    return tours


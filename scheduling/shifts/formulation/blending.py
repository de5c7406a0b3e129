"""Blending and backlog: deferred work (e-mail) done by the agents of its own shifts and by
immediate-channel agents in their idle intervals, worked first in, first out before it is due.

Blending (:func:`add_blending`), for an immediate channel ``c`` whose template also lists a
deferred channel ``e``, in each interval ``i`` where such a shift group is on duty:

* column ``z[c, e, i] >= 0`` (integer in the exact model), objective ``1e-4 z``;
* row ``blend_c_e_i``: ``z[c, e, i] - (blending shifts of c on duty at i, net of their
  activities) <= 0``;
* staffing: ``-z`` on ``c``, ``+z`` on ``e``.

Backlog (:func:`add_backlog`), per deferred channel with work ``w[i]`` (agent-minutes arriving
in interval ``i``) and ``staffed[i]`` from :mod:`~scheduling.shifts.formulation.coverage`:

* columns ``done[i], backlog[i] >= 0``;
* ``capacity_e_i``: ``done[i] - interval_minutes * staffed[i] <= 0``;
* ``flow_e_i``: ``backlog[i] - backlog[i-1] + done[i] (+ undone[i]) = w[i]`` (``backlog[-1]`` is
  the week's last interval when the week wraps, else 0);
* ``due_e_i``: ``backlog[i] (- late[i]) <= allowed[i]``, the work not yet due at the end of
  ``i`` (:func:`allowed_backlog`);
* soft coverage: ``undone[i] <= w[i]`` priced as a full day late
  (``under_penalty / 60 * intervals per day`` per agent-minute), ``late[i] >= 0`` priced at
  ``under_penalty / 60`` per agent-minute-interval; hard coverage has neither.
"""

from __future__ import annotations

import numpy as np
import pulp

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.shifts.formulation.context import EPS, ROWS_BLENDING, ROWS_CHANNEL, Build
from scheduling.shifts.records import AgentPool, Backlog, Blend, Coverage


def blend_targets(template, channel: str, demands) -> list[str]:
    """Deferred channels an agent on ``channel`` with this template may work in idle intervals."""
    if demands[channel].deferred:
        return []
    return [c for c in template.channels if c != channel and c in demands and demands[c].deferred]


def blend_variants(pools: tuple[AgentPool, ...], able: frozenset[int],
                   blend_to: list[str]) -> list[tuple[bool, frozenset[int]]]:
    """(may blend, pools that can take it) for each column of one tour.

    A shift may blend deferred work only when its agent has those skills. Without named
    agents, or when every pool able to take the tour has them, one column does both; else
    the tour gets a plain column (any able pool) and a blending one (only the pools with
    the deferred skills), so the plan never counts on blending an agent cannot do.
    """
    if not blend_to:
        return [(False, able)]
    if not pools:
        return [(True, able)]
    blenders = frozenset(j for j in able if set(blend_to) <= pools[j].channels)
    if blenders == able:
        return [(True, able)]
    return [(False, able)] + ([(True, blenders)] if blenders else [])


def allowed_backlog(demand: ChannelDemand, grid: WeekGrid) -> np.ndarray:
    """Work (agent-minutes) that may still be waiting at the end of each interval."""
    n = grid.n_intervals
    allowed = np.zeros(n)
    for j in np.flatnonzero(demand.work_minutes > 0):
        # work of interval j is due at j*dt + due; at the end of interval i it may still wait
        # while (i + 1) * dt < j * dt + due, i.e. for ages a = i - j < due/dt - 1
        ages = np.arange(0, min(n, int(np.ceil(demand.due_minutes[j] / grid.interval_minutes - 1))))
        idx = j + ages
        if grid.wrap:
            idx = idx % n
        else:
            idx = idx[idx < n]
        allowed[idx] += demand.work_minutes[j]
    return allowed


def add_blending(build: Build) -> tuple[Blend, ...]:
    """Add the blended-agent columns and rows (after the shift groups and activities have put
    their blendable agents in ``build.staffing``); return them in creation order."""
    blends = []
    for (channel, other), rows in build.staffing.blendable.items():
        for i, terms in enumerate(rows):
            if not terms:
                continue
            z = build.prob.add_variable(f"z_{channel}_{other}_{i}", lowBound=0, cat=build.integer_category)
            row = build.add_row(z - pulp.LpAffineExpression(terms) <= 0, f"blend_{channel}_{other}_{i}",
                                order=(ROWS_BLENDING,))
            build.staffing.on_duty[channel][i][z] -= 1.0
            build.staffing.on_duty[other][i][z] += 1.0
            build.objective[z] += 1e-4
            blends.append(Blend(var=z, channel=channel, work_channel=other, interval=i, row=row))
    return tuple(blends)


def add_backlog(build: Build, coverage: Coverage) -> Backlog:
    """Add the flow, capacity and due rows of every deferred channel."""
    grid, rules = build.grid, build.rules
    dt, n = grid.interval_minutes, grid.n_intervals
    penalty = rules.under_penalty if not build.elastic else 1e6
    hard = build.hard and not build.elastic
    done_of, backlog_of, late_of, undone_of = {}, {}, {}, {}
    for position, (channel, demand) in enumerate(build.demands.items()):
        if not demand.deferred:
            continue
        prob = build.prob
        order = (ROWS_CHANNEL, position)
        allowed = allowed_backlog(demand, grid)
        done = [prob.add_variable(f"done_{channel}_{i}", lowBound=0) for i in range(n)]
        backlog = [prob.add_variable(f"backlog_{channel}_{i}", lowBound=0) for i in range(n)]
        lates, undone = [], []
        for i in range(n):
            build.add_row(done[i] - dt * coverage.staffed[channel][i] <= 0, f"capacity_{channel}_{i}", order=order)
            previous = backlog[i - 1] if (i > 0 or grid.wrap) else 0
            flow = backlog[i] - previous + done[i]
            if not hard and demand.work_minutes[i] > EPS:
                # soft coverage never fails for want of capacity: work left undone is priced
                # as a full day late (the week wraps, so it cannot wait for next week; a
                # week's price makes the LP 20x slower for the interior point method)
                drop = prob.add_variable(f"undone_{channel}_{i}", lowBound=0, upBound=float(demand.work_minutes[i]))
                build.objective[drop] += penalty / 60 * (1440 // dt)
                flow = flow + drop
                undone.append(drop)
            build.add_row(flow == float(demand.work_minutes[i]), f"flow_{channel}_{i}", order=order)
            if hard:
                build.add_row(backlog[i] <= float(allowed[i]), f"due_{channel}_{i}", order=order)
                lates.append(None)
            else:
                late = prob.add_variable(f"late_{channel}_{i}", lowBound=0)
                build.objective[late] += penalty / 60
                build.add_row(backlog[i] - late <= float(allowed[i]), f"due_{channel}_{i}", order=order)
                lates.append(late)
        done_of[channel], backlog_of[channel] = tuple(done), tuple(backlog)
        late_of[channel], undone_of[channel] = tuple(lates), tuple(undone)
    return Backlog(done=done_of, backlog=backlog_of, late=late_of, undone=undone_of)

"""Coverage: the agents working each channel in each interval, against its requirement.

Expressions (every channel; :class:`~scheduling.shifts.records.Coverage`): ``staffed[c][i]``
= the sum of ``build.staffing.on_duty[c][i]`` (shift groups on duty, net of activities and of
blended agents, plus the blended agents a deferred channel receives). The deferred channels'
rows are the backlog's (:func:`scheduling.shifts.formulation.blending.add_backlog`).

Rows, per immediate channel ``c`` and interval ``i`` with ``r = required_agents > 0``:

* hard coverage: ``cover_c_i``: ``staffed[c][i] >= ceil(r)`` (net coverage is integer, so the
  rounded-up requirement is an equivalent, tighter row);
* soft coverage: column ``u[c][i] >= 0`` priced at ``(under_penalty + over_penalty) *
  interval hours`` (``over_penalty`` undoes the tours' over-coverage price on the short agents),
  ``cover_c_i``: ``staffed[c][i] + u >= r``, and when the fraction ``f = r - floor(r)`` is at
  least ``MIR_MIN_SHARE`` its mixed-integer rounding ``cover_mir_c_i``:
  ``staffed[c][i] + u / f >= ceil(r)`` (valid because net coverage is integer; not in the
  spread-break or the elastic model);
* the elastic model (explanation of an infeasible hard plan) is soft with a 1e6 penalty;
* channels with a daily or weekly service goal (``build.goals``) get no rows here: their
  rows are the goal's (:mod:`scheduling.shifts.formulation.service_goal`).

Soft coverage leaves out the intervals no shift can reach (``staffed[c][i]`` has no term: no
template serves ``c`` then): their shortfall is the whole requirement whatever the plan does,
so pricing it would only add a constant to the objective and to its bound and make the gap
look smaller than it is. They are listed in ``Coverage.unreachable`` and reported apart.
"""

from __future__ import annotations

import numpy as np
import pulp

from scheduling.shifts.formulation.context import EPS, ROWS_CHANNEL, Build
from scheduling.shifts.records import Coverage

MIR_MIN_SHARE = 0.05  # soft coverage: rounding rows for requirements whose fraction is at least this (coefficients <= 20)


def staffed_expressions(build: Build) -> dict[str, tuple[pulp.LpAffineExpression, ...]]:
    """``staffed[channel][i]`` from the staffing terms gathered so far."""
    return {channel: tuple(pulp.LpAffineExpression(terms) for terms in rows)
            for channel, rows in build.staffing.on_duty.items()}


def add_coverage(build: Build) -> Coverage:
    """Add the immediate channels' coverage rows (and soft under-coverage columns); return the
    staffed expressions of every channel and the under-coverage columns."""
    rules, prob = build.rules, build.prob
    staffed = staffed_expressions(build)
    penalty = rules.under_penalty if not build.elastic else 1e6
    under: dict[str, tuple] = {}
    unreachable: dict[str, tuple[int, ...]] = {}
    for position, (channel, demand) in enumerate(build.demands.items()):
        if demand.deferred:
            continue
        order = (ROWS_CHANNEL, position)
        unders, out_of_reach = [], []
        for i, expr in enumerate(staffed[channel]):
            required = float(demand.required[i])
            if required <= EPS:
                unders.append(None)
                continue
            if not build.hard and not any(abs(c) > EPS for c in expr.values()):  # no shift reaches it
                unders.append(None)
                out_of_reach.append(i)
                continue
            if channel in build.goals:  # a daily or weekly goal: its own rows (service_goal.py)
                unders.append(None)
                continue
            if build.hard and not build.elastic:
                build.add_row(expr >= float(np.ceil(required - EPS)), f"cover_{channel}_{i}", order=order)
                unders.append(None)
                continue
            u = prob.add_variable(f"u_{channel}_{i}", lowBound=0)
            build.objective[u] += (penalty + rules.over_penalty) * build.hours_per_interval
            build.add_row(expr + u >= required, f"cover_{channel}_{i}", order=order)
            share = float(demand.required[i] - np.floor(demand.required[i]))
            if not build.elastic and not build.spread_activities and MIR_MIN_SHARE <= share < 1.0 - EPS:
                build.add_row(expr + (1.0 / share) * u >= float(np.ceil(demand.required[i])),
                              f"cover_mir_{channel}_{i}", order=order)
            unders.append(u)
        under[channel] = tuple(unders)
        if out_of_reach:
            unreachable[channel] = tuple(out_of_reach)
    return Coverage(staffed=staffed, under=under, unreachable=unreachable)

"""The interval-goal plan as a candidate of a daily/weekly-goal plan: never more than it costs.

A plan that covers every interval's requirement (goal "interval": each interval at the target
service level) meets the day's and the week's volume-weighted service level too, and every
``min_interval_sl`` floor below the target, so its tours are a feasible plan of the goal model.
:func:`scheduling.shifts.plan_shifts` with a daily or weekly goal therefore first plans the
week on interval goals (:func:`interval_plan`, at most ``INTERVAL_SHARE`` of ``time_limit_s``;
it stops as soon as it is within ``gap_rel`` of its own bound, 1-7 s on the family weeks),
and offers its tours to the goal model (:func:`offer_interval_plan`) twice: with agents dropped
while every goal and floor holds (:func:`scheduling.shifts.goal_repair.drop_goal_surplus`,
no LP), and as they are. The cheaper of those and the goal model's own first plan (the LP
rounding) is the plan the improvement starts from, so the goal plan's objective is never
above the interval plan's completed in the goal model (the same tours, hence the same paid
hours; the goal model prices no per-interval over-coverage on a goal channel).

**Time: at most ``TIME_RATIO`` x the interval-goal plan's.** When the interval-goal plan
stopped on its gap (within ``gap_rel`` of its bound before its share of the time), the same
week planned on interval goals alone takes about as long (the same solve), so the goal plan's
improvement stops at ``TIME_RATIO`` x those seconds (at least ``GOAL_MIN_S``) from the start
of the call (:func:`goal_deadline_s`) instead of spending ``time_limit_s`` on a gap it may never close
(family seed 1 at load 6: 59 s for a 1.92 % -> 1.48 % gap after an interval plan of 2.6 s).
The first goal plan (its LP and rounding) is not cut: without it there is no saving to offer,
only the interval plan's tours (family seed 0: -14.5 % paid hours from the dive, -1.4 % from
the interval plan's tours thinned). When the interval-goal plan ran out of its share instead,
a plan on interval goals alone would spend its whole ``time_limit_s``, and so may the goal plan.

Units: agents per tour, objective in the rules' currency, seconds of wall time.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from scheduling.requirements import ServiceTarget
from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.days import pattern_label
from scheduling.shifts.records import HeadcountCaps, InfeasibleError, ShiftPlan, SolveError
from wfm_progress import Progress

__all__ = ["INTERVAL_SHARE", "TIME_RATIO", "GOAL_MIN_S", "interval_plan", "goal_deadline_s", "tours_in_model", "offer_interval_plan"]

INTERVAL_SHARE = 0.4  # share of time_limit_s the interval-goal plan may take inside a goal plan
TIME_RATIO = 2.0  # a goal plan's improvement stops at this multiple of the interval-goal plan's seconds (issue 12)
# ... or after this many seconds when more: a ratio of sub-second solves measures model builds, and
# a small model's branch and bound needs a moment to prove its optimum (the two-interval toy of
# tests/scheduling/test_service_goal.py: its interval plan took 0.1 s; at 2 x that the weekly
# plan's optimum 39 agents stayed unproven)
GOAL_MIN_S = 5.0


def goal_deadline_s(interval: ShiftPlan | None, interval_s: float, rules) -> float:
    """Seconds from the start of :func:`scheduling.shifts.plan_shifts` by which a daily/weekly
    goal plan's improvement stops: ``TIME_RATIO x interval_s`` (the interval-goal plan's wall
    seconds, its model build included; at least ``GOAL_MIN_S``) when that plan stopped within
    ``rules.gap_rel`` of its bound, else (no interval plan, or one that ran out of its share) ``rules.time_limit_s``;
    never above ``rules.time_limit_s``."""
    if interval is None or interval.gap > rules.gap_rel + EPS:
        return float(rules.time_limit_s)
    return float(min(rules.time_limit_s, max(TIME_RATIO * interval_s, GOAL_MIN_S)))


def interval_plan(requirements: pd.DataFrame, rules, *, caps: HeadcountCaps | None,
                  targets: Mapping[str, ServiceTarget], seconds: float,
                  progress: Progress) -> ShiftPlan | None:
    """The week planned with every channel's goal "interval" in at most ``seconds`` of wall time
    (:func:`scheduling.shifts.plan_shifts`), or None when it has no plan (infeasible hard
    coverage, no plan in the time, less than a second to spend). Its warnings are the goal
    plan's business: silenced."""
    if seconds < 1.0:
        return None
    from scheduling.shifts.solve import plan_shifts

    # the goal's own keys go with it (a risk needs a daily or weekly goal)
    plain = {c: (dataclasses.replace(t, service_goal="interval", min_interval_sl=None, risk=None)
                 if t.service_goal != "interval" else t) for c, t in targets.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return plan_shifts(requirements, dataclasses.replace(rules, time_limit_s=float(seconds)), caps=caps,
                               targets=plain, progress=lambda text, share=None: progress(f"interval-goal plan: {text}"))
    except (InfeasibleError, SolveError) as exc:
        progress(f"interval-goal plan: none ({type(exc).__name__})")
        return None


def _key(template: str, channel: str, start_minute: int, pattern: str, blends) -> tuple:
    return (template, channel, int(start_minute), pattern, bool(blends))


def tours_in_model(plan: ShiftPlan, model) -> np.ndarray | None:
    """``plan``'s agents per tour in ``model.tours`` order (both built from the same rules and
    week), or None when a tour of the plan is not one of the model's."""
    where = {_key(t.template.name, t.channel, t.start_minute, pattern_label(t.pattern, model.grid), t.blends): j
             for j, t in enumerate(model.tours)}
    out = np.zeros(len(model.tours))
    for row in plan.tours.itertuples():
        j = where.get(_key(row.template, row.channel, row.start_minute, row.pattern, row.blends))
        if j is None:
            return None
        out[j] += float(row.agents)
    return out


def offer_interval_plan(model, x: np.ndarray | None, objective: float, tours: np.ndarray, *,
                        progress: Progress) -> tuple[np.ndarray | None, float, bool]:
    """The cheaper of the goal model's plan ``x`` (column values; ``objective`` with the
    constant; None: no plan yet) and the interval plan's ``tours`` completed in ``model``
    (with the goal-aware drop, and as they are). Returns (column values, objective, True when
    the interval plan's tours won); ``model.incumbent`` and the variables' values are the
    returned plan's."""
    from scheduling.shifts import heuristics

    started = time.perf_counter()

    def candidates():
        dropped = heuristics.drop_surplus(model, tours)
        yield "interval-goal plan, agents dropped while the goals hold", dropped, False
        yield "interval-goal plan as it is", np.asarray(tours, dtype=float), False

    best = heuristics.first_plan(model, candidates(), progress=progress, placement_mip=False, best_of=True)
    took = time.perf_counter() - started
    if best is not None and (x is None or best[1] < objective - EPS):
        progress(f"the interval-goal plan's tours give {best[1]:,.1f} ({took:.1f} s)"
                 + ("" if x is None else f", better than {objective:,.1f}"))
        return best[0], best[1], True
    if x is not None:  # keep the plan we had: first_plan left its own best in the model
        model.incumbent = np.asarray(x, dtype=float).copy()
        for var in model.prob.variables():
            var.varValue = float(x[var.index])
    return x, objective, False

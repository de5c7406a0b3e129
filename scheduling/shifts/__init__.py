"""Weekly shift plan by integer programming (PuLP, HiGHS by default, CBC as fallback).

The package, by concern (docs/architecture.md, "The shift model"):

* :mod:`~scheduling.shifts.records` - the seams: errors, :class:`AgentPool`,
  :class:`HeadcountCaps`, :class:`ShiftPlan`, and the frozen records of the model's columns
  (:class:`Tour`, :class:`ShiftGroup`, :class:`Placement`, :class:`Blend`, :class:`CapRow`,
  :class:`Coverage`, :class:`Backlog`);
* :mod:`~scheduling.shifts.formulation` - one builder per constraint family, each documented
  by the rows it adds: tours, day patterns and days off, activities (with the ordering rows),
  coverage, blending and backlog, headcount and Hall rows;
* :mod:`~scheduling.shifts.model` - :class:`ShiftModel`: the formulation on one PuLP problem,
  its solve, and the read-back into a :class:`ShiftPlan`;
* :mod:`~scheduling.shifts.heuristics` - the LP roundings to a first complete plan (spread
  dive, dive, drop, completion);
* :mod:`~scheduling.shifts.improve` - the anytime improvement (large-neighbourhood search);
* :mod:`~scheduling.shifts.explain` - why hard coverage is infeasible;
* :mod:`~scheduling.shifts.solve` - :func:`plan_shifts`, which runs them in turn.

Formulation in brief (one week grid, see :mod:`scheduling.coverage`): an integer column per
(template, channel, start, day pattern) counts the agents working that tour; per shift group
and activity, integer placement columns; coverage is counted net of activities and priced
(soft) or required (hard) per immediate channel and interval; deferred channels (e-mail)
follow a FIFO backlog with due times, worked by their own shifts and by immediate-channel
agents blended into idle intervals; the objective is paid cost plus penalties. The LP
relaxation is the reported lower bound.

Example::

    >>> plan = plan_shifts(requirements, rules)            # doctest: +SKIP
    >>> plan.status, round(plan.cost), plan.gap < 0.03     # doctest: +SKIP
    ('Optimal', 23000, True)
"""

from scheduling.shifts.formulation.blending import blend_targets
from scheduling.shifts.improve import Improvement
from scheduling.shifts.model import ShiftModel
from scheduling.shifts.records import (
    AgentPool,
    Backlog,
    Blend,
    BoundError,
    CapRow,
    Coverage,
    GoalUnreachableError,
    HeadcountCaps,
    InfeasibleError,
    Placement,
    ShiftGroup,
    ShiftPlan,
    SolveError,
    Tour,
)
from scheduling.shifts.solve import plan_shifts

__all__ = [
    "AgentPool", "Backlog", "Blend", "BoundError", "CapRow", "Coverage", "GoalUnreachableError", "HeadcountCaps", "Improvement",
    "InfeasibleError", "Placement", "ShiftGroup", "ShiftModel", "ShiftPlan", "SolveError", "Tour",
    "blend_targets", "plan_shifts",
]

"""The shift model's formulation: one builder per constraint family, in the order they run.

================  =====================================  =======================================
builder           columns                                rows
================  =====================================  =======================================
``tours``         ``x`` tours (integer)                  (cost in the objective)
``days``          ``n`` shifts per group and day         ``day``: n = sum of the day's tours
``activities``    ``a`` placements (integer)             ``place``, ``order``
``blending``      ``z`` blended agents (integer)         ``blend``: z <= idle blending agents
``coverage``      ``u`` under-coverage (soft)            ``cover``, ``cover_mir``
``blending``      ``done``, ``backlog``, ``late``,       ``capacity``, ``flow``, ``due``
(backlog)         ``undone``
``headcount``     ``pooled``                             ``cap_*``, ``pooled``, ``hall``
``service_goal``  ``goal_net`` (integer), ``goal_      ``goal_net``, ``goal_curve``,
(daily/weekly     answered``, slacks (soft)              ``goal_floor``, ``goal`` (per day/week)
goals only)
================  =====================================  =======================================

Each module's docstring gives its rows in full. A builder is a function ``add_x(build, ...)``
over a :class:`~scheduling.shifts.formulation.context.Build` (the problem, the objective
terms, the staffing terms) that returns frozen records of what it added
(:mod:`scheduling.shifts.records`). Builders that change who works when (shift groups,
activities, blending) add their terms to ``build.staffing``; the coverage builder turns those
into ``Coverage.staffed[channel][i]``, the expression every later family writes its rows on.

To add a constraint family: a module here with its ``add_x`` (docstring: the rows it adds,
with the maths), called from :func:`formulate` after the records it needs, its records in
:mod:`scheduling.shifts.records` and on :class:`Formulation`, and a test on a tiny instance
with a known optimum in ``tests/scheduling/test_formulation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp

from scheduling.shifts.formulation.activities import add_activities
from scheduling.shifts.formulation.blending import add_backlog, add_blending
from scheduling.shifts.formulation.context import Build
from scheduling.shifts.formulation.coverage import add_coverage
from scheduling.shifts.formulation.days import add_shift_groups
from scheduling.shifts.formulation.headcount import add_headcount
from scheduling.shifts.formulation.service_goal import GoalRows, add_service_goals
from scheduling.shifts.formulation.tours import add_tours
from scheduling.shifts.records import Backlog, Blend, CapRow, Coverage, Placement, ShiftGroup, Tour


@dataclass(frozen=True, slots=True)
class Formulation:
    """Everything the builders added to ``prob`` (whose objective is set)."""

    prob: pulp.LpProblem
    tours: tuple[Tour, ...]
    groups: tuple[ShiftGroup, ...]
    placements: tuple[Placement, ...]
    blends: tuple[Blend, ...]
    coverage: Coverage
    backlog: Backlog
    cap_rows: tuple[CapRow, ...]
    goals: dict[str, GoalRows]


def formulate(build: Build) -> Formulation:
    """Run the builders in order on ``build`` and set the objective."""
    tours = add_tours(build)
    groups = add_shift_groups(build, tours)
    placements = add_activities(build, groups)
    blends = add_blending(build)
    coverage = add_coverage(build)
    backlog = add_backlog(build, coverage)
    cap_rows = add_headcount(build, tours)
    goals = add_service_goals(build, coverage)
    build.finish()
    return Formulation(prob=build.prob, tours=tours, groups=groups, placements=placements, blends=blends,
                       coverage=coverage, backlog=backlog, cap_rows=cap_rows, goals=goals)

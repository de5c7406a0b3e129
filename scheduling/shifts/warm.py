"""A warm start for a shift plan: another plan's tours (e.g. the base plan of a budget
scenario), repaired for this model's rules, prices and headcount caps.

A scenario differs from its base by requirements (volume, handle time, service targets,
shrinkage: the coverage rows' right-hand side), by prices (hourly costs: the objective) and
at times by headcount caps or templates. When the requirements are the base's, the base
plan's tours stay close to a good plan of the scenario: :func:`first_plan` mends a headcount
row they break, tops them up where the greedy's coverage asks for more, and completes the
cheapest of the candidates with breaks, lunches and blended work
(:func:`heuristics.first_plan`, every row of the exact model kept). When the requirements
differ, the LP rounding is used instead (:func:`scheduling.shifts.solve.plan_shifts_from`):
on the bundled sample's "volume +10%" the base plan's tours repaired five ways (topped up,
with blending agents, with the scenario LP's floors or its differences to the base) completed
6-16 % above the LP bound, where the dive reaches 2-3 %.

The LP relaxation is solved afresh for the bound in either case: on the sample the base LP's
basis given to the dual simplex for a right-hand side change ("voice 90/10") ran past 80 s
where the interior point method takes 13-20 s; for a price change alone it is optimal at once
(0.1 s), but the base LP is solved without crossover (40 % of its time) and so has no basis to
give; "volume +10%" even has 6 rows fewer than the base.

Example::

    >>> start = WarmStart.of(base_plan.tours)                        # doctest: +SKIP
    >>> plan = plan_shifts_from(requirements, rules, start)          # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm_progress import Progress
from scheduling.shifts import heuristics
from scheduling.shifts.formulation.days import pattern_label
from scheduling.shifts.model import ShiftModel

#: a tour's identity across two models of the same week: template, channel, start minute, day pattern ("MTWTF.."), blends
TourKey = tuple[str, str, int, str, bool]


@dataclass(frozen=True)
class WarmStart:
    """The tours of a solved plan to start another plan from: ``tours`` is one
    ``(template, channel, start_minute, pattern, blends, agents)`` per tour with agents
    (``pattern`` like ``"MTWTF.."``, as :attr:`ShiftPlan.tours` has it), in a fixed order;
    ``label`` names where it came from in progress and the improvement log ("the base plan")."""

    tours: tuple[tuple[str, str, int, str, bool, int], ...]
    label: str = "the base plan"
    requirements: str = ""  # requirements_digest of the requirements it was planned for ("" unknown)
    # a goal model's plan pays no more hours than these tours (with min_interval_sl held): goal_plan's start
    never_more: bool = False
    # (channel, grid interval) pairs whose min_interval_sl floor the start's own placed plan leaves short
    # (goal_plan.floor_misses); None: judge the floors on the spread-break coverage
    short_floors: tuple[tuple[str, int], ...] | None = None
    # (channel, grid interval, scheduled agents) of the start's placed plan on its goal channels (goal_plan)
    placed: tuple[tuple[str, int, float], ...] | None = None

    @classmethod
    def of(cls, tours: pd.DataFrame, *, requirements: pd.DataFrame | None = None,
           label: str = "the base plan", never_more: bool = False) -> WarmStart:
        """From a :attr:`ShiftPlan.tours` frame (``template, channel, start_minute, pattern, blends,
        agents``); rows with the same tour are added up. ``requirements``: the Requirements
        frame that plan was made for (a plan for the same requirements starts from these tours
        first; for other requirements the LP rounding comes first, see
        :func:`scheduling.shifts.solve.plan_shifts_from`); ``never_more``: see
        :func:`first_plan`."""
        counts: dict[TourKey, int] = {}
        for row in tours.itertuples(index=False):
            key = (str(row.template), str(row.channel), int(row.start_minute), str(row.pattern), bool(row.blends))
            counts[key] = counts.get(key, 0) + int(row.agents)
        return cls(tuple(sorted((*key, n) for key, n in counts.items() if n > 0)), label=label,
                   requirements="" if requirements is None else requirements_digest(requirements),
                   never_more=never_more)

    def agents(self) -> int:
        """Agents (tours) in the start."""
        return sum(t[-1] for t in self.tours)


def requirements_digest(requirements: pd.DataFrame) -> str:
    """A digest of a Requirements frame's agents per interval and channel (to 1e-6 agents):
    equal for the same requirements in any row order."""
    frame = requirements[["interval_start", "channel", "required_agents"]].copy()
    frame["interval_start"] = pd.to_datetime(frame["interval_start"]).astype("int64")
    frame["required_agents"] = np.round(frame["required_agents"].astype(float), 6)
    frame = frame.sort_values(["interval_start", "channel"]).reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


def start_tours(model: ShiftModel, start: WarmStart) -> tuple[np.ndarray, int]:
    """The start's agents per tour column of ``model`` (in ``model.tours`` order) and how many of
    its agents have no column here (a template or start time the model does not offer, or a
    tour no agent pool can take): those are left out."""
    column: dict[TourKey, int] = {}
    for j, tour in enumerate(model.tours):
        column.setdefault((tour.template.name, tour.channel, tour.start_minute, pattern_label(tour.pattern, model.grid),
                           tour.blends), j)
    counts = np.zeros(len(model.tours))
    lost = 0
    for template, channel, start_minute, pattern, blends, agents in start.tours:
        j = column.get((template, channel, start_minute, pattern, blends))
        if j is None:
            lost += agents
        else:
            counts[j] += agents
    return counts, lost


def repaired_candidates(model: ShiftModel, tours: np.ndarray, *, label: str):
    """Candidates for :func:`heuristics.first_plan` from a start's tours: the start with any
    headcount row it breaks mended (:func:`heuristics.drop_surplus`, which then also drops
    surplus), (1) topped up greedily where the requirement is uncovered
    (:func:`heuristics.greedy_tours`; first: on the sample's "pay rise 8%" 1.25 % above the LP
    bound, as they are 2.1 %), (2) as it is (the greedy's view with breaks spread may call a
    placed plan short: on tiny weeks the top-up adds a shift the optimum lacks), (3) the same with the deferred channels'
    work on the agents who blend into them. No surplus drop after the top-up: on the sample's
    "pay rise 8%" the top-up alone completed at 109,046 (LP 107,696), with the
    spread-coverage drop 114,330."""
    cap_t, limits = heuristics.headcount_matrix(model)
    broken = len(limits) and bool(np.any(cap_t.T @ tours > limits + 1e-9))
    mended = heuristics.drop_surplus(model, tours) if broken else tours
    yield f"{label}'s tours topped up", heuristics.greedy_tours(model, start=mended), False
    yield f"{label}'s tours as they are", mended, False
    yield (f"{label}'s tours topped up with blending agents",
           heuristics.greedy_tours(model, start=mended, blended=True), False)


def first_plan(model: ShiftModel, start: WarmStart, *, progress: Progress) -> tuple[np.ndarray, float] | None:
    """The first complete plan of ``model`` from ``start``: the cheapest completed of
    :func:`repaired_candidates` (each completed while the time before ``model.deadline`` allows,
    at least one), or None when none completes (hard coverage the repaired tours miss).
    Returns (column values, objective with the constant) and sets ``model.incumbent``.

    A model with daily or weekly goals (:mod:`scheduling.shifts.goal_plan`): the start's
    tours with every ``min_interval_sl`` floor held (:func:`~scheduling.shifts.goal_repair.hold_floors`),
    then :func:`~scheduling.shifts.goal_plan.goal_candidates`; with ``start.never_more``,
    the model's paid hours capped at those tours' from here on
    (:func:`~scheduling.shifts.goal_plan.cap_paid_hours`); a floor the completion's breaks broke
    held again (:func:`~scheduling.shifts.goal_plan.repair_floors`). The caller keeps the floors
    its first plan meets (:func:`~scheduling.shifts.goal_plan.keep_met_floors`) once it has
    chosen between this plan and the LP rounding's."""
    tours, lost = start_tours(model, start)
    progress(f"warm start from {start.label}: {int(tours.sum())} agents' tours"
             + (f" ({lost} with no tour in this model, left out)" if lost else ""))
    if model.goal_rows and (tours.sum() > 0 or start.never_more):
        from scheduling.shifts import goal_plan

        tours, staffed = goal_plan.goal_start(model, tours, cap=start.never_more, only=start.short_floors,
                                              placed=start.placed, progress=progress)
        candidates = goal_plan.goal_candidates(model, tours, label=start.label, staffed=staffed)
    else:
        candidates = repaired_candidates(model, tours, label=start.label)
    first = heuristics.first_plan(model, candidates, progress=progress, placement_mip=True, best_of=True)
    if first is not None and model.goal_rows:
        from scheduling.shifts import goal_plan

        first = goal_plan.repair_floors(model, first, progress=progress)  # floors the completion's breaks broke
    return first

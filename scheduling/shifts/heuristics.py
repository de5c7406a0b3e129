"""From the LP to a first complete plan: the roundings (heuristics, apart from the formulation).

All work on the HiGHS instance PuLP leaves in ``model.prob.solverModel`` (warm-started LP
re-solves with column bounds changed), and read the model's records by name.

* :func:`spread_dive`: integer tours from the *spread-break* model (each break and lunch in
  equal shares over its window: no placement columns, cheap LP re-solves), for large soft
  models;
* :func:`dive`: fix the floors of the tour values, round the largest fractions up, warm
  re-solve, until the tours are integer; :func:`drop_redundant` then removes shifts while each
  removal saves at least ``DROP_KEEP_SHARE`` of its cost; :func:`integer_tours` is the two;
* :func:`round_lp`: complete those tours in the exact model (:func:`complete`: activities
  rounded and placed where agents are spare, keeping every ordering row; :func:`blend_integer`:
  blended agents by carried rounding and a short MIP), also from the LP's tours rounded up
  (soft coverage), and the better plan is kept; a placement MIP when hard coverage rounds to
  no plan;
* :func:`exact_rounding`: a second first plan from the exact model's own dive;
* :func:`rounded_up_plan`: when the dive cannot finish in its time, the LP's tours rounded up,
  or rounded down and topped up greedily, repaired by :func:`drop_surplus` (surplus agents
  dropped, broken headcount rows mended, on the spread coverage without LP re-solves) and
  completed; the cheaper plan;
* :func:`greedy_plan`: a first plan without the LP (tours added greedily where the most
  requirement is uncovered per unit of cost, within the headcount rows, repaired the same
  way, then completed like a rounding), for when the LP cannot finish within ``time_limit_s``.
  Both go through one helper, :func:`first_plan`.

The improvement after the first plan is :mod:`scheduling.shifts.improve`.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

import numpy as np
import pulp
import scipy.sparse as sp

try:
    import highspy
except ImportError:  # CBC fallback: no rounding, branch and bound instead
    highspy = None

from wfm_progress import Progress
from scheduling.rules import activity_order
from scheduling.shifts.formulation.activities import chain_links
from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.service_goal import (GOAL_DIVE_SHARE, fix_net_agents, goal_floor_need,
                                                        margin_before_solve, rounding_margin)
from scheduling.shifts.model import ShiftModel
from scheduling.shifts.records import SolveError

DIVE_SHARE = 0.03  # share of the fractional tours rounded up per dive step
DIVE_FINE_STEPS = 10  # steps at that share; 4x after
# the dive keeps the pace to end by this share of its time to model.dive_deadline (the drop and
# the completion follow): when the re-solves so far say the steps left at the share above would
# not, the share rises (_paced_share), up to all fractional tours in the last step, so a dive on
# a loaded machine ends coarser instead of running out of time (family seed 12 at load 6: 22
# steps, 19.7 s; at load 10-15 it ran to its deadline and the plan fell back to the LP's tours
# rounded up)
DIVE_END_SHARE = 0.8
# ... but on a model with daily/weekly goals the pace never rounds more than this share per step:
# its LP's re-solve grows far faster than the step. The bundled sample's weekly-goal spread-break
# LP dived with fixed shares (quiet machine, 2026-11-30): 0.1 12 re-solves in 17.2 s, 0.2 11 in
# 14.0 s, 0.3 28 in 197 s; paced to 0.49 after its first step it took 22-26 s for one re-solve,
# then 1.0 ran past the goal stage's deadline, and the stage kept its warm start (24.9 % above
# the bound instead of the dive's plan)
GOAL_PACED_MAX_SHARE = 0.2
BLEND_MIP_SECONDS = 5.0  # integer blending with the tours and activities fixed
DROP_KEEP_SHARE = 0.75  # a shift is dropped only when that saves this share of its cost in the LP (sample scenarios: 0.75 beat 0.5 and 0.9)
EXACT_MAX_INTEGERS = 3000  # larger models are solved by LP rounding (dive) instead of branch and bound
# the exact rounding's LP (the simplex from scratch) may take this share of time_limit_s: the
# family's spread-rounded weeks solve it in 0.2-0.4 s (seeds 15, 27, 29), the bundled sample's
# in 98 s, so at 60 s its rounding never finished and took 25 s from the neighbourhoods
EXACT_LP_SHARE = 0.1
GREEDY_MARGINS = (0.0, 0.1, 0.25, 0.5)  # hard coverage: requirement raised by these shares until the plan completes
# the spread dive starts only with this multiple of the exact LP's seconds left before the
# dive's deadline: its LP took 0.42 x the exact LP's time on the sample, the dive as much again
SPREAD_LP_TIME_NEEDED = 1.0
# the spread dive from up to this many optimal vertices of its LP (_spread_dives): on the bundled
# sample the dive's plan is a lottery of the vertex; six vertices, reached by the tours' costs raised
# by at most 1e-6 of themselves, rounded to 102,193-109,360 (the LP bound 99,727; unperturbed 103,080)
SPREAD_DIVES = 3
SPREAD_TIE_EPS = 1e-6


def uses_spread_dive(model: ShiftModel) -> bool:
    """True when :func:`spread_dive` rounds this model (large soft models with placed breaks)."""
    rules = model.rules
    return (rules.coverage != "hard" and model.n_integers > EXACT_MAX_INTEGERS
            and any(len(offsets) > 1 for t in rules.shifts for offsets in t.placement_offsets(model.grid.interval_minutes)))


def spread_dive(model: ShiftModel, *, progress: Progress) -> list[np.ndarray] | None:
    """Integer tours from the dives of the spread-activity model (:func:`_spread_dives`: one
    per vertex of its LP tried, for :func:`round_lp` to choose from), or None to dive on ``model``;
    raises :class:`SolveError` when less than ``SPREAD_LP_TIME_NEEDED`` x the exact LP's
    seconds (``model.seconds``) are left before ``model.dive_deadline``.

    In the spread model each break or lunch is taken in equal shares at every offset of its
    window instead of being placed: no placement columns or rows, and an LP whose re-solves
    after a rounding step take a few hundred simplex iterations instead of thousands (on the
    bundled sample a dive of 1.4 s instead of 20 s, at an LP value 0.5 % above the full
    model's). The tours are then completed in the full model, whose LP stays the bound.
    Hard coverage is left to the full model (spread breaks may not cover an integer
    requirement the placed ones can), and so are models with at most ``EXACT_MAX_INTEGERS``
    integer columns (their exact dive is fast, and much closer to the bound).
    """
    rules = model.rules
    if rules.coverage == "hard" or not any(len(offsets) > 1 for t in rules.shifts
                                           for offsets in t.placement_offsets(model.grid.interval_minutes)):
        return None
    if model.n_integers <= EXACT_MAX_INTEGERS:
        # small enough to dive on the exact model, whose rounding is far better where breaks are
        # long next to the grid (family seeds 5, 11, 17: 1.6-28 % above the bound from the spread
        # dive, 0.2-1.3 % from the exact model's, in a few seconds)
        return None
    started = time.perf_counter()
    if model.dive_deadline - started < SPREAD_LP_TIME_NEEDED * model.seconds:
        # its LP and dive would not end in time (they take about as long as the exact LP on a
        # loaded machine): the LP's tours rounded and repaired at once instead, and the time
        # left to the improvement (the sample at load 12-15: LP 34.5 s, spread LP 14.6 s, the
        # dive had no time left and the quick plan came at 61.7 s of 60)
        raise SolveError(f"no time for the spread-break LP and its dive ({model.dive_deadline - started:.1f} s "
                         f"left, the exact LP took {model.seconds:.1f} s)")
    progress("solving the spread-break LP")
    spread = ShiftModel(rules, model.grid, model.demands, model.caps, hard=False, integer_activities=False,
                        spread_activities=True, goals=model.goals)
    margin_before_solve(spread)  # daily/weekly goals: its one LP rounds for whole productive agents
    spread.dive_deadline = model.dive_deadline
    status, _objective, _ = spread.solve(mip=False, crossover=True,
                                         time_limit_s=max(0.1, model.dive_deadline - time.perf_counter()))
    if status != "Optimal" or len(spread.tours) != len(model.tours):
        model.seconds += time.perf_counter() - started
        return None
    found = _spread_dives(spread, progress=progress)
    model.seconds += time.perf_counter() - started
    return found


def _spread_dives(spread: ShiftModel, *, progress: Progress) -> list[np.ndarray] | None:
    """The spread model's tours from :func:`integer_tours` on its solved LP, then again from up
    to ``SPREAD_DIVES - 1`` other optimal vertices of that LP while the last dive's plan is not
    within ``gap_rel`` of the spread LP and the time to ``dive_deadline`` allows twice the last
    dive: each dive's tours (the first vertex's first), or None when no dive ends. Another
    vertex is reached by the tours' costs raised by ties' worth (``SPREAD_TIE_EPS``, from a
    generator seeded by the dive's number: the same plans on every run), warm-started from the
    LP's optimal basis; the costs are restored after each dive. :func:`round_lp` keeps the tours
    whose exact model is cheapest (the spread model's value is no guide: on the sample a dive
    at 102,315 there was 110,629 in the exact model, another at 103,296 was 102,251)."""
    h = spread.prob.solverModel
    idx = spread.tour_columns()
    cost = np.asarray(h.getLp().col_cost_, dtype=float)[idx]
    constant = float(spread.prob.objective.constant or 0.0)
    lp_value = h.getInfo().objective_function_value + constant
    vertex = h.getBasis()  # the LP's optimal basis: the next vertex is a few pivots from it
    found = []
    for k in range(SPREAD_DIVES):
        began = time.perf_counter()
        if k:
            h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.full(len(idx), highspy.kHighsInf))
            ties = 1.0 + SPREAD_TIE_EPS * np.random.default_rng(k).random(len(idx))
            h.changeColsCost(len(idx), idx, cost * ties)
            h.setBasis(vertex)
            h.run()
        progress(f"rounding the spread-break LP (dive{f' {k + 1}, another vertex' if k else ''})")
        try:
            tours = (integer_tours(spread, progress=progress)
                     if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None)
        except SolveError:
            tours = None
        if k:
            h.changeColsCost(len(idx), idx, cost)
            h.run()  # its tours are fixed: the plan's value at the model's own costs
        if tours is not None:
            found.append(tours)
        value = h.getInfo().objective_function_value + constant if tours is not None else float("inf")
        if (value - lp_value <= spread.rules.gap_rel * abs(value)
                or spread.dive_deadline - time.perf_counter() < 2 * (time.perf_counter() - began)):
            break
    return found or None


def dive(model: ShiftModel, *, progress: Progress) -> np.ndarray:
    """Integer tour counts from the solved LP on the same HiGHS instance (in ``model.tours``
    order): fix the floors of the tour values, round the largest fractions up, re-solve the
    LP (warm start), until the tours are integer. Leaves the tours fixed in the instance."""
    h = model.prob.solverModel
    inf = highspy.kHighsInf
    started = time.perf_counter()
    idx = model.tour_columns()
    lower = np.zeros(len(idx))
    upper = np.full(len(idx), inf)

    def optimal() -> bool:
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def run() -> None:
        # a re-solve stops at the dive's deadline too (one took 7 s on family seed 12 at load 7,
        # and the dive used to overrun by that much): HiGHS counts its own total run time
        left = model.dive_deadline - time.perf_counter()
        h.setOptionValue("time_limit", h.getRunTime() + max(left, 0.01) if np.isfinite(left) else inf)
        h.run()
        h.setOptionValue("time_limit", inf)
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            raise SolveError(f"the dive ran out of time after {steps} LP re-solves")

    h.setOptionValue("solver", "simplex")  # warm-started re-solves after each rounding step
    h.setOptionValue("time_limit", inf)  # HiGHS counts its own total run time; the caller keeps the clock
    pace_end = started + DIVE_END_SHARE * (model.dive_deadline - started)  # inf without a deadline
    steps = 0
    while True:
        steps += 1
        x = np.asarray(h.getSolution().col_value)[idx]
        floors = np.floor(x + EPS)
        raise_to = floors > lower
        if raise_to.any():
            lower[raise_to] = floors[raise_to]
            h.changeColsBounds(int(raise_to.sum()), idx[raise_to], lower[raise_to], upper[raise_to])
        frac = x - floors
        fractional = np.flatnonzero(frac > EPS)
        if not fractional.size:
            break
        if time.perf_counter() > model.dive_deadline:  # checked once the tours are known not integer
            raise SolveError(f"the dive ran out of time after {steps - 1} LP re-solves")
        order = fractional[np.argsort(-frac[fractional])]
        # fine steps first, then coarser: a step count, not the clock, so the plan does not
        # depend on the machine's speed
        base = GOAL_DIVE_SHARE if model.goal_rows else DIVE_SHARE  # daily/weekly goals: coarser steps
        paced = _paced_share(started=started, steps_done=steps - 1, end=pace_end)
        if model.goal_rows:  # a goal LP's re-solve grows far faster than the step (GOAL_PACED_MAX_SHARE)
            paced = min(paced, GOAL_PACED_MAX_SHARE)
        share = max(base if steps <= DIVE_FINE_STEPS else 4 * base, paced)
        up = order[: max(1, int(len(order) * share))]
        lower[up] = floors[up] + 1
        h.changeColsBounds(len(up), idx[up], lower[up], upper[up])
        run()
        if not optimal():  # e.g. a headcount cap: undo, and round only the largest fraction
            lower[up] = floors[up]
            h.changeColsBounds(len(up), idx[up], lower[up], upper[up])
            first = up[:1]
            lower[first] = floors[first] + 1
            h.changeColsBounds(1, idx[first], lower[first], upper[first])
            run()
            if not optimal():  # it cannot go up: round it down for good
                lower[first] = floors[first]
                upper[first] = floors[first]
                h.changeColsBounds(1, idx[first], lower[first], upper[first])
                run()
                if not optimal():
                    raise SolveError("could not round the LP relaxation to an integer plan: "
                                     f"{h.modelStatusToString(h.getModelStatus())}")
    tours = np.round(np.asarray(h.getSolution().col_value)[idx])
    h.changeColsBounds(len(idx), idx, tours, tours)
    model.seconds += time.perf_counter() - started
    progress(f"dive: {steps} LP re-solves, {time.perf_counter() - started:.1f} s")
    return tours


def exact_rounding(model: ShiftModel, *, progress: Progress,
                   deadline: float) -> tuple[np.ndarray, float] | None:
    """A second first plan, from the dive on this (exact) model instead of the spread-break
    one: (column values, objective with the constant), or None when its LP does not finish in
    ``EXACT_LP_SHARE`` of the time limit, the dive cannot finish before ``deadline`` (a
    ``time.perf_counter()`` value) or it completes no plan. Used on large models when the
    spread dive's plan is not within ``gap_rel``."""
    h = model.prob.solverModel
    idx = model.tour_columns()
    act_idx = model.placement_and_blend_columns()
    h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.full(len(idx), highspy.kHighsInf))
    if len(act_idx):
        h.changeColsIntegrality(len(act_idx), act_idx, np.full(len(act_idx), highspy.HighsVarType.kContinuous))
        h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), highspy.kHighsInf))
    h.setOptionValue("solver", "simplex")
    lp_s = max(0.0, min(deadline - time.perf_counter(), EXACT_LP_SHARE * model.rules.time_limit_s))
    started = time.perf_counter()
    h.setOptionValue("time_limit", h.getRunTime() + lp_s)  # HiGHS's clock counts from its first run
    try:
        h.run()
    finally:
        h.setOptionValue("time_limit", highspy.kHighsInf)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        progress(f"the exact model's LP did not finish in {time.perf_counter() - started:.1f} s "
                 f"({EXACT_LP_SHARE:.0%} of the time limit): no second rounding")
        return None
    model.dive_deadline = deadline
    try:
        _status, objective, _ = round_lp(model, progress=progress)
    except SolveError as exc:
        progress(f"the exact model's rounding stopped: {exc}")
        return None
    finally:
        model.dive_deadline = float("inf")
    return model.incumbent.copy(), objective


def integer_tours(model: ShiftModel, *, progress: Progress) -> np.ndarray:
    """:func:`dive`, then :func:`drop_redundant` with ``DROP_KEEP_SHARE`` for at most 30 %
    of ``time_limit_s``. Leaves the tours fixed in the instance."""
    return drop_redundant(model, dive(model, progress=progress), keep_share=DROP_KEEP_SHARE,
                          seconds=0.3 * model.rules.time_limit_s, progress=progress)


def drop_redundant(model: ShiftModel, tours: np.ndarray, *, keep_share: float, seconds: float,
                   progress: Progress) -> np.ndarray:
    """Remove shifts one at a time (most expensive first) while each removal saves at least
    ``keep_share`` of its cost in the LP with the tours fixed (the rest of the saving may go
    to shortfall penalties). Leaves the tours fixed in the instance."""
    h = model.prob.solverModel
    started = time.perf_counter()
    idx = model.tour_columns()
    tours = tours.copy()
    cost = np.array([model.prob.objective.get(t.var, 0.0) for t in model.tours])
    h.changeColsBounds(len(idx), idx, tours, tours)
    h.run()
    current = h.getInfo().objective_function_value
    tried = 0
    for j in sorted(np.flatnonzero(tours > 0), key=lambda j: -cost[j]):
        while tours[j] > 0 and time.perf_counter() - started < seconds and time.perf_counter() < model.dive_deadline:
            tried += 1
            h.changeColBounds(int(idx[j]), tours[j] - 1, tours[j] - 1)
            h.run()
            # keep the cut only when still feasible and cheaper (soft coverage is always feasible)
            if (h.getModelStatus() != highspy.HighsModelStatus.kOptimal
                    or h.getInfo().objective_function_value > current - keep_share * cost[j] - EPS):
                h.changeColBounds(int(idx[j]), tours[j], tours[j])
                break
            current = h.getInfo().objective_function_value
            tours[j] -= 1
    h.run()
    model.seconds += time.perf_counter() - started
    progress(f"dropped shifts: {tried} tried, {time.perf_counter() - started:.1f} s")
    return tours


def _cheapest_tours(model: ShiftModel, candidates: list[np.ndarray], *, progress: Progress) -> np.ndarray:
    """Of candidate tour counts, the one whose LP in ``model`` with those tours fixed is
    cheapest (the first when there is one, or none solves), left fixed in the HiGHS instance
    with its solver cleared: presolve then removes the fixed tours (0.1 s on the sample), where
    a warm start from the LP's basis takes 3.5 s."""
    h = model.prob.solverModel
    idx = model.tour_columns()
    best, best_value = np.asarray(candidates[0], dtype=float).copy(), float("inf")
    if len(candidates) > 1:
        values = []
        for tours in candidates:
            tours = np.asarray(tours, dtype=float).copy()
            h.changeColsBounds(len(idx), idx, tours, tours)
            h.clearSolver()
            h.run()
            value = (h.getInfo().objective_function_value + model.prob.objective.constant
                     if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else float("inf"))
            values.append(value)
            if value < best_value:
                best, best_value = tours, value
        progress("the dives' tours in the exact model: " + ", ".join(f"{v:,.0f}" for v in values))
    h.changeColsBounds(len(idx), idx, best, best)
    h.clearSolver()
    return best


def round_lp(model: ShiftModel, *, progress: Progress,
             candidates: list[np.ndarray] | None = None) -> tuple[str, float, float | None]:
    """Integer plan from the solved LP on the same HiGHS instance.

    1. Tours: of ``candidates`` when given (from the spread-activity model's dives,
       :func:`spread_dive`) the one whose LP in this model, with those tours fixed, is
       cheapest; else :func:`integer_tours` on this model.
    2. Complete: integer activities and blending for those tours (:func:`complete`); in
       soft coverage also for the LP's tours rounded up, and the better plan is kept.
    3. Only when no plan completes (hard coverage): a placement MIP for the time left.
    Status is "Optimal" when the plan is within ``gap_rel`` of the LP bound, else "Feasible".
    Returns (status, objective, best MIP bound or None).
    """
    h = model.prob.solverModel
    inf = highspy.kHighsInf
    idx = model.tour_columns()
    act_idx = model.placement_and_blend_columns()
    lp_tours = np.asarray(h.getSolution().col_value)[idx].copy()

    if candidates is None:
        with rounding_margin(model):  # daily/weekly goals: round for whole productive agents
            tours = integer_tours(model, progress=progress)
    else:
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("time_limit", inf)
        tours = _cheapest_tours(model, candidates, progress=progress)
    started = time.perf_counter()
    h.run()
    current = h.getInfo().objective_function_value
    progress(f"placing breaks and lunches (rounded plan {current + model.prob.objective.constant:.0f} with "
             f"breaks spread, LP bound {model.lp_objective:.0f})")
    # an integer plan in hand before any time-limited MIP: the dive's tours, and the LP tours
    # rounded up (always feasible in soft coverage); the better one is the incumbent
    incumbent, incumbent_objective = _goals_held(model, *complete(model, h, idx, tours, act_idx), progress=progress)
    if model.rules.coverage == "soft" and time.perf_counter() < model.dive_deadline:
        ceil_plan = _goals_held(model, *complete(model, h, idx, np.ceil(lp_tours - EPS), act_idx), progress=progress)
        progress(f"integer plans: dive {incumbent_objective + model.prob.objective.constant:.0f}, "
                 f"rounded-up LP {ceil_plan[1] + model.prob.objective.constant:.0f}")
        if ceil_plan[0] is not None and (incumbent is None or ceil_plan[1] < incumbent_objective - EPS):
            progress("the rounded-up LP beats the dive")
            incumbent, incumbent_objective = ceil_plan
    if incumbent is None:
        # hard coverage the rounding could not place: a MIP over the placement (tours fixed)
        # for the time left. Soft coverage always completes (shortfalls are priced), and a
        # MIP from the completed plan did not improve on it (sample: no gain in 16 s).
        h.changeColsBounds(len(idx), idx, tours, tours)
        if len(act_idx):
            h.changeColsIntegrality(len(act_idx), act_idx,
                                    np.full(len(act_idx), highspy.HighsVarType.kInteger))
        left = max(0.5, model.deadline - time.perf_counter())  # the time left of the whole plan_shifts
        h.setOptionValue("time_limit", left)  # a MIP run's limit counts from its own start
        placing = time.perf_counter()
        h.run()
        h.setOptionValue("time_limit", inf)
        progress(f"placement MIP: {h.modelStatusToString(h.getModelStatus())}, "
                 f"{time.perf_counter() - placing:.1f} s (limit {left:.1f} s)")
        if h.getInfo().primal_solution_status == 2:
            incumbent = np.asarray(h.getSolution().col_value)
            incumbent_objective = h.getInfo().objective_function_value
    if incumbent is None:
        raise SolveError("breaks and lunches could not be placed in the rounded plan: "
                         f"{h.modelStatusToString(h.getModelStatus())}")
    lp_bound = model.lp_objective - float(model.prob.objective.constant)
    status = "Feasible"
    bound = None
    gap = (incumbent_objective - lp_bound) / max(abs(incumbent_objective), EPS)
    if gap <= model.rules.gap_rel + EPS:
        status = "Optimal"  # within the requested gap of the LP bound
    model.seconds += time.perf_counter() - started
    model.incumbent = np.asarray(incumbent, dtype=float).copy()
    for var in model.prob.variables():
        var.varValue = float(incumbent[var.index])
    return status, float(incumbent_objective) + float(model.prob.objective.constant), bound


def _goals_held(model: ShiftModel, x: np.ndarray | None, objective: float, *,
                progress: Progress) -> tuple[np.ndarray | None, float]:
    """A completed plan (:func:`complete`'s: column values, objective without the constant) as
    it is, or on a model with daily/weekly goals with agents added where it completed short of
    a goal when that is cheaper (:func:`scheduling.shifts.goal_plan.repair_goals`): the dive's
    tours and the rounded-up LP's are compared repaired, not by their priced shortfall."""
    if x is None or not model.goal_rows:
        return x, objective
    from scheduling.shifts import goal_plan

    constant = float(model.prob.objective.constant)
    kept = goal_plan.repair_goals(model, (x, objective + constant), progress=progress)
    return kept[0], kept[1] - constant


def complete(model: ShiftModel, h, idx: np.ndarray, tours: np.ndarray,
             act_idx: np.ndarray) -> tuple[np.ndarray | None, float]:
    """A full integer solution with these tours: LP placement, activities and blending rounded, LP for the rest.

    Activity counts of each shift group are rounded down, and the units left are placed one
    by one at the offset whose intervals have the most agents to spare (they add up to the
    group's shifts); blended agents by :func:`blend_integer`. Returns (column values, objective
    without constant) or (None, inf) when the fixed model has no solution. Activity and
    blending columns are left continuous and free.

    The steps: the LP with the tours fixed; :func:`_net_of_fixed_activities` (agents per
    channel and interval from the shifts and their single-offset activities);
    :func:`_rounded_activities` (each placed activity's counts rounded, keeping every ordering
    row); :func:`_place_remaining` (the units the rounding down left, where most is spare);
    then the activities fixed, :func:`blend_integer` and a daily/weekly goal's net agents.
    """
    inf = highspy.kHighsInf
    h.changeColsBounds(len(idx), idx, tours, tours)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, float("inf")
    vals = np.asarray(h.getSolution().col_value).copy()
    need = {c: (np.zeros(model.grid.n_intervals) if d.deferred else d.required) for c, d in model.demands.items()}
    need.update(goal_floor_need(model.goal_rows))  # daily/weekly goals: their floors, in scheduled agents
    net, groups, placed, where = _net_of_fixed_activities(model, vals)
    plans = _rounded_activities(model, vals, net, groups, placed, where)
    fixed = _place_remaining(plans, net, need, vals)
    cols = np.array(list(fixed), dtype=np.int32)
    if len(cols):
        values = np.array([fixed[c] for c in cols])
        h.changeColsBounds(len(cols), cols, values, values)
    ok = blend_integer(model, h, vals, net, need)
    if ok and model.goal_rows:  # daily/weekly goals: whole productive agents, and their rows checked
        ok = fix_net_agents(model.goal_rows, h)
    solution = np.asarray(h.getSolution().col_value).copy() if ok else None
    objective = h.getInfo().objective_function_value if ok else float("inf")
    if len(act_idx):
        h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), inf))
    return solution, objective


def _net_of_fixed_activities(model: ShiftModel, vals: np.ndarray):
    """The first step of :func:`complete`, at the LP's column values ``vals`` (tours fixed):
    (net, groups, placed, where). ``net[channel]``: agents per grid interval from the shifts
    (each group's count rounded) less their single-offset activities; ``groups[(count name,
    activity index)]``: the (placement column, offset minutes) of an activity with several
    offsets; ``placed[...]``: the single-offset activities' (offsets, counts); ``where[...]``:
    the (count column, template, channel, day, start minute, activity) of each key of ``groups``."""
    grid = model.grid
    net = {c: np.zeros(grid.n_intervals) for c in model.demands}
    seen: set[str] = set()
    groups: dict[tuple[str, int], list[tuple[pulp.LpVariable, int]]] = defaultdict(list)
    placed: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}  # rounded (offsets, counts)
    where: dict[tuple[str, int], tuple] = {}
    for p in model.placements:
        avar, count, activity, offset, a_index = p.var, p.group.count, p.activity, p.offset_minutes, p.activity_index
        template, channel, d, start = p.group.template, p.group.channel, p.group.day, p.group.start_minute
        shifts = float(round(vals[count.index]))
        if count.name not in seen:
            seen.add(count.name)
            net[channel][grid.covered(d * 1440 + start, template.length_minutes)] += shifts
        if avar is None:
            net[channel][grid.covered(d * 1440 + start + offset, activity.length_minutes)] -= shifts
            placed[(count.name, a_index)] = (np.array([offset]), np.array([shifts]))
        else:
            groups[(count.name, a_index)].append((avar, offset))
            where[(count.name, a_index)] = (count, template, channel, d, start, activity)
    return net, groups, placed, where


def _rounded_activities(model: ShiftModel, vals: np.ndarray, net: dict, groups: dict, placed: dict,
                        where: dict) -> list[tuple]:
    """The second step of :func:`complete`: each placed activity's counts per offset rounded
    (``net`` lowered by them, ``placed`` filled in). Activities that share an ordering row with
    the one before them: their cumulative counts are rounded (to nearest, capped by the rounded
    counts of the one before), which keeps every ordering row of the LP; the others round down
    and leave the rest (``extra`` units) to :func:`_place_remaining`. One (members, counts,
    extra, channel, spans) per activity."""
    grid = model.grid
    plans = []
    links_of = {t.name: chain_links(t, grid.interval_minutes) for t in model.rules.shifts}
    chained = {key for key in groups if key[1] in links_of[where[key][1].name]}
    ordered = [key for key in groups if key not in chained] + sorted(
        chained, key=lambda k: (k[0], activity_order(where[k][1].activities).index(k[1])))
    for key in ordered:
        members = groups[key]
        count, template, channel, d, start, activity = where[key]
        total = float(round(vals[count.index]))
        x = np.array([max(vals[a.index], 0.0) for a, _ in members])
        offsets = np.array([off for _, off in members])
        spans = [grid.covered(d * 1440 + start + off, activity.length_minutes) for _, off in members]
        links = links_of[template.name]
        if key in chained:
            cumulative = np.floor(np.cumsum(x) + 0.5)
            cumulative[-1] = total
            previous = links[key[1]]
            if previous is not None:
                before_offsets, before_counts = placed[(key[0], previous)]
                before_length = template.activities[previous].length_minutes
                ended = np.array([before_counts[before_offsets <= off - before_length].sum() for off in offsets])
                cumulative = np.minimum(cumulative, ended)
            floors = np.diff(cumulative, prepend=0.0)
            extra = 0
        else:
            floors = np.floor(x + EPS)
            extra = max(0, int(total) - int(floors.sum()))
            while floors.sum() > total + EPS:  # cannot happen with exact LP values
                floors[np.argmax(floors)] -= 1
        for span, value in zip(spans, floors):
            net[channel][span] -= value
        placed[key] = (offsets, floors)
        plans.append((members, floors, extra, channel, spans))
    return plans


def _place_remaining(plans: list[tuple], net: dict, need: dict, vals: np.ndarray) -> dict[int, float]:
    """The third step of :func:`complete`: each activity's ``extra`` units placed one by one at
    the offset whose intervals have the most agents to spare over ``need`` (``net`` and
    ``vals`` updated). Returns placement column -> its integer count, for every placed activity."""
    fixed: dict[int, float] = {}
    for members, floors, extra, channel, spans in plans:
        for _ in range(extra):
            slack = net[channel] - need[channel]
            best = max(range(len(spans)), key=lambda j: (slack[spans[j]].min(), slack[spans[j]].sum()))
            floors[best] += 1
            net[channel][spans[best]] -= 1
        for (a, _off), value in zip(members, floors):
            fixed[a.index] = value
            vals[a.index] = value
    return fixed


def blend_integer(model: ShiftModel, h, vals: np.ndarray, net: dict, need: dict) -> bool:
    """Integer blended agents with tours and activities fixed; leaves the solution in ``h``.

    First a rounding in time order that keeps the deferred channel's capacity within an
    agent-interval of the LP's at every point of the week (the remainder is carried
    forward; fractions round up where the immediate channel has an agent to spare), then
    raised one at a time where the most is spare until the deferred channel has the
    capacity for its week of work (the flow needs it). Then a small MIP from that start
    (``BLEND_MIP_SECONDS``) may improve it. True when ``h`` holds an optimal LP solution with integer blending.
    """
    z_idx = model.blend_columns()
    if not len(z_idx):
        h.run()
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    rounded: dict[int, float] = {}
    upper: dict[int, float] = {}
    for (channel, other), blends in itertools.groupby(model.blends, key=lambda b: (b.channel, b.work_channel)):
        carry = 0.0  # blended agent-intervals owed to the deferred channel so far (LP minus rounded)
        for blend in blends:
            i, z, row = blend.interval, blend.var, blend.row
            free = max(0.0, np.floor(-sum(coef * vals[var.index] for var, coef in row.items()
                                           if var is not z) + EPS))
            target = max(vals[z.index], 0.0) + carry
            value = np.floor(target + EPS)
            spare = np.floor(max(net[channel][i] - need[channel][i], 0.0) + EPS)
            if target - value > 0.5 or (target - value > EPS and spare > value):
                value += 1
            value = min(max(value, 0.0), free)
            carry = target - value
            rounded[z.index] = value
            upper[z.index] = free
            net[channel][i] -= value
            net[other][i] += value
    dt = model.grid.interval_minutes
    for other, demand in model.demands.items():
        if not demand.deferred:
            continue
        short = int(np.ceil(demand.work_minutes.sum() / dt - net[other].sum() - EPS))
        pairs = [(b.channel, b.interval, b.var) for b in model.blends if b.work_channel == other]
        for _ in range(max(short, 0)):
            room = [(net[c][i] - need[c][i], c, i, z) for c, i, z in pairs if rounded[z.index] < upper[z.index]]
            if not room:
                break
            _slack, channel, i, z = max(room, key=lambda r: r[0])
            rounded[z.index] += 1
            net[channel][i] -= 1
            net[other][i] += 1
    start = np.array([rounded[j] for j in z_idx])
    h.changeColsBounds(len(z_idx), z_idx, start, start)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return False
    rounded_objective = h.getInfo().objective_function_value
    warm = h.getSolution()
    h.changeColsBounds(len(z_idx), z_idx, np.zeros(len(z_idx)), np.full(len(z_idx), highspy.kHighsInf))
    h.changeColsIntegrality(len(z_idx), z_idx, np.full(len(z_idx), highspy.HighsVarType.kInteger))
    h.setSolution(warm)
    # a MIP run's limit counts from its own start; never past the whole solve's deadline (the
    # rounded blending above is a complete answer already)
    h.setOptionValue("time_limit", max(0.05, min(BLEND_MIP_SECONDS, model.deadline - time.perf_counter())))
    h.setOptionValue("mip_rel_gap", model.rules.gap_rel / 10)
    h.run()
    h.setOptionValue("time_limit", highspy.kHighsInf)
    h.setOptionValue("mip_rel_gap", model.rules.gap_rel)
    h.changeColsIntegrality(len(z_idx), z_idx, np.full(len(z_idx), highspy.HighsVarType.kContinuous))
    values = start
    if h.getInfo().primal_solution_status == 2 and h.getInfo().objective_function_value < rounded_objective - EPS:
        values = np.round(np.asarray(h.getSolution().col_value)[z_idx])
    h.changeColsBounds(len(z_idx), z_idx, values, values)
    h.run()  # the LP for the continuous rest, with the blending fixed
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal



def tour_coverage(model: ShiftModel) -> tuple[sp.csc_matrix, list[str]]:
    """Agents each tour puts on its channel per grid interval, with each break and lunch
    taken in equal shares over its window (as in the spread model): a sparse (channel x
    interval) by tour matrix, rows channel after channel in ``model.demands`` order. Built once
    per model (``model.spread_coverage``)."""
    if model.spread_coverage is not None:
        return model.spread_coverage
    model.spread_coverage = _tour_coverage(model)
    return model.spread_coverage


def _tour_coverage(model: ShiftModel) -> tuple[sp.csc_matrix, list[str]]:
    grid = model.grid
    n = grid.n_intervals
    channels = list(model.demands)
    offset_of = {c: k * n for k, c in enumerate(channels)}
    rows, cols, vals = [], [], []
    offsets_of = {t.name: t.placement_offsets(grid.interval_minutes) for t in model.rules.shifts}
    shift_cache: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def one_shift(template, start: int) -> tuple[np.ndarray, np.ndarray]:
        key = (template.name, start)
        if key not in shift_cache:
            on = np.zeros(n)
            np.add.at(on, grid.covered(start, template.length_minutes), 1.0)
            for activity, offsets in zip(template.activities, offsets_of[template.name]):
                for off in offsets:
                    np.add.at(on, grid.covered(start + off, activity.length_minutes), -1.0 / len(offsets))
            where = np.flatnonzero(np.abs(on) > EPS)
            shift_cache[key] = (where, on[where])
        return shift_cache[key]

    for j, tour in enumerate(model.tours):
        base = offset_of[tour.channel]
        for d in tour.days:
            where, value = one_shift(tour.template, d * 1440 + tour.start_minute)
            rows.append(base + where)
            cols.append(np.full(len(where), j))
            vals.append(value)
    if not rows:
        return sp.csc_matrix((len(channels) * n, len(model.tours))), channels
    matrix = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(len(channels) * n, len(model.tours)))
    return matrix.tocsc(), channels  # duplicates summed


def coverage_target(model: ShiftModel, channels: list[str], *, margin: float = 0.0,
                    blended: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """What the greedy and the drop cover, per (channel x interval) row of :func:`tour_coverage`:
    (target agents, True where the row is an immediate channel's). Immediate channels their
    requirement (hard coverage: to the next whole agent, raised by ``margin``); a deferred
    channel its workload where it arrives (its own tours do that; blended agents the rest).
    ``blended``: a deferred channel that immediate channels' agents may blend into has its
    workload added to theirs where it arrives (shared equally) instead, so their agents'
    spare time does it (as the LP's blended agents do)."""
    n = model.grid.n_intervals
    hard = model.rules.coverage == "hard"
    target = np.zeros(len(channels) * n)
    immediate = np.zeros(len(channels) * n, dtype=bool)
    extra = {c: np.zeros(n) for c in channels}
    if blended:
        for channel in channels:
            if not model.demands[channel].deferred:
                continue
            into = sorted({b.channel for b in model.blends if b.work_channel == channel} & set(channels))
            for other in into:
                extra[other] += np.asarray(model.demands[channel].required, dtype=float) / len(into)
            if into:
                extra[channel] -= np.asarray(model.demands[channel].required, dtype=float)
    for k, channel in enumerate(channels):
        required = np.asarray(model.demands[channel].required, dtype=float) + extra[channel]
        if hard and not model.demands[channel].deferred:
            required = np.ceil(required * (1.0 + margin) - EPS)
        target[k * n:(k + 1) * n] = required
        immediate[k * n:(k + 1) * n] = not model.demands[channel].deferred
    return target, immediate


def headcount_matrix(model: ShiftModel) -> tuple[sp.csr_matrix, np.ndarray]:
    """The headcount rows (``model.cap_rows``, upper limits) by tour: (tour x row matrix of
    coefficients, limits). A row sums tours, or the pooled columns of named agents (pooled_k:
    the tours the k-th set of pools, in order of first appearance, can take;
    :mod:`scheduling.shifts.formulation.headcount`)."""
    members_of: dict[str, list[int]] = {t.var.name: [j] for j, t in enumerate(model.tours)}
    pool_sets: dict[frozenset[int], list[int]] = {}
    for j, tour in enumerate(model.tours):
        if tour.takers:
            pool_sets.setdefault(tour.takers, []).append(j)
    for n_set, members in enumerate(pool_sets.values()):
        members_of[f"pooled_{n_set}"] = members
    r, c, v = [], [], []
    for k, cap in enumerate(model.cap_rows):
        for var, coef in cap.row.items():
            for j in members_of.get(var.name, ()):
                r.append(k)
                c.append(j)
                v.append(coef)
    cap_t = sp.csr_matrix((v, (c, r)), shape=(len(model.tours), len(model.cap_rows)))
    return cap_t, np.array([float(cap.limit) for cap in model.cap_rows])


def greedy_tours(model: ShiftModel, *, margin: float = 0.0, start: np.ndarray | None = None,
                 support: np.ndarray | None = None, blended: bool = False) -> np.ndarray:
    """Integer tour counts without the LP, in ``model.tours`` order.

    Each step adds the tour (as many agents of it as its least-covered hour still needs) that
    covers the most uncovered requirement per unit of its cost, among the tours every
    headcount row still has room for. Requirements are met per interval with breaks and
    lunches spread over their windows (:func:`coverage_target`): immediate channels to the
    next whole agent (hard coverage, raised by ``margin``) or while a tour saves more in
    shortfall price than it costs (soft); a deferred channel's workload where it arrives, by
    its own tours (blended agents do the rest). ``start``: tours already in the plan (e.g. the
    LP relaxation's tours rounded down; within every headcount row), added to; ``support``: a
    mask of tours (e.g. those the LP uses) the greedy takes from first, the others only when
    those gain nothing more; ``blended``: as in :func:`coverage_target` (a deferred channel's
    work topped up by the immediate channels' agents who blend into it: family seed 12's LP
    has no e-mail tours, and its rounded-down tours topped up with e-mail tours ended 1.519 x
    the LP bound, with blending agents 1.233). It runs to its
    end whatever the clock says: it is the plan of last resort (a second or two on the bundled
    sample).
    """
    matrix, channels = tour_coverage(model)
    hard = model.rules.coverage == "hard"
    target, _immediate = coverage_target(model, channels, margin=margin, blended=blended)
    cost = np.array([max(t.cost, EPS) for t in model.tours])
    price = (model.rules.under_penalty + model.rules.over_penalty) * model.grid.interval_minutes / 60
    cap_t, limits = headcount_matrix(model)
    n_caps = len(limits)
    tours = np.zeros(len(model.tours)) if start is None else np.asarray(start, dtype=float).copy()
    used = cap_t.T @ tours if n_caps else np.zeros(0)
    deficit = target - matrix @ tours
    allowed = np.ones(len(model.tours), dtype=bool)
    cap_rows_t = cap_t.tocsc()  # headcount row -> its tours
    for k in np.flatnonzero(limits - used < 1.0 - EPS):  # rows the start fills already
        allowed[cap_rows_t.indices[cap_rows_t.indptr[k]:cap_rows_t.indptr[k + 1]]] = False
    matrix_t = matrix.T.tocsr()
    first = np.ones(len(model.tours), dtype=bool) if support is None else np.asarray(support, dtype=bool)
    while True:
        gain = matrix_t @ np.clip(deficit, 0.0, 1.0)
        score = np.where(allowed & first, gain / cost, -np.inf)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or gain[j] <= EPS or (not hard and gain[j] * price <= cost[j]):
            if not first.all():  # the support gains nothing more: every tour
                first[:] = True
                continue
            break
        rows_j = matrix.indices[matrix.indptr[j]:matrix.indptr[j + 1]]
        values_j = matrix.data[matrix.indptr[j]:matrix.indptr[j + 1]]
        on = rows_j[values_j >= 1.0 - EPS]
        copies = max(1, int(np.floor(deficit[on].min() + EPS))) if len(on) else 1
        if n_caps:
            ks = cap_t.indices[cap_t.indptr[j]:cap_t.indptr[j + 1]]
            coefs = cap_t.data[cap_t.indptr[j]:cap_t.indptr[j + 1]]
            if len(ks):
                copies = min(copies, int(np.min(np.floor((limits[ks] - used[ks]) / coefs + EPS))))
            if copies < 1:
                allowed[j] = False
                continue
            used[ks] += copies * coefs
            full_rows = ks[limits[ks] - used[ks] < 1.0 - EPS]
            for k in full_rows:  # a full headcount row closes every tour it counts
                allowed[cap_rows_t.indices[cap_rows_t.indptr[k]:cap_rows_t.indptr[k + 1]]] = False
        tours[j] += copies
        deficit[rows_j] -= copies * values_j
    return tours


def drop_surplus(model: ShiftModel, tours: np.ndarray, *, margin: float = 0.0,
                 keep: np.ndarray | None = None, blended: bool = False) -> np.ndarray:
    """The repair after a rounding up or a greedy: remove agents of tours, one at a time, the
    removal that saves the most first, while it saves anything, on the coverage with breaks and
    lunches spread (:func:`tour_coverage`) and no LP re-solve (a fraction of a second where
    :func:`drop_redundant` re-solves the LP per try).

    Hard coverage: a removal must keep every immediate channel's interval at its
    :func:`coverage_target` (``margin`` as in :func:`greedy_tours`), and it saves the tour's
    cost. Soft: it saves the tour's cost (pay and over-coverage price) less the shortfall price
    of the requirement it leaves uncovered. Tours of deferred channels are kept (blending
    needs their workload covered where it arrives), and so is ``keep`` (e.g. the LP's tours
    rounded down) of every tour. A headcount row (an upper limit) the tours break is mended
    first, by the least harmful removals from it; the completion checks every other row. Daily or weekly service goals: the
    drop of :func:`scheduling.shifts.goal_repair.drop_goal_surplus` (while every day's or the week's goal holds).
    """
    tours = np.asarray(tours, dtype=float).copy()
    if not len(model.tours):
        return tours
    matrix, channels = tour_coverage(model)
    target, immediate = coverage_target(model, channels, margin=margin, blended=blended)
    if model.goal_rows:
        from scheduling.shifts.goal_repair import drop_goal_surplus

        return drop_goal_surplus(model, tours, matrix=matrix, channels=channels, target=target, immediate=immediate,
                                 keep=keep)
    hard = model.rules.coverage == "hard"
    price = (model.rules.under_penalty + model.rules.over_penalty) * model.grid.interval_minutes / 60
    floor = np.zeros(len(tours)) if keep is None else np.minimum(np.floor(np.asarray(keep) + EPS), tours)
    deferred = np.array([model.demands[t.channel].deferred for t in model.tours])
    active = np.flatnonzero((tours > floor + 0.5) & ~deferred)
    if not len(active):
        return tours
    sub = matrix[:, active].tocsc()
    rows, values = sub.indices, sub.data
    column = np.repeat(np.arange(len(active)), np.diff(sub.indptr))
    cost = np.array([model.tours[j].cost for j in active])
    slack = matrix @ tours - target
    slack[~immediate] = np.inf  # deferred rows: not checked here
    spare = tours[active] - floor[active]
    cap_t, limits = headcount_matrix(model)
    cap_active = cap_t[active].tocsr()  # active tour x headcount row
    over = cap_t.T @ tours - limits  # > 0: a row the tours break (a rounding up)
    while True:
        s = slack[rows]
        more_short = np.maximum(0.0, values - np.maximum(s, 0.0))  # shortfall the removal adds, per row
        more_short[~np.isfinite(s)] = 0.0
        if hard:
            short = np.bincount(column, weights=more_short > EPS, minlength=len(active))
            saving = np.where(short > 0, -np.inf, cost)
        else:
            saving = cost - price * np.bincount(column, weights=more_short, minlength=len(active))
        saving[spare < 0.5] = -np.inf
        broken = over > EPS
        if broken.any():
            # a headcount row the rounding broke: a removal from it first, the least harmful
            # (hard coverage: the one that leaves the least short), even if it saves nothing
            in_broken = cap_active @ broken.astype(float) > 0
            if hard:
                saving = cost - 1e9 * np.bincount(column, weights=more_short, minlength=len(active))
                saving[spare < 0.5] = -np.inf
            saving = np.where(in_broken, saving, -np.inf)
            k = int(np.argmax(saving))
            if not np.isfinite(saving[k]):
                break  # nothing left to remove from it: the completion says no plan
        else:
            k = int(np.argmax(saving))
            if saving[k] <= EPS:
                break
        spare[k] -= 1
        tours[active[k]] -= 1
        lo, hi = sub.indptr[k], sub.indptr[k + 1]
        slack[rows[lo:hi]] -= values[lo:hi]
        over -= cap_active[k].toarray().ravel()
    return tours


def first_plan(model: ShiftModel, candidates, *, progress: Progress,
               placement_mip: bool, best_of: bool = False) -> tuple[np.ndarray, float] | None:
    """The first of ``candidates`` (label, tours, only when none completed yet; a lazy iterable) that completes
    (:func:`complete` on the model's HiGHS instance, activities continuous and free), or None;
    ``best_of``: the cheapest of them, trying the next while the time left before
    ``model.deadline`` is more than the last one took (at least one).
    ``placement_mip``: when hard coverage the rounded activities miss, a placement MIP
    (tours fixed) for the time left before ``model.deadline``. Sets ``model.incumbent`` and
    the variables' values; returns (column values, objective with the constant)."""
    h = model.prob.solverModel
    idx = model.tour_columns()
    act_idx = model.placement_and_blend_columns()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("time_limit", highspy.kHighsInf)
    if len(act_idx):
        h.changeColsIntegrality(len(act_idx), act_idx, np.full(len(act_idx), highspy.HighsVarType.kContinuous))
        h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), highspy.kHighsInf))
    best = None
    for label, tours, unless_done in candidates:
        if unless_done and best is not None:
            continue
        started = time.perf_counter()
        h.clearSolver()  # the fixed tours leave a small LP: solved afresh, not from the relaxation's state
        solution, objective = complete(model, h, idx, tours, act_idx)
        left = model.deadline - time.perf_counter()
        if (solution is None and best is None and placement_mip and model.rules.coverage == "hard" and len(act_idx)
                and left > 0.5):
            # hard coverage the rounded breaks miss: a placement MIP (tours fixed) for the time left
            h.changeColsBounds(len(idx), idx, tours, tours)
            h.changeColsIntegrality(len(act_idx), act_idx, np.full(len(act_idx), highspy.HighsVarType.kInteger))
            h.setOptionValue("time_limit", left)
            h.run()
            h.setOptionValue("time_limit", highspy.kHighsInf)
            if h.getInfo().primal_solution_status == 2:
                solution = np.asarray(h.getSolution().col_value).copy()
                objective = h.getInfo().objective_function_value
            h.changeColsIntegrality(len(act_idx), act_idx, np.full(len(act_idx), highspy.HighsVarType.kContinuous))
            h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), highspy.kHighsInf))
        progress(f"{label} ({int(tours.sum())} tours): {'completed' if solution is not None else 'no plan'}, "
                 f"{time.perf_counter() - started:.1f} s")
        if solution is not None and (best is None or objective < best[1] - EPS):
            best = (np.asarray(solution, dtype=float).copy(), float(objective))
        took = time.perf_counter() - started
        if best is not None and (not best_of or model.deadline - time.perf_counter() < took):
            break  # (another candidate would not end before the deadline)
    if best is None:
        return None
    model.incumbent = best[0].copy()
    for var in model.prob.variables():
        var.varValue = float(best[0][var.index])
    return model.incumbent.copy(), best[1] + float(model.prob.objective.constant)


def _paced_share(*, started: float, steps_done: int, end: float) -> float:
    """The least share of the fractional tours a dive step must round up to end by ``end`` (a
    ``time.perf_counter()`` value) at the pace of its ``steps_done`` re-solves since ``started``:
    0 before the first re-solve or without an end, 2 / (steps left) while two or more fit, then
    1 (every fractional tour at once). In seconds of this machine, not a step count: used only
    when the fixed shares would not end in time, so an unloaded machine's plan does not change."""
    if steps_done < 1 or not np.isfinite(end):
        return 0.0
    now = time.perf_counter()
    per_step_s = (now - started) / steps_done
    steps_left = (end - now) / max(per_step_s, 1e-9)
    return 1.0 if steps_left < 2.0 else min(1.0, 2.0 / steps_left)


def _repaired(model: ShiftModel, label: str, tours: np.ndarray, *, margin: float = 0.0,
              keep: np.ndarray | None = None):
    """Candidates for :func:`first_plan`: ``tours`` after :func:`drop_surplus`, then as they
    are when the drop removed anything (the completion may need what the spread coverage
    calls surplus)."""
    dropped = drop_surplus(model, tours, margin=margin, keep=keep)
    yield f"{label}, surplus dropped", dropped, False
    if dropped.sum() < tours.sum() - 0.5:
        yield label, tours, True


def rounded_up_plan(model: ShiftModel, lp_tours: np.ndarray, *,
                    progress: Progress) -> tuple[np.ndarray, float] | None:
    """A complete plan from the LP relaxation's tours (``lp_tours``, read right after the LP):
    the quick plan when the dive cannot finish in its time. The LP's tours rounded down (within
    every headcount row, as the LP is), topped up by :func:`greedy_tours` where the requirement
    is still uncovered, then the surplus dropped (:func:`drop_surplus`, never below the rounded
    down LP), and once more with the deferred channels' work on the agents who blend into
    them (``blended``, :func:`coverage_target`); then the LP's tours rounded up with the surplus dropped. Completed by
    :func:`complete` (hard coverage the rounded activities miss: a placement MIP for the time
    left). None when none completes. Returns (column values, objective with the constant)."""
    lp = np.asarray(lp_tours, dtype=float)
    floors = np.floor(lp + 1e-4)  # an interior LP point has tiny positive values

    def candidates():
        yield "LP rounded up, surplus dropped", drop_surplus(model, np.ceil(lp - 1e-4), keep=floors), False
        yield ("LP rounded down, topped up greedily, surplus dropped",
               drop_surplus(model, greedy_tours(model, start=floors, support=lp > 1e-4), keep=floors), False)
        yield ("LP rounded down, topped up greedily with blending agents, surplus dropped",
               drop_surplus(model, greedy_tours(model, start=floors, support=lp > 1e-4, blended=True), keep=floors,
                            blended=True), False)
        yield "LP rounded up", np.ceil(lp - 1e-4), True  # when the drops went too far for hard coverage's placement

    return first_plan(model, candidates(), progress=progress, placement_mip=True, best_of=True)


def greedy_plan(model: ShiftModel, *, progress: Progress) -> tuple[np.ndarray, float] | None:
    """A complete plan without the LP: :func:`greedy_tours` with the surplus then dropped
    (:func:`drop_surplus`), completed by :func:`complete` on the model's HiGHS instance (built
    by an LP solve, finished or not). Hard coverage retries with the requirement raised by
    ``GREEDY_MARGINS`` until the plan completes. Returns (column values, objective with the
    constant) or None. Leaves the tours fixed."""
    def candidates():
        margins = GREEDY_MARGINS if model.rules.coverage == "hard" else (0.0,)
        for margin in margins:
            yield from _repaired(model, f"greedy plan (margin {margin:.0%})", greedy_tours(model, margin=margin),
                                 margin=margin)

    return first_plan(model, candidates(), progress=progress, placement_mip=False)

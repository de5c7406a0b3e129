"""``plan_shifts``: the weekly shift plan, from the LP bound to the best plan the time allows.

``time_limit_s`` is the wall time of the whole call (model build, LP, roundings, improvement).

1. Build the exact model (:class:`~scheduling.shifts.model.ShiftModel`) and solve its LP
   relaxation (the proven lower bound) in the time left less a reserve
   (``GREEDY_RESERVE_SHARE`` of the limit, or 1.5 x the model build's seconds when more, at
   most half the limit), by interior point without IPX's crossover (the bound and an
   interior point); then, for the dive, HiGHS's crossover from that point (a basis in a
   second or so, where IPX's own crossover took as long as half the interior point:
   :func:`crossover_basis`), except on large soft models, whose rounding works on the
   spread-break model. Without a basis in the time, the interior point's tours are rounded.
2. A first complete plan by LP rounding (:mod:`scheduling.shifts.heuristics`): tours from the
   spread-break dive on large soft models, else the exact model's dive; completed with
   activities and blending; the rounding must end within the time limit. On a large model whose
   plan is not within ``gap_rel``, a second rounding of the exact model if time allows
   (``EXACT_ROUNDING_BEFORE``, or later while time remains when the first plan is more than
   ``EXACT_ROUNDING_GAP`` above the bound), unless the LP relaxation took so long that the
   exact model's LP cannot be expected in its share (``EXACT_ROUNDING_LP_SHARE``); the better
   plan.
   When the rounding does not finish in its time (``ROUNDED_UP_RESERVE_SHARE`` of the limit,
   or the build's seconds when more, before the end): the LP's tours rounded up, or rounded down and topped up greedily, with
   the surplus dropped and headcount rows mended, completed (the cheaper);
   when that does not complete or the LP did not finish either: the greedy plan
   (:func:`~scheduling.shifts.heuristics.greedy_plan`, no LP), so a short limit still ends
   with a rule-abiding plan; without the LP its proven bound is 0 (every objective term is
   non-negative), the gap says so and a warning names the time limit.
3. Improvement (:mod:`scheduling.shifts.improve`) until within ``gap_rel`` of the bound or
   ``time_limit_s`` is spent; on small models it also runs branch and bound, whose dual bound
   may raise the bound. With ``processes >= 2`` (the caller lets this solve keep two cores
   busy) the portfolio: HiGHS branch and bound on the whole model, begun right after the LP
   relaxation (step 1) from scratch as HiGHS alone begins, runs on two threads to the
   improvement's end, beside the rounding and the neighbourhoods; it is handed the first plan
   and each better one, and the better plan of the two is kept; when a core stood idle since the
   solve began (:mod:`scheduling.cpu_idle`).
4. Without HiGHS (CBC), or hard coverage no rounding or greedy plan completes: branch and
   bound for the time left.

A daily or weekly goal: the interval-goal plan with ``time_limit_s``, then the goal model from
its tours for as long again at most (:func:`scheduling.shifts.goal_plan.plan_goal_week`).

Infeasible hard coverage raises :class:`InfeasibleError` with the explanation
(:mod:`scheduling.shifts.explain`); no plan at all raises :class:`SolveError`.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

try:
    import highspy
except ImportError:  # CBC fallback
    highspy = None

from wfm_errors import RequirementsError
from wfm_progress import Progress, quiet
from scheduling.coverage import channel_demands, validate_requirements, week_grid
from scheduling.cpu_idle import CpuTimes, cpu_times, idle_cores
from scheduling.rules import RuleSet
from scheduling.shifts import goal_plan, heuristics, warm
from scheduling.shifts.explain import explain_infeasible, interval_runs, raise_unreachable_goal
from scheduling.requirements import ServiceTarget
from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.service_goal import goal_short, service_goals
from scheduling.shifts.improve import Improvement, improve, start_concurrent
from scheduling.shifts.model import ShiftModel, gap
from scheduling.shifts.pay_bound import rounded_pay_bound
from scheduling.shifts.records import HeadcountCaps, InfeasibleError, ShiftPlan, SolveError
from scheduling.shifts.warm import WarmStart

EXACT_ROUNDING_BEFORE = 0.4  # share of time_limit_s before which a large model's spread rounding gets a second, exact one
# a spread rounding this far above the bound gets the exact one whenever time remains (its dive may
# then end at 90 % of time_limit_s): on a loaded machine family seed 29's first plan (14 % above the
# bound) came after 40 % of the time, the exact rounding was skipped and the plan ended at 1.166 x
# bound; with it, 1.014 at once and 1.0096 after the search
EXACT_ROUNDING_GAP = 0.05
EXACT_ROUNDING_LATE_DEADLINE = 0.9
# ... and only when the LP relaxation (the model's build included) took at most this share of the
# time the exact rounding's LP may take (heuristics.EXACT_LP_SHARE of the limit): that LP, the
# simplex from scratch, took about as long as the interior point on the family's spread weeks
# (0.3-0.5 s both, seeds 15, 27 and 29) and 15 x as long on the bundled sample (98 s against 6.5 s),
# where it never finished in its 6 s, which the neighbourhoods then lacked
EXACT_ROUNDING_LP_SHARE = 0.5
# kept for a plan without the LP (heuristics.greedy_plan): the LP may use the time limit up to
# this share of it; the greedy plan runs to its end (family seed 12 at load 10: 6.5 s; the
# bundled sample 2.5-4.6 s), so the reserve is what keeps a 60 s limit from being overrun
GREEDY_RESERVE_SHARE = 0.1
# kept for the LP's tours rounded up and repaired (heuristics.rounded_up_plan) when the dive
# runs out of time: the dives (and their drops) must end by this share of time_limit_s, or the
# model build's seconds when more, before the deadline (seed 12 at load 10: 3-11 s; the dive
# ran to the deadline and the quick plan came 14 s after it). Small: a dive cut short gives a
# plan far worse than the dive's (the sample: 1.23 x the LP against 1.006)
ROUNDED_UP_RESERVE_SHARE = 0.05
# the rounded pay bound's LP re-solves (one per channel, warm from the LP's basis) may take this
# share of time_limit_s at most (family seed 24: 0.1 s in all)
PAY_BOUND_SHARE = 0.03
# the crossover from the LP's interior point (crossover_basis) is tried only with this many seconds
# left before the dive's deadline (seed 12 quiet: 0.9 s)
CROSSOVER_LEAST_S = 0.5


def crossover_basis(model: ShiftModel, *, deadline: float, progress: Progress) -> bool:
    """A basis for the dive from the LP relaxation's interior point (``model.solve`` with
    ``crossover=False``, optimal): HiGHS's crossover (``Highs.crossover``) from that point,
    stopped at ``deadline`` (a ``time.perf_counter()`` value). True when the instance then
    holds an optimal basis; False leaves it with no solver state (its columns' values as the
    interior point had them are in ``model.prob``'s variables), and the caller rounds the
    interior point instead of diving.

    Family seed 12 (24,360 columns, 7,634 rows) at load 1.5: the interior point 10.3 s, then
    this crossover 0.9 s, where IPX's own crossover took 6.5 s more (16.8 s in all): on a
    loaded machine that difference is whether the LP finishes in a 60 s limit at all."""
    h = model.prob.solverModel
    left = deadline - time.perf_counter()
    if left < CROSSOVER_LEAST_S:
        progress(f"no time for the crossover ({left:.1f} s left before the dive's deadline)")
        h.clearSolver()
        return False
    started = time.perf_counter()
    h.setOptionValue("time_limit", h.getRunTime() + left)  # HiGHS's clock counts from its first run
    try:
        h.crossover(h.getSolution())
    finally:
        h.setOptionValue("time_limit", highspy.kHighsInf)
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getBasis().valid
    progress(f"crossover {'done' if ok else 'stopped'} in {time.perf_counter() - started:.1f} s")
    if not ok and h.getBasis().valid and deadline - time.perf_counter() > 0:
        # HiGHS's crossover can end "Unknown" (a warning) with a valid basis it has not proved
        # optimal: family seed 31 at once, every run, so its dive never ran and its first plan
        # was the LP's tours rounded up (8.8 % above the bound); the primal simplex from that
        # basis proves it (seed 31: 1,399 iterations, 0.2 s)
        _status, solver = h.getOptionValue("solver")
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("time_limit", h.getRunTime() + (deadline - time.perf_counter()))
        try:
            h.run()
        finally:
            h.setOptionValue("solver", solver)
            h.setOptionValue("time_limit", highspy.kHighsInf)
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getBasis().valid
        progress(f"simplex from the crossover's basis: {'optimal' if ok else 'stopped'} "
                 f"({time.perf_counter() - started:.1f} s in all)")
    model.seconds += time.perf_counter() - started
    if not ok:
        h.clearSolver()
    return ok


# a warm start (plan_shifts_from, the base's requirements) more than this above the LP bound
# gets the LP rounding too (the cheaper plan is kept): on the bundled sample the base plan's
# tours topped up for "pay rise 8%" completed at 1.25 % above the LP (its dive: about 2.2 %)
WARM_START_GAP = 0.03

# the portfolio (processes >= 2) starts its second process only when at least this much of a
# core stood idle since plan_shifts began (scheduling.cpu_idle): on 2 cores taken by other work
# the second process slows the search instead (family seed 25 at load 2.4-4.8: 1.0208 x the bound
# with it, 1.0145 without). Idle is measured over at least IDLE_WINDOW_S.
CONCURRENT_IDLE_CORES = 0.5
IDLE_WINDOW_S = 0.2


def plan_shifts(
    requirements: pd.DataFrame,
    rules: RuleSet,
    *,
    caps: HeadcountCaps | None = None,
    progress: Progress | None = None,
    targets: Mapping[str, ServiceTarget] | None = None,
    start: WarmStart | None = None,
    processes: int = 1,
) -> ShiftPlan:
    """Solve the weekly shift plan for a Requirements frame (docs/architecture.md section 3).

    ``targets``: channel -> :class:`~scheduling.requirements.ServiceTarget` (staffing.toml); a
    channel whose ``service_goal`` is "daily" or "weekly" is planned on its goal (answered
    within T over the day or the week, and ``min_interval_sl`` in every open interval:
    :mod:`scheduling.shifts.formulation.service_goal`) instead of every interval's
    ``required_agents``; the requirements must then carry ``volume`` and ``aht_s``. Without
    targets, or with "interval" goals, every interval's requirement is covered (as before).

    ``progress`` (:class:`wfm_progress.Progress`) is told each step in words, ``share`` None (the
    solve stops on a gap or its time limit, not after a known amount of work).

    ``start``: another plan's tours to begin from instead of the LP rounding (see
    :func:`plan_shifts_from`).

    ``processes``: how many processes this solve may keep busy at once, decided by the caller,
    which knows what else runs beside it. 1 (the default: plans solved side by side, or a
    one-core machine): one solver process at a time. 2 or more (one plan alone on a machine
    with two cores or more): the improvement runs HiGHS branch and bound on the whole model in
    a second process beside the neighbourhood search (:mod:`scheduling.shifts.improve`, the
    portfolio: HiGHS on two threads, as HiGHS alone runs on two cores, with the neighbourhoods'
    child at a lower priority on what those threads leave), begun right after the LP
    relaxation, without a start, and handed the first plan and each better one; so the plan is
    never worse than what that branch and bound finds from the LP to the improvement's end (not
    HiGHS alone's plan: on a hard week both turn on luck, family seed 25 ended at its proven
    optimum in 4 of 12 runs and 0.4-0.5 % above it in the others, HiGHS alone 0.1-0.9 % above
    it over three random seeds); it never keeps more than two busy at normal priority. The
    second process starts only when at least
    ``CONCURRENT_IDLE_CORES`` of a core stood idle since the solve began (:func:`_core_idle`):
    on a machine other work keeps busy it would slow the search instead. A week with a daily or weekly goal
    (:mod:`scheduling.shifts.goal_plan`) is planned with one.

    Raises ``ValueError`` naming a channel no template serves, :class:`InfeasibleError`
    when ``rules.coverage == "hard"`` cannot be met, :class:`SolveError` when the solver
    returns no solution.
    """
    say, clock = progress or quiet, time.perf_counter()
    if processes < 1:
        raise ValueError(f"plan_shifts: processes={processes!r}; give 1 (one solver process) or more")
    cpu_at_start = cpu_times() if processes >= 2 else None
    week = _week(requirements, rules, targets)
    if week.goals and highspy is not None and start is None:  # the interval-goal plan, then the goal model (goal_plan)
        return goal_plan.plan_goal_week(week.requirements, rules, caps=caps, targets=targets or {}, goals=week.goals,
                                        grid=week.grid, progress=say, started=clock)
    s = _build(week, rules, caps=caps, progress=say, clock=clock)
    s.processes, s.cpu_at_start = processes, cpu_at_start
    try:
        _solve_relaxation(s)
        if s.highs_rounding:
            _first_complete_plan(s, start)
            if s.x is not None:
                _improve_plan(s)
    finally:  # the portfolio's branch and bound never outlives the call (improve ends it too)
        if s.concurrent is not None:
            s.concurrent.close()
    if s.status is None and s.lp_solved:  # no plan from the roundings (or no HiGHS)
        _branch_and_bound(s)
    if s.status == "Infeasible" and rules.coverage == "hard":
        raise s.infeasible()
    if s.status not in ("Optimal", "Feasible"):
        raise SolveError(f"tried {', then '.join(s.tried)}: no integer plan (solver status {s.status}) after "
                         f"{time.perf_counter() - s.clock:.1f} s of the {rules.time_limit_s:g} s time limit "
                         "(rules.toml time_limit_s)")
    s.say("reading solution")
    plan = s.model.result(s.status, s.objective, s.lp_objective, s.mip_bound, improvements=tuple(s.log))
    plan = dataclasses.replace(plan, solve_seconds=time.perf_counter() - s.clock)  # all of it, not only the solver's
    _warn_about(plan, s)
    return plan


def _branch_and_bound(s: _Solve) -> None:
    """No plan from the roundings (or no HiGHS): branch and bound on the whole model for the time left."""
    remaining = max(1.0, s.deadline - time.perf_counter())
    s.say("solving integer model")
    s.tried.append(f"branch and bound ({remaining:.0f} s)")
    s.model.set_activities_integer()
    s.status, s.objective, s.mip_bound = s.model.solve(mip=True, time_limit_s=remaining)
    if s.status in ("Optimal", "Feasible"):
        s.log.append(Improvement(time.perf_counter() - s.clock, s.objective,
                                 max(s.lp_objective, s.mip_bound if s.mip_bound is not None else -np.inf),
                                 "branch and bound"))


@dataclasses.dataclass
class _Solve:
    """One :func:`plan_shifts` call's state between its steps: the model and the week, the
    clock (``time.perf_counter()`` at the start), the deadline and the reserves (seconds), the
    LP's outcome, the plan so far (``x``: every column's value, ``objective``, ``status``), the
    steps tried (for the error message) and the improvement log."""

    model: ShiftModel
    rules: RuleSet
    say: Progress
    clock: float
    grid: object
    demands: dict
    caps: HeadcountCaps
    goals: object
    requirements: pd.DataFrame
    deadline: float
    built_s: float
    reserve: float
    highs_rounding: bool
    lp_status: str = ""
    lp_objective: float = float("nan")
    lp_solved: bool = False
    lp_seconds: float = 0.0
    has_basis: bool = False
    lp_tours: np.ndarray | None = None
    pay_bound: object = None
    tried: list = dataclasses.field(default_factory=list)
    log: list = dataclasses.field(default_factory=list)
    status: str | None = None
    objective: float = float("nan")
    mip_bound: float | None = None
    tours: list | None = None  # the spread dives' tours (heuristics.spread_dive): a second rounding follows them
    x: np.ndarray | None = None
    processes: int = 1  # plan_shifts's: 2 or more runs the concurrent branch and bound in the improvement
    cpu_at_start: CpuTimes | None = None  # the machine's processor time when plan_shifts began (processes >= 2)
    concurrent: object = None  # the portfolio's branch and bound (improve.start_concurrent), begun after the LP
    concurrent_asked: bool = False  # whether it was decided after the LP (else the improvement decides)

    def infeasible(self) -> InfeasibleError:
        return explain_infeasible(self.rules, self.grid, self.demands, self.caps, goals=self.goals)


@dataclasses.dataclass(frozen=True)
class _Week:
    """The requirements checked (every channel served), their grid, demands per channel and
    service goals (empty: every interval's requirement is covered)."""

    requirements: pd.DataFrame
    grid: object
    demands: dict
    goals: object


def _week(requirements: pd.DataFrame, rules: RuleSet, targets: Mapping[str, ServiceTarget] | None) -> _Week:
    """The week of ``requirements`` under ``rules``: checked, on its grid, with its goals."""
    requirements = validate_requirements(requirements)
    served = rules.channels()
    unknown = sorted(set(requirements["channel"]) - served)
    if unknown:
        raise RequirementsError(
            f"requirements: channel {unknown[0]!r} is not served by any [[shift]] in the rules "
            f"(served: {sorted(served)})"
        )
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    return _Week(requirements=requirements, grid=grid, demands=channel_demands(requirements, grid),
                 goals=service_goals(requirements, targets, grid))


def _build(week: _Week, rules: RuleSet, *, caps: HeadcountCaps | None, progress: Progress, clock: float) -> _Solve:
    """The exact model of ``week`` built (``clock``: the solve's start, ``time.perf_counter()``);
    the deadline and the reserves from the build's seconds."""
    say, grid, demands, goals = progress, week.grid, week.demands, week.goals
    say("building model")
    model = ShiftModel(rules, grid, demands, caps or HeadcountCaps(), hard=rules.coverage == "hard",
                   integer_activities=False, goals=goals)
    unserved = model.unserved_deferred()
    if unserved:  # a configuration mistake, not a shortfall to price: say so before solving
        raise InfeasibleError("; ".join(unserved), {"shortfalls": [], "binding": unserved})
    # time_limit_s is the wall time of this whole call: the model build above, the LP, the
    # roundings and the improvement all count against it, and GREEDY_RESERVE of it is kept
    # for a plan without the LP, so that a short limit still ends with a rule-abiding plan
    deadline = clock + rules.time_limit_s
    model.deadline = deadline
    # the reserves scale with the machine's speed too: the model build's seconds (the sample:
    # 1.4 s quiet, 8.4-9.4 s at load 13-15, where its greedy plan took 1.7 s and 3.5-6.6 s,
    # and the LP returned up to 3.7 s past its HiGHS limit: an interior-point iteration and
    # PuLP reading 30,000 values back), 1.5 x for the LP's
    built_s = time.perf_counter() - clock
    reserve = min(0.5 * rules.time_limit_s, max(GREEDY_RESERVE_SHARE * rules.time_limit_s, 1.5 * built_s))
    highs_rounding = model.solver_name in ("", "HiGHS") and highspy is not None
    return _Solve(model=model, rules=rules, say=say, clock=clock, grid=grid, demands=demands,
                  caps=caps or HeadcountCaps(), goals=goals, requirements=week.requirements, deadline=deadline,
                  built_s=built_s, reserve=reserve, highs_rounding=highs_rounding)


def _dive_deadline(s: _Solve) -> float:
    """When the dive must end: the quick plans' reserve (``ROUNDED_UP_RESERVE_SHARE`` of the
    limit, or the build's seconds when more, at most half the limit) before the deadline."""
    return s.deadline - min(0.5 * s.rules.time_limit_s, max(ROUNDED_UP_RESERVE_SHARE * s.rules.time_limit_s,
                                                            s.built_s))


def _solve_relaxation(s: _Solve) -> None:
    """The LP relaxation (the proven bound), the crossover for the dive's basis, the
    infeasibility checks, the LP's tours and the rounded pay bound: ``s.lp_*``, ``s.has_basis``,
    ``s.pay_bound`` (0 the bound when the LP did not finish)."""
    model, rules, say = s.model, s.rules, s.say
    say("solving LP relaxation")
    # with HiGHS: interior point without IPX's crossover (the bound and an interior point),
    # then HiGHS's crossover from that point when the dive needs a basis (crossover_basis); the
    # spread dive rounds another model, so there this LP gives the bound only
    lp_status, lp_objective, _ = model.solve(
        mip=False, time_limit_s=max(0.1, s.deadline - s.reserve - time.perf_counter()) if s.highs_rounding else None,
        crossover=not s.highs_rounding)
    if s.highs_rounding and lp_status == "Optimal" and s.processes >= 2 and model.solver_name == "HiGHS":
        _begin_concurrent(s)
    if s.highs_rounding and lp_status not in ("Optimal", "Infeasible") and "time limit" not in lp_status.lower():
        # the interior point without crossover may end "Unknown" where the model is infeasible
        # (a daily goal no plan reaches, hard coverage): with the crossover HiGHS says which
        lp_status, lp_objective, _ = model.solve(
            mip=False, time_limit_s=max(0.1, s.deadline - s.reserve - time.perf_counter()), crossover=True)
    has_basis = not s.highs_rounding  # CBC (no rounding): the flag is not read
    interior_tours = None  # the interior point's tours, kept in case the crossover stops
    if s.highs_rounding and lp_status == "Optimal":
        interior_tours = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()].copy()
    if s.highs_rounding and lp_status == "Optimal" and not heuristics.uses_spread_dive(model):
        has_basis = crossover_basis(model, deadline=_dive_deadline(s), progress=say)
        if has_basis:
            # the vertex's value: the interior point's primal value may sit a hair above the
            # optimum (tolerances: 4802.4035035 for a plan of 4802.4034995 in the CLI test),
            # and the bound must never exceed a plan's cost
            vertex = model.prob.solverModel.getInfo().objective_function_value + float(model.prob.objective.constant or 0.0)
            lp_objective = min(lp_objective, vertex)
    _check_feasible(s, lp_status)
    lp_solved = lp_status == "Optimal"
    if not lp_solved and not (s.highs_rounding and model.solver_name == "HiGHS" and "time limit" in lp_status.lower()):
        raise SolveError(f"tried the LP relaxation: it ended with solver status {lp_status} "
                         f"(time limit {rules.time_limit_s:g} s, rules.toml time_limit_s)")
    if s.highs_rounding:
        model.prob.solverModel.setOptionValue("run_crossover", "on")
    s.lp_status, s.lp_solved, s.has_basis = lp_status, lp_solved, has_basis
    s.lp_seconds = time.perf_counter() - s.clock
    if s.highs_rounding and lp_solved:  # the vertex's when the crossover gave one (sparser to round up)
        s.lp_tours = (np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()].copy()
                      if has_basis else interior_tours)
    if s.highs_rounding and lp_solved:  # the LP bound rounded up to whole agents' pay per channel (pay_bound.py)
        s.pay_bound = rounded_pay_bound(model, lp_objective=lp_objective,
                                        deadline=min(s.deadline - s.reserve,
                                                     time.perf_counter() + PAY_BOUND_SHARE * rules.time_limit_s))
        if s.pay_bound is not None and s.pay_bound.bound > lp_objective + EPS:
            say(f"bound {s.pay_bound.bound:,.1f} from whole agents' pay per channel (LP {lp_objective:,.1f})")
    if not lp_solved:
        # no LP bound in the time: every term of the objective (pay, shortfall and over-coverage
        # prices, late work) is non-negative, so 0 is the proven bound, and the gap says so
        lp_objective = 0.0
        say(f"the LP relaxation did not finish in {s.lp_seconds:.1f} s of the {rules.time_limit_s:g} s time limit; "
            "a greedy plan instead")
    s.lp_objective = model.lp_objective = lp_objective
    s.tried.append("the LP relaxation" + ("" if lp_solved else f" (stopped at the time limit after {s.lp_seconds:.1f} s)"))


def _check_feasible(s: _Solve, lp_status: str) -> None:
    """Raise the explanation when hard coverage is infeasible, or a daily/weekly goal is out of
    reach of even the LP relaxation (soft coverage: short by price or by the rules?)."""
    if s.rules.coverage == "hard" and lp_status == "Infeasible":
        raise s.infeasible()
    if s.rules.coverage == "hard" and lp_status == "Optimal" and goal_short(s.model.goal_rows) > EPS:
        # even the LP relaxation misses a daily/weekly goal: no plan can reach it
        raise s.infeasible()
    if lp_status == "Optimal" and goal_short(s.model.goal_rows) > EPS:
        # soft coverage: short by price or by the rules? the elastic LP (the goal first) says
        raise_unreachable_goal(s.infeasible())


def _first_complete_plan(s: _Solve, start: WarmStart | None) -> None:
    """The first complete plan: a warm start's tours repaired, else the LP rounding (dive,
    drop, completion); when that runs out of time the LP's tours rounded up, then the greedy
    plan. Sets ``s.x``, ``s.objective``,
    ``s.status``, ``s.tours`` (the dive's, for a second rounding) and logs the plan."""
    model, say = s.model, s.say
    first_method = "LP rounding"
    if start is not None:  # plan_shifts_from: the start's tours repaired, no dive
        same = start.requirements == warm.requirements_digest(s.requirements)
        s.x, s.objective, s.status, first_method = _warm_first_plan(model, start, s.tried, progress=say, same=same,
                                                                    lp_solved=s.lp_solved)
    if s.lp_solved and s.x is None and not s.has_basis and not heuristics.uses_spread_dive(model):
        say("no basis for the dive in the time (crossover); the LP's tours rounded instead")
    elif s.lp_solved and s.x is None:
        s.tried.append("LP rounding (dive, drop, completion)")
        # the rounding may take the time left but the quick plan's reserve; when it runs
        # out, the quick plans below
        model.dive_deadline = _dive_deadline(s)
        try:
            s.tours = heuristics.spread_dive(model, progress=say)
            say("placing breaks, lunches and blended work")
            s.status, s.objective, s.mip_bound = heuristics.round_lp(model, progress=say, candidates=s.tours)
            s.x = model.incumbent.copy()
        except SolveError as exc:
            say(f"LP rounding stopped ({exc}); a greedy plan instead")
        finally:
            model.dive_deadline = float("inf")
    if s.x is None and s.lp_tours is not None:
        s.tried.append("the LP's tours rounded (up; down and topped up), surplus dropped")
        first = heuristics.rounded_up_plan(model, s.lp_tours, progress=say)
        s.tours = None
        if first is not None:
            (s.x, s.objective), first_method, s.status = first, "LP rounded up", "Feasible"
    if s.x is None:
        s.tried.append("a greedy plan (tours by uncovered requirement per cost, completed)")
        first_method = "greedy"
        first = heuristics.greedy_plan(model, progress=say)
        s.tours = None
        if first is not None:
            (s.x, s.objective), s.status = first, "Feasible"
    if s.x is not None:
        bound = _bound(s)
        if s.concurrent is not None:  # it prunes with it
            s.concurrent.offer(s.x)
        s.log.append(Improvement(time.perf_counter() - s.clock, s.objective, bound, f"first complete plan ({first_method})"))
        say(f"incumbent {s.objective:,.1f}, bound {bound:,.1f}, gap {gap(s.objective, bound):.2%} (first complete plan)")


def _bound(s: _Solve) -> float:
    """The best proven bound before the improvement: the LP's, or the rounded pay bound."""
    return max(s.lp_objective, s.pay_bound.bound if s.pay_bound is not None else -np.inf)


def _improve_plan(s: _Solve) -> None:
    """A second rounding of the exact model when the first plan's tours came from the spread
    model and time allows, then the improvement (:func:`~scheduling.shifts.improve.improve`)
    until ``gap_rel`` or the improvement's end; the plan's columns loaded, ``s.mip_bound`` and
    ``s.status`` from the final gap."""
    model, rules, say, clock = s.model, s.rules, s.say, s.clock
    bound = _bound(s)
    early = time.perf_counter() - clock < EXACT_ROUNDING_BEFORE * rules.time_limit_s
    far = gap(s.objective, bound) > EXACT_ROUNDING_GAP
    share = 0.7 if early else EXACT_ROUNDING_LATE_DEADLINE
    exact_lp_s = heuristics.EXACT_LP_SHARE * rules.time_limit_s
    wanted = (s.tours is not None and gap(s.objective, bound) > rules.gap_rel + EPS and (early or far)
              and time.perf_counter() - clock < share * rules.time_limit_s)
    if wanted and s.lp_seconds > EXACT_ROUNDING_LP_SHARE * exact_lp_s:
        say(f"no rounding of the exact model: the LP relaxation took {s.lp_seconds:.1f} s, and the exact "
            f"model's LP from scratch may take {exact_lp_s:.1f} s")
    elif wanted:
        # the tours came from the spread-break model: round the exact model too (its dive
        # must end within 70 % of the time, or 90 % when the first plan is far off), and
        # keep the better plan
        say("rounding the exact model")
        s.tried.append("LP rounding on the exact model")
        second = heuristics.exact_rounding(model, progress=say, deadline=clock + share * rules.time_limit_s)
        if second is not None and second[1] < s.objective - EPS:
            s.x, s.objective = second
            if s.concurrent is not None:
                s.concurrent.offer(s.x)
            s.log.append(Improvement(time.perf_counter() - clock, s.objective, bound, "LP rounding on the exact model"))
            say(f"incumbent {s.objective:,.1f}, bound {bound:,.1f}, gap {gap(s.objective, bound):.2%} "
                "(LP rounding on the exact model)")
    if gap(s.objective, bound) > rules.gap_rel + EPS and s.deadline - time.perf_counter() > 1.0:
        say("improving the plan (large-neighbourhood search)")
        s.tried.append("large-neighbourhood search")
        concurrent = s.concurrent if s.concurrent_asked else s.processes >= 2 and _core_idle(s)
        s.concurrent = None  # improve takes it over and ends it
        s.x, s.objective, bound = improve(model, s.x, s.objective, bound=bound,
                                          deadline_s=rules.time_limit_s - _finish_s(s),
                                          started=clock, progress=say, log=s.log,
                                          branch_and_bound=model.n_integers <= heuristics.EXACT_MAX_INTEGERS,
                                          concurrent=concurrent or False)
    for var in model.prob.variables():
        var.varValue = float(s.x[var.index])
    if bound > s.lp_objective + EPS:
        s.mip_bound = bound
    s.status = "Optimal" if gap(s.objective, bound) <= rules.gap_rel + EPS else "Feasible"


def _finish_s(s: _Solve) -> float:
    """Seconds the improvement leaves before the deadline: loading its plan and reading the
    solution take a second or two on a loaded machine (seed 12 at load 11: 1.7 s)."""
    limit = s.rules.time_limit_s
    return min(0.05 * limit, max(0.02 * limit, 0.2 * s.built_s))


def _begin_concurrent(s: _Solve) -> None:
    """The portfolio's branch and bound begun right after the LP relaxation, on a copy of the
    exact model without a start (HiGHS from scratch, as HiGHS alone runs), for the whole time
    to the improvement's end; the first plan and each better one are offered to it as they
    come. Only when a core stood idle since the solve began (:func:`_core_idle`)."""
    s.concurrent_asked = True
    if _core_idle(s):
        s.concurrent = start_concurrent(s.model, progress=s.say,
                                        time_limit_s=s.clock + s.rules.time_limit_s - _finish_s(s) - time.perf_counter())


def _core_idle(s: _Solve) -> bool:
    """True when at least ``CONCURRENT_IDLE_CORES`` of a core stood idle on this machine since
    :func:`plan_shifts` began (``/proc/stat``, :mod:`scheduling.cpu_idle`; over at least
    ``IDLE_WINDOW_S``), or when that cannot be read: the portfolio's second process then runs on
    time nobody else wanted. Else the progress says why it does not start."""
    before = s.cpu_at_start
    if before is None:
        return True
    wait_s = IDLE_WINDOW_S - (time.perf_counter() - before.taken_at)
    if wait_s > 0:  # a small model reaches its improvement in a few ticks of the kernel's clock
        time.sleep(wait_s)
    after = cpu_times()
    idle = idle_cores(before, after) if after is not None else None
    if idle is None or idle >= CONCURRENT_IDLE_CORES:
        return True
    s.say(f"no concurrent branch and bound: {idle:.2f} of {after.cores} cores idle since the solve began "
          f"(at least {CONCURRENT_IDLE_CORES:g} wanted); the neighbourhood search keeps the core it has")
    return False


def _warn_about(plan: ShiftPlan, s: _Solve) -> None:
    """The plan's warnings: intervals no shift can cover, daily/weekly goals short, no LP in
    the time (a greedy plan, bound 0), or the time limit spent with the gap above ``gap_rel``."""
    rules = s.rules
    for channel, intervals in plan.unreachable.items():
        runs = interval_runs(list(intervals), s.grid)
        hours = float(s.demands[channel].required[list(intervals)].sum()) * s.grid.interval_minutes / 60
        warnings.warn(f"no [[shift]] serving {channel} is on duty in {len(intervals)} interval(s) with a requirement "
                      f"({', '.join(runs[:4])}{', ...' if len(runs) > 4 else ''}): {hours:,.1f} agent-hours stay "
                      "uncovered whatever the plan; widen a shift's start times or add one to cover them",
                      stacklevel=3)
    if plan.service_goals is not None:
        for row in plan.service_goals[plan.service_goals["short_contacts"] > 1e-6].itertuples():
            warnings.warn(f"{row.channel} {row.goal} goal, {row.period}: the rules reach a service level of "
                          f"{row.service_level:.3f}, short of target_sl {row.target_sl:g} by {row.short_contacts:,.1f} "
                          "contacts answered in time (headcount caps or shift windows); priced as under-coverage",
                          stacklevel=3)
    if not s.lp_solved:
        warnings.warn(f"time_limit_s={rules.time_limit_s:g} spent: the LP relaxation did not finish in "
                      f"{s.lp_seconds:.1f} s, so the plan is a greedy one and its only proven lower bound is 0 (gap "
                      f"{plan.gap:.2%}); a longer time_limit_s gives the LP bound and a rounded plan",
                      stacklevel=3)
    elif plan.gap > rules.gap_rel + EPS:
        warnings.warn(f"time_limit_s={rules.time_limit_s:g} spent: the shift plan is {plan.gap:.2%} above its proven "
                      f"lower bound (gap_rel={rules.gap_rel:g}); a longer time_limit_s may find a cheaper plan",
                      stacklevel=3)


def plan_shifts_from(
    requirements: pd.DataFrame,
    rules: RuleSet,
    start: WarmStart,
    *,
    caps: HeadcountCaps | None = None,
    progress: Progress | None = None,
    targets: Mapping[str, ServiceTarget] | None = None,
    processes: int = 1,
) -> ShiftPlan:
    """:func:`plan_shifts` warm-started from another plan's tours (``start``, e.g.
    ``WarmStart.of(base_plan.tours)`` for a budget scenario of that base).

    The LP relaxation is solved as in :func:`plan_shifts` (the proven bound of this model).
    When ``start`` was planned for the same requirements (``WarmStart.of(tours,
    requirements=...)``: a scenario changing prices, caps or templates), the first complete
    plan is ``start``'s tours repaired for these rules and caps
    (:func:`scheduling.shifts.warm.first_plan`: as they are, or topped up, broken headcount
    rows mended, completed with activities and blending; the cheapest) in place of the LP
    rounding (spread dive, drop, exact rounding: 30 s of the sample's 43 s to a first plan),
    and the improvement has the rest of ``time_limit_s``; when that plan is more than
    ``WARM_START_GAP`` above the LP bound, or none completes, the LP rounding runs too and the
    cheaper plan is kept. For other requirements (volume, handle time, targets, shrinkage) the
    plan is :func:`plan_shifts`'s: the base's tours repaired were far worse than the rounding
    on the sample (:func:`_warm_first_plan`). Every accepted plan keeps every rule; the plan
    is never worse than the first plan it began from. Same arguments, errors and warnings as
    :func:`plan_shifts`."""
    return plan_shifts(requirements, rules, caps=caps, progress=progress, targets=targets, start=start,
                       processes=processes)


def _warm_first_plan(model: ShiftModel, start: WarmStart, tried: list[str], *, progress: Progress,
                     same: bool, lp_solved: bool) -> tuple[np.ndarray | None, float, str | None, str]:
    """:func:`plan_shifts`'s hook for a warm start: (column values or None, objective, status,
    method). ``same``: the start was planned for these requirements (a price, cap or template
    change): the repaired start (:func:`scheduling.shifts.warm.first_plan`), and when it is
    more than ``WARM_START_GAP`` above the LP bound the LP rounding too (the spread dive, or the
    exact model's), the cheaper plan; when neither completes, the greedy plan. Other
    requirements: None, and :func:`plan_shifts` rounds
    the LP as without a start (on the sample's "volume +10%" the base plan's tours repaired
    five ways completed 6-16 % above the LP bound, its dive 2-3 %). When the LP did not finish
    (``lp_solved`` False: no rounding, only the greedy plan), the repaired start for any
    requirements (on "volume +10%" 120,885 topped up with blending agents, the greedy plan
    175,103), else None and :func:`plan_shifts`'s greedy plan."""
    if not lp_solved:
        tried.append(f"{start.label}'s tours repaired (warm start)")
        first = warm.first_plan(model, start, progress=progress)
        if first is None:
            return None, float("nan"), None, "greedy"
        _keep_met_floors(model, first)
        return first[0], first[1], "Feasible", f"warm start from {start.label} (no LP in the time)"
    if not same or not (start.tours or start.never_more):  # (no tours: a goal plan without its interval-goal plan)
        progress(f"the requirements differ from {start.label}'s: LP rounding, not its tours" if start.tours
                 else f"{start.label}: LP rounding")
        return None, float("nan"), None, "LP rounding"
    tried.append(f"{start.label}'s tours repaired (warm start)")
    first, method = warm.first_plan(model, start, progress=progress), f"warm start from {start.label}"
    if first is not None:
        progress(f"warm start {first[1]:,.1f}, LP bound {model.lp_objective:,.1f}, "
                 f"gap {gap(first[1], model.lp_objective):.2%}")
        if gap(first[1], model.lp_objective) <= WARM_START_GAP:
            _keep_met_floors(model, first)
            return first[0], first[1], "Feasible", method
    limit = model.rules.time_limit_s
    model.dive_deadline = model.deadline - max(ROUNDED_UP_RESERVE_SHARE * limit, GREEDY_RESERVE_SHARE * limit)
    cap_before = getattr(model, "paid_cap", None)  # (row, paid hours) of goal_plan.cap_paid_hours
    rounded = None
    try:
        tried.append("LP rounding")
        tours = heuristics.spread_dive(model, progress=progress)
        if tours is not None:
            progress("placing breaks, lunches and blended work")
            _status, objective, _ = heuristics.round_lp(model, progress=progress, candidates=tours)
            rounded = (model.incumbent.copy(), objective)
        else:
            rounded = heuristics.exact_rounding(model, progress=progress, deadline=model.dive_deadline)
    except SolveError as exc:
        progress(f"LP rounding stopped ({exc})")
    finally:
        model.dive_deadline = float("inf")
    if rounded is not None and model.goal_rows:  # floors the completion's breaks broke, held again; goals too
        rounded = goal_plan.repair_goals(model, goal_plan.repair_floors(model, rounded, progress=progress),
                                         progress=progress)
    kept_rounding = rounded is not None and (first is None or rounded[1] < first[1] - EPS)
    if kept_rounding:
        first, method = rounded, "LP rounding (the warm start was worse)"
    if cap_before is not None:  # the repairs raised it for their candidates: the cap is the kept plan's
        _cap_for_kept(model, cap_before[1], rounded if kept_rounding else None)
    if first is None:  # the instance's LP state is spent: the greedy plan, not plan_shifts's rounding again
        tried.append("a greedy plan (tours by uncovered requirement per cost, completed)")
        first, method = heuristics.greedy_plan(model, progress=progress), "greedy"
    if first is None:
        return None, float("nan"), None, "LP rounding"
    _keep_met_floors(model, first)
    model.incumbent = first[0].copy()
    for var in model.prob.variables():
        var.varValue = float(first[0][var.index])
    return first[0], first[1], "Feasible", method


def _cap_for_kept(model: ShiftModel, hours_before: float, rounded: tuple[np.ndarray, float] | None) -> None:
    """The paid-hours cap (:func:`scheduling.shifts.goal_plan.cap_paid_hours`) after the LP
    rounding: the floor and goal repairs raised it for each candidate they repaired (the dive's,
    the rounded-up LP's); it goes back to ``hours_before`` (the warm start kept), or to the
    kept rounding's paid hours when those are more (``rounded``)."""
    hours = hours_before
    if rounded is not None:
        tours = np.round(rounded[0][model.tour_columns()])
        hours = max(hours, float(goal_plan.paid_hours_per_tour(model) @ tours))
    goal_plan.raise_paid_cap(model, hours - model.paid_cap[1])


def _keep_met_floors(model: ShiftModel, first: tuple[np.ndarray, float]) -> None:
    """Daily/weekly goals: every ``min_interval_sl`` floor the first plan meets stays met from
    here on (:func:`scheduling.shifts.goal_plan.keep_met_floors`). Held on the plan kept, not on
    the warm start before the LP rounding: the rounding's tours are completed with their own
    floors (and :func:`~scheduling.shifts.goal_plan.repair_floors`), where the warm start's met
    floors made the completion infeasible (the bundled sample's weekly goal, 2026-11-30: the
    dive's 161 tours, 4,140 paid hours under the cap of 4,344, completed only with the floors
    free, so the stage kept its warm start 24.9 % above the bound)."""
    if model.goal_rows:
        goal_plan.keep_met_floors(model, first[0])

"""Weekly shift plan by integer programming (PuLP, HiGHS by default, CBC as fallback).

Formulation (one week grid, see :mod:`scheduling.coverage`):

* **Tours.** An integer variable per (template, channel, start time, work pattern)
  counts agents who work that template at that same start on every work day of the
  pattern. Patterns come from :func:`scheduling.rules.day_patterns`, so days per week,
  consecutive days off and maximum consecutive days hold by construction, and stable
  starts make the minimum rest hold whenever ``length + rest <= 24 h`` (validated).
* **Activities.** Explicit placement: per shift group (template, channel, day, start)
  and activity, an integer variable per allowed offset; they add up to the number of
  shifts in the group, and coverage is counted net of them. Activities are identified by
  their place in the template (several may share a kind); when two windows overlap,
  ordering rows (:func:`_ordering_rows`) let every agent take them one after another.
* **Coverage.** Immediate channels: net agents on duty >= ``required_agents`` (hard) or
  plus an under-coverage variable priced at ``under_penalty`` per agent-hour (soft).
  Deferred channels: FIFO backlog ``b[i] = b[i-1] + work[i] - done[i]`` with
  ``done[i] <= interval_minutes * net[i]`` and ``b[i]`` no larger than the work that is
  not yet due, so e-mail is worked in the valleys of voice; the week wraps (steady
  state) unless ``wrap_week = false``.
* **Objective.** Paid cost (tours x days x paid hours x hourly cost) + penalties; a
  small ``over_penalty`` per agent-hour above requirement.

* **Blending.** Agents on an immediate-channel shift whose template also lists a deferred
  channel may work it in intervals where they are not needed (integer agents per interval).

* **Headcount.** With a named agent list, the agents are pooled (contract, skills,
  workdays, hours); a tour no pool can take is not offered, and Hall's condition holds for
  every connected set of pools (written on one pooled column per "pools able to take it"
  set), so every planned tour finds an agent.

Solving: the LP relaxation is the reported lower bound. Tours are rounded in the
*spread-break* model, where each break and lunch is taken in equal shares over its window
(no placement columns, so its LP re-solves are cheap): a dive (fix floors, round the largest
fractions up, warm re-solve), then shifts are dropped while each removal saves at least
``DROP_KEEP_SHARE`` of its cost. Those tours are completed in the full model: activities
rounded and spread where agents are spare, blended agents by carried rounding and a short
MIP. Hard coverage dives in the full model and falls back to a placement MIP when the
rounding places no plan; small models not yet within ``gap_rel`` of the bound then get
branch and bound for the time left, and the better plan is kept. Without HiGHS, CBC solves
the MIP directly.

Example::

    >>> plan = plan_shifts(requirements, rules)            # doctest: +SKIP
    >>> plan.status, round(plan.cost), plan.gap < 0.03     # doctest: +SKIP
    ('Optimal', 23000, True)
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

try:
    import highspy
except ImportError:  # CBC fallback
    highspy = None

from scheduling.coverage import (
    DEFERRED_CHANNELS,
    ChannelDemand,
    WeekGrid,
    channel_demands,
    validate_requirements,
    week_grid,
)
from scheduling.improve import Improvement, improve
from scheduling.rules import WEEKDAYS, Activity, RuleSet, ShiftTemplate, activity_order, day_patterns
from scheduling.solvers import lp_solver

_EPS = 1e-6
DIVE_SHARE = 0.03  # share of the fractional tours rounded up per dive step
DIVE_FINE_STEPS = 10  # steps at that share; 4x after
BLEND_MIP_SECONDS = 5.0  # integer blending with the tours and activities fixed
DROP_KEEP_SHARE = 0.75  # a shift is dropped only when that saves this share of its cost in the LP (sample scenarios: 0.75 beat 0.5 and 0.9)
EXACT_ROUNDING_BEFORE = 0.4  # share of time_limit_s before which a large model's spread rounding gets a second, exact one
MIR_MIN_SHARE = 0.05  # soft coverage: rounding rows for requirements whose fraction is at least this (coefficients <= 20)
EXACT_MAX_INTEGERS = 3000  # larger models are solved by LP rounding (dive) instead of branch and bound
MAX_HALL_ROWS = 2048  # pool sets per contract given a cap row; beyond, the re-plan loop catches what is left


class InfeasibleError(ValueError):
    """Hard coverage cannot be met; ``.explanation`` lists the shortfalls and the binding rules."""

    def __init__(self, message: str, explanation: dict):
        super().__init__(message)
        self.explanation = explanation


class SolveError(RuntimeError):
    """The solver stopped without a usable solution (e.g. time limit before any solution)."""


class BoundError(RuntimeError):
    """A plan cheaper than its proven lower bound: a bug in the model or the solve, never a result."""


@dataclass(frozen=True)
class AgentPool:
    """``count`` agents alike for the plan: contract, skills, days of the planned week they
    can work (0 = its first day) and the paid hours a week they may be given.
    ``day_names`` names those days for messages (``WEEKDAYS`` for a week starting Monday)."""

    contract: str
    channels: frozenset[str]
    workdays: frozenset[int]
    count: int
    min_hours: float | None = None
    max_hours: float | None = None
    day_names: tuple[str, ...] = WEEKDAYS

    def can_take(self, contract: str, channel: str, days: list[int], paid_hours: float) -> bool:
        return (contract == self.contract and channel in self.channels and self.workdays.issuperset(days)
                and (self.min_hours is None or paid_hours >= self.min_hours - 1e-9)
                and (self.max_hours is None or paid_hours <= self.max_hours + 1e-9))

    def label(self) -> str:
        off = [self.day_names[d] for d in range(7) if d not in self.workdays]
        return "|".join(sorted(self.channels)) + (f" off {','.join(off)}" if off else "")


@dataclass(frozen=True)
class HeadcountCaps:
    """Upper bounds on tours from a known agent pool.

    ``by_contract[contract]`` agents; ``by_contract_channel[(contract, channel)]`` agents
    with that skill; ``by_contract_weekday[(contract, day 0..6 of the planned week)]`` agents
    available that day.

    ``pools``: the agents grouped by what they can take (:class:`AgentPool`). When given, a
    tour no pool can take is not offered, and Hall's condition holds for every connected set
    of pools: the tours only that set can take are at most its agents. That is exact for
    one tour per agent (every planned tour then finds an agent), which the aggregated caps
    above are not when skills overlap or combine with days off and hours.
    """

    by_contract: Mapping[str, int] = field(default_factory=dict)
    by_contract_channel: Mapping[tuple[str, str], int] = field(default_factory=dict)
    by_contract_weekday: Mapping[tuple[str, int], int] = field(default_factory=dict)
    pools: tuple[AgentPool, ...] = ()


@dataclass(frozen=True)
class ShiftPlan:
    """The solved weekly plan.

    ``tours``: ``template, contract, channel, start_minute, pattern, days, agents,
    paid_hours_per_agent, cost_per_agent, blends`` (one row per tour with agents > 0;
    ``pattern`` like ``"MTWTF.."``; ``blends``: its agents may work the template's deferred
    channels in idle intervals, so they need those skills). ``activities``: ``template,
    channel, day, start_minute, blends, activity_index, activity, offset_minutes,
    length_minutes, count`` (``activity_index``: the activity's place in the template's
    ``activities``, which identifies it; ``activity``: its kind).
    ``blending``: ``interval, channel, work_channel, agents`` - agents on a ``channel`` shift
    working the deferred ``work_channel`` in that grid interval (e-mail in the valleys of
    voice). ``undone_work_minutes``: deferred work a soft plan leaves undone for want of
    capacity (priced as a full day late). ``coverage``: ``interval_start, channel,
    required, scheduled`` (agents, net of activities and blending, read from the rounded
    tours, activities and blending). ``priced_coverage``: ``interval_start, channel,
    scheduled`` - the model's own coverage expressions at the solution (what the objective
    priced); the two agree. Money in the rules' currency; hours in hours.

    ``lower_bound`` is the LP relaxation of the exact model, ``mip_bound`` the dual bound of a
    branch and bound on the whole model (None when none ran), ``bound`` the higher of the two
    (a proven lower bound on the objective) and ``gap = (objective - bound) / objective``, not
    clamped. ``improvements``: the plans found, in order (seconds since the solve started,
    objective, bound then, method); the first is the first complete plan. ``binding_caps``:
    the headcount caps the plan uses to the last agent (``contract 'full_time'
    max_agents=400``, an agent pool's skill or weekday count), the agent pool's limits that
    a plan short of its requirement ran into.
    """

    grid: WeekGrid
    tours: pd.DataFrame
    activities: pd.DataFrame
    blending: pd.DataFrame
    coverage: pd.DataFrame
    status: str
    objective: float
    lower_bound: float
    mip_bound: float | None
    gap: float
    solve_seconds: float
    cost: float
    paid_hours: float
    under_agent_hours: float
    late_work_minutes: float
    solver: str
    demands: dict[str, ChannelDemand]
    undone_work_minutes: float = 0.0
    priced_coverage: pd.DataFrame | None = None
    bound: float = float("nan")
    improvements: tuple[Improvement, ...] = ()
    binding_caps: tuple[str, ...] = ()


def plan_shifts(
    requirements: pd.DataFrame,
    rules: RuleSet,
    *,
    caps: HeadcountCaps | None = None,
    progress: Callable[[str], None] | None = None,
) -> ShiftPlan:
    """Solve the weekly shift plan for a Requirements frame (docs/architecture.md section 3).

    Raises ``ValueError`` naming a channel no template serves, :class:`InfeasibleError`
    when ``rules.coverage == "hard"`` cannot be met, :class:`SolveError` when the solver
    returns no solution.
    """
    say = progress or (lambda _stage: None)
    clock = time.perf_counter()
    requirements = validate_requirements(requirements)
    served = rules.channels()
    unknown = sorted(set(requirements["channel"]) - served)
    if unknown:
        raise ValueError(
            f"requirements: channel {unknown[0]!r} is not served by any [[shift]] in the rules "
            f"(served: {sorted(served)})"
        )
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    demands = channel_demands(requirements, grid)
    say("building model")
    model = _Model(rules, grid, demands, caps or HeadcountCaps(), hard=rules.coverage == "hard",
                   integer_activities=False)
    unserved = model.unserved_deferred()
    if unserved:  # a configuration mistake, not a shortfall to price: say so before solving
        raise InfeasibleError("; ".join(unserved), {"shortfalls": [], "binding": unserved})
    say("solving LP relaxation")
    lp_status, lp_objective, _ = model.solve(mip=False)
    model.lp_objective = lp_objective
    if rules.coverage == "hard" and lp_status == "Infeasible":
        raise _explain_infeasible(rules, grid, demands, caps or HeadcountCaps())
    if lp_status != "Optimal":
        raise SolveError(f"tried the LP relaxation: it ended with solver status {lp_status} "
                         f"(time limit {rules.time_limit_s:g} s, rules.toml time_limit_s)")
    status, objective, mip_bound, tours = None, float("nan"), None, None
    log: list[Improvement] = []
    tried = ["the LP relaxation"]
    if model.solver_name == "HiGHS" and highspy is not None:
        tried.append("LP rounding (dive, drop, completion)")
        try:
            tours = _spread_dive(rules, grid, demands, caps or HeadcountCaps(), model, progress=say)
            say("placing breaks, lunches and blended work")
            status, objective, mip_bound = model.round_lp(progress=say, tours=tours)
        except SolveError as exc:
            say(f"LP rounding failed ({exc}); branch and bound")
        if status is not None:
            bound = lp_objective
            log.append(Improvement(time.perf_counter() - clock, objective, bound, "first complete plan (LP rounding)"))
            say(f"incumbent {objective:,.1f}, bound {bound:,.1f}, gap {_gap(objective, bound):.2%} (first complete plan)")
            x = model.incumbent.copy()
            if (tours is not None and _gap(objective, bound) > rules.gap_rel + _EPS
                    and time.perf_counter() - clock < EXACT_ROUNDING_BEFORE * rules.time_limit_s):
                # the tours came from the spread-break model: round the exact model too (its dive
                # must end within 70 % of the time), and keep the better plan
                say("rounding the exact model")
                tried.append("LP rounding on the exact model")
                second = model.exact_rounding(progress=say, deadline=clock + 0.7 * rules.time_limit_s)
                if second is not None and second[1] < objective - _EPS:
                    x, objective = second
                    log.append(Improvement(time.perf_counter() - clock, objective, bound, "LP rounding on the exact model"))
                    say(f"incumbent {objective:,.1f}, bound {bound:,.1f}, gap {_gap(objective, bound):.2%} "
                        "(LP rounding on the exact model)")
            if _gap(objective, bound) > rules.gap_rel + _EPS and rules.time_limit_s - (time.perf_counter() - clock) > 1.0:
                say("improving the plan (large-neighbourhood search)")
                tried.append("large-neighbourhood search")
                x, objective, bound = improve(model, x, objective, bound=bound, deadline_s=rules.time_limit_s,
                                              started=clock, progress=say, log=log,
                                              branch_and_bound=model.n_integers <= EXACT_MAX_INTEGERS)
            for var in model.prob.variables():
                var.varValue = float(x[var.index])
            if bound > lp_objective + _EPS:
                mip_bound = bound
            status = "Optimal" if _gap(objective, bound) <= rules.gap_rel + _EPS else "Feasible"
    if status is None:  # no plan from the rounding (or no HiGHS): branch and bound for the time left
        remaining = max(1.0, rules.time_limit_s - (time.perf_counter() - clock))
        say("solving integer model")
        tried.append(f"branch and bound ({remaining:.0f} s)")
        model.set_activities_integer()
        status, objective, mip_bound = model.solve(mip=True, time_limit_s=remaining)
        if status in ("Optimal", "Feasible"):
            log.append(Improvement(time.perf_counter() - clock, objective,
                                   max(lp_objective, mip_bound if mip_bound is not None else -np.inf),
                                   "branch and bound"))
    if status == "Infeasible" and rules.coverage == "hard":
        raise _explain_infeasible(rules, grid, demands, caps or HeadcountCaps())
    if status not in ("Optimal", "Feasible"):
        raise SolveError(f"tried {', then '.join(tried)}: no integer plan (solver status {status}) after "
                         f"{time.perf_counter() - clock:.1f} s of the {rules.time_limit_s:g} s time limit "
                         "(rules.toml time_limit_s)")
    say("reading solution")
    plan = model.result(status, objective, lp_objective, mip_bound, improvements=tuple(log))
    if plan.gap > rules.gap_rel + _EPS:
        warnings.warn(f"time_limit_s={rules.time_limit_s:g} spent: the shift plan is {plan.gap:.2%} above its proven "
                      f"lower bound (gap_rel={rules.gap_rel:g}); a longer time_limit_s may find a cheaper plan",
                      stacklevel=2)
    return plan


def _gap(objective: float, bound: float) -> float:
    """Relative gap of a plan to a lower bound, ``(objective - bound) / |objective|``, not clamped."""
    return (objective - bound) / max(abs(objective), _EPS)


# ------------------------------------------------------------------------- model


def _spread_dive(rules: RuleSet, grid: WeekGrid, demands: dict[str, ChannelDemand], caps: HeadcountCaps,
                 model: "_Model", *, progress: Callable[[str], None]) -> np.ndarray | None:
    """Integer tours from the dive of the spread-activity model, or None to dive on ``model``.

    In the spread model each break or lunch is taken in equal shares at every offset of its
    window instead of being placed: no placement columns or rows, and an LP whose re-solves
    after a rounding step take a few hundred simplex iterations instead of thousands (on the
    bundled sample a dive of 1.4 s instead of 20 s, at an LP value 0.5 % above the full
    model's). The tours are then completed in the full model, whose LP stays the bound.
    Hard coverage is left to the full model (spread breaks may not cover an integer
    requirement the placed ones can), and so are models with at most ``EXACT_MAX_INTEGERS``
    integer columns (their exact dive is fast, and much closer to the bound).
    """
    if rules.coverage == "hard" or not any(len(offsets) > 1 for t in rules.shifts
                                           for offsets in t.placement_offsets(grid.interval_minutes)):
        return None
    if model.n_integers <= EXACT_MAX_INTEGERS:
        # small enough to dive on the exact model, whose rounding is far better where breaks are
        # long next to the grid (family seeds 5, 11, 17: 1.6-28 % above the bound from the spread
        # dive, 0.2-1.3 % from the exact model's, in a few seconds)
        return None
    started = time.perf_counter()
    progress("solving the spread-break LP")
    spread = _Model(rules, grid, demands, caps, hard=False, integer_activities=False, spread_activities=True)
    status, _objective, _ = spread.solve(mip=False)
    if status != "Optimal" or len(spread.tours) != len(model.tours):
        model.seconds += time.perf_counter() - started
        return None
    progress("rounding the spread-break LP (dive)")
    try:
        tours = spread.integer_tours(progress=progress)
    except SolveError:
        tours = None
    model.seconds += time.perf_counter() - started
    return tours


def _hall_rows(pools: tuple[AgentPool, ...],
               pool_vars: Mapping[frozenset[int], list]) -> tuple[list[tuple[str, list, int]], bool]:
    """Hall's condition for the tours and the agent pools: (label, variables, agents) rows over
    ``pool_vars`` (the variables of each "pools able to take it" set), and whether every
    connected set got its row (False past ``MAX_HALL_ROWS`` per contract).

    For a set U of pools, the tours that only pools in U can take are at most U's agents.
    Only connected sets matter (the row of a disconnected set is the sum of its parts'), and
    they are the unions of overlapping "pools able to take a tour" sets, grown one at a time.
    """
    sets = list(pool_vars)
    seen: set[frozenset[int]] = set(sets)
    frontier = list(sets)
    while frontier and len(seen) < MAX_HALL_ROWS * max(1, len({p.contract for p in pools})):
        grown = []
        for union in frontier:
            for able in sets:
                if union & able and not able <= union and (union | able) not in seen:
                    seen.add(union | able)
                    grown.append(union | able)
        frontier = grown
    rows = []
    for union in sorted(seen, key=lambda u: (len(u), sorted(u))):
        members = [var for able, variables in pool_vars.items() if able <= union for var in variables]
        limit = sum(pools[j].count for j in union)
        contract = pools[next(iter(union))].contract
        label = (f"{limit} agent(s) of contract {contract!r} who can take these tours ("
                 + "; ".join(pools[j].label() for j in sorted(union)) + ")")
        rows.append((label, members, limit))
    return rows, not frontier


def _implied_caps(caps: HeadcountCaps) -> dict[tuple, int]:
    """The pools' own headcount per contract, contract x skill and contract x weekday.

    With every Hall row in the model, an aggregated cap at least this high is implied: the
    tours it counts can only go to those pools, whose connected sets each have their row.
    """
    implied: dict[tuple, int] = defaultdict(int)
    for pool in caps.pools:
        implied[(pool.contract,)] += pool.count
        for channel in pool.channels:
            implied[(pool.contract, channel)] += pool.count
        for day in pool.workdays:
            implied[(pool.contract, day)] += pool.count
    return dict(implied)


def _pattern_label(pattern: tuple[int, ...], grid: WeekGrid) -> str:
    return "".join(day[0] if on else "." for day, on in zip(grid.day_names(), pattern))


def _solver(rules: RuleSet, *, mip: bool, time_limit_s: float | None = None) -> pulp.LpSolver:
    limit = rules.time_limit_s if time_limit_s is None else time_limit_s
    options = {} if mip else {"solver": "ipm"}  # interior point (+ crossover) is far faster on these LPs
    return lp_solver(time_limit_s=limit, gap_rel=rules.gap_rel, mip=mip, **options)


def blend_targets(template: ShiftTemplate, channel: str, demands: dict[str, ChannelDemand]) -> list[str]:
    """Deferred channels an agent on ``channel`` with this template may work in idle intervals."""
    if demands[channel].deferred:
        return []
    return [c for c in template.channels if c != channel and c in demands and demands[c].deferred]


def _blend_variants(pools: tuple[AgentPool, ...], able: frozenset[int],
                    blend_to: list[str]) -> list[tuple[bool, frozenset[int]]]:
    """(may blend, pools that can take it) for each variable of one tour.

    A shift may blend deferred work only when its agent has those skills. Without named
    agents, or when every pool able to take the tour has them, one variable does both; else
    the tour gets a plain variable (any able pool) and a blending one (only the pools with
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


def _allowed_backlog(demand: ChannelDemand, grid: WeekGrid) -> np.ndarray:
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


def _ordering_rows(template: ShiftTemplate,
                   placements: Mapping[int, list[tuple[int, pulp.LpVariable]]]) -> list[tuple[pulp.LpConstraint, str]]:
    """Rows that let every agent of one shift group take its activities one after another.

    Activities are taken in :func:`scheduling.rules.activity_order`. For two consecutive ones
    A then B whose windows overlap, agents are matched in start order (the k-th earliest A
    with the k-th earliest B, as :func:`scheduling.roster.build_roster` lays them out), which
    never overlaps exactly when, for every start s of B, the B started by s are at most the A
    ended by s: ``sum(B at offsets <= s) <= sum(A at offsets <= s - length_A)``.
    ``placements``: activity index -> (offset minutes, shifts placed there).
    """
    rows = []
    order = activity_order(template.activities)
    for before, after in zip(order, order[1:]):
        length = template.activities[before].length_minutes
        first, second = placements[before], placements[after]
        if max(o for o, _ in first) + length <= min(o for o, _ in second):
            continue  # the windows do not overlap: any matching works
        for s in sorted({o for o, _ in second}):
            if s - length >= max(o for o, _ in first):
                break  # every A has ended by s
            started = [var for o, var in second if o <= s]
            ended = [var for o, var in first if o <= s - length]
            rows.append((pulp.lpSum(started) - pulp.lpSum(ended) <= 0, f"{before}_{after}_{s}"))
    return rows


def _chain_links(template: ShiftTemplate, interval_minutes: int) -> dict[int, int | None]:
    """Activities (indexes) in an ordering row of :func:`_ordering_rows`, each mapped to the
    activity it must follow there (None for the first of a chain)."""
    offsets = template.placement_offsets(interval_minutes)
    order = activity_order(template.activities)
    links: dict[int, int | None] = {}
    for before, after in zip(order, order[1:]):
        if max(offsets[before]) + template.activities[before].length_minutes > min(offsets[after]):
            links.setdefault(before, None)
            links[after] = before
    return links


class _Model:
    """The PuLP model and the bookkeeping to read it back."""

    def __init__(self, rules: RuleSet, grid: WeekGrid, demands: dict[str, ChannelDemand],
                 caps: HeadcountCaps, *, hard: bool, elastic: bool = False, integer_activities: bool = True,
                 spread_activities: bool = False):
        self.rules, self.grid, self.demands, self.caps = rules, grid, demands, caps
        self.seconds = 0.0
        self.dive_deadline = float("inf")  # time.perf_counter() value a dive and a drop may not pass
        dt = grid.interval_minutes
        n = grid.n_intervals
        hours_per_interval = dt / 60
        prob = pulp.LpProblem("weekly_shift_plan", pulp.LpMinimize)
        cover: dict[str, list[dict]] = {c: [defaultdict(float) for _ in range(n)] for c in demands}
        objective: dict = defaultdict(float)
        # (variable, template, channel, start minute, day pattern, may blend deferred work)
        self.tours: list[tuple[pulp.LpVariable, ShiftTemplate, str, int, tuple[int, ...], bool]] = []
        groups: dict[tuple[int, str, int, int, bool], list[pulp.LpVariable]] = defaultdict(list)
        blend: dict[tuple[str, str], list[dict]] = defaultdict(lambda: [defaultdict(float) for _ in range(n)])
        contract_vars: dict[str, list] = defaultdict(list)
        channel_vars: dict[tuple[str, str], list] = defaultdict(list)
        weekday_vars: dict[tuple[str, int], list] = defaultdict(list)
        pool_vars: dict[frozenset[int], list] = defaultdict(list)  # pools able to take a tour -> its variables
        templates = {t.name: k for k, t in enumerate(rules.shifts)}

        for template in rules.shifts:
            k = templates[template.name]
            contract = rules.contract(template.contract)
            patterns = day_patterns(contract, max_consecutive_days=rules.max_consecutive_days,
                                    wrap=grid.wrap, weekdays=grid.days_on(template.weekdays))
            activity_minutes = sum(a.length_minutes for a in template.activities)
            for channel in template.channels:
                if channel not in demands:
                    continue
                blend_to = blend_targets(template, channel, demands)
                demand = demands[channel]
                useful_everywhere = demand.deferred
                for start in template.start_minutes():
                    day_useful = [
                        useful_everywhere
                        or demand.required[grid.covered(d * 1440 + start, template.length_minutes)].sum() > 0
                        for d in range(7)
                    ]
                    for pattern in patterns:
                        days = [d for d in range(7) if pattern[d]]
                        if not any(day_useful[d] for d in days):
                            continue
                        paid_hours = len(days) * template.paid_minutes / 60
                        able = frozenset(j for j, pool in enumerate(caps.pools)
                                         if pool.can_take(contract.name, channel, days, paid_hours))
                        if caps.pools and not able:
                            continue  # no agent could work it
                        on_duty = sum(len(grid.covered(d * 1440 + start, template.length_minutes)) for d in days)
                        net_hours = (on_duty - len(days) * activity_minutes / dt) * hours_per_interval
                        over = 0.0 if channel in DEFERRED_CHANNELS else rules.over_penalty * net_hours
                        for blends, takers in _blend_variants(caps.pools, able, blend_to):
                            var = prob.add_variable(
                                f"x_{k}_{channel}_{start}_{_pattern_label(pattern, grid)}{'_b' if blends else ''}",
                                lowBound=0, cat=pulp.LpInteger)
                            if takers:
                                pool_vars[takers].append(var)
                            objective[var] += paid_hours * contract.hourly_cost + over
                            self.tours.append((var, template, channel, start, pattern, blends))
                            contract_vars[contract.name].append(var)
                            channel_vars[(contract.name, channel)].append(var)
                            for d in days:
                                weekday_vars[(contract.name, d)].append(var)
                                groups[(k, channel, d, start, blends)].append(var)

        # activities: explicit placement per shift group
        # (placement variable or None for a single offset, group count, template, channel, day, start,
        #  activity, offset, the activity's place in the template)
        self.activity_vars: list[tuple[pulp.LpVariable | None, pulp.LpVariable, ShiftTemplate, str, int, int,
                                       Activity, int, int]] = []
        # one continuous "shifts of this group" variable per (template, channel, day, start),
        # linked to the tours; coverage and placement use it (few nonzeros per tour column)
        self.blending_groups: set[str] = set()  # names of the group variables whose agents may blend
        for (k, channel, d, start, blends), members in groups.items():
            template = rules.shifts[k]
            blend_to = blend_targets(template, channel, demands) if blends else []
            tag = f"{k}_{channel}_{d}_{start}{'_b' if blends else ''}"
            count = prob.add_variable(f"n_{tag}", lowBound=0)
            prob += (count - pulp.lpSum(members) == 0, f"day_{tag}")
            if blends:
                self.blending_groups.add(count.name)
            for i in grid.covered(d * 1440 + start, template.length_minutes):
                cover[channel][i][count] += 1.0
                for other in blend_to:
                    blend[(channel, other)][i][count] += 1.0
            placements: dict[int, list[tuple[int, pulp.LpVariable]]] = {}  # activity index -> (offset, shifts)
            for a_index, (activity, offsets) in enumerate(zip(template.activities, template.placement_offsets(dt))):
                if len(offsets) == 1:
                    for i in grid.covered(d * 1440 + start + offsets[0], activity.length_minutes):
                        cover[channel][i][count] -= 1.0
                        for other in blend_to:
                            blend[(channel, other)][i][count] -= 1.0
                    self.activity_vars.append((None, count, template, channel, d, start, activity, offsets[0],
                                               a_index))
                    placements[a_index] = [(offsets[0], count)]
                    continue
                if spread_activities:
                    share = 1.0 / len(offsets)
                    for offset in offsets:
                        for i in grid.covered(d * 1440 + start + offset, activity.length_minutes):
                            cover[channel][i][count] -= share
                            for other in blend_to:
                                blend[(channel, other)][i][count] -= share
                    continue
                placed = []
                for offset in offsets:
                    avar = prob.add_variable(f"a_{tag}_{a_index}_{offset}", lowBound=0,
                                           cat="Integer" if integer_activities else "Continuous")
                    placed.append(avar)
                    for i in grid.covered(d * 1440 + start + offset, activity.length_minutes):
                        cover[channel][i][avar] -= 1.0
                        for other in blend_to:
                            blend[(channel, other)][i][avar] -= 1.0
                    self.activity_vars.append((avar, count, template, channel, d, start, activity, offset, a_index))
                prob += (pulp.lpSum(placed) - count == 0, f"place_{tag}_{a_index}")
                placements[a_index] = list(zip(offsets, placed))
            if not spread_activities:
                for row, name in _ordering_rows(template, placements):
                    prob += (row, f"order_{tag}_{name}")

        # blending: agents on an immediate-channel shift whose template also serves a deferred
        # channel may work that channel in intervals where they are not needed (the valleys)
        self.blend_vars: dict[tuple[str, str], dict[int, pulp.LpVariable]] = {}
        self.blend_rows: dict[tuple[str, str, int], pulp.LpConstraint] = {}
        for (channel, other), rows in blend.items():
            self.blend_vars[(channel, other)] = {}
            for i, terms in enumerate(rows):
                if not terms:
                    continue
                z = prob.add_variable(f"z_{channel}_{other}_{i}", lowBound=0,
                                    cat="Integer" if integer_activities else "Continuous")
                self.blend_vars[(channel, other)][i] = z
                row = z - pulp.LpAffineExpression(terms) <= 0
                prob += (row, f"blend_{channel}_{other}_{i}")
                self.blend_rows[(channel, other, i)] = row
                cover[channel][i][z] -= 1.0
                cover[other][i][z] += 1.0
                objective[z] += 1e-4

        # coverage
        self.under: dict[str, list] = {}
        self.late: dict[str, list] = {}
        self.undone: dict[str, list] = {}
        self.done: dict[str, list] = {}
        penalty = rules.under_penalty if not elastic else 1e6
        for channel, demand in demands.items():
            if not demand.deferred:
                unders = []
                for i in range(n):
                    expr = pulp.LpAffineExpression(cover[channel][i])
                    if demand.required[i] <= _EPS:
                        unders.append(None)
                        continue
                    if hard and not elastic:
                        # net coverage is integer, so the rounded-up requirement is an equivalent, tighter row
                        prob += (expr >= float(np.ceil(demand.required[i] - _EPS)), f"cover_{channel}_{i}")
                        unders.append(None)
                    else:
                        u = prob.add_variable(f"u_{channel}_{i}", lowBound=0)
                        objective[u] += (penalty + rules.over_penalty) * hours_per_interval
                        prob += (expr + u >= float(demand.required[i]), f"cover_{channel}_{i}")
                        share = float(demand.required[i] - np.floor(demand.required[i]))
                        if not elastic and not spread_activities and MIR_MIN_SHARE <= share < 1.0 - _EPS:
                            # net coverage is integer (whole shifts, placements and blended agents):
                            # the mixed-integer rounding of the row above is valid and tighter,
                            # net + u / share >= ceil(required) (a short fraction costs its share
                            # of an agent or the penalty on it, never less)
                            prob += (expr + (1.0 / share) * u >= float(np.ceil(demand.required[i])),
                                     f"cover_mir_{channel}_{i}")
                        unders.append(u)
                self.under[channel] = unders
                continue
            allowed = _allowed_backlog(demand, grid)
            done = [prob.add_variable(f"done_{channel}_{i}", lowBound=0) for i in range(n)]
            backlog = [prob.add_variable(f"backlog_{channel}_{i}", lowBound=0) for i in range(n)]
            lates, undone = [], []
            for i in range(n):
                expr = pulp.LpAffineExpression(cover[channel][i])
                prob += (done[i] - dt * expr <= 0, f"capacity_{channel}_{i}")
                previous = backlog[i - 1] if (i > 0 or grid.wrap) else 0
                flow = backlog[i] - previous + done[i]
                if (elastic or not hard) and demand.work_minutes[i] > _EPS:
                    # soft coverage never fails for want of capacity: work left undone is priced
                    # as a full day late (the week wraps, so it cannot wait for next week; a
                    # week's price makes the LP 20x slower for the interior point method)
                    drop = prob.add_variable(f"undone_{channel}_{i}", lowBound=0, upBound=float(demand.work_minutes[i]))
                    objective[drop] += penalty / 60 * (1440 // dt)
                    flow = flow + drop
                    undone.append(drop)
                prob += (flow == float(demand.work_minutes[i]), f"flow_{channel}_{i}")
                if hard and not elastic:
                    prob += (backlog[i] <= float(allowed[i]), f"due_{channel}_{i}")
                    lates.append(None)
                else:
                    late = prob.add_variable(f"late_{channel}_{i}", lowBound=0)
                    objective[late] += penalty / 60
                    prob += (backlog[i] - late <= float(allowed[i]), f"due_{channel}_{i}")
                    lates.append(late)
            self.late[channel] = lates
            self.done[channel] = done
            self.undone[channel] = undone

        # headcount caps: the tours of each "pools able to take it" set are summed once into a
        # pooled column, and Hall's rows are written on those (a few entries per row instead of
        # every tour of the contract in each); an aggregated cap the complete Hall rows imply
        # (no lower than the pools' own headcount) is left out - dense rows slow every simplex step
        self.cap_rows: list[tuple[str, pulp.LpConstraint, int]] = []
        pooled: dict[frozenset[int], list] = {}
        for n_set, (able, members) in enumerate(pool_vars.items()):
            total = prob.add_variable(f"pooled_{n_set}", lowBound=0)
            prob += (total - pulp.lpSum(members) == 0, f"pooled_{n_set}")
            pooled[able] = [total]
        hall, complete = _hall_rows(caps.pools, pooled)
        implied = _implied_caps(caps) if complete else {}

        def add_cap(key: tuple, members: list, limit: int | None, label: str, name: str) -> None:
            if limit is None or not members or limit >= implied.get(key, limit + 1):
                return
            row = pulp.lpSum(members) <= limit
            prob.addConstraint(row, name)
            self.cap_rows.append((label, row, limit))

        for contract in rules.contracts:
            limit = caps.by_contract.get(contract.name, contract.max_agents)
            add_cap((contract.name,), contract_vars[contract.name], limit,
                    f"contract {contract.name!r} max_agents={limit}", f"cap_{contract.name}")
        for (contract, channel), limit in caps.by_contract_channel.items():
            add_cap((contract, channel), channel_vars[(contract, channel)], limit,
                    f"{limit} agent(s) of contract {contract!r} with skill {channel!r}", f"cap_{contract}_{channel}")
        for (contract, weekday), limit in caps.by_contract_weekday.items():
            add_cap((contract, weekday), weekday_vars[(contract, weekday)], limit,
                    f"{limit} agent(s) of contract {contract!r} available on {grid.day_names()[weekday]}",
                    f"cap_{contract}_{weekday}")
        for n_row, (label, members, limit) in enumerate(hall):
            row = pulp.lpSum(members) <= limit
            prob += (row, f"hall_{n_row}")
            self.cap_rows.append((label, row, limit))
        prob += pulp.LpAffineExpression(objective)
        self.prob = prob
        self.cover = cover
        self.n_integers = (len(self.tours) + sum(1 for a, *_ in self.activity_vars if a is not None)
                           + sum(len(v) for v in self.blend_vars.values()))

    def solve(self, *, mip: bool, time_limit_s: float | None = None) -> tuple[str, float, float | None]:
        solver = _solver(self.rules, mip=mip, time_limit_s=time_limit_s)
        self.solver_name = solver.name
        started = time.perf_counter()
        self.prob.solve(solver)
        self.seconds += time.perf_counter() - started
        status = pulp.LpStatus[self.prob.status]
        bound = None
        highs = getattr(self.prob, "solverModel", None)
        if solver.name == "HiGHS" and highspy is not None and highs is not None:
            info = highs.getInfo()
            if info.primal_solution_status != 2:  # no feasible solution in hand
                model_status = highs.modelStatusToString(highs.getModelStatus())
                return ("Infeasible" if "nfeasible" in model_status else model_status), float("nan"), None
            if mip:
                bound = float(info.mip_dual_bound)
            if status == "Optimal" and highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                status = "Feasible"
        objective = pulp.value(self.prob.objective)
        return status, float(objective) if objective is not None else float("nan"), bound

    def set_activities_integer(self) -> None:
        """Make the activity placement integer again (the LP stage may relax it)."""
        for avar, *_ in self.activity_vars:
            if avar is not None:
                avar.cat = pulp.LpInteger
        for zs in self.blend_vars.values():
            for z in zs.values():
                z.cat = pulp.LpInteger

    def dive(self, *, progress: Callable[[str], None]) -> np.ndarray:
        """Integer tour counts from the solved LP on the same HiGHS instance (in ``self.tours``
        order): fix the floors of the tour values, round the largest fractions up, re-solve the
        LP (warm start), until the tours are integer. Leaves the tours fixed in the instance."""
        h = self.prob.solverModel
        inf = highspy.kHighsInf
        started = time.perf_counter()
        idx = self.tour_columns()
        lower = np.zeros(len(idx))
        upper = np.full(len(idx), inf)

        def optimal() -> bool:
            return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

        h.setOptionValue("solver", "simplex")  # warm-started re-solves after each rounding step
        h.setOptionValue("time_limit", inf)  # HiGHS counts its own total run time; the caller keeps the clock
        steps = 0
        while True:
            steps += 1
            if time.perf_counter() > self.dive_deadline:
                raise SolveError(f"the dive ran out of time after {steps - 1} LP re-solves")
            x = np.asarray(h.getSolution().col_value)[idx]
            floors = np.floor(x + _EPS)
            raise_to = floors > lower
            if raise_to.any():
                lower[raise_to] = floors[raise_to]
                h.changeColsBounds(int(raise_to.sum()), idx[raise_to], lower[raise_to], upper[raise_to])
            frac = x - floors
            fractional = np.flatnonzero(frac > _EPS)
            if not fractional.size:
                break
            order = fractional[np.argsort(-frac[fractional])]
            # fine steps first, then coarser: a step count, not the clock, so the plan does not
            # depend on the machine's speed
            share = DIVE_SHARE if steps <= DIVE_FINE_STEPS else 4 * DIVE_SHARE
            up = order[: max(1, int(len(order) * share))]
            lower[up] = floors[up] + 1
            h.changeColsBounds(len(up), idx[up], lower[up], upper[up])
            h.run()
            if not optimal():  # e.g. a headcount cap: undo, and round only the largest fraction
                lower[up] = floors[up]
                h.changeColsBounds(len(up), idx[up], lower[up], upper[up])
                first = up[:1]
                lower[first] = floors[first] + 1
                h.changeColsBounds(1, idx[first], lower[first], upper[first])
                h.run()
                if not optimal():  # it cannot go up: round it down for good
                    lower[first] = floors[first]
                    upper[first] = floors[first]
                    h.changeColsBounds(1, idx[first], lower[first], upper[first])
                    h.run()
                    if not optimal():
                        raise SolveError("could not round the LP relaxation to an integer plan: "
                                         f"{h.modelStatusToString(h.getModelStatus())}")
        tours = np.round(np.asarray(h.getSolution().col_value)[idx])
        h.changeColsBounds(len(idx), idx, tours, tours)
        self.seconds += time.perf_counter() - started
        progress(f"dive: {steps} LP re-solves, {time.perf_counter() - started:.1f} s")
        return tours

    def exact_rounding(self, *, progress: Callable[[str], None], deadline: float) -> tuple[np.ndarray, float] | None:
        """A second first plan, from the dive on this (exact) model instead of the spread-break
        one: (column values, objective with the constant), or None when the dive cannot finish
        before ``deadline`` (a ``time.perf_counter()`` value) or completes no plan. Used on
        large models when the spread dive's plan is not within ``gap_rel``."""
        h = self.prob.solverModel
        idx = self.tour_columns()
        act_idx = np.array([a.index for a, *_ in self.activity_vars if a is not None]
                           + [z.index for zs in self.blend_vars.values() for z in zs.values()], dtype=np.int32)
        h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.full(len(idx), highspy.kHighsInf))
        if len(act_idx):
            h.changeColsIntegrality(len(act_idx), act_idx, np.full(len(act_idx), highspy.HighsVarType.kContinuous))
            h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), highspy.kHighsInf))
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("time_limit", max(1.0, deadline - time.perf_counter()))
        h.run()
        h.setOptionValue("time_limit", highspy.kHighsInf)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        self.dive_deadline = deadline
        try:
            _status, objective, _ = self.round_lp(progress=progress, tours=None)
        except SolveError as exc:
            progress(f"the exact model's rounding stopped: {exc}")
            return None
        finally:
            self.dive_deadline = float("inf")
        return self.incumbent.copy(), objective

    def integer_tours(self, *, progress: Callable[[str], None]) -> np.ndarray:
        """:meth:`dive`, then :meth:`drop_redundant` with ``DROP_KEEP_SHARE`` for at most 30 %
        of ``time_limit_s``. Leaves the tours fixed in the instance."""
        return self.drop_redundant(self.dive(progress=progress), keep_share=DROP_KEEP_SHARE,
                                   seconds=0.3 * self.rules.time_limit_s, progress=progress)

    def drop_redundant(self, tours: np.ndarray, *, keep_share: float, seconds: float,
                       progress: Callable[[str], None]) -> np.ndarray:
        """Remove shifts one at a time (most expensive first) while each removal saves at least
        ``keep_share`` of its cost in the LP with the tours fixed (the rest of the saving may go
        to shortfall penalties). Leaves the tours fixed in the instance."""
        h = self.prob.solverModel
        started = time.perf_counter()
        idx = self.tour_columns()
        tours = tours.copy()
        cost = np.array([self.prob.objective.get(var, 0.0) for var, *_ in self.tours])
        h.changeColsBounds(len(idx), idx, tours, tours)
        h.run()
        current = h.getInfo().objective_function_value
        tried = 0
        for j in sorted(np.flatnonzero(tours > 0), key=lambda j: -cost[j]):
            while tours[j] > 0 and time.perf_counter() - started < seconds and time.perf_counter() < self.dive_deadline:
                tried += 1
                h.changeColBounds(int(idx[j]), tours[j] - 1, tours[j] - 1)
                h.run()
                # keep the cut only when still feasible and cheaper (soft coverage is always feasible)
                if (h.getModelStatus() != highspy.HighsModelStatus.kOptimal
                        or h.getInfo().objective_function_value > current - keep_share * cost[j] - _EPS):
                    h.changeColBounds(int(idx[j]), tours[j], tours[j])
                    break
                current = h.getInfo().objective_function_value
                tours[j] -= 1
        h.run()
        self.seconds += time.perf_counter() - started
        progress(f"dropped shifts: {tried} tried, {time.perf_counter() - started:.1f} s")
        return tours

    def unserved_deferred(self) -> list[str]:
        """Deferred channels with work in the week that no tour and no blended agent can do
        (the week's work must be done within the week, so the model has no solution)."""
        reasons = []
        for channel, demand in self.demands.items():
            work = float(demand.work_minutes.sum()) if demand.deferred else 0.0
            if work <= _EPS or any(c == channel for _v, _t, c, *_ in self.tours) or any(
                    zs for (_c, other), zs in self.blend_vars.items() if other == channel):
                continue
            why = (f"no agent in the agent list has skill {channel!r}" if self.caps.pools
                   else f"no [[shift]] serving {channel!r} can be worked")
            reasons.append(f"channel {channel!r} has {work:,.0f} minutes of work in the week but no one can do "
                           f"it: {why}")
        return reasons

    def tour_columns(self) -> np.ndarray:
        """HiGHS column index of every tour variable, in ``self.tours`` order."""
        return np.array([var.index for var, *_ in self.tours], dtype=np.int32)

    def round_lp(self, *, progress: Callable[[str], None],
                 tours: np.ndarray | None = None) -> tuple[str, float, float | None]:
        """Integer plan from the solved LP on the same HiGHS instance.

        1. Tours: ``tours`` when given (from the spread-activity model, :func:`_spread_dive`),
           else :meth:`integer_tours` on this model.
        2. Complete: integer activities and blending for those tours (:meth:`_complete`); in
           soft coverage also for the LP's tours rounded up, and the better plan is kept.
        3. Only when no plan completes (hard coverage): a placement MIP for the time left.
        Status is "Optimal" when the plan is within ``gap_rel`` of the LP bound, else "Feasible".
        Returns (status, objective, best MIP bound or None).
        """
        h = self.prob.solverModel
        inf = highspy.kHighsInf
        idx = self.tour_columns()
        act_idx = np.array([a.index for a, *_ in self.activity_vars if a is not None]
                           + [z.index for zs in self.blend_vars.values() for z in zs.values()], dtype=np.int32)
        lp_tours = np.asarray(h.getSolution().col_value)[idx].copy()

        if tours is None:
            tours = self.integer_tours(progress=progress)
        else:
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("time_limit", inf)
            tours = np.asarray(tours, dtype=float).copy()
            h.changeColsBounds(len(idx), idx, tours, tours)
            # solved afresh: presolve removes the fixed tours (0.1 s), where a warm start from
            # the LP's basis takes 3.5 s on the sample
            h.clearSolver()
        started = time.perf_counter()
        limit = max(1.0, self.rules.time_limit_s - self.seconds)  # the LP, dive and drop count against the limit
        h.run()
        current = h.getInfo().objective_function_value
        progress(f"placing breaks and lunches (rounded plan {current + self.prob.objective.constant:.0f} with "
                 f"breaks spread, LP bound {self.lp_objective:.0f})")
        # an integer plan in hand before any time-limited MIP: the dive's tours, and the LP tours
        # rounded up (always feasible in soft coverage); the better one is the incumbent
        incumbent, incumbent_objective = self._complete(h, idx, tours, act_idx)
        if self.rules.coverage == "soft" and time.perf_counter() < self.dive_deadline:
            ceil_plan = self._complete(h, idx, np.ceil(lp_tours - _EPS), act_idx)
            progress(f"integer plans: dive {incumbent_objective + self.prob.objective.constant:.0f}, "
                     f"rounded-up LP {ceil_plan[1] + self.prob.objective.constant:.0f}")
            if ceil_plan[0] is not None and (incumbent is None or ceil_plan[1] < incumbent_objective - _EPS):
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
            left = max(1.0, limit - (time.perf_counter() - started))
            h.setOptionValue("time_limit", left)  # a MIP run's limit counts from its own start
            placing = time.perf_counter()
            h.run()
            progress(f"placement MIP: {h.modelStatusToString(h.getModelStatus())}, "
                     f"{time.perf_counter() - placing:.1f} s (limit {left:.1f} s)")
            if h.getInfo().primal_solution_status == 2:
                incumbent = np.asarray(h.getSolution().col_value)
                incumbent_objective = h.getInfo().objective_function_value
        if incumbent is None:
            raise SolveError("breaks and lunches could not be placed in the rounded plan: "
                             f"{h.modelStatusToString(h.getModelStatus())}")
        lp_bound = self.lp_objective - float(self.prob.objective.constant)
        status = "Feasible"
        bound = None
        gap = (incumbent_objective - lp_bound) / max(abs(incumbent_objective), _EPS)
        if gap <= self.rules.gap_rel + _EPS:
            status = "Optimal"  # within the requested gap of the LP bound
        self.seconds += time.perf_counter() - started
        self.incumbent = np.asarray(incumbent, dtype=float).copy()
        for var in self.prob.variables():
            var.varValue = float(incumbent[var.index])
        return status, float(incumbent_objective) + float(self.prob.objective.constant), bound

    def _complete(self, h, idx: np.ndarray, tours: np.ndarray,
                  act_idx: np.ndarray) -> tuple[np.ndarray | None, float]:
        """A full integer solution with these tours: LP placement, activities and blending rounded, LP for the rest.

        Activity counts of each shift group are rounded down, and the units left are placed one
        by one at the offset whose intervals have the most agents to spare (they add up to the
        group's shifts); blended agents by :meth:`_blend_integer`. Returns (column values, objective
        without constant) or (None, inf) when the fixed model has no solution. Activity and
        blending columns are left continuous and free.
        """
        inf = highspy.kHighsInf
        h.changeColsBounds(len(idx), idx, tours, tours)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, float("inf")
        vals = np.asarray(h.getSolution().col_value).copy()
        fixed: dict[int, float] = {}
        grid = self.grid
        # net agents per channel from the shifts and the single-offset activities; the
        # remaining activity units go one by one where the coverage has the most to spare
        net = {c: np.zeros(grid.n_intervals) for c in self.demands}
        need = {c: (np.zeros(grid.n_intervals) if d.deferred else d.required) for c, d in self.demands.items()}
        seen: set[str] = set()
        groups: dict[tuple[str, int], list[tuple[pulp.LpVariable, int]]] = defaultdict(list)
        placed: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}  # rounded (offsets, counts)
        where: dict[tuple[str, int], tuple] = {}
        for avar, count, template, channel, d, start, activity, offset, a_index in self.activity_vars:
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
        plans = []
        # activities that share an ordering row with the one before them: their cumulative
        # counts are rounded (to nearest, capped by the rounded counts of the one before), which
        # keeps every ordering row of the LP; the others round down and place the rest by slack
        links_of = {t.name: _chain_links(t, self.grid.interval_minutes) for t in self.rules.shifts}
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
                floors = np.floor(x + _EPS)
                extra = max(0, int(total) - int(floors.sum()))
                while floors.sum() > total + _EPS:  # cannot happen with exact LP values
                    floors[np.argmax(floors)] -= 1
            for span, value in zip(spans, floors):
                net[channel][span] -= value
            placed[key] = (offsets, floors)
            plans.append((members, floors, extra, channel, spans))
        for members, floors, extra, channel, spans in plans:
            for _ in range(extra):
                slack = net[channel] - need[channel]
                best = max(range(len(spans)), key=lambda j: (slack[spans[j]].min(), slack[spans[j]].sum()))
                floors[best] += 1
                net[channel][spans[best]] -= 1
            for (a, _off), value in zip(members, floors):
                fixed[a.index] = value
                vals[a.index] = value
        cols = np.array(list(fixed), dtype=np.int32)
        if len(cols):
            values = np.array([fixed[c] for c in cols])
            h.changeColsBounds(len(cols), cols, values, values)
        ok = self._blend_integer(h, vals, net, need)
        solution = np.asarray(h.getSolution().col_value).copy() if ok else None
        objective = h.getInfo().objective_function_value if ok else float("inf")
        if len(act_idx):
            h.changeColsBounds(len(act_idx), act_idx, np.zeros(len(act_idx)), np.full(len(act_idx), inf))
        return solution, objective

    def _blend_integer(self, h, vals: np.ndarray, net: dict, need: dict) -> bool:
        """Integer blended agents with tours and activities fixed; leaves the solution in ``h``.

        First a rounding in time order that keeps the deferred channel's capacity within an
        agent-interval of the LP's at every point of the week (the remainder is carried
        forward; fractions round up where the immediate channel has an agent to spare), then
        raised one at a time where the most is spare until the deferred channel has the
        capacity for its week of work (the flow needs it). Then a small MIP from that start
        (``BLEND_MIP_SECONDS``) may improve it. True when ``h`` holds an optimal LP solution with integer blending.
        """
        z_idx = np.array([z.index for zs in self.blend_vars.values() for z in zs.values()], dtype=np.int32)
        if not len(z_idx):
            h.run()
            return h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        rounded: dict[int, float] = {}
        upper: dict[int, float] = {}
        for (channel, other), zs in self.blend_vars.items():
            carry = 0.0  # blended agent-intervals owed to the deferred channel so far (LP minus rounded)
            for i, z in sorted(zs.items()):
                row = self.blend_rows[(channel, other, i)]
                free = max(0.0, np.floor(-sum(coef * vals[var.index] for var, coef in row.items()
                                               if var is not z) + _EPS))
                target = max(vals[z.index], 0.0) + carry
                value = np.floor(target + _EPS)
                spare = np.floor(max(net[channel][i] - need[channel][i], 0.0) + _EPS)
                if target - value > 0.5 or (target - value > _EPS and spare > value):
                    value += 1
                value = min(max(value, 0.0), free)
                carry = target - value
                rounded[z.index] = value
                upper[z.index] = free
                net[channel][i] -= value
                net[other][i] += value
        dt = self.grid.interval_minutes
        for other, demand in self.demands.items():
            if not demand.deferred:
                continue
            short = int(np.ceil(demand.work_minutes.sum() / dt - net[other].sum() - _EPS))
            pairs = [(channel, i, z) for (channel, to), zs in self.blend_vars.items() if to == other
                     for i, z in zs.items()]
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
        h.setOptionValue("time_limit", BLEND_MIP_SECONDS)  # a MIP run's limit counts from its own start
        h.setOptionValue("mip_rel_gap", self.rules.gap_rel / 10)
        h.run()
        h.setOptionValue("time_limit", highspy.kHighsInf)
        h.setOptionValue("mip_rel_gap", self.rules.gap_rel)
        h.changeColsIntegrality(len(z_idx), z_idx, np.full(len(z_idx), highspy.HighsVarType.kContinuous))
        values = start
        if h.getInfo().primal_solution_status == 2 and h.getInfo().objective_function_value < rounded_objective - _EPS:
            values = np.round(np.asarray(h.getSolution().col_value)[z_idx])
        h.changeColsBounds(len(z_idx), z_idx, values, values)
        h.run()  # the LP for the continuous rest, with the blending fixed
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    # --------------------------------------------------------------- read back

    def result(self, status: str, objective: float, lp_bound: float, mip_bound: float | None, *,
               improvements: tuple[Improvement, ...] = ()) -> ShiftPlan:
        """The plan from the variables' values. Raises :class:`BoundError` when the objective is
        below the proven bound (the higher of ``lp_bound`` and ``mip_bound``)."""
        grid, dt, n = self.grid, self.grid.interval_minutes, self.grid.n_intervals
        net = {c: np.zeros(n) for c in self.demands}
        tour_rows = []
        for var, template, channel, start, pattern, blends in self.tours:
            count = int(round(var.varValue or 0.0))
            if count <= 0:
                continue
            contract = self.rules.contract(template.contract)
            days = [d for d in range(7) if pattern[d]]
            paid = len(days) * template.paid_minutes / 60
            tour_rows.append({
                "template": template.name, "contract": contract.name, "channel": channel,
                "start_minute": start, "pattern": _pattern_label(pattern, self.grid), "days": len(days), "agents": count,
                "paid_hours_per_agent": paid, "cost_per_agent": paid * contract.hourly_cost, "blends": blends,
            })
            for d in days:
                np.add.at(net[channel], grid.covered(d * 1440 + start, template.length_minutes), count)
        activity_rows = []
        for avar, group, template, channel, d, start, activity, offset, a_index in self.activity_vars:
            count = int(round((group if avar is None else avar).varValue or 0.0))
            if count <= 0:
                continue
            activity_rows.append({
                "template": template.name, "channel": channel, "day": d, "start_minute": start,
                "blends": group.name in self.blending_groups, "activity_index": a_index, "activity": activity.kind,
                "offset_minutes": offset, "length_minutes": activity.length_minutes, "count": count,
            })
            np.add.at(net[channel], grid.covered(d * 1440 + start + offset, activity.length_minutes), -count)
        blend_rows = []
        for (channel, other), zs in self.blend_vars.items():
            for i, z in zs.items():
                count = int(round(z.varValue or 0.0))
                if count > 0:
                    blend_rows.append({"interval": i, "channel": channel, "work_channel": other, "agents": count})
                    net[channel][i] -= count
                    net[other][i] += count
        blending = pd.DataFrame(blend_rows, columns=["interval", "channel", "work_channel", "agents"])
        tours = pd.DataFrame(tour_rows, columns=[
            "template", "contract", "channel", "start_minute", "pattern", "days", "agents",
            "paid_hours_per_agent", "cost_per_agent", "blends"])
        activities = pd.DataFrame(activity_rows, columns=[
            "template", "channel", "day", "start_minute", "blends", "activity_index", "activity", "offset_minutes",
            "length_minutes", "count"])
        times = grid.times()
        coverage = pd.concat([
            pd.DataFrame({"interval_start": times, "channel": c, "required": d.required, "scheduled": net[c]})
            for c, d in self.demands.items()
        ], ignore_index=True)
        priced = pd.concat([
            pd.DataFrame({"interval_start": times, "channel": c,
                          "scheduled": [pulp.LpAffineExpression(terms).value() for terms in self.cover[c]]})
            for c in self.demands
        ], ignore_index=True)
        cost = float((tours["agents"] * tours["cost_per_agent"]).sum())
        paid_hours = float((tours["agents"] * tours["paid_hours_per_agent"]).sum())
        under = sum(float(u.varValue or 0.0) for us in self.under.values() for u in us if u is not None)
        late = sum(float(v.varValue or 0.0) for vs in self.late.values() for v in vs if v is not None)
        undone = sum(float(v.varValue or 0.0) for vs in self.undone.values() for v in vs)
        bound = max(lp_bound, mip_bound) if mip_bound is not None and np.isfinite(mip_bound) else lp_bound
        if objective < bound - 1e-6 * max(1.0, abs(bound)):
            raise BoundError(f"bug: the shift plan's objective {objective:,.6f} is below its proven lower bound "
                             f"{bound:,.6f} (LP relaxation {lp_bound:,.6f}, MIP dual bound {mip_bound})")
        gap = _gap(objective, bound)
        binding = tuple(label for label, row, limit in self.cap_rows
                        if sum((v.varValue or 0.0) * coef for v, coef in row.items()) >= limit - _EPS)
        return ShiftPlan(
            grid=grid, tours=tours, activities=activities, blending=blending, coverage=coverage, status=status,
            objective=float(objective), lower_bound=float(lp_bound), mip_bound=mip_bound, gap=float(gap),
            solve_seconds=self.seconds, cost=cost, paid_hours=paid_hours,
            under_agent_hours=under * dt / 60, late_work_minutes=late, solver=self.solver_name,
            demands=self.demands, undone_work_minutes=undone, priced_coverage=priced, bound=float(bound),
            improvements=improvements, binding_caps=binding,
        )


# ------------------------------------------------------------------ infeasibility


def _runs(indexes: list[int], grid: WeekGrid) -> list[str]:
    """Human-readable runs of consecutive intervals, e.g. 'Tue 03:00-04:00'."""
    if not indexes:
        return []
    times = grid.times()
    runs, first, last = [], indexes[0], indexes[0]
    for i in indexes[1:] + [None]:
        if i is not None and i == last + 1:
            last = i
            continue
        end = times[last] + pd.Timedelta(minutes=grid.interval_minutes)
        runs.append(f"{WEEKDAYS[times[first].weekday()]} {times[first]:%H:%M}-{end:%H:%M}")
        if i is not None:
            first = last = i
    return runs


def _explain_infeasible(rules: RuleSet, grid: WeekGrid, demands: dict[str, ChannelDemand],
                        caps: HeadcountCaps) -> InfeasibleError:
    """Solve the elastic model and say which intervals fall short and which rule binds."""
    model = _Model(rules, grid, demands, caps, hard=True, elastic=True)
    status, _, _ = model.solve(mip=False)
    if status != "Optimal":
        return InfeasibleError(f"hard coverage is infeasible and the elastic model ended with {status}",
                               {"shortfalls": [], "binding": []})
    shortfalls = []
    reachable = {c: np.zeros(grid.n_intervals, dtype=bool) for c in demands}
    for template in rules.shifts:
        for channel in template.channels:
            if channel in reachable:
                for d in grid.days_on(template.weekdays):
                    for start in template.start_minutes():
                        reachable[channel][grid.covered(d * 1440 + start, template.length_minutes)] = True
    binding: list[str] = []
    for channel, unders in model.under.items():
        short = [i for i, u in enumerate(unders) if u is not None and (u.varValue or 0) > _EPS]
        if short:
            worst = max(unders[i].varValue for i in short)
            shortfalls.append({"channel": channel, "intervals": len(short), "max_short_agents": float(worst),
                               "when": _runs(short, grid)})
            outside = [i for i in short if not reachable[channel][i]]
            if outside:
                binding.append(f"template windows / opening hours: no [[shift]] serving {channel!r} is on duty "
                               f"{', '.join(_runs(outside, grid)[:5])}")
    for channel, lates in model.late.items():
        short = [i for i, v in enumerate(lates) if v is not None and (v.varValue or 0) > _EPS]
        if short:
            shortfalls.append({"channel": channel, "intervals": len(short),
                               "max_overdue_minutes": float(max(lates[i].varValue for i in short)),
                               "when": _runs(short, grid)})
    for channel, undone in model.undone.items():
        minutes = sum(float(v.varValue or 0.0) for v in undone)
        if minutes > _EPS:
            shortfalls.append({"channel": channel, "intervals": 0, "undone_minutes": minutes, "when": []})
    for label, row, limit in model.cap_rows:
        used = sum((v.varValue or 0.0) * coef for v, coef in row.items())
        if used >= limit - _EPS:
            binding.append(f"headcount cap: {label} (all used)")
    if shortfalls and not binding:
        binding.append("the weekly patterns (days_per_week, consecutive_days_off, max_consecutive_days), "
                       "start windows and activity windows together cannot follow the requirement")
    parts = [f"{s['channel']}: {s['undone_minutes']:,.0f} minutes of work the week has no capacity for"
             if "undone_minutes" in s else
             f"{s['channel']} short in {s['intervals']} interval(s) ({', '.join(s['when'][:4])}"
             f"{', ...' if len(s['when']) > 4 else ''})" for s in shortfalls]
    message = ("hard coverage cannot be met: " + "; ".join(parts) + ". Binding: " + "; ".join(binding)
               if shortfalls else "hard coverage is infeasible but the elastic model found no shortfall")
    return InfeasibleError(message, {"shortfalls": shortfalls, "binding": binding})

"""The shift model's seams: errors, inputs (agent pools, headcount caps), the solved plan, and
the small frozen records each constraint builder returns (one per variable it adds), which
the heuristics, the improvement and the read-back use by field name.

Money in the rules' currency, hours in hours, minutes in minutes; ``day`` is 0..6 of the
planned week (0 = its first day, which may be any weekday), ``start_minute`` is minutes
after midnight of a shift's first day, ``interval`` is an index into the week grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.rules import WEEKDAYS, Activity, ShiftTemplate
from scheduling.shifts.improve import Improvement
from wfm_errors import RulesError

# ------------------------------------------------------------------------- errors


class InfeasibleError(RulesError):
    """Hard coverage cannot be met; ``.explanation`` lists the shortfalls and the binding rules."""

    def __init__(self, message: str, explanation: dict):
        super().__init__(message)
        self.explanation = explanation

    def __reduce__(self):  # pickled whole (a Dask worker's plan failing reaches the client as itself)
        return (type(self), (str(self), self.explanation))


class GoalUnreachableError(InfeasibleError):
    """A daily or weekly service goal no plan the rules allow can reach, whatever it costs (the
    elastic LP, whose goal shortfall is priced at 1e6 a contact, maximises the answered contacts
    and still falls short). ``channel``, ``period`` ("week", or "day2 Wed" for a daily goal),
    ``target_sl`` and ``best_service_level`` (the highest volume-weighted service level that LP
    reaches there: an upper bound of what any plan reaches) name the worst period short; all of
    them are in ``explanation["shortfalls"]``."""

    def __init__(self, message: str, explanation: dict, *, channel: str, period: str, target_sl: float,
                 best_service_level: float):
        super().__init__(message, explanation)
        self.channel, self.period = channel, period
        self.target_sl, self.best_service_level = float(target_sl), float(best_service_level)

    def __reduce__(self):
        return (_goal_unreachable, (str(self), self.explanation, self.channel, self.period, self.target_sl,
                                    self.best_service_level))


def _goal_unreachable(message: str, explanation: dict, channel: str, period: str, target_sl: float,
                      best_service_level: float) -> GoalUnreachableError:
    """A :class:`GoalUnreachableError` again from its pickled fields."""
    return GoalUnreachableError(message, explanation, channel=channel, period=period, target_sl=target_sl,
                                best_service_level=best_service_level)


class SolveError(RuntimeError):
    """The solver stopped without a usable solution (e.g. time limit before any solution)."""


class BoundError(RuntimeError):
    """A plan cheaper than its proven lower bound: a bug in the model or the solve, never a result."""


# ------------------------------------------------------------------------- inputs


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


# ------------------------------------------------------------------------- the solved plan


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
    objective, bound then, method); the first is the first complete plan.

    ``binding_caps``: the headcount caps the plan uses to the last agent (``contract
    'full_time' max_agents=400``, an agent pool's skill or weekday count), the agent pool's
    limits that a plan short of its requirement ran into.

    ``unreachable[channel]``: grid intervals whose requirement no shift of the rules can reach
    (soft coverage); their ``unreachable_agent_hours`` are part of ``under_agent_hours`` but not
    of the objective, the bound or the gap (a constant no plan can change).

    ``service_goals``: for channels with a daily or weekly service goal, per channel and period
    (day or week) ``channel, goal, period, volume, answered_within, service_level, target_sl,
    short_contacts`` at the plan (the model's piecewise-linear answered-within-T, never above
    the queueing model at the plan's whole productive agents); None without such goals.
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
    unreachable_agent_hours: float = 0.0
    unreachable: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    service_goals: pd.DataFrame | None = None


# ------------------------------------------------------------------------- model records


@dataclass(frozen=True, slots=True)
class Tour:
    """One tour column (:mod:`scheduling.shifts.tours`): ``var`` agents who work ``template`` on
    ``channel`` at ``start_minute`` on every day of ``pattern`` (0/1 per day of the week).

    ``blends``: its agents may work the template's deferred channels in idle intervals.
    ``takers``: the agent pools (indexes into ``HeadcountCaps.pools``) able to take it (empty
    without named agents). ``cost``: its objective coefficient (pay plus the over-coverage
    price of its net hours)."""

    var: pulp.LpVariable
    template: ShiftTemplate
    template_index: int
    contract: str
    channel: str
    start_minute: int
    pattern: tuple[int, ...]
    blends: bool
    takers: frozenset[int]
    paid_hours: float
    cost: float

    @property
    def days(self) -> tuple[int, ...]:
        """Days of the week (0..6) the tour works."""
        return tuple(d for d in range(7) if self.pattern[d])


@dataclass(frozen=True, slots=True)
class ShiftGroup:
    """The shifts of one (template, channel, day, start, blends) (:mod:`scheduling.shifts.days`):
    ``count`` is a continuous column equal to the sum of the tours working that day at that
    start; coverage and the activity placement read it. ``blend_to``: the deferred channels
    its agents may work in idle intervals (empty unless ``blends``). ``intervals``: the grid
    intervals the shift covers."""

    count: pulp.LpVariable
    template: ShiftTemplate
    template_index: int
    channel: str
    day: int
    start_minute: int
    blends: bool
    blend_to: tuple[str, ...]
    tag: str
    intervals: np.ndarray = field(compare=False)

    @property
    def key(self) -> tuple[str, str, int, int, bool]:
        """(template name, channel, day, start minute, blends): the group's identity across models."""
        return (self.template.name, self.channel, self.day, self.start_minute, self.blends)


@dataclass(frozen=True, slots=True)
class Placement:
    """Shifts of ``group`` taking activity number ``activity_index`` of the template at
    ``offset_minutes`` after the shift start (:mod:`scheduling.shifts.activities`). ``var`` is
    the integer placement column, or None when the activity has a single offset (then every
    shift of the group takes it there: the count is ``group.count``)."""

    var: pulp.LpVariable | None
    group: ShiftGroup
    activity: Activity
    activity_index: int
    offset_minutes: int

    @property
    def count(self) -> pulp.LpVariable:
        """The column whose value is the number of shifts placed here."""
        return self.group.count if self.var is None else self.var


@dataclass(frozen=True, slots=True)
class Blend:
    """Agents on a ``channel`` shift working the deferred ``work_channel`` in grid ``interval``
    (:mod:`scheduling.shifts.blending`): integer column ``var``, bounded by ``row``
    (``var <= agents on duty there who may blend``)."""

    var: pulp.LpVariable
    channel: str
    work_channel: str
    interval: int
    row: pulp.LpConstraint


@dataclass(frozen=True, slots=True)
class CapRow:
    """A headcount row (:mod:`scheduling.shifts.headcount`): ``row`` says the tours it sums are
    at most ``limit`` agents; ``label`` says which agents, for the infeasibility explanation."""

    label: str
    row: pulp.LpConstraint
    limit: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the coverage builder (:mod:`scheduling.shifts.formulation.coverage`) exposes.

    ``staffed[channel][i]``: the linear expression of the agents working ``channel`` in grid
    interval ``i`` (shifts on duty, net of activities; blended agents moved from their shift's
    channel to the deferred channel they work). A builder added after coverage (a service
    goal, say) writes its rows on these. ``under[channel][i]``: the under-coverage column of an
    immediate channel's interval (agents short of ``required_agents``), or None where the
    interval requires nobody or coverage is hard. ``unreachable[channel]``: the intervals of soft
    coverage with a requirement that no shift can reach (left out of the model, reported apart)."""

    staffed: Mapping[str, tuple[pulp.LpAffineExpression, ...]]
    under: Mapping[str, tuple[pulp.LpVariable | None, ...]]
    unreachable: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Backlog:
    """The deferred channels' work flow (:mod:`scheduling.shifts.formulation.blending`), per
    channel and interval: ``done`` (agent-minutes worked), ``backlog`` (agent-minutes waiting
    at the interval's end), ``late`` (waiting past their due time; None under hard coverage)
    and ``undone`` (left undone in the week, soft coverage only: one per interval with work)."""

    done: Mapping[str, tuple[pulp.LpVariable, ...]]
    backlog: Mapping[str, tuple[pulp.LpVariable, ...]]
    late: Mapping[str, tuple[pulp.LpVariable | None, ...]]
    undone: Mapping[str, tuple[pulp.LpVariable, ...]]

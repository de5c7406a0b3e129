"""The week's schedule stage (planner side): load rules and agents, plan, roster, check, write.

Chains :mod:`scheduling.shifts` (the LP/MIP shift plan), :mod:`scheduling.roster` (named
agents) and :mod:`scheduling.checks` (independent rule check), adds the service check
(expected service level per interval and per day by Erlang, and by simulation with its
P10-P90 spread) and writes the four output files of docs/architecture.md section 3 atomically.

Example::

    >>> week = schedule_week(requirements, read_toml("rules.toml"))     # doctest: +SKIP
    >>> week.solver.status, week.cost                                  # doctest: +SKIP
    >>> write_outputs(week, "out/")                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import InputError
from wfm_progress import Progress, quiet
from planner.plan_config import PLANNING_GRIDS_MINUTES
from planner.toml_files import read_toml
from scheduling.channels import IMMEDIATE_CHANNELS
from scheduling.checks import RuleViolationError, check_roster, compare_coverage
from scheduling.coverage import DEFERRED_CHANNELS, ChannelDemand, WeekGrid, planning_week_start
from scheduling.roster import agents_from_frame, build_roster, headcount_caps
from scheduling.rules import RuleSet
from scheduling.shifts.warm import WarmStart
from scheduling.shifts import HeadcountCaps, ShiftPlan, SolveError, plan_shifts  # SolveError: for callers (the pages) that import planner only

REPLAN_ROUNDS = 2  # re-plans with tighter caps when some tours fit no agent
SHORT_AGENTS = 1.0  # an interval counts as short when a whole agent or more is missing

OUTPUT_FILES = ("roster.csv", "activities.csv", "coverage.csv", "summary.json")
_ISO = "%Y-%m-%dT%H:%M:%S"


def load_rules(rules: RuleSet | Mapping[str, Any] | str | Path, *, source: str = "rules.toml") -> RuleSet:
    """A :class:`RuleSet` from a rule set, a parsed mapping or a ``rules.toml`` path."""
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, (str, Path)):
        return RuleSet.from_mapping(read_toml(rules), source=str(rules))
    return RuleSet.from_mapping(rules, source=source)




@dataclass(frozen=True)
class GridChoice:
    """Whether a week can be planned on a grid of ``minutes``; ``why_not`` says why not in the
    user's words (empty when it can)."""

    minutes: int
    why_not: str = ""

    @property
    def usable(self) -> bool:
        return not self.why_not


def _minutes(text: Any) -> int | None:
    try:
        hours, minutes = str(text).split(":")
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _off_grid(value: Any, grid: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and value % grid != 0


def _plural(word: str) -> str:
    return word + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")


def _length_text(minutes: float) -> str:
    return f"{minutes:g}-minute" if minutes < 60 or minutes % 60 else f"{minutes / 60:g}-hour"


def _rules_why_not(rules: Mapping[str, Any], grid: int) -> str:
    """The first thing in the shift rules a grid of ``grid`` minutes can't represent, in words."""
    for shift in rules.get("shift", []) or []:
        name = shift.get("name", "?")
        length = shift.get("length_minutes")
        if _off_grid(length, grid):
            return (f"the {name!r} shifts last {length:g} minutes ({length / 60:g} h), which is not a whole number of "
                    f"{grid}-minute intervals")
        for key, what in (("earliest_start", "may start at"), ("latest_start", "may start until")):
            at = _minutes(shift.get(key, "00:00"))
            if at is not None and at % grid:
                return f"the {name!r} shifts {what} {shift.get(key)}, which is not on a {grid}-minute boundary"
        step = shift.get("start_step_minutes")
        if _off_grid(step, grid):
            return f"the {name!r} shifts start every {step:g} minutes, finer than {grid}-minute intervals"
        for activity in shift.get("activity", []) or []:
            kind = activity.get("kind", "activity")
            act_len = activity.get("length_minutes")
            if _off_grid(act_len, grid):
                return (f"the {_length_text(act_len)} {_plural(kind)} of the {name!r} shifts don't fill whole "
                        f"{grid}-minute intervals")
            for key in ("earliest_after_start", "latest_after_start"):
                offset = activity.get(key)
                if _off_grid(offset, grid):
                    return (f"the {_plural(kind)} of the {name!r} shifts may start {offset:g} minutes into the shift, "
                            f"which is not on a {grid}-minute boundary")
    return ""


def grid_choices(rules: Mapping[str, Any], *, history_interval_minutes: int | None = None,
                 grids: tuple[int, ...] = PLANNING_GRIDS_MINUTES) -> tuple[GridChoice, ...]:
    """Which planning grids (minutes) the shift ``rules`` (a rules.toml mapping; its own
    ``interval_minutes`` is replaced by each grid) and a history in ``history_interval_minutes``
    intervals allow, each with the reason when not, e.g. ``"the 15-minute breaks of the 'early'
    shifts don't fill whole 30-minute intervals"``. The rule set's own validation has the last
    word: a grid it rejects is never offered.

    Example:
        >>> [c.minutes for c in grid_choices({"contract": [{"name": "ft", "days_per_week": 5, "hourly_cost": 20}],
        ...     "shift": [{"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
        ...                "earliest_start": "08:00", "activity": [{"kind": "break", "length_minutes": 15}]}]})
        ...  if c.usable]
        [15]
    """
    choices = []
    for grid in grids:
        why = ""
        step = int(history_interval_minutes or 0)
        if step and grid < step:
            why = f"the history is in {step}-minute intervals, and a plan can't be finer than its history"
        elif step and grid % step:
            why = f"the history's {step}-minute intervals don't add up to {grid}-minute ones"
        if not why:
            why = _rules_why_not(rules, grid)
        if not why:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    RuleSet.from_mapping({**dict(rules), "interval_minutes": grid}, source="the shift rules")
            except ValueError as exc:
                why = f"the shift rules don't allow it ({exc})"
        choices.append(GridChoice(grid, why))
    return tuple(choices)


def read_agents_csv(path: str | Path, rules: RuleSet):
    """Validated agents from ``agents.csv`` (errors name the file and row)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: not a readable CSV: {exc}") from None
    for column in ("min_hours", "max_hours", "weekend_days_worked", "night_shifts_worked"):
        if column in frame.columns:
            frame[column] = frame[column].replace("", np.nan)
    return agents_from_frame(frame, rules, source=str(path))


def read_requirements_csv(path: str | Path) -> pd.DataFrame:
    """The Requirements frame from a CSV file (``ValueError`` naming the file when unreadable)."""
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV: {exc}") from None


@dataclass(frozen=True)
class CoverageLimit:
    """Where a plan falls short of its requirement by whole agents, and whether the agent pool is why.

    ``short_intervals``: intervals of the immediate channels (voice, chat, messaging) where the
    roster's agents (net of breaks) are at least :data:`SHORT_AGENTS` below the requirement;
    ``worst_short_agents`` the largest such gap (agents), at ``worst_at`` on ``worst_channel``;
    ``binding_caps``: the headcount limits the plan used to the last agent
    (:attr:`scheduling.shifts.ShiftPlan.binding_caps`); ``unfilled_tours``: planned tours no
    agent could take. The plan is **limited by the agent pool** when it is short somewhere and
    a headcount limit is used up (or tours found no agent): more agents, not a better solve,
    would cover it. Fractional gaps (3.2 required, 3 scheduled) are the soft plan's own
    trade-off and are not counted here (``understaffed_intervals`` in the plan row counts them).

    >>> CoverageLimit(3, 2.5, pd.Timestamp("2025-06-03 10:00"), "voice", ("contract 'full_time' max_agents=40",), 0).text()
    'limited by the agent pool: 3 intervals short, worst 2.5 agents at Tue 2025-06-03 10:00 (voice)'
    """

    short_intervals: int
    worst_short_agents: float
    worst_at: pd.Timestamp | None
    worst_channel: str | None
    binding_caps: tuple[str, ...] = ()
    unfilled_tours: int = 0

    @property
    def limited_by_pool(self) -> bool:
        return self.short_intervals > 0 and (bool(self.binding_caps) or self.unfilled_tours > 0)

    def text(self) -> str:
        """One line for the pages and the CLI; empty when the plan is not short by a whole agent."""
        if self.short_intervals == 0:
            return ""
        where = f"{self.worst_at:%a %Y-%m-%d %H:%M} ({self.worst_channel})" if self.worst_at is not None else ""
        head = "limited by the agent pool" if self.limited_by_pool else "short of the requirement"
        return (f"{head}: {self.short_intervals} interval{'s' if self.short_intervals != 1 else ''} short, "
                f"worst {self.worst_short_agents:.3g} agents at {where}")

    def to_summary(self) -> dict[str, Any]:
        return {"limited_by_pool": self.limited_by_pool, "short_intervals": self.short_intervals,
                "worst_short_agents": self.worst_short_agents,
                "worst_at": self.worst_at.strftime(_ISO) if self.worst_at is not None else None,
                "worst_channel": self.worst_channel, "binding_caps": list(self.binding_caps),
                "unfilled_tours": self.unfilled_tours, "text": self.text(),
                "definition": f"intervals of {'/'.join(IMMEDIATE_CHANNELS)} at least {SHORT_AGENTS:g} agent below requirement; "
                              "limited by the agent pool when a headcount limit is used up"}

    @classmethod
    def from_summary(cls, data: Mapping[str, Any]) -> CoverageLimit:
        at = data.get("worst_at")
        return cls(int(data.get("short_intervals") or 0), float(data.get("worst_short_agents") or 0.0),
                   pd.Timestamp(at) if at else None, data.get("worst_channel"),
                   tuple(data.get("binding_caps") or ()), int(data.get("unfilled_tours") or 0))


def coverage_limit(coverage: pd.DataFrame, *, binding_caps: tuple[str, ...] = (), unfilled_tours: int = 0) -> CoverageLimit:
    """The :class:`CoverageLimit` of a coverage frame (``interval_start, channel, required, scheduled``)."""
    rows = coverage[coverage["channel"].isin(IMMEDIATE_CHANNELS)]
    gap = rows["required"].to_numpy(dtype=float) - rows["scheduled"].to_numpy(dtype=float)
    short = gap >= SHORT_AGENTS - 1e-6
    if not short.any():
        return CoverageLimit(0, 0.0, None, None, tuple(binding_caps), int(unfilled_tours))
    worst = int(np.argmax(gap))
    return CoverageLimit(int(short.sum()), float(gap[worst]), pd.Timestamp(rows["interval_start"].iloc[worst]),
                         str(rows["channel"].iloc[worst]), tuple(binding_caps), int(unfilled_tours))


@dataclass(frozen=True)
class SolverReport:
    """What the shift plan's solve reports: HiGHS's ``status`` (``Optimal``, ``Feasible``, ...),
    the ``solver`` that ran, the plan's ``objective`` (pay plus priced shortfall and
    over-coverage, money), its ``lower_bound`` (the LP relaxation), ``mip_bound`` (the
    branch-and-bound dual bound, None when not run), ``bound`` (the higher of the two), ``gap``
    (relative, objective over bound), ``solve_seconds`` (wall clock) and the ``improvements``
    (:class:`scheduling.shifts.records.Improvement`: seconds, objective, bound, method)."""

    status: str
    solver: str
    objective: float
    lower_bound: float
    mip_bound: float | None
    bound: float
    gap: float
    solve_seconds: float
    improvements: tuple[Any, ...] = ()

    @classmethod
    def of(cls, plan: ShiftPlan) -> SolverReport:
        """The report of a solved :class:`scheduling.shifts.ShiftPlan`."""
        return cls(plan.status, plan.solver, plan.objective, plan.lower_bound, plan.mip_bound, plan.bound, plan.gap,
                   plan.solve_seconds, tuple(plan.improvements))

    def to_summary(self) -> dict[str, Any]:
        """The ``solver`` table of summary.json (seconds rounded to milliseconds in ``improvements``)."""
        return {
            "status": self.status, "solver": self.solver, "objective": self.objective, "lower_bound": self.lower_bound,
            "lower_bound_kind": "LP relaxation", "mip_bound": self.mip_bound, "bound": self.bound,
            "bound_kind": "the higher of the LP relaxation and the MIP dual bound", "gap": self.gap,
            "solve_seconds": self.solve_seconds,
            "improvements": [{"seconds": round(i.seconds, 3), "objective": i.objective, "bound": i.bound, "method": i.method}
                             for i in self.improvements],
        }


@dataclass(frozen=True)
class ScheduleChecks:
    """The checks of a week's roster (everything summary.json reports besides cost and solver).

    ``service_check``: :func:`service_check`'s report (or ``{"skipped": why}``);
    ``coverage_limit``: :class:`CoverageLimit`; ``deferred_on_time``: channel -> share of the
    deferred work done before due (:func:`deferred_on_time`); agent-hours the roster is short of
    the plan (``roster_short_of_plan_agent_hours``), the plan short of the requirement
    (``under_coverage_agent_hours``, of which ``unreachable_agent_hours`` no shift reaches);
    ``deferred_undone_minutes``: deferred work left undone (agent-minutes); ``unfilled_tours``:
    planned tours no agent took (``contract, channel, agents, ...``; empty when all were taken);
    ``idle_agents``; ``fairness`` (weekend and night spread, :class:`scheduling.roster.Roster`);
    ``agents_by_contract``; ``planned_service_goals``: the daily/weekly goals as planned (a
    frame, None without such goals); ``rule_violations``: the independent rule check's
    :class:`scheduling.checks.Violation` records (empty in any result: a roster that breaks a
    rule raises instead); ``risk``: the :class:`planner.risk.RiskPlan` when the week was
    planned for its targets' risk."""

    service_check: dict[str, Any]
    coverage_limit: CoverageLimit
    deferred_on_time: dict[str, float]
    roster_short_of_plan_agent_hours: float
    under_coverage_agent_hours: float
    unreachable_agent_hours: float
    deferred_undone_minutes: float
    unfilled_tours: pd.DataFrame
    idle_agents: tuple[str, ...]
    fairness: dict[str, Any]
    agents_by_contract: dict[str, int]
    planned_service_goals: pd.DataFrame | None = None
    rule_violations: tuple[Any, ...] = ()
    risk: Any = None  # planner.risk.RiskPlan when the week was planned for a risk

    def to_summary(self) -> dict[str, Any]:
        """The checks' keys of summary.json (``rule_check``: the count and the first 20 violations)."""
        return {
            "agents_by_contract": dict(self.agents_by_contract),
            "under_coverage_agent_hours": self.under_coverage_agent_hours,
            "unreachable_agent_hours": self.unreachable_agent_hours,  # part of the line above: no shift reaches them
            "deferred_undone_minutes": self.deferred_undone_minutes,
            "roster_short_of_plan_agent_hours": self.roster_short_of_plan_agent_hours,
            "deferred_on_time": dict(self.deferred_on_time),
            "unfilled_tours": self.unfilled_tours.to_dict("records") if len(self.unfilled_tours) else [],
            "idle_agents": list(self.idle_agents),
            "fairness": self.fairness,
            "rule_check": {"violations": len(self.rule_violations), "first": [str(p) for p in self.rule_violations[:20]]},
            "service_check": self.service_check,
            "coverage_limit": self.coverage_limit.to_summary(),
            # daily/weekly goals as planned: the model's answered within T per day or week at the plan
            "planned_service_goals": (self.planned_service_goals.to_dict("records")
                                      if self.planned_service_goals is not None else []),
            # risk planned for (planner.risk): the plans tried, P(goal met) by simulation, the cost over the point plan
            "risk": self.risk_summary(),
        }

    def risk_summary(self) -> dict[str, Any] | None:
        """What planning for the targets' ``risk`` chose and cost (None when it was not planned for)."""
        if self.risk is None:
            return None
        from planner.risk import risk_text

        return self.risk.to_summary() | {"text": risk_text(self.risk)}


@dataclass(frozen=True)
class WeekSchedule:
    """One week's schedule (:func:`schedule_week`): the ``roster``, ``activities`` and
    ``coverage`` frames (docs/architecture.md section 3), the plan's ``tours``, its ``cost``
    (money) and ``paid_hours``, the :class:`SolverReport`, the :class:`ScheduleChecks`, the
    ``rules`` it was planned under and the solved ``plan`` itself
    (:class:`scheduling.shifts.ShiftPlan`). :meth:`to_summary` is summary.json."""

    roster: pd.DataFrame
    activities: pd.DataFrame
    coverage: pd.DataFrame
    tours: pd.DataFrame
    cost: float
    paid_hours: float
    solver: SolverReport
    checks: ScheduleChecks
    rules: RuleSet
    plan: ShiftPlan

    def to_summary(self) -> dict[str, Any]:
        """summary.json of ``planner schedule``: cost, paid hours, the ``solver`` table, the
        rule settings the week was planned under, then the checks (:meth:`ScheduleChecks.to_summary`)."""
        return {
            "cost": self.cost,
            "paid_hours": self.paid_hours,
            "solver": self.solver.to_summary(),
            "coverage_mode": self.rules.coverage,
            "wrap_week": self.rules.wrap_week,
            "interval_minutes": self.rules.interval_minutes,
            "week_start": self.plan.grid.start.date().isoformat(),
            **self.checks.to_summary(),
        }


def plan_processes() -> int:
    """The processes one shift plan solved alone may keep busy: this process's cores
    (``os.sched_getaffinity``; ``os.cpu_count()`` where it is missing). For a plan solved in its
    own process with nothing else planned beside it (``planner schedule``, ``planner plan``'s
    plan when it runs alone, the benchmarks' single plans); plans solved side by side (Dask
    scenario workers, the frontier, the budget search) pass 1, so that N plans never keep 2 N
    processes busy (:func:`scheduling.shifts.plan_shifts`'s ``processes``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def schedule_week(
    requirements: pd.DataFrame,
    rules: RuleSet | Mapping[str, Any] | str | Path,
    *,
    agents: str | Path | pd.DataFrame | None = None,
    source: str = "rules.toml",
    targets: Mapping[str, Any] | None = None,
    replications: int = 10,
    seed: int = 0,
    progress: Progress | None = None,
    spread: pd.DataFrame | None = None,
    start: WarmStart | None = None,
    processes: int = 1,
) -> WeekSchedule:
    """Plan, roster and check one week: a :class:`WeekSchedule`.

    ``requirements``: the Requirements frame (docs/architecture.md section 3). ``agents``: ``agents.csv``
    path or frame, or None to create agents per contract. ``targets``: channel ->
    :class:`scheduling.requirements.ServiceTarget` (e.g. from ``planner.staffing.load_staffing``)
    for the service check; without it the check is skipped and the summary says so.
    ``progress`` (:class:`wfm_progress.Progress`) is told each step in words (``share`` None).

    ``spread``: the forecast's spread (:func:`forecasting.scenarios.forecast_spread`); with it,
    channels whose target has a ``risk`` are planned for it (:func:`planner.risk.plan_for_risk`:
    the goal met in >= risk of the forecast scenarios by simulation; ``summary["risk"]`` says
    what it costs over the point-forecast plan). Without it, risk is reported, not planned for.

    ``start``: another plan's tours to begin the shift plan from
    (:func:`scheduling.shifts.solve.plan_shifts_from`; e.g. a budget scenario from its base
    plan, ``WarmStart.of(base.tours)``); not used when planning for risk.

    ``processes``: what each shift plan may keep busy (:func:`scheduling.shifts.plan_shifts`):
    1 (default) when other plans run beside this one, :func:`plan_processes` when it runs alone.

    Raises :class:`scheduling.checks.RuleViolationError` when the independent rule check finds
    a violation in the roster, or the coverage the plan priced, the plan's and the roster's
    (``coverage``) differ: such a roster is never a result.
    """
    say = progress or quiet
    rule_set = load_rules(rules, source=source)
    risky = _warn_risk(targets, spread)
    agent_list = _read_agents(agents, rule_set)
    plan, roster, risk_plan = _plan_and_roster(requirements, rule_set, agent_list, targets=targets, say=say,
                                               spread=spread if risky else None, seed=seed, start=start,
                                               processes=processes)
    say("checking the roster")
    _check(plan, roster, rule_set)
    service: dict[str, Any]
    if targets:
        say("service check (Erlang and simulation)")
        service = service_check(roster.coverage, requirements, targets, interval_minutes=rule_set.interval_minutes,
                                replications=replications, seed=seed)
    else:
        service = {"skipped": "no service targets given (planner schedule --staffing staffing.toml)"}
    return WeekSchedule(roster=roster.roster, activities=roster.activities, coverage=roster.coverage, tours=plan.tours,
                        cost=plan.cost, paid_hours=plan.paid_hours, solver=SolverReport.of(plan),
                        checks=_checks(plan, roster, rule_set, service, risk_plan), rules=rule_set, plan=plan)


def _warn_risk(targets: Mapping[str, Any] | None, spread: pd.DataFrame | None) -> bool:
    """Whether some target has a ``risk``; warns when it can't be planned for (no forecast spread)."""
    risky = sorted(f"{c} (risk {t.risk:g})" for c, t in (targets or {}).items() if getattr(t, "risk", None) is not None)
    if risky and spread is None:
        warnings.warn(f"risk for {', '.join(risky)}: no forecast spread (planner schedule reads requirements, not a "
                      "forecast), so the shift plan meets the daily/weekly goal on the point forecast; planner plan "
                      "plans for risk over the forecast's scenarios", stacklevel=3)
    return bool(risky)


def _read_agents(agents: str | Path | pd.DataFrame | None, rule_set: RuleSet):
    """The validated agent list (None: agents are created per contract)."""
    if isinstance(agents, pd.DataFrame):
        return agents_from_frame(agents, rule_set)
    if agents is not None:
        return read_agents_csv(agents, rule_set)
    return None


def _plan_and_roster(requirements: pd.DataFrame, rule_set: RuleSet, agent_list, *, targets, say,
                     spread: pd.DataFrame | None = None, seed: int = 0, start: WarmStart | None = None,
                     processes: int = 1):
    """The shift plan, its roster and the :class:`planner.risk.RiskPlan` (None unless ``spread``
    is given for targets with a risk); with named agents, re-planned (up to
    :data:`REPLAN_ROUNDS` times) under tighter caps while some tours fit no agent, keeping the
    roster with fewer unfilled."""
    caps = None
    if agent_list is not None:
        caps = headcount_caps(agent_list, planning_week_start(requirements["interval_start"],
                                                              first_weekday=rule_set.week_start))
    planned_on, risk_plan = requirements, None
    if spread is not None:
        from planner.risk import plan_for_risk, risk_text

        risk_plan = plan_for_risk(requirements, rule_set, targets=targets, spread=spread,
                                  interval_minutes=rule_set.interval_minutes, caps=caps, seed=seed, progress=say,
                                  processes=processes)
        plan, planned_on = risk_plan.plan, risk_plan.requirements
        if not risk_plan.met:
            warnings.warn(risk_text(risk_plan), stacklevel=3)
    else:
        plan = plan_shifts(requirements, rule_set, caps=caps, progress=say, targets=targets, start=start,
                           processes=processes)
    say("assigning agents")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        roster = build_roster(plan, rule_set, agents=agent_list)
    for _ in range(REPLAN_ROUNDS if agent_list is not None else 0):
        if not len(roster.unfilled):
            break
        # the aggregated caps let through tours no single agent can take: tighten and re-plan
        say(f"re-planning: {int(roster.unfilled['agents'].sum())} tour(s) had no agent")
        caps = _tightened(caps, plan.tours, roster.unfilled)
        plan2 = plan_shifts(planned_on, rule_set, caps=caps, progress=say, targets=targets, processes=processes,
                            start=None if start is None else WarmStart.of(plan.tours, label="the plan before"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            roster2 = build_roster(plan2, rule_set, agents=agent_list)
        before = int(roster.unfilled["agents"].sum())
        after = int(roster2.unfilled["agents"].sum()) if len(roster2.unfilled) else 0
        if after <= before:
            plan, roster = plan2, roster2
    if len(roster.unfilled):
        warnings.warn(f"{int(roster.unfilled['agents'].sum())} planned tour(s) could not be given to any agent "
                      "(contract, skills, availability or hours); their shifts are missing", stacklevel=3)
    return plan, roster, risk_plan


def _check(plan: ShiftPlan, roster, rule_set: RuleSet) -> None:
    """The independent rule check, and the coverage the LP priced = the plan's = the roster's;
    raises :class:`scheduling.checks.RuleViolationError` on any difference."""
    problems = check_roster(roster.roster, roster.activities, rule_set, agents=roster.agents,
                            coverage=roster.coverage, week_start=plan.grid.start)
    # the coverage the LP priced, the plan's and the roster's are one and the same
    if plan.priced_coverage is not None:
        problems += compare_coverage(plan.priced_coverage, plan.coverage, expected_name="the coverage the plan priced",
                                     actual_name="the plan's rounded shifts and activities")
    if not len(roster.unfilled):  # else the summary reports what the roster is short of the plan
        problems += compare_coverage(plan.coverage, roster.coverage, expected_name="the plan",
                                     actual_name="the roster (coverage.csv)")
    if problems:
        raise RuleViolationError(problems)


def _checks(plan: ShiftPlan, roster, rule_set: RuleSet, service: dict[str, Any], risk_plan: Any = None) -> ScheduleChecks:
    """The :class:`ScheduleChecks` of a roster that passed :func:`_check`."""
    on_time = {c: deferred_on_time(d, roster.coverage, plan.grid) for c, d in plan.demands.items() if d.deferred}
    both = roster.coverage.merge(plan.coverage, on=["interval_start", "channel"], suffixes=("", "_plan"))
    not_placed = float(np.clip(both["scheduled_plan"] - both["scheduled"], 0, None).sum()) * rule_set.interval_minutes / 60
    headcount = roster.assignments.groupby("contract")["agent_id"].nunique().to_dict()
    # channels planned on a daily/weekly goal run some intervals below their interval requirement on purpose
    goal_channels = set(plan.service_goals["channel"]) if plan.service_goals is not None else set()
    limit = coverage_limit(roster.coverage[~roster.coverage["channel"].isin(goal_channels)], binding_caps=plan.binding_caps,
                           unfilled_tours=int(roster.unfilled["agents"].sum()) if len(roster.unfilled) else 0)
    return ScheduleChecks(
        service_check=service, coverage_limit=limit, deferred_on_time=on_time,
        roster_short_of_plan_agent_hours=not_placed, under_coverage_agent_hours=plan.under_agent_hours,
        unreachable_agent_hours=plan.unreachable_agent_hours, deferred_undone_minutes=plan.undone_work_minutes,
        unfilled_tours=roster.unfilled, idle_agents=tuple(roster.idle_agents), fairness=roster.fairness,
        agents_by_contract={k: int(v) for k, v in headcount.items()}, planned_service_goals=plan.service_goals,
        risk=risk_plan)


def _tightened(caps: HeadcountCaps, tours: pd.DataFrame, unfilled: pd.DataFrame) -> HeadcountCaps:
    """Caps lowered to what the agents actually took, per contract and contract x channel."""
    by_contract = dict(caps.by_contract)
    by_channel = dict(caps.by_contract_channel)
    planned = tours.groupby(["contract", "channel"])["agents"].sum()
    missing = unfilled.groupby(["contract", "channel"])["agents"].sum()
    for (contract, channel), count in missing.items():
        by_channel[(contract, channel)] = max(0, int(planned[(contract, channel)] - count))
    for contract, count in unfilled.groupby("contract")["agents"].sum().items():
        taken = int(tours.loc[tours["contract"] == contract, "agents"].sum() - count)
        by_contract[contract] = max(0, min(by_contract.get(contract, taken), taken))
    return HeadcountCaps(by_contract, by_channel, dict(caps.by_contract_weekday), caps.pools)


def deferred_on_time(demand: ChannelDemand, coverage: pd.DataFrame, grid: WeekGrid) -> float:
    """Share of a deferred channel's week of work done before it is due.

    Work that can still make its due time is done first (earliest due first); overdue work
    gets only the capacity left over.

    Capacity per interval = scheduled agents x ``interval_minutes``; with a wrapping week the
    week is run twice and the second (steady-state) pass is measured.
    """
    rows = coverage[coverage["channel"] == demand.channel].sort_values("interval_start")
    capacity = rows["scheduled"].to_numpy(dtype=float) * grid.interval_minutes
    if len(capacity) != grid.n_intervals or demand.work_minutes is None or demand.work_minutes.sum() <= 0:
        return 1.0
    return on_time_share(demand, capacity, grid)


def on_time_share(demand: ChannelDemand, capacity: np.ndarray, grid: WeekGrid) -> float:
    """Earliest due first among work that can still be on time; overdue work only with capacity left.

    This is the order the plan's backlog model allows (work is done any time before its due
    window closes), so an overloaded week no longer lets a backlog of already-late work take
    every minute (plain FIFO over a wrapping week then measured 0 % on time).
    """
    n = grid.n_intervals
    dt = grid.interval_minutes
    passes = 2 if grid.wrap else 1
    pending: list[list[float]] = []  # remaining, due, pass; kept in due order
    done_on_time = counted_total = 0.0
    for p in range(passes):
        last = p == passes - 1
        for i in range(n):
            start = (p * n + i) * dt
            if demand.work_minutes[i] > 0:
                pending.append([float(demand.work_minutes[i]), start + float(demand.due_minutes[i]), float(last)])
                counted_total += demand.work_minutes[i] * last
                pending.sort(key=lambda item: item[1])
            free = float(capacity[i])
            # minutes finished within this interval count as on time when the interval ends by the due time
            for item in [it for it in pending if start + dt <= it[1] + 1e-9] + \
                        [it for it in pending if start + dt > it[1] + 1e-9]:
                if free <= 1e-12:
                    break
                take = min(free, item[0])
                item[0] -= take
                free -= take
                if last and start + dt <= item[1] + 1e-9:  # steady state: carried-in work mirrors carried-out
                    done_on_time += take
            pending = [it for it in pending if it[0] > 1e-9]
    return float(done_on_time / counted_total) if counted_total > 0 else 1.0


def service_check(
    coverage: pd.DataFrame,
    requirements: pd.DataFrame,
    targets: Mapping[str, Any],
    *,
    interval_minutes: int,
    replications: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Expected service per interval and per day by Erlang, and by simulation (P10/P50/P90).

    Agents in the queue = scheduled (net of breaks) x (1 - shrinkage), rounded down, as in
    :mod:`planner.service`. Returns ``{"definition", "per_channel", "per_day", "per_interval"}``;
    each channel's ``goal`` says how the expected (Erlang) service meets its ``service_goal``
    (:func:`planner.service.goal_check`).
    """
    from planner.service import expected_service, goal_check
    from scheduling.simulation import simulate

    immediate = {c: t for c, t in targets.items() if c not in DEFERRED_CHANNELS}
    present = set(coverage["channel"]) & set(immediate)
    missing = sorted(set(coverage["channel"]) - set(targets) - DEFERRED_CHANNELS)
    erlang = expected_service(coverage[coverage["channel"].isin(present)], requirements,
                              {c: immediate[c] for c in present}, interval_minutes=interval_minutes)
    per_interval, per_channel, per_day = [], {}, []
    for channel, rows in erlang.groupby("channel", sort=True):
        target = immediate[channel]
        rows = rows.sort_values("interval_start")
        calls = rows["volume"].to_numpy(dtype=float)
        aht = rows["aht_s"].to_numpy(dtype=float)
        aht = np.where(np.isfinite(aht) & (aht > 0), aht, target.aht_s or 1.0)
        sim = simulate(calls, rows["productive_agents"].to_numpy(dtype=float), interval_s=interval_minutes * 60.0,
                       aht_s=aht, answer_s=target.answer_s, patience_s=target.patience_s,
                       concurrency=int(target.concurrency or 1), replications=replications, seed=seed)
        pi = sim.per_interval
        frame = pd.DataFrame({
            "interval_start": rows["interval_start"].to_numpy(), "channel": channel, "volume": calls,
            "erlang_service_level": rows["service_level"].to_numpy(dtype=float),
            "sim_service_level": pi["service_level"].to_numpy(dtype=float),
            "sim_p10": pi["service_level_p10"].to_numpy(dtype=float),
            "sim_p90": pi["service_level_p90"].to_numpy(dtype=float),
        })
        per_interval.append(frame)
        per_channel[channel] = {
            "target_sl": target.target_sl, "answer_s": target.answer_s,
            "erlang_service_level": _weighted(frame["erlang_service_level"], frame["volume"]),
            "sim_service_level": sim.overall.get("service_level"),
            "sim_p10": sim.overall.get("service_level_p10"), "sim_p90": sim.overall.get("service_level_p90"),
            "replications": replications,
            "goal": goal_check(rows, target),
        }
        for day, part in frame.groupby(pd.to_datetime(frame["interval_start"]).dt.date):
            per_day.append({"date": day.isoformat(), "channel": channel, "volume": float(part["volume"].sum()),
                            "erlang_service_level": _weighted(part["erlang_service_level"], part["volume"]),
                            "sim_service_level": _weighted(part["sim_service_level"], part["volume"])})
    records = []
    if per_interval:
        table = pd.concat(per_interval, ignore_index=True)
        table = table[table["volume"] > 0]
        table["interval_start"] = pd.to_datetime(table["interval_start"]).dt.strftime(_ISO)
        records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                   for r in table.round(4).to_dict("records")]
    return {
        "definition": "share of offered contacts answered within answer_s (abandons count against); agents = "
                      "scheduled net of activities x (1 - shrinkage), rounded down; Erlang C/A or chat concurrency "
                      "model, and a discrete-event simulation (P10/P90 across replications)",
        "channels_without_target": missing,
        "per_channel": per_channel,
        "per_day": per_day,
        "per_interval": records,
    }


def _weighted(values: pd.Series, weights: pd.Series) -> float | None:
    v = values.to_numpy(dtype=float)
    w = weights.to_numpy(dtype=float)
    ok = np.isfinite(v) & (w > 0)
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else None


def write_outputs(result: WeekSchedule, out: str | Path) -> list[Path]:
    """Write roster.csv, activities.csv, coverage.csv and summary.json into the folder ``out``.

    Through :func:`planner.writers.write_outputs`: the folder is built beside ``out`` and
    swapped in whole (its previous content replaced), so a failure never leaves a mix of
    old and new files; text cells are neutralized against formula injection.
    """
    from planner.writers import json_ready, write_csv, write_json
    from planner.writers import write_outputs as write_folder

    roster = result.roster.copy()
    for column in ("shift_start", "shift_end"):
        roster[column] = pd.to_datetime(roster[column]).dt.strftime(_ISO)
    activities = result.activities.copy()
    for column in ("start", "end"):
        activities[column] = pd.to_datetime(activities[column]).dt.strftime(_ISO)
    coverage = result.coverage.copy()
    coverage["interval_start"] = pd.to_datetime(coverage["interval_start"]).dt.strftime(_ISO)
    summary = json_ready(result.to_summary())
    write_folder(out, {
        "roster.csv": lambda p: write_csv(roster, p),
        "activities.csv": lambda p: write_csv(activities, p),
        "coverage.csv": lambda p: write_csv(coverage, p),
        "summary.json": lambda p: write_json(summary, p),
    })
    return [Path(out) / name for name in OUTPUT_FILES]

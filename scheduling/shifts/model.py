"""The shift model: the formulation (:mod:`scheduling.shifts.formulation`) on one PuLP problem,
its solve on HiGHS (or CBC), and the read-back of a solution into a :class:`ShiftPlan`.

The rounding and improvement that turn its LP into a plan live in
:mod:`scheduling.shifts.heuristics` and :mod:`scheduling.shifts.improve`; they work on the
HiGHS instance PuLP leaves in ``model.prob.solverModel`` and read the records named here
(``tours``, ``groups``, ``placements``, ``blends``, ``coverage``, ``backlog``, ``cap_rows``).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

try:
    import highspy
except ImportError:  # CBC fallback
    highspy = None

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.rules import RuleSet
from scheduling.shifts.formulation import formulate
from scheduling.shifts.formulation.context import EPS, Build
from scheduling.shifts.formulation.days import pattern_label
from scheduling.shifts.formulation.service_goal import goal_levels, net_columns
from scheduling.shifts.improve import Improvement
from scheduling.shifts.records import BoundError, HeadcountCaps, ShiftPlan
from scheduling.solvers import lp_solver


def gap(objective: float, bound: float) -> float:
    """Relative gap of a plan to a lower bound, ``(objective - bound) / |objective|``, not clamped."""
    return (objective - bound) / max(abs(objective), EPS)


class ShiftModel:
    """The weekly shift model of ``rules`` on ``grid`` for ``demands`` under ``caps``.

    ``hard``: hard coverage rows; ``elastic``: every shortfall priced at 1e6 (for the
    infeasibility explanation); ``integer_activities``: placement and blending columns integer;
    ``spread_activities``: breaks and lunches in equal shares over their windows (the spread
    dive's model; no placement columns); ``goals``: channel ->
    :class:`~scheduling.shifts.formulation.service_goal.ChannelGoal` (daily and weekly service
    goals, :func:`~scheduling.shifts.formulation.service_goal.service_goals`). Mutable solve state: ``seconds`` (solver time so far),
    ``lp_objective``, ``incumbent`` (every column's value in the current plan),
    ``dive_deadline`` (a ``time.perf_counter()`` value a dive and a drop may not pass),
    ``deadline`` (the ``time.perf_counter()`` value at which the whole ``plan_shifts`` must end),
    ``spread_coverage`` (the heuristics' tour coverage with breaks spread, built once).
    """

    def __init__(self, rules: RuleSet, grid: WeekGrid, demands: dict[str, ChannelDemand], caps: HeadcountCaps,
                 *, hard: bool, elastic: bool = False, integer_activities: bool = True,
                 spread_activities: bool = False, goals: dict | None = None):
        self.rules, self.grid, self.demands, self.caps = rules, grid, demands, caps
        self.seconds = 0.0
        self.dive_deadline = float("inf")
        self.deadline = float("inf")
        self.lp_objective = float("nan")
        self.incumbent: np.ndarray | None = None
        self.spread_coverage = None  # heuristics.tour_coverage: (matrix, channels), built once
        self.solver_name = ""
        self.formulation = formulate(Build(rules=rules, grid=grid, demands=demands, caps=caps, hard=hard,
                                           elastic=elastic, integer_activities=integer_activities,
                                           spread_activities=spread_activities, goals=dict(goals or {})))
        f = self.formulation
        self.prob = f.prob
        self.tours, self.groups, self.placements, self.blends = f.tours, f.groups, f.placements, f.blends
        self.coverage, self.backlog, self.cap_rows = f.coverage, f.backlog, f.cap_rows
        self.goals = dict(goals or {})
        self.goal_rows = f.goals  # channel -> GoalRows (daily/weekly goals only)
        self.n_integers = len(self.tours) + sum(1 for p in self.placements if p.var is not None) + len(self.blends)

    # ------------------------------------------------------------------ columns

    def tour_columns(self) -> np.ndarray:
        """HiGHS column index of every tour variable, in ``self.tours`` order."""
        return np.array([t.var.index for t in self.tours], dtype=np.int32)

    def placement_and_blend_columns(self) -> np.ndarray:
        """HiGHS column index of every placement column, then every blended-agent column, then
        the service goals' net-agent columns (integer decisions the completion rounds)."""
        return np.array([p.var.index for p in self.placements if p.var is not None]
                        + [b.var.index for b in self.blends] + self.goal_net_columns().tolist(), dtype=np.int32)

    def goal_net_columns(self) -> np.ndarray:
        """HiGHS column index of every service goal's net-agent column (empty without daily or
        weekly goals): integer, determined by the scheduled agents (rounded down)."""
        return net_columns(self.goal_rows)

    def blend_columns(self) -> np.ndarray:
        """HiGHS column index of every blended-agent column, in ``self.blends`` order."""
        return np.array([b.var.index for b in self.blends], dtype=np.int32)

    # ------------------------------------------------------------------ solve

    def solve(self, *, mip: bool, time_limit_s: float | None = None,
              crossover: bool = True, random_seed: int | None = None) -> tuple[str, float, float | None]:
        """Solve the LP relaxation (``mip=False``, interior point) or the MIP: (status, objective,
        MIP dual bound or None). Status "Infeasible" when the solver proves it; "Feasible" when
        HiGHS stopped with a solution short of optimal; HiGHS's own status (e.g. "Time limit
        reached") when it stopped with none. ``crossover=False``: the LP's interior solution
        without a basis (the bound only: 40 % less time on the bundled sample; a later simplex
        run then starts afresh). ``random_seed``: HiGHS's (default its own, 0), for measuring how
        much a time-limited branch and bound's result owes to chance."""
        limit = self.rules.time_limit_s if time_limit_s is None else time_limit_s
        options = {} if mip else {"solver": "ipm"}  # interior point (+ crossover) is far faster on these LPs
        if not mip and not crossover:
            options["run_crossover"] = "off"
        if random_seed is not None:
            options["random_seed"] = int(random_seed)
        solver = lp_solver(time_limit_s=limit, gap_rel=self.rules.gap_rel, mip=mip, **options)
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
        """Make the activity placement and blending integer again (the LP stage may relax them)."""
        for p in self.placements:
            if p.var is not None:
                p.var.cat = pulp.LpInteger
        for b in self.blends:
            b.var.cat = pulp.LpInteger

    def unserved_deferred(self) -> list[str]:
        """Deferred channels with work in the week that no tour and no blended agent can do
        (the week's work must be done within the week, so the model has no solution)."""
        reasons = []
        for channel, demand in self.demands.items():
            work = float(demand.work_minutes.sum()) if demand.deferred else 0.0
            if (work <= EPS or any(t.channel == channel for t in self.tours)
                    or any(b.work_channel == channel for b in self.blends)):
                continue
            why = (f"no agent in the agent list has skill {channel!r}" if self.caps.pools
                   else f"no [[shift]] serving {channel!r} can be worked")
            reasons.append(f"channel {channel!r} has {work:,.0f} minutes of work in the week but no one can do "
                           f"it: {why}")
        return reasons

    # --------------------------------------------------------------- read back

    def binding_caps(self) -> tuple[str, ...]:
        """The labels of the headcount rows the current solution uses to the last agent."""
        return tuple(cap.label for cap in self.cap_rows
                     if sum((v.varValue or 0.0) * coef for v, coef in cap.row.items()) >= cap.limit - EPS)

    def result(self, status: str, objective: float, lp_bound: float, mip_bound: float | None, *,
               improvements: tuple[Improvement, ...] = ()) -> ShiftPlan:
        """The plan from the variables' values. Raises :class:`BoundError` when the objective is
        below the proven bound (the higher of ``lp_bound`` and ``mip_bound``)."""
        grid, dt = self.grid, self.grid.interval_minutes
        net = {c: np.zeros(grid.n_intervals) for c in self.demands}  # scheduled agents, filled by the readers
        tours = self.read_tours(net)
        activities = self.read_activities(net)
        blending = self.read_blending(net)
        coverage, priced = self.read_coverage(net)
        under, out_of_reach, late, undone = self.read_shortfalls()
        bound = self.proven_bound(objective, lp_bound, mip_bound)
        return ShiftPlan(
            grid=grid, tours=tours, activities=activities, blending=blending, coverage=coverage, status=status,
            objective=float(objective), lower_bound=float(lp_bound), mip_bound=mip_bound,
            gap=float(gap(objective, bound)), solve_seconds=self.seconds,
            cost=float((tours["agents"] * tours["cost_per_agent"]).sum()),
            paid_hours=float((tours["agents"] * tours["paid_hours_per_agent"]).sum()),
            under_agent_hours=(under + out_of_reach) * dt / 60, late_work_minutes=late, solver=self.solver_name,
            demands=self.demands, undone_work_minutes=undone, priced_coverage=priced, bound=float(bound),
            improvements=improvements, binding_caps=self.binding_caps(), unreachable_agent_hours=out_of_reach * dt / 60,
            unreachable={c: tuple(idx) for c, idx in self.coverage.unreachable.items()},
            service_goals=goal_levels(self.goal_rows) if self.goal_rows else None,
        )

    def read_tours(self, net: dict[str, np.ndarray]) -> pd.DataFrame:
        """The plan's tours (``ShiftPlan.tours``' columns, one row per tour with agents), their
        agents added to ``net[channel]`` in every interval their shifts cover."""
        grid, rows = self.grid, []
        for tour in self.tours:
            count = int(round(tour.var.varValue or 0.0))
            if count <= 0:
                continue
            contract = self.rules.contract(tour.template.contract)
            days = tour.days
            paid = len(days) * tour.template.paid_minutes / 60
            rows.append({
                "template": tour.template.name, "contract": contract.name, "channel": tour.channel,
                "start_minute": tour.start_minute, "pattern": pattern_label(tour.pattern, grid), "days": len(days),
                "agents": count, "paid_hours_per_agent": paid, "cost_per_agent": paid * contract.hourly_cost,
                "blends": tour.blends,
            })
            for d in days:
                np.add.at(net[tour.channel], grid.covered(d * 1440 + tour.start_minute, tour.template.length_minutes),
                          count)
        return pd.DataFrame(rows, columns=[
            "template", "contract", "channel", "start_minute", "pattern", "days", "agents",
            "paid_hours_per_agent", "cost_per_agent", "blends"])

    def read_activities(self, net: dict[str, np.ndarray]) -> pd.DataFrame:
        """The plan's breaks and lunches (``ShiftPlan.activities``' columns), their agents taken
        off ``net[channel]`` while they are on them."""
        grid, rows = self.grid, []
        for p in self.placements:
            count = int(round(p.count.varValue or 0.0))
            if count <= 0:
                continue
            g = p.group
            rows.append({
                "template": g.template.name, "channel": g.channel, "day": g.day, "start_minute": g.start_minute,
                "blends": g.blends, "activity_index": p.activity_index, "activity": p.activity.kind,
                "offset_minutes": p.offset_minutes, "length_minutes": p.activity.length_minutes, "count": count,
            })
            np.add.at(net[g.channel], grid.covered(g.day * 1440 + g.start_minute + p.offset_minutes,
                                                   p.activity.length_minutes), -count)
        return pd.DataFrame(rows, columns=[
            "template", "channel", "day", "start_minute", "blends", "activity_index", "activity", "offset_minutes",
            "length_minutes", "count"])

    def read_blending(self, net: dict[str, np.ndarray]) -> pd.DataFrame:
        """The plan's blended agents (``ShiftPlan.blending``' columns), moved in ``net`` from
        their shift's channel to the deferred channel they work."""
        rows = []
        for b in self.blends:
            count = int(round(b.var.varValue or 0.0))
            if count > 0:
                rows.append({"interval": b.interval, "channel": b.channel, "work_channel": b.work_channel,
                             "agents": count})
                net[b.channel][b.interval] -= count
                net[b.work_channel][b.interval] += count
        return pd.DataFrame(rows, columns=["interval", "channel", "work_channel", "agents"])

    def read_coverage(self, net: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(coverage, priced coverage): ``interval_start, channel, required, scheduled`` from the
        rounded plan's ``net`` agents, and ``interval_start, channel, scheduled`` from the model's
        coverage expressions at the solution (what the objective priced)."""
        times = self.grid.times()
        coverage = pd.concat([
            pd.DataFrame({"interval_start": times, "channel": c, "required": d.required, "scheduled": net[c]})
            for c, d in self.demands.items()
        ], ignore_index=True)
        priced = pd.concat([
            pd.DataFrame({"interval_start": times, "channel": c,
                          "scheduled": [expr.value() for expr in self.coverage.staffed[c]]})
            for c in self.demands
        ], ignore_index=True)
        return coverage, priced

    def read_shortfalls(self) -> tuple[float, float, float, float]:
        """(under, out of reach, late, undone) at the solution: agent-intervals short (soft
        coverage and the service goals' floors), agent-intervals of requirement no shift can
        reach, agent-minute-intervals of deferred work overdue, agent-minutes left undone."""
        under = sum(float(u.varValue or 0.0) for us in self.coverage.under.values() for u in us if u is not None)
        # a goal's floor short, in scheduled agents like under-coverage
        under += sum(float(v.varValue or 0.0) for g in self.goal_rows.values() for v in g.floor_short if v is not None)
        out_of_reach = sum(float(self.demands[c].required[i]) for c, idx in self.coverage.unreachable.items()
                           for i in idx)
        late = sum(float(v.varValue or 0.0) for vs in self.backlog.late.values() for v in vs if v is not None)
        undone = sum(float(v.varValue or 0.0) for vs in self.backlog.undone.values() for v in vs)
        return under, out_of_reach, late, undone

    @staticmethod
    def proven_bound(objective: float, lp_bound: float, mip_bound: float | None) -> float:
        """The higher of ``lp_bound`` and a finite ``mip_bound``; raises :class:`BoundError`
        when ``objective`` is below it (a bug, never a result)."""
        bound = max(lp_bound, mip_bound) if mip_bound is not None and np.isfinite(mip_bound) else lp_bound
        if objective < bound - 1e-6 * max(1.0, abs(bound)):
            raise BoundError(f"bug: the shift plan's objective {objective:,.6f} is below its proven lower bound "
                             f"{bound:,.6f} (LP relaxation {lp_bound:,.6f}, MIP dual bound {mip_bound})")
        return bound

"""What the constraint builders share while the model is being built (internal, mutable).

A builder (one module per constraint family in this package) takes a :class:`Build`, adds its
columns to ``build.prob``, its rows through :meth:`Build.add_row`, its objective terms to
``build.objective``, what its columns do to the agents on duty to ``build.staffing``, and
returns frozen records (:mod:`scheduling.shifts.records`) naming what it added.

Row order: HiGHS's simplex path (and so where the LP roundings land) depends on the order of
the rows, so the rows go into the problem in one fixed order whatever the order the builders
run in: by ``order`` key (:data:`ROWS_SHIFT_GROUP` with the group's position, then
:data:`ROWS_BLENDING`, :data:`ROWS_CHANNEL` with the channel's position, :data:`ROWS_HEADCOUNT`,
:data:`ROWS_LATER` for families added after these), and in the order added within a key.
Columns need no such care: PuLP orders them by name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pulp

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.rules import RuleSet
from scheduling.shifts.records import HeadcountCaps

EPS = 1e-6

ROWS_SHIFT_GROUP = 1  # day rows, placement and ordering rows, per shift group (key: (1, group position))
ROWS_BLENDING = 2  # blended-agent rows
ROWS_CHANNEL = 3  # coverage and backlog rows, per channel (key: (3, channel position in the demands))
ROWS_HEADCOUNT = 4  # pooled, cap and Hall rows
ROWS_LATER = 5  # rows of a family added after these (e.g. service goals)


class Staffing:
    """Linear terms of the agents working each channel in each grid interval, gathered from the
    builders before the coverage builder turns them into expressions.

    ``on_duty[channel][i]``: column -> coefficient (shift groups +1 where they are on duty,
    activity placements -1 where agents are off the phone, blended agents -1 on their shift's
    channel and +1 on the deferred channel they work). ``blendable[(channel, work_channel)][i]``:
    the agents of blending shift groups on duty and not on an activity, who may work
    ``work_channel`` in interval ``i``.
    """

    def __init__(self, channels: list[str], n_intervals: int):
        self.n_intervals = n_intervals
        self.on_duty: dict[str, list[dict]] = {c: [defaultdict(float) for _ in range(n_intervals)] for c in channels}
        self.blendable: dict[tuple[str, str], list[dict]] = defaultdict(
            lambda: [defaultdict(float) for _ in range(n_intervals)])

    def add(self, channel: str, intervals, column: pulp.LpVariable, coefficient: float, *,
            blend_to: tuple[str, ...] = ()) -> None:
        """``coefficient`` x ``column`` agents on ``channel`` in each of ``intervals`` (and free to
        blend into each of ``blend_to`` there)."""
        for i in intervals:
            self.on_duty[channel][i][column] += coefficient
            for other in blend_to:
                self.blendable[(channel, other)][i][column] += coefficient


@dataclass
class Build:
    """The model under construction. ``hard``: hard coverage rows (else priced shortfall);
    ``elastic``: every shortfall priced at 1e6 (the infeasibility explanation's model);
    ``integer_activities``: placement and blending columns integer (else continuous, as the
    LP stage wants them); ``spread_activities``: breaks and lunches taken in equal shares over
    their windows (no placement columns; the spread dive's model); ``goals``: channel ->
    :class:`~scheduling.shifts.formulation.service_goal.ChannelGoal` for the channels whose
    service goal is daily or weekly (their rows replace the interval coverage rows)."""

    rules: RuleSet
    grid: WeekGrid
    demands: dict[str, ChannelDemand]
    caps: HeadcountCaps
    hard: bool
    elastic: bool = False
    integer_activities: bool = True
    spread_activities: bool = False
    goals: dict = field(default_factory=dict)  # channel -> service_goal.ChannelGoal (daily/weekly goals)
    prob: pulp.LpProblem = field(default_factory=lambda: pulp.LpProblem("weekly_shift_plan", pulp.LpMinimize))
    objective: dict = field(default_factory=lambda: defaultdict(float))
    staffing: Staffing | None = None
    rows: list = field(default_factory=list)  # (order key, sequence, row, name) until :meth:`finish`

    def __post_init__(self) -> None:
        if self.staffing is None:
            self.staffing = Staffing(list(self.demands), self.grid.n_intervals)

    def add_row(self, row: pulp.LpConstraint, name: str, *, order: tuple[int, ...]) -> pulp.LpConstraint:
        """Queue ``row`` (named ``name``) for the problem at ``order`` (see the module docstring);
        returns it (the same object the problem will hold)."""
        self.rows.append((order, len(self.rows), row, name))
        return row

    def finish(self) -> pulp.LpProblem:
        """Put the queued rows into the problem in order and set the objective; returns the problem."""
        for _order, _seq, row, name in sorted(self.rows, key=lambda r: (r[0], r[1])):
            self.prob.addConstraint(row, name)
        self.rows.clear()
        self.prob += pulp.LpAffineExpression(self.objective)
        return self.prob

    @property
    def hours_per_interval(self) -> float:
        return self.grid.interval_minutes / 60

    @property
    def integer_category(self) -> str:
        """The category of placement and blending columns."""
        return "Integer" if self.integer_activities else "Continuous"

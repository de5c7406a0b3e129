"""Day patterns and days off: which days a tour works, and the shifts of each day.

The day patterns (:func:`scheduling.rules.day_patterns`) are the weeks a contract allows: its
days per week, consecutive days off and the maximum consecutive days hold by construction
(a tour has one pattern), on the template's weekdays, wrapping the week when the grid does.
Stable starts make the minimum rest hold whenever ``length + rest <= 24 h`` (validated by
the rules).

Columns: ``n[g] >= 0`` continuous, the shifts of group ``g`` = (template, channel, day ``d``,
start ``s``, blends). Rows ``day_g``: ``n[g] - sum(x[t, c, s, p] : p[d] = 1) = 0`` (one per group;
coverage and the activity placement read ``n[g]``, which keeps the tour columns short).
Staffing: ``+n[g]`` on the group's channel in each interval its shift covers.
"""

from __future__ import annotations

import pulp

from scheduling.coverage import WeekGrid
from scheduling.rules import RuleSet, ShiftTemplate, day_patterns
from scheduling.shifts.formulation.context import ROWS_SHIFT_GROUP, Build
from scheduling.shifts.formulation.blending import blend_targets
from scheduling.shifts.records import ShiftGroup, Tour


def day_patterns_of(template: ShiftTemplate, rules: RuleSet, grid: WeekGrid) -> list[tuple[int, ...]]:
    """The day patterns (0/1 per day of the planned week) a tour of ``template`` may work."""
    contract = rules.contract(template.contract)
    return day_patterns(contract, max_consecutive_days=rules.max_consecutive_days,
                        wrap=grid.wrap, weekdays=grid.days_on(template.weekdays))


def pattern_label(pattern: tuple[int, ...], grid: WeekGrid) -> str:
    """``"MTWTF.."``: the first letter of each worked day's name, ``.`` for a day off."""
    return "".join(day[0] if on else "." for day, on in zip(grid.day_names(), pattern))


def add_shift_groups(build: Build, tours: tuple[Tour, ...]) -> tuple[ShiftGroup, ...]:
    """Add the group columns and their day rows; return the groups in creation order."""
    members: dict[tuple[int, str, int, int, bool], list[pulp.LpVariable]] = {}
    for tour in tours:
        for d in tour.days:
            members.setdefault((tour.template_index, tour.channel, d, tour.start_minute, tour.blends), []).append(
                tour.var)
    groups = []
    for position, ((k, channel, d, start, blends), columns) in enumerate(members.items()):
        template = build.rules.shifts[k]
        blend_to = tuple(blend_targets(template, channel, build.demands)) if blends else ()
        tag = f"{k}_{channel}_{d}_{start}{'_b' if blends else ''}"
        count = build.prob.add_variable(f"n_{tag}", lowBound=0)
        build.add_row(count - pulp.lpSum(columns) == 0, f"day_{tag}", order=(ROWS_SHIFT_GROUP, position))
        intervals = build.grid.covered(d * 1440 + start, template.length_minutes)
        build.staffing.add(channel, intervals, count, 1.0, blend_to=blend_to)
        groups.append(ShiftGroup(count=count, template=template, template_index=k, channel=channel, day=d,
                                 start_minute=start, blends=blends, blend_to=blend_to, tag=tag, intervals=intervals))
    return tuple(groups)

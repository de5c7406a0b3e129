"""Activities: where in each shift its breaks and lunches are taken.

Activities are identified by their place ``a`` in the template's ``activities`` (several may
share a kind). For shift group ``g`` and activity ``a`` with allowed offsets ``O(a)`` (minutes
after the shift start, :meth:`ShiftTemplate.placement_offsets`):

* one offset: no column; every shift takes it there. Staffing: ``-n[g]`` in its intervals.
* several offsets: columns ``y[g, a, o] >= 0`` (integer in the exact model) and the row
  ``place_g_a``: ``sum_o y[g, a, o] - n[g] = 0``. Staffing: ``-y[g, a, o]`` in its intervals.
* ordering rows ``order_g_a_b_s`` (:func:`ordering_rows`) for consecutive activities whose
  windows overlap, so every agent can take them one after another.
* in the spread-break model (``spread_activities``) there are no columns: staffing
  ``-n[g] / |O(a)|`` at every offset (each activity in equal shares over its window), a
  restriction of the placements (its LP is never below the exact LP).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulp

from scheduling.rules import ShiftTemplate, activity_order
from scheduling.shifts.formulation.context import ROWS_SHIFT_GROUP, Build
from scheduling.shifts.records import Placement, ShiftGroup


def ordering_rows(template: ShiftTemplate,
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


def chain_links(template: ShiftTemplate, interval_minutes: int) -> dict[int, int | None]:
    """Activities (indexes) in an ordering row of :func:`ordering_rows`, each mapped to the
    activity it must follow there (None for the first of a chain)."""
    offsets = template.placement_offsets(interval_minutes)
    order = activity_order(template.activities)
    links: dict[int, int | None] = {}
    for before, after in zip(order, order[1:]):
        if max(offsets[before]) + template.activities[before].length_minutes > min(offsets[after]):
            links.setdefault(before, None)
            links[after] = before
    return links


def add_activities(build: Build, groups: tuple[ShiftGroup, ...]) -> tuple[Placement, ...]:
    """Add the placement columns, ``place`` and ``order`` rows of every shift group; return the
    placements (single-offset ones included, with ``var=None``) in creation order."""
    grid, staffing = build.grid, build.staffing
    dt = grid.interval_minutes
    out: list[Placement] = []
    for position, group in enumerate(groups):
        order = (ROWS_SHIFT_GROUP, position)
        template, d, start, tag = group.template, group.day, group.start_minute, group.tag
        placements: dict[int, list[tuple[int, pulp.LpVariable]]] = {}  # activity index -> (offset, shifts)
        for a_index, (activity, offsets) in enumerate(zip(template.activities, template.placement_offsets(dt))):
            def span(offset: int, length: int = activity.length_minutes):
                return grid.covered(d * 1440 + start + offset, length)

            if len(offsets) == 1:
                staffing.add(group.channel, span(offsets[0]), group.count, -1.0, blend_to=group.blend_to)
                out.append(Placement(None, group, activity, a_index, offsets[0]))
                placements[a_index] = [(offsets[0], group.count)]
                continue
            if build.spread_activities:
                share = 1.0 / len(offsets)
                for offset in offsets:
                    staffing.add(group.channel, span(offset), group.count, -share, blend_to=group.blend_to)
                continue
            placed = []
            for offset in offsets:
                var = build.prob.add_variable(f"a_{tag}_{a_index}_{offset}", lowBound=0, cat=build.integer_category)
                placed.append(var)
                staffing.add(group.channel, span(offset), var, -1.0, blend_to=group.blend_to)
                out.append(Placement(var, group, activity, a_index, offset))
            build.add_row(pulp.lpSum(placed) - group.count == 0, f"place_{tag}_{a_index}", order=order)
            placements[a_index] = list(zip(offsets, placed))
        if not build.spread_activities:
            for row, name in ordering_rows(template, placements):
                build.add_row(row, f"order_{tag}_{name}", order=order)
    return tuple(out)

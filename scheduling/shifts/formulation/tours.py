"""Tours: the integer columns of the model.

Columns: ``x[t, c, s, p] >= 0`` integer, the agents who work template ``t`` on channel ``c``
starting at ``s`` (minutes after midnight) on every work day of day pattern ``p``
(:mod:`scheduling.shifts.formulation.days` lists the patterns), once more with ``_b`` when the
tour's agents may blend deferred work and not every pool able to take it has that skill.
Rows: none. Objective: ``sum x * (days(p) * paid_hours(t) * hourly_cost(contract(t))
+ over_penalty * net_hours)``, where ``net_hours`` are the tour's hours on duty net of its
activities (no over-coverage price on deferred channels).

A tour is left out when none of its days covers a required interval of its channel, or when
no agent pool (named agents) can take it (:meth:`AgentPool.can_take`).
"""

from __future__ import annotations

import pulp

from scheduling.coverage import DEFERRED_CHANNELS
from scheduling.shifts.formulation.context import Build
from scheduling.shifts.formulation.days import day_patterns_of, pattern_label
from scheduling.shifts.formulation.blending import blend_targets, blend_variants
from scheduling.shifts.records import Tour


def add_tours(build: Build) -> tuple[Tour, ...]:
    """Add the tour columns and their cost; return them in column-creation order."""
    rules, grid, demands, caps = build.rules, build.grid, build.demands, build.caps
    dt = grid.interval_minutes
    tours: list[Tour] = []
    for k, template in enumerate(rules.shifts):
        contract = rules.contract(template.contract)
        patterns = day_patterns_of(template, rules, grid)
        activity_minutes = sum(a.length_minutes for a in template.activities)
        for channel in template.channels:
            if channel not in demands:
                continue
            blend_to = blend_targets(template, channel, demands)
            demand = demands[channel]
            for start in template.start_minutes():
                day_useful = [
                    demand.deferred
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
                    net_hours = (on_duty - len(days) * activity_minutes / dt) * build.hours_per_interval
                    over = 0.0 if channel in DEFERRED_CHANNELS else rules.over_penalty * net_hours
                    for blends, takers in blend_variants(caps.pools, able, blend_to):
                        var = build.prob.add_variable(
                            f"x_{k}_{channel}_{start}_{pattern_label(pattern, grid)}{'_b' if blends else ''}",
                            lowBound=0, cat=pulp.LpInteger)
                        cost = paid_hours * contract.hourly_cost + over
                        build.objective[var] += cost
                        tours.append(Tour(var=var, template=template, template_index=k, contract=contract.name,
                                          channel=channel, start_minute=start, pattern=tuple(pattern), blends=blends,
                                          takers=takers, paid_hours=paid_hours, cost=cost))
    return tuple(tours)

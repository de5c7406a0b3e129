"""Why hard coverage cannot be met: the elastic model's shortfalls and the rules that bind.

The elastic model is the exact model with every shortfall priced at 1e6 instead of forbidden
(:class:`~scheduling.shifts.model.ShiftModel` with ``elastic=True``); its LP says which
intervals fall short, by how much, and which headcount rows are used up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.rules import WEEKDAYS, RuleSet
from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.model import ShiftModel
from scheduling.shifts.records import GoalUnreachableError, HeadcountCaps, InfeasibleError


def interval_runs(indexes: list[int], grid: WeekGrid) -> list[str]:
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


def explain_infeasible(rules: RuleSet, grid: WeekGrid, demands: dict[str, ChannelDemand],
                        caps: HeadcountCaps, *, goals: dict | None = None) -> InfeasibleError:
    """Solve the elastic model and say which intervals fall short and which rule binds
    (``goals``: the daily/weekly service goals, whose shortfalls it also names). A goal period
    short in the elastic LP: a :class:`GoalUnreachableError` naming the worst one (channel,
    day or week, the best service level reachable)."""
    model = ShiftModel(rules, grid, demands, caps, hard=True, elastic=True, goals=goals)
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
    for channel, unders in model.coverage.under.items():
        short = [i for i, u in enumerate(unders) if u is not None and (u.varValue or 0) > EPS]
        if short:
            worst = max(unders[i].varValue for i in short)
            shortfalls.append({"channel": channel, "intervals": len(short), "max_short_agents": float(worst),
                               "when": interval_runs(short, grid)})
            outside = [i for i in short if not reachable[channel][i]]
            if outside:
                binding.append(f"template windows / opening hours: no [[shift]] serving {channel!r} is on duty "
                               f"{', '.join(interval_runs(outside, grid)[:5])}")
    for channel, lates in model.backlog.late.items():
        short = [i for i, v in enumerate(lates) if v is not None and (v.varValue or 0) > EPS]
        if short:
            shortfalls.append({"channel": channel, "intervals": len(short),
                               "max_overdue_minutes": float(max(lates[i].varValue for i in short)),
                               "when": interval_runs(short, grid)})
    for channel, undone in model.backlog.undone.items():
        minutes = sum(float(v.varValue or 0.0) for v in undone)
        if minutes > EPS:
            shortfalls.append({"channel": channel, "intervals": 0, "undone_minutes": minutes, "when": []})
    for channel, rows in model.goal_rows.items():
        floor_short = [i for i, v in enumerate(rows.floor_short) if v is not None and (v.varValue or 0) > EPS]
        if floor_short:
            shortfalls.append({"channel": channel, "intervals": len(floor_short),
                               "max_short_agents": float(max(rows.floor_short[i].varValue for i in floor_short)),
                               "when": interval_runs(floor_short, grid),
                               "goal": f"min_interval_sl {rows.goal.floor_sl:g}"})
        for label, idx, slack in rows.periods:
            if slack is not None and (slack.varValue or 0) > EPS:
                volume = float(rows.goal.volume[idx].sum())
                # contacts answered in time per interval, none below 0 (the curve's first piece, extended
                # below its start where a floor is missed, falls under 0: no interval answers fewer than none)
                answered = sum(max(float(rows.answered[i].varValue or 0.0), 0.0) for i in idx
                               if rows.answered[i] is not None)
                shortfalls.append({"channel": channel, "intervals": 0, "when": [], "period": label,
                                   "goal": f"{rows.goal.goal} target_sl {rows.goal.target_sl:g}",
                                   "best_service_level": min(answered / volume, rows.goal.target_sl)})
    for cap in model.cap_rows:
        used = sum((v.varValue or 0.0) * coef for v, coef in cap.row.items())
        if used >= cap.limit - EPS:
            binding.append(f"headcount cap: {cap.label} (all used)")
    if shortfalls and not binding:
        binding.append("the weekly patterns (days_per_week, consecutive_days_off, max_consecutive_days), "
                       "start windows and activity windows together cannot follow the requirement")
    parts = [f"{s['channel']}: {s['undone_minutes']:,.0f} minutes of work the week has no capacity for"
             if "undone_minutes" in s else
             f"{s['channel']} {s['goal']} not reachable in {s['period']}: the best service level the rules allow "
             f"there is {s['best_service_level']:.3f}"
             if "period" in s else
             f"{s['channel']} short in {s['intervals']} interval(s) ({', '.join(s['when'][:4])}"
             f"{', ...' if len(s['when']) > 4 else ''})" for s in shortfalls]
    short_goals = [s for s in shortfalls if "period" in s]
    if short_goals:  # not a matter of hard coverage: no plan reaches the goal, whatever it costs
        worst = min(short_goals, key=lambda s: s["best_service_level"] - float(s["goal"].split()[-1]))
        target = float(worst["goal"].split()[-1])
        message = ("service goal cannot be reached by any plan the rules allow: " + "; ".join(parts)
                   + ". Binding: " + "; ".join(binding))
        return GoalUnreachableError(message, {"shortfalls": shortfalls, "binding": binding},
                                    channel=worst["channel"], period=worst["period"], target_sl=target,
                                    best_service_level=worst["best_service_level"])
    message = ("hard coverage cannot be met: " + "; ".join(parts) + ". Binding: " + "; ".join(binding)
               if shortfalls else "hard coverage is infeasible but the elastic model found no shortfall")
    return InfeasibleError(message, {"shortfalls": shortfalls, "binding": binding})


def raise_unreachable_goal(explained: InfeasibleError) -> None:
    """Raise ``explained`` when it is a :class:`GoalUnreachableError` (a soft-coverage plan whose
    LP fell short of a goal: the elastic LP says whether any plan can reach it; when one can, the
    shortfall was the price's choice and the plan goes on, its shortfall priced and warned)."""
    if isinstance(explained, GoalUnreachableError):
        raise explained

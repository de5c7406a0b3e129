"""Why hard coverage cannot be met: the elastic model's shortfalls and the rules that bind.

The elastic model is the exact model with every shortfall priced at 1e6 instead of forbidden
(:class:`~scheduling.shifts.model.ShiftModel` with ``elastic=True``); its LP says which
intervals fall short and by how much. Each short interval is then put down to the first
constraint family that leaves it short whatever the plan:

* template windows (tours): no [[shift]] serving the channel is on duty then;
* day patterns and days off: the shifts' windows reach it, but no week the contract allows
  works that day;
* named agents (availability, skills, hours): a week works it, but no agent can take one;
* activities: every shift on duty then takes a break or lunch there;
* due times (blending and backlog): deferred work arrives where no one serving or blending
  into its channel is on duty before it is due.

What is left (shortfalls some plan could reduce) is the headcount's: the caps and Hall rows
binding in the shortfall-only LP (the elastic model with its costs dropped: a cap whose row
has a dual value there limits the shortfall; one only used up for cost has none). A
shortfall none of these explains says so in a named message, never a rule that did not bind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

try:
    import highspy
except ImportError:  # CBC fallback: the caps the elastic LP uses up, unproven
    highspy = None

from scheduling.coverage import ChannelDemand, WeekGrid
from scheduling.rules import WEEKDAYS, RuleSet, ShiftTemplate
from scheduling.shifts.formulation.context import EPS
from scheduling.shifts.formulation.days import day_patterns_of
from scheduling.shifts.model import ShiftModel
from scheduling.shifts.records import GoalUnreachableError, HeadcountCaps, InfeasibleError

ELASTIC_PENALTY = 1e6  # the elastic model's price of a shortfall (coverage.py, blending.py)
DUAL_TOL = 1e-6  # a cap row's dual value (shortfall units per agent) above this binds


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
    short = short_intervals(model)
    shortfalls = coverage_shortfalls(model, short) + backlog_shortfalls(model) + goal_shortfalls(model)
    binding, unexplained = structural_causes(model, short)
    if shortfalls:
        caps_binding, proven = binding_caps(model)
        binding += caps_binding
        if unexplained and not caps_binding:
            binding.append(unexplained + (": shifts can be on duty then and no headcount cap binds (the weekly "
                                          "patterns, start windows and activity windows together)" if proven else
                                          ": the LP that tells whether a headcount cap binds did not finish"))
    return explained_error(shortfalls, binding)


# ------------------------------------------------------------------ shortfalls


def short_intervals(model: ShiftModel) -> dict[str, list[int]]:
    """Per immediate channel, the intervals the elastic LP leaves short (in order)."""
    return {channel: [i for i, u in enumerate(unders) if u is not None and (u.varValue or 0) > EPS]
            for channel, unders in model.coverage.under.items()}


def coverage_shortfalls(model: ShiftModel, short: dict[str, list[int]]) -> list[dict]:
    """The immediate channels' shortfalls: intervals, the most agents short, when."""
    out = []
    for channel, idx in short.items():
        if idx:
            unders = model.coverage.under[channel]
            out.append({"channel": channel, "intervals": len(idx),
                        "max_short_agents": float(max(unders[i].varValue for i in idx)),
                        "when": interval_runs(idx, model.grid)})
    return out


def backlog_shortfalls(model: ShiftModel) -> list[dict]:
    """The deferred channels' shortfalls: work overdue (intervals, the most minutes) and work
    the week has no capacity for (minutes)."""
    out = []
    for channel, lates in model.backlog.late.items():
        idx = [i for i, v in enumerate(lates) if v is not None and (v.varValue or 0) > EPS]
        if idx:
            out.append({"channel": channel, "intervals": len(idx),
                        "max_overdue_minutes": float(max(lates[i].varValue for i in idx)),
                        "when": interval_runs(idx, model.grid)})
    for channel, undone in model.backlog.undone.items():
        minutes = sum(float(v.varValue or 0.0) for v in undone)
        if minutes > EPS:
            out.append({"channel": channel, "intervals": 0, "undone_minutes": minutes, "when": []})
    return out


def goal_shortfalls(model: ShiftModel) -> list[dict]:
    """The daily/weekly service goals' shortfalls: a ``min_interval_sl`` floor short (agents,
    when) and a period short (its best service level in the elastic LP)."""
    out = []
    for channel, rows in model.goal_rows.items():
        floor_short = [i for i, v in enumerate(rows.floor_short) if v is not None and (v.varValue or 0) > EPS]
        if floor_short:
            out.append({"channel": channel, "intervals": len(floor_short),
                        "max_short_agents": float(max(rows.floor_short[i].varValue for i in floor_short)),
                        "when": interval_runs(floor_short, model.grid),
                        "goal": f"min_interval_sl {rows.goal.floor_sl:g}"})
        for label, idx, slack in rows.periods:
            if slack is not None and (slack.varValue or 0) > EPS:
                volume = float(rows.goal.volume[idx].sum())
                # contacts answered in time per interval, none below 0 (the curve's first piece, extended
                # below its start where a floor is missed, falls under 0: no interval answers fewer than none)
                answered = sum(max(float(rows.answered[i].varValue or 0.0), 0.0) for i in idx
                               if rows.answered[i] is not None)
                out.append({"channel": channel, "intervals": 0, "when": [], "period": label,
                            "goal": f"{rows.goal.goal} target_sl {rows.goal.target_sl:g}",
                            "best_service_level": min(answered / volume, rows.goal.target_sl)})
    return out


# ------------------------------------------------------------------ the rules that bind


def structural_causes(model: ShiftModel, short: dict[str, list[int]]) -> tuple[list[str], str]:
    """The rules that leave intervals short whatever the plan (windows, day patterns, named
    agents, activities, due times), and the start of a message naming the short intervals
    and work none of them explains ("" when there are none)."""
    binding: list[str] = []
    left: list[str] = []
    for channel, idx in short.items():
        causes, rest = interval_causes(model, channel, idx)
        binding += causes
        if rest:
            left.append(f"{channel} short {', '.join(interval_runs(rest, model.grid)[:5])}")
    for channel in model.backlog.late:
        causes = due_causes(model, channel)
        binding += causes
        if deferred_short(model, channel) and not causes:
            left.append(f"{channel} work overdue or left undone")
    return binding, f"no single rule explains {'; '.join(left)}" if left else ""


def interval_causes(model: ShiftModel, channel: str, idx: list[int]) -> tuple[list[str], list[int]]:
    """The causes of ``channel``'s short intervals ``idx``, each put down to the first family
    that leaves it short whatever the plan; and the intervals none of them explains."""
    grid, causes = model.grid, []
    templates = [t for t in model.rules.shifts if channel in t.channels]
    windows = window_reach(templates, grid, by_pattern=None)
    patterns = window_reach(templates, grid, by_pattern=model.rules)
    tours = tour_reach(model, channel)
    free = free_reach(model, channel)
    outside = [i for i in idx if not windows[i]]
    if outside:
        causes.append(f"template windows / opening hours: no [[shift]] serving {channel!r} is on duty "
                      f"{', '.join(interval_runs(outside, grid)[:5])}")
    no_week = [i for i in idx if windows[i] and not patterns[i]]
    if no_week:
        causes.append(pattern_cause(model, templates, no_week))
    no_agent = [i for i in idx if patterns[i] and not tours[i]]
    if no_agent:
        causes.append(agent_cause(model, channel, templates, no_agent))
    on_activity = [i for i in idx if tours[i] and not free[i]]
    if on_activity:
        causes.append(activity_cause(model, channel, on_activity))
    return causes, [i for i in idx if free[i]]


def window_reach(templates: list[ShiftTemplate], grid: WeekGrid, *, by_pattern: RuleSet | None) -> np.ndarray:
    """Intervals some template's start window covers on its days (``by_pattern``: the rules,
    to count only the days some week of its contract works)."""
    reach = np.zeros(grid.n_intervals, dtype=bool)
    for template in templates:
        days = grid.days_on(template.weekdays)
        if by_pattern is not None:
            worked = {d for p in day_patterns_of(template, by_pattern, grid) for d in range(7) if p[d]}
            days = [d for d in days if d in worked]
        for d in days:
            for start in template.start_minutes():
                reach[grid.covered(d * 1440 + start, template.length_minutes)] = True
    return reach


def tour_reach(model: ShiftModel, channel: str) -> np.ndarray:
    """Intervals some tour column of the model serving ``channel`` is on duty."""
    reach = np.zeros(model.grid.n_intervals, dtype=bool)
    for group in model.groups:
        if group.channel == channel:
            reach[group.intervals] = True
    return reach


def blocked_intervals(group, grid: WeekGrid) -> set[int]:
    """Intervals of ``group``'s shift in which every placement of one of its activities puts
    its agents off the phone."""
    blocked: set[int] = set()
    offsets = group.template.placement_offsets(grid.interval_minutes)
    for activity, where in zip(group.template.activities, offsets):
        spans = [set(grid.covered(group.day * 1440 + group.start_minute + o, activity.length_minutes).tolist())
                 for o in where]
        if spans:
            blocked |= set.intersection(*spans)
    return blocked


def free_reach(model: ShiftModel, channel: str) -> np.ndarray:
    """Intervals some shift serving ``channel`` is on duty and may be off its activities."""
    reach = np.zeros(model.grid.n_intervals, dtype=bool)
    for group in model.groups:
        if group.channel == channel:
            blocked = blocked_intervals(group, model.grid)
            reach[[i for i in group.intervals.tolist() if i not in blocked]] = True
    return reach


def pattern_cause(model: ShiftModel, templates: list[ShiftTemplate], idx: list[int]) -> str:
    """Day patterns: the short days no week of the templates' contracts works."""
    grid, rules = model.grid, model.rules
    short_days = sorted({i * grid.interval_minutes // 1440 for i in idx})
    parts = []
    for template in templates:
        worked = {d for p in day_patterns_of(template, rules, grid) for d in range(7) if p[d]}
        days = [d for d in short_days if d in grid.days_on(template.weekdays) and d not in worked]
        if days:
            c = rules.contract(template.contract)
            parts.append(f"no week of contract {c.name!r} (days_per_week {c.min_days}..{c.max_days}, "
                         f"consecutive_days_off={c.consecutive_days_off}, max_consecutive_days="
                         f"{rules.max_consecutive_days}) on [[shift]] {template.name!r} works "
                         + ", ".join(grid.day_names()[d] for d in days))
    return f"day patterns: {'; '.join(parts)}; short {', '.join(interval_runs(idx, grid)[:5])}"


def agent_cause(model: ShiftModel, channel: str, templates: list[ShiftTemplate], idx: list[int]) -> str:
    """Named agents: why no agent can take a week of the templates that works the short days."""
    grid, rules, pools = model.grid, model.rules, model.caps.pools
    names = grid.day_names()
    reasons: list[str] = []
    for d in sorted({i * grid.interval_minutes // 1440 for i in idx}):
        for template in templates:
            weeks = [p for p in day_patterns_of(template, rules, grid) if p[d]]
            if not weeks or d not in grid.days_on(template.weekdays):
                continue
            contract, shift = template.contract, f"[[shift]] {template.name!r}"
            on_contract = [p for p in pools if p.contract == contract]
            skilled = [p for p in on_contract if channel in p.channels]
            there = [p for p in skilled if d in p.workdays]
            whole = [p for p in there if any(p.workdays.issuperset(k for k in range(7) if w[k]) for w in weeks)]
            if not on_contract:
                reason = f"no agent on contract {contract!r} ({shift})"
            elif not skilled:
                reason = f"no agent of contract {contract!r} has skill {channel!r} ({shift})"
            elif not there:
                reason = f"no agent of contract {contract!r} with skill {channel!r} is available on {names[d]} ({shift})"
            elif not whole:
                reason = (f"no agent of contract {contract!r} with skill {channel!r} is available on every day of a "
                          f"week of {shift} with {names[d]}")
            else:
                reason = (f"no agent of contract {contract!r} with skill {channel!r} has min_hours/max_hours that fit "
                          f"a week of {shift} with {names[d]}")
            if reason not in reasons:
                reasons.append(reason)
    if not reasons:  # without named agents every week of a template has its tour
        reasons.append(f"no tour of the model serves {channel!r} then")
    return f"named agents: {'; '.join(reasons)}; short {', '.join(interval_runs(idx, grid)[:5])}"


def activity_cause(model: ShiftModel, channel: str, idx: list[int]) -> str:
    """Activities: every shift on duty in the short intervals takes one of its activities there."""
    grid, wanted, named = model.grid, set(idx), []
    for group in model.groups:
        if group.channel != channel or not wanted & set(group.intervals.tolist()):
            continue
        offsets = group.template.placement_offsets(grid.interval_minutes)
        for activity, where in zip(group.template.activities, offsets):
            spans = [set(grid.covered(group.day * 1440 + group.start_minute + o, activity.length_minutes).tolist())
                     for o in where]
            if spans and wanted & set.intersection(*spans):
                text = (f"[[shift]] {group.template.name!r} {activity.kind} at {min(where)}-{max(where)} min "
                        "after its start")
                if text not in named:
                    named.append(text)
    return (f"activity windows: every shift on duty {', '.join(interval_runs(idx, grid)[:5])} takes an activity then "
            f"({'; '.join(named)})")


def deferred_short(model: ShiftModel, channel: str) -> bool:
    """Whether the elastic LP leaves some of ``channel``'s work overdue or undone."""
    late = any(v is not None and (v.varValue or 0) > EPS for v in model.backlog.late[channel])
    return late or sum(float(v.varValue or 0.0) for v in model.backlog.undone.get(channel, ())) > EPS


def due_causes(model: ShiftModel, channel: str) -> list[str]:
    """Due times: ``channel``'s work arriving where no one serving or blending into it is on
    duty between its arrival and its due time (empty when the channel is not short)."""
    if not deferred_short(model, channel):
        return []
    grid, demand = model.grid, model.demands[channel]
    n = grid.n_intervals
    reach = tour_reach(model, channel)
    for blend in model.blends:
        if blend.work_channel == channel:
            reach[blend.interval] = True
    stranded = []
    for j in np.flatnonzero(demand.work_minutes > EPS).tolist():
        window = np.arange(j, j + max(1, int(np.ceil(demand.due_minutes[j] / grid.interval_minutes))))
        window = window % n if grid.wrap else window[window < n]
        if not reach[window].any():
            stranded.append(j)
    if not stranded:
        return []
    return [f"due_minutes / template windows: {channel!r} work arriving {', '.join(interval_runs(stranded, grid)[:5])} "
            f"is due before any [[shift]] serving or blending into {channel!r} is on duty to do it"]


def shortfall_columns(model: ShiftModel) -> list[pulp.LpVariable]:
    """The elastic model's shortfall columns: under-coverage, late and undone work, goal slacks."""
    columns = [u for unders in model.coverage.under.values() for u in unders if u is not None]
    columns += [v for lates in model.backlog.late.values() for v in lates if v is not None]
    columns += [v for undone in model.backlog.undone.values() for v in undone]
    for rows in model.goal_rows.values():
        columns += [v for v in rows.floor_short if v is not None]
        columns += [slack for _, _, slack in rows.periods if slack is not None]
    return columns


def binding_caps(model: ShiftModel) -> tuple[list[str], bool]:
    """The headcount caps and Hall rows that limit the shortfall, and whether that is proven.

    Proven: those used to the last agent whose row has a dual value in the shortfall-only LP
    (the elastic model's objective without its costs, re-solved warm by the simplex from the
    elastic LP's basis; a row without a dual value could be dropped and the shortfall would
    stay the same). When that LP does not finish (HiGHS only; or CBC), every cap the elastic
    LP uses to the last agent, unproven."""
    if not model.cap_rows:
        return [], True
    highs = getattr(model.prob, "solverModel", None)
    values = duals = None
    if highs is not None and highspy is not None and hasattr(highs, "changeColsCost"):
        n = highs.getNumCol()
        costs = np.zeros(n)
        for v in shortfall_columns(model):
            costs[v.index] = model.prob.objective.get(v, 0.0) / ELASTIC_PENALTY
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        highs.setOptionValue("solver", "simplex")
        highs.setOptionValue("time_limit", float(max(model.rules.time_limit_s, 60.0)))
        highs.run()
        if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            solution = highs.getSolution()
            values, duals = np.asarray(solution.col_value), np.asarray(solution.row_dual)
    binding = []
    for cap in model.cap_rows:
        if values is None:
            used = sum((v.varValue or 0.0) * coef for v, coef in cap.row.items())
        else:
            used = sum(values[v.index] * coef for v, coef in cap.row.items())
        if used >= cap.limit - EPS and (duals is None or abs(duals[cap.row.index]) > DUAL_TOL):
            binding.append(f"headcount cap: {cap.label} (all used)")
    return binding, duals is not None


def explained_error(shortfalls: list[dict], binding: list[str]) -> InfeasibleError:
    """The error of the shortfalls and the rules that bind: a :class:`GoalUnreachableError`
    naming the worst period when a daily/weekly goal is short, else an :class:`InfeasibleError`."""
    if shortfalls and not binding:
        binding = ["no single rule explains the shortfall: shifts can be on duty then and no headcount cap binds "
                   "(the weekly patterns, start windows and activity windows together)"]
    parts = [shortfall_text(s) for s in shortfalls]
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


def shortfall_text(s: dict) -> str:
    """One shortfall in words."""
    if "undone_minutes" in s:
        return f"{s['channel']}: {s['undone_minutes']:,.0f} minutes of work the week has no capacity for"
    if "period" in s:
        return (f"{s['channel']} {s['goal']} not reachable in {s['period']}: the best service level the rules allow "
                f"there is {s['best_service_level']:.3f}")
    when = f"{s['intervals']} interval(s) ({', '.join(s['when'][:4])}{', ...' if len(s['when']) > 4 else ''})"
    if "max_overdue_minutes" in s:
        return f"{s['channel']}: work overdue (up to {s['max_overdue_minutes']:,.0f} minutes) in {when}"
    return f"{s['channel']} short in {when}"


def raise_unreachable_goal(explained: InfeasibleError) -> None:
    """Raise ``explained`` when it is a :class:`GoalUnreachableError` (a soft-coverage plan whose
    LP fell short of a goal: the elastic LP says whether any plan can reach it; when one can, the
    shortfall was the price's choice and the plan goes on, its shortfall priced and warned)."""
    if isinstance(explained, GoalUnreachableError):
        raise explained

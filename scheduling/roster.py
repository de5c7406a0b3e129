"""From a weekly shift plan to named agents: roster, activities and coverage.

Each tour of the plan (template, channel, start time, work pattern) is one agent's
week, so contract days, consecutive days off, maximum consecutive days and rest
hold by construction. With an agent list the tours go to agents by a min-cost
assignment (``scipy.optimize.linear_sum_assignment``) that forbids wrong contract,
missing skill, unavailability and hours outside ``min_hours..max_hours``, and prefers
``preferred_shift`` and giving weekends and nights to those who worked fewer of them
lately (optional ``weekend_days_worked``, ``night_shifts_worked`` columns). Without a
list, agents are created per contract (``FT001``, ``PT001``...). Activities (breaks,
lunches) are laid out exactly as the plan placed them, so the roster's net coverage
equals the plan's; deferred work blended into idle voice time becomes activity rows
named after the channel (``email``).

Example::

    >>> roster = build_roster(plan, rules)                   # doctest: +SKIP
    >>> list(roster.roster.columns)                          # doctest: +SKIP
    ['agent_id', 'date', 'shift_start', 'shift_end', 'channel', 'shift']
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from wfm_errors import RulesError
from scheduling.coverage import MINUTES_PER_WEEK, ChannelDemand, coverage_frame
from scheduling.rules import WEEKDAYS, RuleSet
from scheduling.shifts import AgentPool, HeadcountCaps, ShiftPlan, blend_targets

ROSTER_COLUMNS = ("agent_id", "date", "shift_start", "shift_end", "channel", "shift")  # shift: the [[shift]] name
ACTIVITY_COLUMNS = ("agent_id", "start", "end", "activity")
_FORBIDDEN = 1e9
NIGHT_START_MINUTE = 22 * 60  # a shift working any time in 22:00-05:00 counts as a night
NIGHT_END_MINUTE = 5 * 60


@dataclass(frozen=True)
class Agent:
    """One row of ``agents.csv``; hours are paid hours per week."""

    agent_id: str
    contract: str
    channels: tuple[str, ...]
    unavailable_weekdays: frozenset[int] = frozenset()
    unavailable_dates: frozenset[dt.date] = frozenset()
    preferred_shift: str | None = None
    min_hours: float | None = None
    max_hours: float | None = None
    weekend_days_worked: float = 0.0
    night_shifts_worked: float = 0.0


@dataclass(frozen=True)
class Roster:
    """Named-agent week: the three output frames plus what could not be matched.

    ``assignments``: ``agent_id, contract, template, channel, start_minute, pattern,
    paid_hours``; ``unfilled``: plan tours no agent could take; ``idle_agents``: agents
    left without shifts; ``fairness``: weekend and night spread.
    """

    roster: pd.DataFrame
    activities: pd.DataFrame
    coverage: pd.DataFrame
    assignments: pd.DataFrame
    unfilled: pd.DataFrame
    idle_agents: tuple[str, ...]
    agents: tuple[Agent, ...]
    fairness: dict


def agents_from_frame(frame: pd.DataFrame, rules: RuleSet, *, source: str = "agents.csv") -> tuple[Agent, ...]:
    """Validate an ``agents.csv`` frame (docs/architecture.md section 7) into agents.

    Raises ``ValueError`` naming the file, row, column and value (unknown contract or
    channel, bad weekday or date, min_hours > max_hours, duplicate id).
    """
    for column in ("agent_id", "contract", "channels"):
        if column not in frame.columns:
            raise RulesError(f"{source}: missing column {column!r}")
    contracts = {c.name for c in rules.contracts}
    served = rules.channels()
    seen: set[str] = set()
    agents = []
    for position, row in enumerate(frame.to_dict("records")):
        where = f"{source}: row {position + 2}"
        agent_id = str(row["agent_id"]).strip()
        if not agent_id or agent_id == "nan":
            raise RulesError(f"{where}: agent_id is empty")
        if agent_id in seen:
            raise RulesError(f"{where}: agent_id={agent_id!r} appears twice")
        seen.add(agent_id)
        contract = str(row["contract"]).strip()
        if contract not in contracts:
            raise RulesError(f"{where}: contract={contract!r} is not a [[contract]] in the rules ({sorted(contracts)})")
        channels = tuple(c.strip() for c in str(row["channels"]).split("|") if c.strip())
        bad = [c for c in channels if c not in served]
        if not channels or bad:
            raise RulesError(f"{where}: channels={row['channels']!r}: {bad or 'none'} not served by any [[shift]]")
        weekdays, dates = set(), set()
        unavailable = row.get("unavailable")
        if isinstance(unavailable, str) and unavailable.strip():
            for item in unavailable.split("|"):
                item = item.strip()
                if item in WEEKDAYS:
                    weekdays.add(WEEKDAYS.index(item))
                    continue
                try:
                    dates.add(dt.date.fromisoformat(item))
                except ValueError:
                    raise RulesError(f"{where}: unavailable={item!r} is neither a weekday Mon..Sun nor an ISO date") from None
        preferred = row.get("preferred_shift")
        preferred = str(preferred).strip() if isinstance(preferred, str) and preferred.strip() else None
        if preferred and preferred not in {s.name for s in rules.shifts}:
            warnings.warn(f"{where}: preferred_shift={preferred!r} is not a [[shift]]; ignored", stacklevel=2)
            preferred = None
        hours = {}
        for key in ("min_hours", "max_hours", "weekend_days_worked", "night_shifts_worked"):
            value = row.get(key)
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                hours[key] = None
                continue
            try:
                hours[key] = float(value)
            except (TypeError, ValueError):
                raise RulesError(f"{where}: {key}={value!r} is not a number") from None
            if hours[key] < 0:
                raise RulesError(f"{where}: {key}={value!r} must be >= 0")
        if hours["min_hours"] is not None and hours["max_hours"] is not None and hours["min_hours"] > hours["max_hours"]:
            raise RulesError(f"{where}: min_hours={hours['min_hours']:g} exceeds max_hours={hours['max_hours']:g}")
        agents.append(Agent(
            agent_id, contract, channels, frozenset(weekdays), frozenset(dates), preferred,
            hours["min_hours"], hours["max_hours"], hours["weekend_days_worked"] or 0.0,
            hours["night_shifts_worked"] or 0.0,
        ))
    return tuple(agents)


def headcount_caps(agents: Sequence[Agent], week_start: pd.Timestamp) -> HeadcountCaps:
    """Tour caps for the plan from an agent list: per contract, contract x skill, contract x day,
    and the agent pools (agents alike in contract, skills, workdays and hours; in agent order).
    Days are those of the planned week starting at ``week_start`` (0 = that day)."""
    by_contract: dict[str, int] = defaultdict(int)
    by_channel: dict[tuple[str, str], int] = defaultdict(int)
    by_weekday: dict[tuple[str, int], int] = defaultdict(int)
    pools: dict[tuple, int] = defaultdict(int)
    for agent in agents:
        by_contract[agent.contract] += 1
        for channel in agent.channels:
            by_channel[(agent.contract, channel)] += 1
        dates = [(week_start + pd.Timedelta(days=d)).date() for d in range(7)]
        workdays = frozenset(d for d in range(7) if dates[d].weekday() not in agent.unavailable_weekdays
                             and dates[d] not in agent.unavailable_dates)
        for d in workdays:
            by_weekday[(agent.contract, d)] += 1
        pools[(agent.contract, frozenset(agent.channels), workdays, agent.min_hours, agent.max_hours)] += 1
    day_names = tuple(WEEKDAYS[(week_start.weekday() + d) % 7] for d in range(7))
    agent_pools = tuple(AgentPool(contract, channels, workdays, count, low, high, day_names)
                        for (contract, channels, workdays, low, high), count in pools.items())
    return HeadcountCaps(dict(by_contract), dict(by_channel), dict(by_weekday), agent_pools)


def _prefix(contract: str, taken: set[str]) -> str:
    words = [w for w in contract.replace("-", "_").split("_") if w]
    prefix = "".join(w[0] for w in words).upper() if len(words) > 1 else contract[:2].upper()
    return prefix if prefix not in taken else contract.upper()


def is_night(start_minute: int, length_minutes: int) -> bool:
    """Whether a shift starting ``start_minute`` after midnight works any time in 22:00-05:00."""
    start = start_minute % 1440
    return start < NIGHT_END_MINUTE or start + length_minutes > NIGHT_START_MINUTE


def build_roster(plan: ShiftPlan, rules: RuleSet, *, agents: Sequence[Agent] | None = None) -> Roster:
    """Assign the plan's tours to agents and lay out shifts, activities and coverage.

    Without ``agents`` one agent per tour is created per contract. Tours no agent can
    take are returned in ``unfilled`` (and warned about); their shifts are not in the roster.
    """
    grid = plan.grid
    templates = {t.name: t for t in rules.shifts}
    units = []
    for row in plan.tours.sort_values(["contract", "template", "start_minute", "pattern", "channel"]).itertuples():
        for _ in range(int(row.agents)):
            units.append(row)
    if agents is None:
        counters: dict[str, int] = defaultdict(int)
        prefixes: dict[str, str] = {}
        made = []
        width = max(3, len(str(max([sum(1 for u in units if u.contract == c.name) for c in rules.contracts] + [1]))))
        for unit in units:
            if unit.contract not in prefixes:
                prefixes[unit.contract] = _prefix(unit.contract, set(prefixes.values()))
            counters[unit.contract] += 1
            made.append(Agent(f"{prefixes[unit.contract]}{counters[unit.contract]:0{width}d}", unit.contract,
                              tuple(templates[unit.template].channels)))
        agents = tuple(made)
        pairs = list(enumerate(range(len(units))))
    else:
        agents = tuple(agents)
        pairs = _assign(agents, units, grid.start, templates, plan.demands)
    assigned_units = {u for _, u in pairs}
    unfilled = pd.DataFrame([units[u]._asdict() for u in range(len(units)) if u not in assigned_units])
    if len(unfilled):
        unfilled = unfilled.drop(columns=["Index"]).groupby(
            ["template", "contract", "channel", "start_minute", "pattern"], as_index=False)["agents"].count()
        warnings.warn(f"{len(units) - len(assigned_units)} planned tour(s) could not be given to any agent "
                      "(contract, skills, availability or hours); their shifts are missing", stacklevel=2)
    busy_agents = {a for a, _ in pairs}
    idle = tuple(a.agent_id for k, a in enumerate(agents) if k not in busy_agents)

    roster_rows, assignment_rows = [], []
    shifts_of: dict[tuple[str, str, int, int, bool], list[str]] = defaultdict(list)  # group -> agent ids
    agent_shifts: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)  # abs minutes, channel, template
    for a, u in sorted(pairs, key=lambda p: agents[p[0]].agent_id):
        agent, unit = agents[a], units[u]
        template = templates[unit.template]
        days = [d for d, ch in enumerate(unit.pattern) if ch != "."]
        assignment_rows.append({"agent_id": agent.agent_id, "contract": unit.contract, "template": unit.template,
                                "channel": unit.channel, "start_minute": unit.start_minute,
                                "pattern": unit.pattern, "paid_hours": unit.paid_hours_per_agent})
        for d in days:
            start_abs = d * 1440 + int(unit.start_minute)
            start = grid.start + pd.Timedelta(minutes=start_abs)
            end = start + pd.Timedelta(minutes=template.length_minutes)
            roster_rows.append({"agent_id": agent.agent_id, "date": (grid.start + pd.Timedelta(days=d)).date().isoformat(),
                                "shift_start": start, "shift_end": end, "channel": unit.channel,
                                "shift": unit.template})
            shifts_of[(unit.template, unit.channel, d, int(unit.start_minute), bool(unit.blends))].append(
                agent.agent_id)
            agent_shifts[agent.agent_id].append((start_abs, start_abs + template.length_minutes, unit.channel,
                                                 unit.template))
    roster = pd.DataFrame(roster_rows, columns=list(ROSTER_COLUMNS))
    skills = {a.agent_id: set(a.channels) for a in agents}
    activities = _lay_out_activities(plan, shifts_of, agent_shifts, templates, skills)
    coverage = coverage_frame(roster, activities, plan.demands, grid)
    fairness = _fairness(agents, agent_shifts, pairs, templates, first_weekday=grid.start.weekday())
    assignments = pd.DataFrame(assignment_rows, columns=["agent_id", "contract", "template", "channel",
                                                         "start_minute", "pattern", "paid_hours"])
    return Roster(roster.sort_values(["agent_id", "shift_start"], ignore_index=True), activities, coverage,
                  assignments, unfilled, idle, agents, fairness)


def _assign(agents: Sequence[Agent], units: list, week_start: pd.Timestamp, templates: dict,
            demands: dict[str, ChannelDemand]) -> list[tuple[int, int]]:
    """Min-cost assignment of agents (rows) to tour units (columns); forbidden pairs dropped.

    A tour the plan lets blend (``blends``) needs the deferred channels it may work among the
    agent's skills too: the plan counted on that work.
    """
    cost = np.zeros((len(agents), len(units)))
    dates = [(week_start + pd.Timedelta(days=d)).date() for d in range(7)]
    weekend_mean = np.mean([a.weekend_days_worked for a in agents]) if agents else 0.0
    night_mean = np.mean([a.night_shifts_worked for a in agents]) if agents else 0.0
    for u, unit in enumerate(units):
        template = templates[unit.template]
        days = [d for d, ch in enumerate(unit.pattern) if ch != "."]
        weekend = sum(1 for d in days if dates[d].weekday() >= 5)
        night = len(days) if is_night(int(unit.start_minute), template.length_minutes) else 0
        needs = {unit.channel} | (set(blend_targets(template, unit.channel, demands)) if unit.blends else set())
        for a, agent in enumerate(agents):
            if (agent.contract != unit.contract or not needs <= set(agent.channels)
                    or any(dates[d].weekday() in agent.unavailable_weekdays or dates[d] in agent.unavailable_dates
                           for d in days)
                    or (agent.min_hours is not None and unit.paid_hours_per_agent < agent.min_hours - 1e-9)
                    or (agent.max_hours is not None and unit.paid_hours_per_agent > agent.max_hours + 1e-9)):
                cost[a, u] = _FORBIDDEN
                continue
            c = 0.0
            if agent.preferred_shift is not None and agent.preferred_shift != unit.template:
                c += 1.0
            c += 0.1 * weekend * (agent.weekend_days_worked - weekend_mean)
            c += 0.1 * night * (agent.night_shifts_worked - night_mean)
            cost[a, u] = c
    if not len(agents) or not len(units):
        return []
    rows, cols = linear_sum_assignment(cost)
    return [(int(a), int(u)) for a, u in zip(rows, cols) if cost[a, u] < _FORBIDDEN / 2]


def _lay_out_activities(plan: ShiftPlan, shifts_of: dict, agent_shifts: dict, templates: dict,
                        skills: dict[str, set[str]]) -> pd.DataFrame:
    grid = plan.grid
    dt_min = grid.interval_minutes
    rows = []
    busy: dict[str, set[int]] = defaultdict(set)  # absolute minutes (interval starts) in an activity
    for key, group in plan.activities.groupby(["template", "channel", "day", "start_minute", "blends"]):
        members = sorted(shifts_of.get(key, []))
        template, channel, d, start, _blends = key
        # each activity of the template (by its place there, several may share a kind) goes to
        # the group's agents in start order: the k-th agent takes the k-th earliest of each, which
        # never overlaps under the plan's ordering rows (scheduling.shifts.formulation.activities.ordering_rows)
        for _index, placed in group.groupby("activity_index", sort=True):
            kind = placed["activity"].iloc[0]
            offsets = [int(o) for o, c in zip(placed["offset_minutes"], placed["count"]) for _ in range(int(c))]
            length = int(placed["length_minutes"].iloc[0])
            if len(offsets) < len(members):  # more only when some tours found no agent (unfilled)
                raise RuntimeError(f"plan and roster disagree: {len(offsets)} {kind!r} activities for the "
                                   f"{len(members)} shift(s) of [[shift]] {template!r} on {grid.day_names()[d]} at "
                                   f"minute {start} ({channel})")
            for agent_id, offset in zip(members, sorted(offsets)):
                begin = d * 1440 + int(start) + offset
                rows.append({"agent_id": agent_id, "start": grid.start + pd.Timedelta(minutes=begin),
                             "end": grid.start + pd.Timedelta(minutes=begin + length), "activity": kind})
                busy[agent_id].update(range(begin, begin + length, dt_min))
    if len(plan.blending):
        # who is on duty at each grid interval (an absolute minute inside the shift)
        on_duty: dict[tuple[int, str, str], list[tuple[str, int]]] = defaultdict(list)
        for agent_id, shifts in agent_shifts.items():
            for begin, end, channel, template in shifts:
                for minute in range(begin, end, dt_min):
                    i = (minute % MINUTES_PER_WEEK) // dt_min if grid.wrap else minute // dt_min
                    for work in templates[template].channels:
                        if work in skills[agent_id]:
                            on_duty[(i, channel, work)].append((agent_id, minute))
        working: dict[str, list[int]] = defaultdict(list)
        previous: set[tuple[str, int]] = set()
        for row in plan.blending.sort_values("interval").itertuples():
            candidates = [(a, m) for a, m in on_duty[(row.interval, row.channel, row.work_channel)]
                          if m not in busy[a]]
            # keep agents who worked this channel in the previous interval together (fewer switches)
            candidates.sort(key=lambda am: (0 if (am[0], am[1] - dt_min) in previous else 1, am[0]))
            chosen = candidates[: int(row.agents)]
            for agent_id, minute in chosen:
                busy[agent_id].add(minute)
                working[(agent_id, row.work_channel)].append(minute)
            previous |= set(chosen)
        for (agent_id, work), minutes in working.items():
            minutes = sorted(minutes)
            first = last = minutes[0]
            for minute in minutes[1:] + [None]:
                if minute is not None and minute == last + dt_min:
                    last = minute
                    continue
                rows.append({"agent_id": agent_id, "start": grid.start + pd.Timedelta(minutes=first),
                             "end": grid.start + pd.Timedelta(minutes=last + dt_min), "activity": work})
                if minute is not None:
                    first = last = minute
    frame = pd.DataFrame(rows, columns=list(ACTIVITY_COLUMNS))
    return frame.sort_values(["agent_id", "start"], ignore_index=True)


def _fairness(agents: Sequence[Agent], agent_shifts: dict, pairs: list, templates: dict, *,
              first_weekday: int) -> dict:
    weekend, nights = [], []
    for a, _ in pairs:
        shifts = agent_shifts[agents[a].agent_id]
        weekend.append(sum(1 for begin, *_ in shifts if (first_weekday + begin // 1440) % 7 >= 5))
        nights.append(sum(1 for begin, end, _, t in shifts if is_night(begin % 1440, end - begin)))
    weekend_arr, night_arr = np.array(weekend or [0]), np.array(nights or [0])
    return {
        "agents_working_weekends": int((weekend_arr > 0).sum()),
        "weekend_days_max": int(weekend_arr.max()), "weekend_days_mean": float(weekend_arr.mean()),
        "agents_working_nights": int((night_arr > 0).sum()),
        "night_shifts_max": int(night_arr.max()), "night_shifts_mean": float(night_arr.mean()),
    }

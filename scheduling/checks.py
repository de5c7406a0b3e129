"""Independent roster checker: every rule re-checked from the output frames alone.

It reads ``roster.csv``/``activities.csv``-shaped frames, the rules and the agents and
knows nothing of the model that produced them (no tours, no coverage matrix): shifts
are matched to templates by channel, length and start time of day; coverage is
recounted interval by interval.

Each rule is one function of a :class:`RosterView` (the frames read once) that yields
:class:`Violation` records; :data:`RULES` lists them and :func:`check_roster` runs them all,
so ``[]`` means the roster keeps every rule. A new rule is a function here, added to
:data:`RULES`, with a small test that breaks exactly that rule.

Example::

    >>> check_roster(roster, activities, rules, agents=agents)   # doctest: +SKIP
    []
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from scheduling.channels import DEFERRED_CHANNELS
from scheduling.coverage import planning_week_start
from scheduling.rules import WEEKDAYS, RuleSet, ShiftTemplate


@dataclass(frozen=True)
class Violation:
    """One broken rule: which ``rule`` (a :data:`RULES` function's name), whose (``agent_id``,
    ``None`` for coverage), when (the shift, activity or interval start) and what, in words."""

    rule: str
    agent_id: str | None
    when: pd.Timestamp | None
    detail: str

    def __str__(self) -> str:
        who = f"{self.agent_id} " if self.agent_id is not None else ""
        at = f"{self.when}: " if self.when is not None else ""
        return f"{who}{at}{self.detail}"


class RuleViolationError(RuntimeError):
    """The solver found no rule-abiding plan: the roster it made breaks rules.

    ``violations``: every violation found (the message names the first few). Such a roster
    is never a result: it is not written, stored or shown.
    """

    def __init__(self, violations: Sequence[Violation | str], *, shown: int = 3):
        self.violations = list(violations)
        self.shown = shown
        first = "; ".join(str(v) for v in self.violations[:shown])
        more = f" (and {len(self.violations) - shown} more)" if len(self.violations) > shown else ""
        super().__init__(f"the solver found no rule-abiding plan: {len(self.violations)} rule violation(s) in the "
                         f"roster, first: {first}{more}")

    def __reduce__(self):  # picklable across worker processes
        return (_rebuild_error, (self.violations, self.shown))


def _rebuild_error(violations: list, shown: int) -> RuleViolationError:
    return RuleViolationError(violations, shown=shown)


def compare_coverage(expected: pd.DataFrame, actual: pd.DataFrame, *, expected_name: str,
                     actual_name: str) -> list[Violation]:
    """Where two coverage frames (``interval_start, channel, scheduled``) differ; ``[]`` when they
    agree in every interval of every channel (to 1e-6 agents: both count whole agents)."""
    keys = ["interval_start", "channel"]
    left = expected.assign(interval_start=pd.to_datetime(expected["interval_start"]))[keys + ["scheduled"]]
    right = actual.assign(interval_start=pd.to_datetime(actual["interval_start"]))[keys + ["scheduled"]]
    both = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b")).fillna({"scheduled_a": 0.0,
                                                                                 "scheduled_b": 0.0})
    wrong = both[(both["scheduled_a"] - both["scheduled_b"]).abs() > 1e-6]
    if not len(wrong):
        return []
    first = wrong.sort_values(keys).iloc[0]
    return [Violation("coverage_agreement", None, first["interval_start"],
                      f"coverage {first['channel']}: {expected_name} has {first['scheduled_a']:g}, {actual_name} "
                      f"has {first['scheduled_b']:g} ({len(wrong)} interval(s) differ)")]


# ------------------------------------------------------------------------ the roster, read once

@dataclass
class RosterView:
    """The frames of one roster with what every rule needs, computed once.

    ``shifts``/``acts``: the roster and activities with datetime columns; ``matched[k]``: the
    templates shift ``k`` fits; ``worked[agent_id]``: 7 flags, day 0 = ``week_start``;
    ``in_shift[k]``: the activity rows inside shift ``k``; ``stray``: activity rows inside no
    shift of their agent; ``agents``: by id (``None`` without an agent list).
    """

    rules: RuleSet
    shifts: pd.DataFrame
    acts: pd.DataFrame
    week_start: pd.Timestamp | None
    agents: dict | None
    coverage: pd.DataFrame | None
    matched: dict[int, list[ShiftTemplate]] = field(default_factory=dict)
    worked: dict[str, list[bool]] = field(default_factory=dict)
    in_shift: dict[int, list] = field(default_factory=lambda: defaultdict(list))
    stray: list = field(default_factory=list)

    @property
    def channels(self) -> set[str]:
        return self.rules.channels()

    def day_names(self) -> tuple[str, ...]:
        if self.week_start is None:
            return WEEKDAYS
        return tuple(WEEKDAYS[(self.week_start.weekday() + d) % 7] for d in range(7))

    def listed_agents(self) -> Iterator[tuple[str, object, pd.DataFrame]]:
        """(agent id, agent, their shifts in time order) for rostered agents on the agent list."""
        if self.agents is None:
            return
        for agent_id, own in self.shifts.groupby("agent_id"):
            if agent_id in self.agents:
                yield agent_id, self.agents[agent_id], own.sort_values("shift_start")


def read_roster(roster: pd.DataFrame, activities: pd.DataFrame, rules: RuleSet, *, agents: Sequence | None = None,
                coverage: pd.DataFrame | None = None, week_start: pd.Timestamp | None = None) -> RosterView:
    """The :class:`RosterView` of a roster (see :func:`check_roster` for the arguments)."""
    shifts = roster.assign(shift_start=pd.to_datetime(roster["shift_start"]),
                           shift_end=pd.to_datetime(roster["shift_end"]),
                           date=pd.to_datetime(roster["date"]))
    acts = activities.assign(start=pd.to_datetime(activities["start"]), end=pd.to_datetime(activities["end"]))
    if week_start is None and len(shifts):
        week_start = planning_week_start(shifts["date"], first_weekday=rules.week_start)
    view = RosterView(rules, shifts, acts, week_start, {a.agent_id: a for a in agents} if agents is not None else None,
                      coverage)
    named = "shift" in shifts.columns
    for k, row in shifts.iterrows():
        length = int((row.shift_end - row.shift_start) / pd.Timedelta(minutes=1))
        view.matched[k] = _templates_for(rules, row.channel, row.shift_start, row.date, length)
        if named and isinstance(row["shift"], str) and row["shift"]:  # the roster says which [[shift]] it is
            view.matched[k] = [t for t in view.matched[k] if t.name == row["shift"]]
    for agent_id, own in shifts.groupby("agent_id"):
        flags = [False] * 7
        for day in own["date"]:
            flags[int((day - week_start) / pd.Timedelta(days=1)) % 7] = True
        view.worked[agent_id] = flags
    spans: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, int]]] = defaultdict(list)
    for k, agent_id, begin, end in zip(shifts.index, shifts["agent_id"], shifts["shift_start"], shifts["shift_end"]):
        spans[agent_id].append((begin, end, k))
    for row in acts.itertuples():
        hit = next((k for begin, end, k in spans.get(row.agent_id, []) if begin <= row.start and end >= row.end), None)
        if hit is None:
            view.stray.append(row)
        else:
            view.in_shift[hit].append(row)
    for k, fits in view.matched.items():
        if len(fits) > 1:  # same channel, length and start (e.g. an early shift's last start is a late one's first):
            # the shift is the template whose activities it has; every rule reads that one first
            view.matched[k] = sorted(fits, key=lambda template: len(_activity_violations(view, k, template)))
    return view


def _templates_for(rules: RuleSet, channel: str, start: pd.Timestamp, day: pd.Timestamp,
                   length: int) -> list[ShiftTemplate]:
    minute = int((start - day) / pd.Timedelta(minutes=1))
    return [t for t in rules.shifts
            if channel in t.channels and t.length_minutes == length and minute in t.start_minutes()
            and day.weekday() in t.weekdays]


def _runs(flags: list[bool], value: bool, cyclic: bool) -> int:
    seq = flags + flags if cyclic else flags
    best = run = 0
    for flag in seq:
        run = run + 1 if flag == value else 0
        best = max(best, run)
    return min(best, len(flags))


def _paid_hours(view: RosterView, own: pd.DataFrame) -> float:
    return sum(view.matched[k][0].paid_minutes / 60 for k in own.index if view.matched[k])


# ------------------------------------------------------------------------ the rules, one function each

Rule = Callable[[RosterView], Iterator[Violation]]


def shift_matches_a_template(view: RosterView) -> Iterator[Violation]:
    """Every shift is some ``[[shift]]``: its channel, length, start time and weekday."""
    for k, row in view.shifts.iterrows():
        if not view.matched[k]:
            named = f"[[shift]] {row['shift']!r}" if isinstance(row.get("shift"), str) and row.get("shift") else "[[shift]]"
            yield Violation("shift_matches_a_template", row.agent_id, row.shift_start,
                            f"shift {row.shift_start}-{row.shift_end} on {row.channel} matches no {named} "
                            "(channel, length, start window, days)")


def one_shift_a_day(view: RosterView) -> Iterator[Violation]:
    """An agent works at most one shift per date."""
    for agent_id, own in view.shifts.groupby("agent_id"):
        twice = own.loc[own["date"].duplicated(), "date"]
        if len(twice):
            yield Violation("one_shift_a_day", agent_id, twice.iloc[0], f"more than one shift on {twice.iloc[0].date()}")


def min_rest(view: RosterView) -> Iterator[Violation]:
    """At least ``min_rest_hours`` between the end of a shift and the start of the next."""
    for agent_id, own in view.shifts.groupby("agent_id"):
        own = own.sort_values("shift_start")
        gaps = (own["shift_start"].iloc[1:].to_numpy() - own["shift_end"].iloc[:-1].to_numpy()) / pd.Timedelta(hours=1)
        for gap, when in zip(gaps, own["shift_start"].iloc[1:]):
            if gap < view.rules.min_rest_hours - 1e-9:
                yield Violation("min_rest", agent_id, when, f"only {gap:g} h rest before the shift at {when} "
                                                            f"(min_rest_hours={view.rules.min_rest_hours:g})")


def max_consecutive_days(view: RosterView) -> Iterator[Violation]:
    """No more than ``max_consecutive_days`` days worked in a row (the week wraps with ``wrap_week``)."""
    for agent_id, worked in view.worked.items():
        run = _runs(worked, True, view.rules.wrap_week)
        if run > view.rules.max_consecutive_days:
            yield Violation("max_consecutive_days", agent_id, None,
                            f"works {run} days in a row (max_consecutive_days={view.rules.max_consecutive_days})")


def agent_is_listed(view: RosterView) -> Iterator[Violation]:
    """With an agent list, every rostered agent is on it."""
    if view.agents is None:
        return
    for agent_id in view.worked:
        if agent_id not in view.agents:
            yield Violation("agent_is_listed", agent_id, None, "not in the agent list")


def contract_days(view: RosterView) -> Iterator[Violation]:
    """The days worked lie within the agent's contract's ``days_per_week``."""
    for agent_id, agent, _own in view.listed_agents():
        contract = view.rules.contract(agent.contract)
        days = sum(view.worked[agent_id])
        if not contract.min_days <= days <= contract.max_days:
            yield Violation("contract_days", agent_id, None, f"works {days} days; contract {contract.name!r} allows "
                                                             f"{contract.min_days}..{contract.max_days}")


def consecutive_days_off(view: RosterView) -> Iterator[Violation]:
    """The days off include a run of the contract's ``consecutive_days_off``."""
    for agent_id, agent, _own in view.listed_agents():
        contract = view.rules.contract(agent.contract)
        worked = view.worked[agent_id]
        if contract.consecutive_days_off and sum(worked) < 7 and \
                _runs(worked, False, view.rules.wrap_week) < contract.consecutive_days_off:
            off = [view.day_names()[d] for d in range(7) if not worked[d]]
            yield Violation("consecutive_days_off", agent_id, None,
                            f"days off {off} are not {contract.consecutive_days_off} consecutive days")


def skill(view: RosterView) -> Iterator[Violation]:
    """An agent's shifts are on channels they have the skill for."""
    for agent_id, agent, own in view.listed_agents():
        for row in own.itertuples():
            if row.channel not in agent.channels:
                yield Violation("skill", agent_id, row.shift_start,
                                f"channel {row.channel!r} not in skills {agent.channels}")


def availability(view: RosterView) -> Iterator[Violation]:
    """No shift on a weekday or date the agent is unavailable."""
    for agent_id, agent, own in view.listed_agents():
        for row in own.itertuples():
            if row.date.weekday() in agent.unavailable_weekdays or row.date.date() in agent.unavailable_dates:
                yield Violation("availability", agent_id, row.shift_start,
                                f"works on {row.date.date()} ({WEEKDAYS[row.date.weekday()]}), marked unavailable")


def weekly_hours(view: RosterView) -> Iterator[Violation]:
    """Paid hours within the agent's ``min_hours``..``max_hours``."""
    for agent_id, agent, own in view.listed_agents():
        paid = _paid_hours(view, own)
        if agent.min_hours is not None and paid < agent.min_hours - 1e-9:
            yield Violation("weekly_hours", agent_id, None, f"{paid:g} paid hours < min_hours={agent.min_hours:g}")
        if agent.max_hours is not None and paid > agent.max_hours + 1e-9:
            yield Violation("weekly_hours", agent_id, None, f"{paid:g} paid hours > max_hours={agent.max_hours:g}")


def activity_inside_a_shift(view: RosterView) -> Iterator[Violation]:
    """Every activity lies inside one of its agent's shifts."""
    for row in view.stray:
        yield Violation("activity_inside_a_shift", row.agent_id, row.start,
                        f"activity {row.activity!r} {row.start}-{row.end} is outside their shifts")


def activities_do_not_overlap(view: RosterView) -> Iterator[Violation]:
    """No two activities of one shift at the same time."""
    for k, rows in view.in_shift.items():
        rows = sorted(rows, key=lambda r: r.start)
        for first, second in zip(rows, rows[1:]):
            if second.start < first.end:
                yield Violation("activities_do_not_overlap", view.shifts.loc[k, "agent_id"], second.start,
                                f"activities {first.activity!r} and {second.activity!r} overlap at {second.start}")


def blended_work_allowed(view: RosterView) -> Iterator[Violation]:
    """Deferred work inside a shift only where its template serves that channel and the agent has the skill."""
    channels = view.channels
    for k, rows in view.in_shift.items():
        agent_id = view.shifts.loc[k, "agent_id"]
        served = {c for t in view.matched[k] for c in t.channels}
        for row in rows:
            if row.activity not in channels:
                continue
            if row.activity not in served:
                yield Violation("blended_work_allowed", agent_id, row.start,
                                f"works {row.activity!r} in a shift whose template does not serve it")
            if view.agents is not None and agent_id in view.agents and row.activity not in view.agents[agent_id].channels:
                yield Violation("blended_work_allowed", agent_id, row.start, f"works {row.activity!r} without that skill")


def template_activities(view: RosterView) -> Iterator[Violation]:
    """Each shift has exactly its template's activities, each in its window and of its length.

    Activities are identified by their place in the template, and several may share a kind,
    so the rows of one kind are matched to that kind's activities by a maximum matching (a
    row fits an activity when it starts on the grid inside its window and has its length).
    When several templates match a shift, it is checked against the one whose activities it
    has (:func:`read_roster` puts that one first).
    """
    for k, fits in view.matched.items():
        if fits:
            yield from _activity_violations(view, k, fits[0])


def _activity_violations(view: RosterView, k: int, template: ShiftTemplate) -> list[Violation]:
    """What :func:`template_activities` finds wrong with shift ``k`` read as ``template``."""
    channels, step = view.channels, view.rules.interval_minutes
    shift = view.shifts.loc[k]
    own = [r for r in view.in_shift.get(k, []) if r.activity not in channels]
    found: list[Violation] = []
    for kind in dict.fromkeys(a.kind for a in template.activities):
        wanted = [a for a in template.activities if a.kind == kind]
        rows = sorted((r for r in own if r.activity == kind), key=lambda r: r.start)
        if len(rows) != len(wanted):
            found.append(Violation("template_activities", shift.agent_id, shift.shift_start,
                                   f"{len(rows)} {kind!r} activities, [[shift]] {template.name!r} needs exactly "
                                   f"{len(wanted)}"))
            continue
        offsets = [(r.start - shift.shift_start) / pd.Timedelta(minutes=1) for r in rows]
        lengths = [(r.end - r.start) / pd.Timedelta(minutes=1) for r in rows]
        fit = np.array([[a.earliest_after_start <= off <= a.latest_after_start and not off % step
                         and length == a.length_minutes for a in wanted]
                        for off, length in zip(offsets, lengths)], dtype=float)
        for r, c in zip(*linear_sum_assignment(-fit)):
            if fit[r, c]:
                continue
            activity = wanted[c]
            if not activity.earliest_after_start <= offsets[r] <= activity.latest_after_start or offsets[r] % step:
                detail = (f"{kind!r} starts {offsets[r]:g} min after the shift start, outside "
                          f"{activity.earliest_after_start}..{activity.latest_after_start}")
            else:
                detail = f"{kind!r} lasts {lengths[r]:g} min, not {activity.length_minutes}"
            found.append(Violation("template_activities", shift.agent_id, rows[r].start, detail))
    extra = {r.activity for r in own} - {a.kind for a in template.activities}
    if extra:
        found.append(Violation("template_activities", shift.agent_id, shift.shift_start,
                               f"activities {sorted(extra)} are not in [[shift]] {template.name!r}"))
    return found


def _recount(view: RosterView) -> dict[str, np.ndarray]:
    """Agents on duty per interval and channel, from the shifts net of their activities."""
    step = view.rules.interval_minutes
    n = 7 * 1440 // step
    count: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n))

    def add(channel: str, start: pd.Timestamp, end: pd.Timestamp, value: float) -> None:
        first = int((start - view.week_start) / pd.Timedelta(minutes=1)) // step
        idx = np.arange(first, first + int((end - start) / pd.Timedelta(minutes=1)) // step)
        idx = idx % n if view.rules.wrap_week else idx[(idx >= 0) & (idx < n)]
        np.add.at(count[channel], idx, value)

    for k, row in view.shifts.iterrows():
        add(row.channel, row.shift_start, row.shift_end, 1.0)
        for act in view.in_shift.get(k, []):
            add(row.channel, act.start, act.end, -1.0)
            if act.activity in view.channels:
                add(act.activity, act.start, act.end, 1.0)
    return count


def _coverage_rows(view: RosterView) -> Iterator[tuple[str, pd.DataFrame, np.ndarray]]:
    count = _recount(view)
    frame = view.coverage.assign(interval_start=pd.to_datetime(view.coverage["interval_start"]))
    step = view.rules.interval_minutes
    for channel, rows in frame.groupby("channel"):
        idx = ((rows["interval_start"] - view.week_start) / pd.Timedelta(minutes=step)).astype(int).to_numpy()
        yield channel, rows, count[channel][idx]


def coverage_recount(view: RosterView) -> Iterator[Violation]:
    """``coverage.csv``'s ``scheduled`` equals the agents the roster puts on each channel."""
    if view.coverage is None or view.week_start is None:
        return
    for channel, rows, recount in _coverage_rows(view):
        wrong = np.flatnonzero(np.abs(recount - rows["scheduled"].to_numpy(dtype=float)) > 1e-9)
        if len(wrong):
            i = wrong[0]
            yield Violation("coverage_recount", None, rows["interval_start"].iloc[i],
                            f"coverage {channel}: file says {rows['scheduled'].iloc[i]:g}, the roster has "
                            f"{recount[i]:g} ({len(wrong)} interval(s) differ)")


def hard_coverage(view: RosterView) -> Iterator[Violation]:
    """With ``coverage = "hard"``, every immediate channel's interval has its required agents."""
    if view.coverage is None or view.week_start is None or view.rules.coverage != "hard":
        return
    for channel, rows, recount in _coverage_rows(view):
        if channel in DEFERRED_CHANNELS:
            continue
        short = np.flatnonzero(recount < np.ceil(rows["required"].to_numpy(dtype=float) - 1e-6))
        if len(short):
            i = short[0]
            yield Violation("hard_coverage", None, rows["interval_start"].iloc[i],
                            f"coverage {channel}: {recount[i]:g} scheduled < required {rows['required'].iloc[i]:g} "
                            f"({len(short)} interval(s) short)")


RULES: tuple[Rule, ...] = (
    shift_matches_a_template, one_shift_a_day, min_rest, max_consecutive_days, agent_is_listed, contract_days,
    consecutive_days_off, skill, availability, weekly_hours, activity_inside_a_shift, activities_do_not_overlap,
    blended_work_allowed, template_activities, coverage_recount, hard_coverage,
)


def check_roster(
    roster: pd.DataFrame,
    activities: pd.DataFrame,
    rules: RuleSet,
    *,
    agents: Sequence | None = None,
    coverage: pd.DataFrame | None = None,
    week_start: pd.Timestamp | None = None,
) -> list[Violation]:
    """Every rule violation found in a roster (:data:`RULES` in order); ``[]`` when it is clean.

    ``agents``: objects with ``agent_id, contract, channels, unavailable_weekdays,
    unavailable_dates, min_hours, max_hours`` (see :class:`scheduling.roster.Agent`);
    without them only per-shift and per-agent sequence rules are checked. ``coverage``
    (``interval_start, channel, required, scheduled``): its ``scheduled`` must equal the
    recount, and in hard mode immediate channels must meet ``required``. ``week_start``: the
    midnight the planning week starts (consecutive days and days off are counted in that
    week); by default the rules' ``week_start`` weekday, else the first shift's day.
    """
    view = read_roster(roster, activities, rules, agents=agents, coverage=coverage, week_start=week_start)
    return [violation for rule in RULES for violation in rule(view)]

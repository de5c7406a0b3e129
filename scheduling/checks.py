"""Independent roster checker: every rule re-checked from the output frames alone.

It reads ``roster.csv``/``activities.csv``-shaped frames, the rules and the agents and
knows nothing of the model that produced them (no tours, no coverage matrix): shifts
are matched to templates by channel, length and start time of day; coverage is
recounted minute by minute. It returns a list of violations (empty = clean), so tests
and ``planner schedule`` can both use it.

Example::

    >>> check_roster(roster, activities, rules, agents=agents)   # doctest: +SKIP
    []
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from scheduling.coverage import planning_week_start
from scheduling.rules import WEEKDAYS, RuleSet, ShiftTemplate


class RuleViolationError(RuntimeError):
    """The solver found no rule-abiding plan: the roster it made breaks rules.

    ``violations``: every violation found (the message names the first few). Such a roster
    is never a result: it is not written, stored or shown.
    """

    def __init__(self, violations: Sequence[str], *, shown: int = 3):
        self.violations = list(violations)
        self.shown = shown
        first = "; ".join(self.violations[:shown])
        more = f" (and {len(self.violations) - shown} more)" if len(self.violations) > shown else ""
        super().__init__(f"the solver found no rule-abiding plan: {len(self.violations)} rule violation(s) in the "
                         f"roster, first: {first}{more}")

    def __reduce__(self):  # picklable across worker processes
        return (_rebuild_error, (self.violations, self.shown))


def _rebuild_error(violations: list[str], shown: int) -> RuleViolationError:
    return RuleViolationError(violations, shown=shown)


def compare_coverage(expected: pd.DataFrame, actual: pd.DataFrame, *, expected_name: str,
                     actual_name: str) -> list[str]:
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
    return [f"coverage {first['channel']} {first['interval_start']}: {expected_name} has "
            f"{first['scheduled_a']:g}, {actual_name} has {first['scheduled_b']:g} "
            f"({len(wrong)} interval(s) differ)"]


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


def check_roster(
    roster: pd.DataFrame,
    activities: pd.DataFrame,
    rules: RuleSet,
    *,
    agents: Sequence | None = None,
    coverage: pd.DataFrame | None = None,
    week_start: pd.Timestamp | None = None,
) -> list[str]:
    """All rule violations found in a roster; ``[]`` when it is clean.

    ``agents``: objects with ``agent_id, contract, channels, unavailable_weekdays,
    unavailable_dates, min_hours, max_hours`` (see :class:`scheduling.roster.Agent`);
    without them only per-shift and per-agent sequence rules are checked. ``coverage``
    (``interval_start, channel, required, scheduled``): its ``scheduled`` must equal the
    recount, and in hard mode immediate channels must meet ``required``. ``week_start``: the
    midnight the planning week starts (consecutive days and days off are counted in that
    week); by default the rules' ``week_start`` weekday, else the first shift's day.
    """
    problems: list[str] = []
    shifts = roster.assign(shift_start=pd.to_datetime(roster["shift_start"]),
                           shift_end=pd.to_datetime(roster["shift_end"]),
                           date=pd.to_datetime(roster["date"]))
    acts = activities.assign(start=pd.to_datetime(activities["start"]), end=pd.to_datetime(activities["end"]))
    channels = rules.channels()
    if week_start is None and len(shifts):
        week_start = planning_week_start(shifts["date"], first_weekday=rules.week_start)
    day_names = [WEEKDAYS[(week_start.weekday() + d) % 7] for d in range(7)] if week_start is not None else WEEKDAYS
    matched: dict[int, list[ShiftTemplate]] = {}

    # per shift: a template fits it
    for k, row in shifts.iterrows():
        length = int((row.shift_end - row.shift_start) / pd.Timedelta(minutes=1))
        fits = _templates_for(rules, row.channel, row.shift_start, row.date, length)
        matched[k] = fits
        if not fits:
            problems.append(f"{row.agent_id} {row.date.date()}: shift {row.shift_start}-{row.shift_end} on "
                            f"{row.channel} matches no [[shift]] (channel, length, start window, days)")

    # per agent: one shift a day, rest, consecutive days, contract days and days off
    by_id = {a.agent_id: a for a in agents} if agents is not None else {}
    for agent_id, own in shifts.groupby("agent_id"):
        own = own.sort_values("shift_start")
        if own["date"].duplicated().any():
            problems.append(f"{agent_id}: more than one shift on {own.loc[own['date'].duplicated(), 'date'].iloc[0].date()}")
        gaps = (own["shift_start"].iloc[1:].to_numpy() - own["shift_end"].iloc[:-1].to_numpy()) / pd.Timedelta(hours=1)
        for gap, when in zip(gaps, own["shift_start"].iloc[1:]):
            if gap < rules.min_rest_hours - 1e-9:
                problems.append(f"{agent_id}: only {gap:g} h rest before the shift at {when} "
                                f"(min_rest_hours={rules.min_rest_hours:g})")
        worked = [False] * 7
        for day in own["date"]:
            worked[int((day - week_start) / pd.Timedelta(days=1)) % 7] = True
        if _runs(worked, True, rules.wrap_week) > rules.max_consecutive_days:
            problems.append(f"{agent_id}: works {_runs(worked, True, rules.wrap_week)} days in a row "
                            f"(max_consecutive_days={rules.max_consecutive_days})")
        agent = by_id.get(agent_id)
        if agents is not None and agent is None:
            problems.append(f"{agent_id}: not in the agent list")
            continue
        if agent is None:
            continue
        contract = rules.contract(agent.contract)
        days = sum(worked)
        if not contract.min_days <= days <= contract.max_days:
            problems.append(f"{agent_id}: works {days} days; contract {contract.name!r} allows "
                            f"{contract.min_days}..{contract.max_days}")
        if contract.consecutive_days_off and days < 7 and _runs(worked, False, rules.wrap_week) < contract.consecutive_days_off:
            problems.append(f"{agent_id}: days off {[day_names[d] for d in range(7) if not worked[d]]} are not "
                            f"{contract.consecutive_days_off} consecutive days")
        for row in own.itertuples():
            if row.channel not in agent.channels:
                problems.append(f"{agent_id} {row.date.date()}: channel {row.channel!r} not in skills {agent.channels}")
            if row.date.weekday() in agent.unavailable_weekdays or row.date.date() in agent.unavailable_dates:
                problems.append(f"{agent_id}: works on {row.date.date()} ({WEEKDAYS[row.date.weekday()]}), "
                                "marked unavailable")
        paid = 0.0
        for k in own.index:
            if matched[k]:
                paid += matched[k][0].paid_minutes / 60
        if agent.min_hours is not None and paid < agent.min_hours - 1e-9:
            problems.append(f"{agent_id}: {paid:g} paid hours < min_hours={agent.min_hours:g}")
        if agent.max_hours is not None and paid > agent.max_hours + 1e-9:
            problems.append(f"{agent_id}: {paid:g} paid hours > max_hours={agent.max_hours:g}")

    # activities: inside one shift, in their windows, one row per template activity, no overlaps
    spans: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, int]]] = defaultdict(list)
    for k, agent_id, begin, end in zip(shifts.index, shifts["agent_id"], shifts["shift_start"], shifts["shift_end"]):
        spans[agent_id].append((begin, end, k))
    in_shift: dict[int, list] = defaultdict(list)
    for row in acts.itertuples():
        hit = next((k for begin, end, k in spans.get(row.agent_id, []) if begin <= row.start and end >= row.end), None)
        if hit is None:
            problems.append(f"{row.agent_id}: activity {row.activity!r} {row.start}-{row.end} is outside their shifts")
            continue
        in_shift[hit].append(row)
    for k, rows in in_shift.items():
        shift = shifts.loc[k]
        rows = sorted(rows, key=lambda r: r.start)
        for first, second in zip(rows, rows[1:]):
            if second.start < first.end:
                problems.append(f"{shift.agent_id}: activities {first.activity!r} and {second.activity!r} overlap "
                                f"at {second.start}")
        for row in rows:
            if row.activity in channels:
                template_channels = {c for t in matched[k] for c in t.channels}
                if row.activity not in template_channels:
                    problems.append(f"{shift.agent_id}: works {row.activity!r} in a shift whose template does not serve it")
                if agents is not None and shift.agent_id in by_id and row.activity not in by_id[shift.agent_id].channels:
                    problems.append(f"{shift.agent_id}: works {row.activity!r} without that skill")
    for k, fits in matched.items():
        if not fits:
            continue
        template = fits[0]
        shift = shifts.loc[k]
        own = [r for r in in_shift.get(k, []) if r.activity not in channels]
        problems += _check_activities(shift, template, own, rules.interval_minutes)
        extra = {r.activity for r in own} - {a.kind for a in template.activities}
        if extra:
            problems.append(f"{shift.agent_id} {shift.date.date()}: activities {sorted(extra)} are not in "
                            f"[[shift]] {template.name!r}")

    if coverage is not None and week_start is not None:
        problems += _check_coverage(shifts, acts, coverage, rules, week_start, channels)
    return problems


def _check_activities(shift, template: ShiftTemplate, own: list, interval_minutes: int) -> list[str]:
    """The shift's activity rows against the template's activities, kind by kind.

    Activities are identified by their place in the template, and several may share a kind,
    so the rows of one kind are matched to that kind's activities by a maximum matching
    (a row fits an activity when it starts on the grid inside its window and has its
    length); every activity needs exactly one row.
    """
    problems = []
    for kind in dict.fromkeys(a.kind for a in template.activities):
        wanted = [a for a in template.activities if a.kind == kind]
        rows = sorted((r for r in own if r.activity == kind), key=lambda r: r.start)
        if len(rows) != len(wanted):
            problems.append(f"{shift.agent_id} {shift.date.date()}: {len(rows)} {kind!r} activities, [[shift]] "
                            f"{template.name!r} needs exactly {len(wanted)}")
            continue
        offsets = [(r.start - shift.shift_start) / pd.Timedelta(minutes=1) for r in rows]
        lengths = [(r.end - r.start) / pd.Timedelta(minutes=1) for r in rows]
        fits = np.array([[a.earliest_after_start <= off <= a.latest_after_start and not off % interval_minutes
                          and length == a.length_minutes for a in wanted]
                         for off, length in zip(offsets, lengths)], dtype=float)
        row_ind, col_ind = linear_sum_assignment(-fits)
        unmatched_rows = [r for r, c in zip(row_ind, col_ind) if not fits[r, c]]
        unmatched = [c for r, c in zip(row_ind, col_ind) if not fits[r, c]]
        for r, c in zip(unmatched_rows, unmatched):
            activity = wanted[c]
            if not (activity.earliest_after_start <= offsets[r] <= activity.latest_after_start) or offsets[r] % interval_minutes:
                problems.append(f"{shift.agent_id} {shift.date.date()}: {kind!r} starts {offsets[r]:g} min after "
                                f"the shift start, outside {activity.earliest_after_start}..{activity.latest_after_start}")
            else:
                problems.append(f"{shift.agent_id} {shift.date.date()}: {kind!r} lasts {lengths[r]:g} min, "
                                f"not {activity.length_minutes}")
    return problems


def _check_coverage(shifts, acts, coverage, rules, week_start, channels) -> list[str]:
    """Recount agents per interval minute by minute and compare with ``coverage``."""
    step = rules.interval_minutes
    n = 7 * 1440 // step
    count: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n))

    def slot(t: pd.Timestamp) -> int | None:
        minute = int((t - week_start) / pd.Timedelta(minutes=1))
        if rules.wrap_week:
            return (minute % (7 * 1440)) // step
        return minute // step if 0 <= minute < 7 * 1440 else None

    def add(channel: str, start: pd.Timestamp, end: pd.Timestamp, value: float) -> None:
        t = start
        while t < end:
            i = slot(t)
            if i is not None:
                count[channel][i] += value
            t += pd.Timedelta(minutes=step)

    shift_of = {}
    for row in shifts.itertuples():
        add(row.channel, row.shift_start, row.shift_end, 1.0)
        shift_of.setdefault(row.agent_id, []).append(row)
    for row in acts.itertuples():
        home = [s for s in shift_of.get(row.agent_id, []) if s.shift_start <= row.start and row.end <= s.shift_end]
        if not home:
            continue
        add(home[0].channel, row.start, row.end, -1.0)
        if row.activity in channels:
            add(row.activity, row.start, row.end, 1.0)
    problems = []
    frame = coverage.assign(interval_start=pd.to_datetime(coverage["interval_start"]))
    for channel, rows in frame.groupby("channel"):
        idx = ((rows["interval_start"] - week_start) / pd.Timedelta(minutes=step)).astype(int).to_numpy()
        recount = count[channel][idx]
        wrong = np.flatnonzero(np.abs(recount - rows["scheduled"].to_numpy(dtype=float)) > 1e-9)
        if len(wrong):
            i = wrong[0]
            problems.append(f"coverage {channel} {rows['interval_start'].iloc[i]}: file says "
                            f"{rows['scheduled'].iloc[i]:g}, the roster has {recount[i]:g} ({len(wrong)} interval(s) differ)")
        if rules.coverage == "hard" and channel not in {"email", "social", "backoffice"}:
            short = np.flatnonzero(recount < np.ceil(rows["required"].to_numpy(dtype=float) - 1e-6))
            if len(short):
                i = short[0]
                problems.append(f"coverage {channel} {rows['interval_start'].iloc[i]}: {recount[i]:g} scheduled < "
                                f"required {rows['required'].iloc[i]:g} ({len(short)} interval(s) short)")
    return problems

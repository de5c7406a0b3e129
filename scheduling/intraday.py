"""Re-plan the rest of a day: move breaks, switch blended agents, overtime and VTO (a small MIP).

Operations research only (no ``planner`` or ``forecasting`` imports). Given the day's roster
(``agent_id, date, shift_start, shift_end, channel``), its activities (``agent_id, start, end,
activity``; a row is identified by its index, the row of activities.csv), the re-forecast
volume per interval and immediate channel, the service targets and the shift rules, from
``now`` to the end of the day the model chooses:

* a new start for every break or lunch that has not started yet, inside its window of the
  shift template (``earliest_after_start..latest_after_start``), not overlapping the agent's
  other activities (several activities of one kind are matched to the template's in order of
  their windows, so each keeps its own window);
* per interval, how many on-duty agents of each skill group work each immediate channel the
  group's template and skills allow (a blended agent moved from voice to chat becomes an
  activity row named ``chat`` inside the voice shift);
* overtime: a shift extended by whole intervals, at most ``overtime_max_minutes``, never past
  the template's latest end (latest start + length) nor the end of the day, keeping
  ``min_rest_hours`` before the agent's next shift, paid ``overtime_rate`` x the contract's
  hourly cost;
* voluntary time off: a shift shortened at its end (after its last activity), at most
  ``vto_max_minutes``, saving the hourly cost, only where overstaffed: no interval it frees
  may fall short of its target.

Objective (currency): ``value_per_contact`` per contact of **shortfall** (the answered-within-T
contacts short of ``target_sl`` x volume, per interval and channel) + overtime cost - VTO
saving - ``surplus_value`` per answered-within-T contact (so surplus service is only given
up for a saving), + a small charge per change so that nothing moves for nothing.
Answered-within-T contacts of an interval = volume x service level of the productive agents
``floor(scheduled x (1 - shrinkage))`` (Erlang C/A, chat concurrency), exactly as
:mod:`planner.service` projects them; the MIP takes it as an increasing step function of the
scheduled count. Without VTO the total answered within T may not fall below the unchanged
roster's, so a proposal never lowers one interval by more than it gains elsewhere.

Example:
    >>> result = replan_day(roster, activities, demand, targets, rules, now=pd.Timestamp("2025-06-03 12:00"))
    >>> result.changes                       # one row per agent whose day changes
    >>> roster2, activities2 = apply_changes(roster, activities, result, accept=result.changes["change_id"])
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from wfm_errors import InputError, RulesError
from scheduling import erlang
from scheduling.channels import IMMEDIATE_CHANNELS, chat_metrics
from scheduling.requirements import ServiceTarget
from scheduling.rules import RuleSet, ShiftTemplate
from scheduling.mip_child import MipAnswer, StreamingMip
from scheduling.solvers import _silence_banner, highspy

__all__ = ["ReplanOptions", "ReplanResult", "replan_day", "apply_changes", "count_on_duty", "project_service",
           "check_day", "template_of"]

#: share of the re-plan's time budget kept for the projection after the last solve
POST_SOLVE_SHARE = 0.2
#: the projection and the proposal's tables after the last solve take about this much of the
#: time building the model took (it scales with the machine's load as building does): kept
#: back when it is more than POST_SOLVE_SHARE of the budget (sample, all levers: build 7 s, after 4 s)
POST_SOLVE_PER_BUILD = 0.6
#: stage 1 (moves only) may take the whole solving window when overtime and VTO follow: moves
#: come first (they cost nothing), stage 2 only adds to what stage 1 found, and a stage 1 cut
#: short for stage 2 found less than the moves-only re-plan given the same window (sample plan,
#: 70 % of the window: 63 % recovered vs 91 % on 06-03 at heat 1.1, 0 % vs 88 % on 06-05 at 1.2).
#: Stage 2 gets the time a stage 1 proven optimal leaves (it starts from stage 1's solution,
#: under its shortfall): every lever is never worse than moves only in the same time
#: HiGHS's own time limit is this much before the stage's stop time (at least SOLVER_GRACE_S,
#: else this share of the stage's time), so that it normally stops by itself with its best
#: solution; else the child process solving it is killed at the stop time and its last
#: improving solution kept (HiGHS reads its limit only between root cut rounds, which can run seconds past it: the
#: test day of tests/scheduling/test_intraday_replan.py overran a 4.5 s limit by more than 1 s)
SOLVER_GRACE_S = 1.0
SOLVER_GRACE_SHARE = 0.25
#: a stage with less than this left before its stop time (seconds) is not run: its child process
#: would only start to be killed (the model took the budget to build); the proposal is then the
#: warm start (the unchanged roster, or stage 1's)
MIN_SOLVE_S = 0.5
CHANGE_COLUMNS = ("change_id", "agent_id", "summary", "moved_activities", "switched_minutes", "overtime_minutes",
                  "vto_minutes", "extra_cost")
EDIT_COLUMNS = ("change_id", "agent_id", "kind", "activity_row", "activity", "old_start", "old_end", "new_start",
                "new_end", "channel")
PROJECTION_COLUMNS = ("interval_start", "channel", "volume", "target_sl", "scheduled_before", "scheduled_after",
                      "sl_before", "sl_after", "answered_before", "answered_after", "short_before", "short_after")


@dataclass(frozen=True)
class ReplanOptions:
    """What the re-plan may change and what things are worth (currency, minutes)."""

    move_activities: bool = True
    switch_channels: bool = True
    overtime: bool = True
    vto: bool = True
    overtime_max_minutes: int = 120
    overtime_rate: float = 1.5
    vto_max_minutes: int = 240
    value_per_contact: float = 3.0
    surplus_value: float = 0.1
    change_cost: float = 0.05
    max_change_agents: int = 8  # per interval and channel, at most this many fewer agents than planned
    time_limit_s: float = 25.0  # the whole re-plan (both solver stages and the projection), seconds
    gap_rel: float = 0.005


@dataclass(frozen=True)
class ReplanResult:
    """A proposal: ``changes`` (one row per agent, :data:`CHANGE_COLUMNS`), ``edits`` (every
    single edit, :data:`EDIT_COLUMNS`), ``projection`` (per remaining interval and immediate
    channel before/after, :data:`PROJECTION_COLUMNS`), totals and the solver's status."""

    now: pd.Timestamp
    changes: pd.DataFrame
    edits: pd.DataFrame
    projection: pd.DataFrame
    shortfall_before: float
    shortfall_after: float
    answered_before: float
    answered_after: float
    extra_cost: float
    extra_paid_hours: float
    status: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- rules ---------------------------------------------------------------------------------
def template_of(rules: RuleSet, shift_start: pd.Timestamp, date: pd.Timestamp, length_minutes: int,
                channel: str, name: str | None = None) -> ShiftTemplate | None:
    """The [[shift]] template a roster row was built from (channel, length, start window, weekday),
    the one called ``name`` when the roster says (its ``shift`` column): two templates can match
    one row, e.g. an early shift's last start is a late shift's first."""
    minute = int((shift_start - date) / pd.Timedelta(minutes=1))
    for t in rules.shifts:
        if channel in t.channels and t.length_minutes == length_minutes and minute in t.start_minutes() \
                and date.weekday() in t.weekdays and (not name or t.name == name):
            return t
    return None


def _shift_name(row) -> str | None:
    """A roster row's [[shift]] name; None for rosters written before the ``shift`` column."""
    name = row.get("shift")
    return name if isinstance(name, str) and name else None


def _base_end(row) -> pd.Timestamp:
    """A roster row's end without its overtime / VTO (the template's length)."""
    end = pd.Timestamp(row["shift_end"])
    return end - pd.Timedelta(minutes=_minutes(row, "overtime_minutes")) + pd.Timedelta(minutes=_minutes(row, "vto_minutes"))


def _minutes(row, column: str) -> float:
    value = row.get(column, 0)
    return 0.0 if value is None or pd.isna(value) else float(value)


def check_day(roster: pd.DataFrame, activities: pd.DataFrame, rules: RuleSet, *,
              overtime_max_minutes: int = 120) -> list[str]:
    """Rules the re-plan must keep, on a roster with optional ``overtime_minutes`` /
    ``vto_minutes`` columns: every shift without them matches a template; every break/lunch is
    inside its shift and its window; overtime within its limit and the template's latest end;
    ``min_rest_hours`` between consecutive shifts (with the overtime); no overlapping activities."""
    problems = []
    shifts = roster.assign(shift_start=pd.to_datetime(roster["shift_start"]), shift_end=pd.to_datetime(roster["shift_end"]),
                           date=pd.to_datetime(roster["date"]))
    acts = activities.assign(start=pd.to_datetime(activities["start"]), end=pd.to_datetime(activities["end"]))
    channels = rules.channels()
    by_agent = {a: g.sort_values("start") for a, g in acts.groupby("agent_id")}
    for _, row in shifts.iterrows():
        base_end = _base_end(row)
        length = int((base_end - row.shift_start) / pd.Timedelta(minutes=1))
        template = template_of(rules, row.shift_start, row.date, length, row.channel, _shift_name(row))
        if template is None:
            problems.append(f"{row.agent_id} {row.date.date()}: shift {row.shift_start}-{base_end} matches no [[shift]]")
            continue
        ot = _minutes(row, "overtime_minutes")
        if ot > overtime_max_minutes + 1e-9:
            problems.append(f"{row.agent_id} {row.date.date()}: {ot:g} min overtime > {overtime_max_minutes}")
        latest_end = row.date + pd.Timedelta(minutes=template.latest_start + template.length_minutes)
        if ot > 0 and row.shift_end > latest_end:
            problems.append(f"{row.agent_id} {row.date.date()}: overtime ends {row.shift_end}, after the latest end "
                            f"{latest_end} of [[shift]] {template.name!r}")
        own = by_agent.get(row.agent_id)
        if own is None:
            own = acts.iloc[:0]
        inside = own[(own["start"] >= row.shift_start) & (own["start"] < base_end)]
        kinds = inside[~inside["activity"].isin(channels)]
        for activity, placed in zip(*_match_activities(template, kinds)):
            offset = (placed.start - row.shift_start) / pd.Timedelta(minutes=1)
            if not activity.earliest_after_start <= offset <= activity.latest_after_start:
                problems.append(f"{row.agent_id} {row.date.date()}: {activity.kind!r} (activities row {placed.Index}) starts "
                                f"{offset:g} min after the shift start, outside {activity.earliest_after_start}.."
                                f"{activity.latest_after_start}")
        if len(kinds) != len(template.activities):
            problems.append(f"{row.agent_id} {row.date.date()}: {len(kinds)} activities, [[shift]] {template.name!r} has "
                            f"{len(template.activities)}")
        late = inside[inside["end"] > row.shift_end]
        if len(late):
            problems.append(f"{row.agent_id} {row.date.date()}: activity row {late.index[0]} ends after the shift end {row.shift_end}")
    for agent_id, own in shifts.sort_values("shift_start").groupby("agent_id"):
        gaps = (own["shift_start"].iloc[1:].to_numpy() - own["shift_end"].iloc[:-1].to_numpy()) / pd.Timedelta(hours=1)
        for gap, when in zip(gaps, own["shift_start"].iloc[1:]):
            if gap < rules.min_rest_hours - 1e-9:
                problems.append(f"{agent_id}: only {gap:g} h rest before the shift at {when} (min_rest_hours={rules.min_rest_hours:g})")
    for agent_id, own in by_agent.items():
        ends = own["end"].to_numpy()[:-1]
        starts = own["start"].to_numpy()[1:]
        if (starts < ends).any():
            problems.append(f"{agent_id}: activities overlap at {pd.Timestamp(starts[np.argmax(starts < ends)])}")
    return problems


def _match_activities(template: ShiftTemplate, placed) -> tuple[list, list]:
    """Pair a shift's placed breaks/lunches (records with ``Index, start, activity``) with the
    template's activities: per kind, in order of start and of window (issue 18: several
    activities of one kind keep their own windows)."""
    records = list(placed.itertuples()) if isinstance(placed, pd.DataFrame) else list(placed)
    pairs_t, pairs_p = [], []
    for kind in dict.fromkeys(a.kind for a in template.activities):
        wanted = sorted((a for a in template.activities if a.kind == kind), key=lambda a: (a.earliest_after_start, a.latest_after_start))
        rows = sorted((r for r in records if r.activity == kind), key=lambda r: r.start)
        for a, r in zip(wanted, rows):
            pairs_t.append(a)
            pairs_p.append(r)
    return pairs_t, pairs_p


# -- counting and projecting ---------------------------------------------------------------
def count_on_duty(roster: pd.DataFrame, activities: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                  interval_minutes: int, channels: Iterable[str]) -> pd.DataFrame:
    """Agents at work per interval of ``[start, end)`` and channel: on shift on their shift's
    channel, minus breaks/lunches and work on other channels (activity rows named after a
    channel count for that channel). Returns ``interval_start, channel, scheduled``."""
    channels = list(channels)
    grid = pd.date_range(start, end, freq=f"{interval_minutes}min", inclusive="left")
    n = len(grid)
    step = pd.Timedelta(minutes=interval_minutes)
    count = {c: np.zeros(n) for c in channels}

    def add(channel: str, a: pd.Timestamp, b: pd.Timestamp, value: float) -> None:
        if channel not in count:
            return
        i0 = max(int(np.ceil((a - start) / step)), 0)
        i1 = min(int(np.ceil((b - start) / step)), n)
        if i1 > i0:
            count[channel][i0:i1] += value

    homes: dict[str, list] = defaultdict(list)
    for row in roster.itertuples():
        s, e = pd.Timestamp(row.shift_start), pd.Timestamp(row.shift_end)
        homes[row.agent_id].append((s, e, row.channel))
        add(row.channel, s, e, 1.0)
    for row in activities.itertuples():
        s, e = pd.Timestamp(row.start), pd.Timestamp(row.end)
        home = next((h for h in homes.get(row.agent_id, []) if h[0] <= s and e <= h[1]), None)
        if home is None:
            continue
        add(home[2], s, e, -1.0)
        add(row.activity, s, e, 1.0)
    return pd.DataFrame([{"interval_start": t, "channel": c, "scheduled": count[c][i]} for c in channels for i, t in enumerate(grid)])


def _answered_curve(volume: float, aht_s: float, target: ServiceTarget, interval_minutes: int, max_agents: int) -> np.ndarray:
    """Answered-within-T contacts for 0..max_agents scheduled agents (non-decreasing)."""
    scheduled = np.arange(max_agents + 1, dtype=float)
    productive = np.floor(scheduled * (1.0 - target.shrinkage) + 1e-9)
    if volume <= 0:
        return np.zeros(max_agents + 1)
    sl = _service_level(np.full_like(productive, volume), np.full_like(productive, aht_s), productive, target, interval_minutes)
    return np.maximum.accumulate(volume * np.nan_to_num(sl))


def _service_level(calls, aht, productive, target: ServiceTarget, interval_minutes: int) -> np.ndarray:
    kwargs = {"patience_s": target.patience_s}
    if target.concurrency and target.concurrency > 1:
        result = chat_metrics(calls, interval_minutes * 60.0, aht, productive, target.answer_s,
                              concurrency=int(target.concurrency), **kwargs)
    else:
        result = erlang.metrics(calls, interval_minutes * 60.0, aht, productive, target.answer_s,
                                sl_definition=target.sl_definition, short_abandon_s=target.short_abandon_s, **kwargs)
    sl = np.asarray(result["service_level"], dtype=float)
    return np.where(productive > 0, np.clip(np.nan_to_num(sl), 0.0, 1.0), 0.0)


def project_service(counts: pd.DataFrame, demand: pd.DataFrame, targets: Mapping[str, ServiceTarget], *,
                    interval_minutes: int) -> pd.DataFrame:
    """Per interval and immediate channel of ``demand`` (``interval_start, channel, volume``, optional
    ``aht_s``): service level and answered-within-T contacts of the ``counts`` (``scheduled``)."""
    frame = demand.merge(counts, on=["interval_start", "channel"], how="left")
    frame["scheduled"] = frame["scheduled"].fillna(0.0)
    parts = []
    for channel, rows in frame.groupby("channel", sort=True):
        target = targets[channel]
        rows = rows.copy()
        aht = rows["aht_s"].fillna(target.aht_s).to_numpy(dtype=float) if "aht_s" in rows else np.full(len(rows), float(target.aht_s))
        productive = np.floor(rows["scheduled"].to_numpy(dtype=float) * (1.0 - target.shrinkage) + 1e-9)
        volume = rows["volume"].to_numpy(dtype=float)
        sl = _service_level(volume, aht, productive, target, interval_minutes)
        rows["service_level"] = np.where(volume > 0, sl, np.nan)
        rows["answered_within_t"] = volume * np.nan_to_num(sl)
        rows["shortfall"] = np.maximum(target.target_sl * volume - rows["answered_within_t"], 0.0)
        parts.append(rows)
    return pd.concat(parts, ignore_index=True) if parts else frame.assign(service_level=[], answered_within_t=[], shortfall=[])


# -- the model -----------------------------------------------------------------------------
@dataclass
class _Agent:
    agent_id: str
    row: int                     # roster index
    start: pd.Timestamp
    end: pd.Timestamp
    home: str
    group_channels: tuple[str, ...]
    template: ShiftTemplate
    hourly_cost: float
    base: np.ndarray             # 1 where at work (any immediate channel) in the horizon, fixed activities removed
    movable: list                # (activity_row, kind, length_slots, [(offset_start_slot, covers array)], current option index)
    ot_options: list             # (minutes, covers array)
    vto_options: list            # (minutes, covers array)
    old_switches: pd.DataFrame = None  # activity rows of earlier switches ahead (re-decided)


@dataclass(frozen=True)
class _Day:
    """The re-planned part of the day: ``now`` (rounded up to the rules' interval), the day's
    end, the remaining intervals and the immediate channels with a service target."""

    now: pd.Timestamp
    day_end: pd.Timestamp
    horizon: pd.DatetimeIndex
    dt_min: int
    immediate: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.horizon)


def _day_of(now: pd.Timestamp, rules: RuleSet, targets: Mapping[str, ServiceTarget]) -> _Day:
    dt_min = rules.interval_minutes
    now = pd.Timestamp(now).ceil(f"{dt_min}min")
    day_end = now.normalize() + pd.Timedelta(days=1)
    return _Day(now=now, day_end=day_end, horizon=pd.date_range(now, day_end, freq=f"{dt_min}min", inclusive="left"),
                dt_min=dt_min, immediate=tuple(c for c in IMMEDIATE_CHANNELS if c in targets))


def replan_day(roster: pd.DataFrame, activities: pd.DataFrame, demand: pd.DataFrame,
               targets: Mapping[str, ServiceTarget], rules: RuleSet, *, now: pd.Timestamp,
               skills: Mapping[str, Sequence[str]] | None = None, contracts: Mapping[str, str] | None = None,
               options: ReplanOptions = ReplanOptions()) -> ReplanResult:
    """Propose changes to the rest of ``now``'s day (see the module docstring).

    ``roster``/``activities``: the plan's (any days; the shifts working after ``now`` on that day
    are re-planned, the others only bound rest times). ``demand``: ``interval_start, channel,
    volume`` (+ ``aht_s``) on the rules' interval grid - the re-forecast of the rest of the day.
    ``skills``: agent id -> channels (default: every channel of the agent's template).
    ``contracts``: agent id -> contract name (default: the template's contract).

    Steps: the agents' options (:func:`_agents`), the answered-within-T curves
    (:func:`_service_curves`), the MIP (:func:`_build_model`, handed to HiGHS while its child
    process starts), the two stages (:func:`_solve_stages`), the answer kept
    (:func:`_kept_answer`), its edits and the projection (:func:`_result`).
    """
    started = time.perf_counter()
    day = _day_of(now, rules, targets)
    demand = demand[(demand["interval_start"] >= day.now) & (demand["interval_start"] < day.day_end)
                    & demand["channel"].isin(day.immediate)]
    roster = roster.assign(shift_start=pd.to_datetime(roster["shift_start"]), shift_end=pd.to_datetime(roster["shift_end"]),
                           date=pd.to_datetime(roster["date"]))
    acts = activities.assign(start=pd.to_datetime(activities["start"]), end=pd.to_datetime(activities["end"]))
    agents = _agents(roster, acts, rules, now=day.now, day_end=day.day_end, horizon=day.horizon,
                     immediate=list(day.immediate), skills=skills, contracts=contracts, options=options,
                     rule_channels=rules.channels())
    curves, base_answered = _service_curves(agents, demand, targets, day)
    # stage 1: what moving breaks and switching channels alone recover (no paid hours change);
    # stage 2: overtime and VTO on top, never giving back what stage 1 recovered. One model for
    # both (building it is most of the time): stage 1 holds overtime and VTO at zero and the
    # day's answered-within-T total at least the roster's; stage 2 frees them, starts from
    # stage 1's solution and keeps its shortfall as a cap.
    stage_two = bool((options.overtime or options.vto) and (options.move_activities or options.switch_channels)
                     and any(a.ot_options or a.vto_options for a in agents))
    try:  # the solver's child process imports highspy while the model is built
        worker: StreamingMip | None = StreamingMip()
    except OSError:
        worker = None
    try:
        model = _build_model(agents, curves, base_answered, n=day.n, options=options, stage_two=stage_two)
        columns, h = _highs_model(model.prob, gap_rel=options.gap_rel)
    except BaseException:
        if worker is not None:
            worker.close()
        raise
    build_s = time.perf_counter() - started
    # one deadline for everything: the solves stop (their child process killed) in time for the
    # projection, whose time is kept back in proportion to the build's (both grow with the load)
    budget_s = options.time_limit_s
    solve_end = started + budget_s - max(POST_SOLVE_SHARE * budget_s, POST_SOLVE_PER_BUILD * build_s)
    first, solved, kills = _solve_stages(model, columns, h, worker, stage_two=stage_two, solve_end=solve_end)
    answer, notes = _kept_answer(first, solved, kills, options=options)
    if answer is None:  # the start, the unchanged roster, is the best known
        edits = pd.DataFrame(columns=list(EDIT_COLUMNS))
        status = "Feasible (time limit)"
    else:
        for v, x in zip(columns, answer.col_value):
            v.varValue = float(x)
        status = "Optimal" if answer.optimal else "Feasible (time limit)"
        edits = _edits(agents, model.choice, model.split, model.groups, day.horizon, day.now, day.dt_min, roster, acts,
                       list(day.immediate))
    result = _result(roster, activities, demand, targets, rules, edits, agents, now=day.now, day_end=day.day_end,
                     status=status, started=started, options=options)
    return dataclasses.replace(result, notes=tuple(notes))


def _service_curves(agents: list[_Agent], demand: pd.DataFrame, targets: Mapping[str, ServiceTarget],
                    day: _Day) -> tuple[dict, float]:
    """Answered-within-T contacts per remaining interval and channel as a function of the
    scheduled count, from 0 to as many as could be there: ``{(channel, t): (volume, target,
    curve, planned count)}``, and the unchanged roster's answered total."""
    n = day.n
    step = pd.Timedelta(minutes=day.dt_min)
    volume = {(r.interval_start, r.channel): (float(r.volume), float(getattr(r, "aht_s", np.nan)))
              for r in demand.itertuples()}
    model_base = defaultdict(lambda: np.zeros(n))
    most_there = defaultdict(lambda: np.zeros(n))
    for a in agents:
        work = a.base.copy()
        for _, _, _, opts, current in a.movable:
            work -= opts[current][1]
        model_base[a.home] += work
        reach = a.base + sum((c for _, c in a.ot_options), np.zeros(n))
        for c in a.group_channels:
            most_there[c] += np.minimum(reach, 1.0)
    curves = {}
    base_answered = 0.0
    for (when, channel), (vol, aht) in volume.items():
        t = int((when - day.now) / step)
        target = targets[channel]
        aht = aht if np.isfinite(aht) and aht > 0 else float(target.aht_s)
        base_n = int(round(model_base[channel][t]))
        top = max(int(np.ceil(most_there[channel][t])), base_n + 1)
        curve = _answered_curve(vol, aht, target, day.dt_min, top)
        curves[(channel, t)] = (vol, target, curve, base_n)
        base_answered += curve[base_n]
    return curves, base_answered


@dataclass
class _Terms:
    """What the steps of :func:`_build_model` add to and read (one model's, while it is built)."""

    n: int
    initial: dict = field(default_factory=dict)     # variable name -> its value in the start
    objective: list = field(default_factory=list)
    choice: dict = field(default_factory=dict)      # (row, j) -> placements; (row, "ot"/"vto", k) -> variable
    vto_links: list = field(default_factory=list)   # (variable, slots it frees, channels the agent could work)
    base_group: dict = None  # group -> agents at work as planned
    avail: dict = None       # group -> t -> (coefficient, variable)
    constant: dict = None    # group -> fixed availability

    def __post_init__(self):
        self.base_group = defaultdict(lambda: np.zeros(self.n))
        self.avail = defaultdict(lambda: defaultdict(list))
        self.constant = defaultdict(lambda: np.zeros(self.n))


def _build_model(agents: list[_Agent], curves: dict, base_answered: float, *, n: int, options: ReplanOptions,
                 stage_two: bool) -> _Model:
    """The MIP with the levers ``options`` allows; its start (``initial``) is the unchanged
    roster, so the solver always holds a feasible solution. With ``stage_two`` it has the two
    stages' constraints, switched by column bounds (see :func:`_stage_bounds`)."""
    prob = pulp.LpProblem("intraday_replan", pulp.LpMinimize)
    terms = _Terms(n)
    for a in agents:
        _add_moves(prob, terms, a, options)
        _add_paid_levers(prob, terms, a, options)
    groups, split, scheduled_terms = _add_channel_split(prob, terms, options)
    shorts, answered_total = _add_service(prob, terms, curves, scheduled_terms, options)
    # voluntary time off only where overstaffed: no interval it frees may be short afterwards
    for w, covers, chans in terms.vto_links:
        for t in np.flatnonzero(covers):
            for c in chans:
                if (c, int(t)) in shorts:
                    short, most = shorts[(c, int(t))]
                    prob += short <= most * (1 - w)
    controls = _add_stage_controls(prob, terms, shorts, answered_total, base_answered, options=options,
                                   stage_two=stage_two)
    prob += pulp.lpSum(terms.objective)
    paid = [v for key, v in terms.choice.items() if len(key) == 3 and key[1] in ("ot", "vto")]
    return _Model(prob, terms.choice, split, groups, shorts, answered_total, terms.initial, paid, controls)


def _add_moves(prob: pulp.LpProblem, terms: _Terms, a: _Agent, options: ReplanOptions) -> None:
    """Agent ``a``'s breaks and lunches: one placement each (its own in the start), never two
    of them at once."""
    g = (a.group_channels, a.home)
    terms.constant[g] += a.base
    terms.base_group[g] += a.base
    for j, (act_row, kind, length, opts, current) in enumerate(a.movable):
        ys = [pulp.LpVariable(f"y_{a.row}_{j}_{k}", cat="Binary") for k in range(len(opts))]
        terms.initial[ys[current].name] = 1.0
        terms.base_group[g] -= opts[current][1]
        prob += pulp.lpSum(ys) == 1
        terms.choice[(a.row, j)] = ys
        for k, (slot, covers) in enumerate(opts):
            if k != current:
                terms.objective.append(options.change_cost * ys[k])
            for t in np.flatnonzero(covers):
                terms.avail[g][t].append((-1.0, ys[k]))
    if len(a.movable) > 1:
        for t in range(terms.n):
            at_t = [ys_k for j, (_, _, _, opts, _) in enumerate(a.movable)
                    for ys_k, (slot, covers) in zip(terms.choice[(a.row, j)], opts) if covers[t]]
            if len(at_t) > 1:
                prob += pulp.lpSum(at_t) <= 1


def _add_paid_levers(prob: pulp.LpProblem, terms: _Terms, a: _Agent, options: ReplanOptions) -> None:
    """Agent ``a``'s overtime and VTO options (at most one of them), none with a break or lunch
    in the time given off."""
    g = (a.group_channels, a.home)
    extra = []
    for k, (minutes, covers) in enumerate(a.ot_options if options.overtime else []):
        u = pulp.LpVariable(f"ot_{a.row}_{k}", cat="Binary")
        extra.append(u)
        terms.choice[(a.row, "ot", k)] = u
        terms.objective.append((minutes / 60 * a.hourly_cost * options.overtime_rate + options.change_cost) * u)
        for t in np.flatnonzero(covers):
            terms.avail[g][t].append((1.0, u))
    for k, (minutes, covers) in enumerate(a.vto_options if options.vto else []):
        w = pulp.LpVariable(f"vto_{a.row}_{k}", cat="Binary")
        extra.append(w)
        terms.choice[(a.row, "vto", k)] = w
        terms.vto_links.append((w, covers, a.group_channels))
        for j, (_, _, _, opts, _) in enumerate(a.movable):  # no break or lunch in the time given off
            clash = [y for y, (_, act_covers) in zip(terms.choice[(a.row, j)], opts) if (act_covers * covers).any()]
            if clash:  # one placement per activity: one row per activity, not per placement
                prob += pulp.lpSum(clash) + w <= 1
        terms.objective.append((-minutes / 60 * a.hourly_cost + options.change_cost) * w)
        for t in np.flatnonzero(covers):
            terms.avail[g][t].append((-1.0, w))
    if len(extra) > 1:
        prob += pulp.lpSum(extra) <= 1


def _add_channel_split(prob: pulp.LpProblem, terms: _Terms, options: ReplanOptions) -> tuple[list, dict, dict]:
    """Per skill group and interval, how many of its agents at work take each channel it may
    switch to. Returns ``(groups, split, scheduled_terms)``: ``split[(group, t, channel)]`` the
    count variables, ``scheduled_terms[(channel, t)]`` the pieces of each channel's count."""
    groups = sorted(set(terms.constant) | set(terms.avail), key=str)
    split = {}
    scheduled_terms = defaultdict(list)  # (channel, t) -> terms
    for g in groups:
        chans, home = g
        for t in range(terms.n):
            total = terms.constant[g][t] + pulp.lpSum(c * v for c, v in terms.avail[g][t])
            most = terms.constant[g][t] + sum(1 for c, _ in terms.avail[g][t] if c > 0)
            if most <= 0 and not terms.avail[g][t]:
                continue
            usable = chans if options.switch_channels else (home,)
            if len(usable) == 1:
                scheduled_terms[(usable[0], t)].append(total)
                continue
            vs = {}
            for c in usable:
                vs[c] = pulp.LpVariable(f"v_{'-'.join(chans)}_{home}_{t}_{c}", lowBound=0, cat="Integer")
                if c == home:
                    terms.initial[vs[c].name] = float(round(terms.base_group[g][t]))
                split[(g, t, c)] = vs[c]
                scheduled_terms[(c, t)].append(vs[c])
                if c != home:
                    terms.objective.append(options.change_cost * 0.2 * vs[c])
            prob += pulp.lpSum(vs.values()) == total
    return groups, split, scheduled_terms


def _add_service(prob: pulp.LpProblem, terms: _Terms, curves: dict, scheduled_terms: dict,
                 options: ReplanOptions) -> tuple[dict, list]:
    """Answered-within-T contacts as the step function of each interval's scheduled count (at
    most ``max_change_agents`` fewer than planned), and the shortfall below target. Returns
    ``(shorts, answered_total)``: ``shorts[(channel, t)] = (variable, target contacts)``."""
    answered_total = []
    shorts = {}
    for (channel, t), (vol, target, curve, base_n) in curves.items():
        low = max(0, base_n - options.max_change_agents)
        scheduled = pulp.lpSum(scheduled_terms[(channel, t)])
        prob += scheduled >= low  # at most max_change_agents fewer than planned
        gains = np.diff(curve[low:])
        last = int(np.flatnonzero(gains > 1e-9)[-1]) + 1 if (gains > 1e-9).any() else 0
        zs = [pulp.LpVariable(f"z_{channel}_{t}_{k}", cat="Binary") for k in range(last)]
        for z in zs[:max(base_n - low, 0)]:
            terms.initial[z.name] = 1.0
        for z1, z2 in zip(zs, zs[1:]):
            prob += z1 >= z2
        if zs:
            prob += pulp.lpSum(zs) <= scheduled - low
        answered = float(curve[low]) + pulp.lpSum(float(gains[k]) * zs[k] for k in range(last))
        short = pulp.LpVariable(f"short_{channel}_{t}", lowBound=0)
        terms.initial[short.name] = max(target.target_sl * vol - float(curve[min(base_n, len(curve) - 1)]), 0.0)
        prob += short >= target.target_sl * vol - answered
        shorts[(channel, t)] = (short, target.target_sl * vol)
        terms.objective.append(options.value_per_contact * short - options.surplus_value * answered)
        answered_total.append(answered)
    return shorts, answered_total


def _add_stage_controls(prob: pulp.LpProblem, terms: _Terms, shorts: dict, answered_total: list, base_answered: float, *,
                        options: ReplanOptions, stage_two: bool) -> dict:
    """The day's answered total kept (without VTO always; with two stages in stage 1, by a slack
    at 0) and stage 1's shortfall kept in stage 2 (a cap). Returns the controlling columns:
    ``"slack"``, ``"cap"`` (see :func:`_stage_bounds`)."""
    controls = {}
    if answered_total and not options.vto:
        prob += (pulp.lpSum(answered_total) >= base_answered - 1e-6, "keep_answered")
    elif answered_total and stage_two:  # stage 1 keeps the day's answered total: its slack is 0 there, free in stage 2
        slack = pulp.LpVariable("keep_answered_slack", lowBound=0)
        prob += (pulp.lpSum(answered_total) + slack >= base_answered - 1e-6, "keep_answered")
        controls["slack"] = slack
    if stage_two and shorts:  # stage 2 keeps stage 1's shortfall: the cap's upper bound is stage 1's
        cap = pulp.LpVariable("stage_one_cap", lowBound=0)
        prob += (pulp.lpSum(v for v, _ in shorts.values()) - cap <= 1e-6, "keep_stage_one")
        terms.initial[cap.name] = sum(terms.initial.get(v.name, 0.0) for v, _ in shorts.values())
        controls["cap"] = cap
    return controls


def _solve_stages(model: _Model, columns: list, h, worker: StreamingMip | None, *, stage_two: bool,
                  solve_end: float) -> tuple[MipAnswer | None, MipAnswer | None, int]:
    """Stage 1 (moves) with the whole window to ``solve_end``, then stage 2 (every lever) from
    its solution in what it leaves; or the model as built in one stage. Returns ``(stage 1's
    answer or None, the last stage's answer or None, kills of the child at a stop time)``."""
    initial = np.array([model.initial.get(v.name, 0.0) for v in columns])
    first = solved = None
    with ReplanSolver(h, worker) as solver:
        if stage_two:
            first = solver.run(*_stage_bounds(model, columns, stage=1), initial, stop_at=solve_end)
            cap = _shortfall(model, columns, first.col_value) if first is not None and first.col_value is not None else None
            solved = solver.run(*_stage_bounds(model, columns, stage=2, cap=cap),
                                first.col_value if cap is not None else initial, stop_at=solve_end)
        else:
            solved = solver.run(*_stage_bounds(model, columns, stage=0), initial, stop_at=solve_end)
        kills = solver.kills
    return first, solved, kills


def _kept_answer(first: MipAnswer | None, solved: MipAnswer | None, kills: int, *,
                 options: ReplanOptions) -> tuple[MipAnswer | None, list[str]]:
    """The answer the proposal is read from (stage 2's, else stage 1's; None: the roster stands)
    and the notes that say why."""
    notes = []
    if (solved is None or solved.col_value is None) and first is not None and first.col_value is not None:
        # stage 2 not run (stage 1 took the window) or nothing better in what it left: the moves stand
        notes.append("overtime and VTO not considered: " + (
            f"the moves took the whole time limit ({options.time_limit_s:g} s)" if solved is None else
            f"nothing better than the moves in the time they left (of {options.time_limit_s:g} s)"))
        # the moves' optimum, not proven for every lever: stage 2 did not run or did not finish
        solved = dataclasses.replace(first, optimal=False)
    if solved is not None and solved.col_value is not None and not solved.optimal:
        notes.append(f"the solver stopped at the re-plan's time limit ({options.time_limit_s:g} s in all): a better "
                     "proposal may exist")
    if solved is None or solved.col_value is None:
        notes.append(f"the solver found nothing better than the roster within {options.time_limit_s:g} s: it stands unchanged")
        solved = None
    if kills:
        notes.append(f"the solver was stopped {kills} time(s) at the re-plan's deadline, past its own time limit")
    return solved, notes


@dataclass
class _Model:
    """One re-plan MIP and what reads its solution."""

    prob: pulp.LpProblem
    choice: dict
    split: dict
    groups: list
    shorts: dict
    answered_total: list
    initial: dict[str, float]
    paid: list  # overtime and VTO variables
    controls: dict  # "slack" (stage 1's keep_answered), "cap" (stage 2's keep_stage_one), when the model has them


def _stage_bounds(model: _Model, columns: list, *, stage: int, cap: float | None = None):
    """The column bounds that make ``model`` one stage: 1 = moves only (overtime and VTO at 0,
    the day's answered total at least the roster's), 2 = every lever (under stage 1's shortfall
    ``cap`` when there is one), 0 = the model as built. Returns ``(columns, lower, upper)``."""
    index = {id(v): i for i, v in enumerate(columns)}
    rows = []
    if stage:
        rows += [(v, 0.0, 0.0 if stage == 1 else 1.0) for v in model.paid]
        if "slack" in model.controls:
            rows.append((model.controls["slack"], 0.0, 0.0 if stage == 1 else np.inf))
        if "cap" in model.controls:
            rows.append((model.controls["cap"], 0.0, np.inf if stage == 1 or cap is None else float(cap)))
    rows = [(index[id(v)], lo, up) for v, lo, up in rows if id(v) in index]
    if not rows:  # the child process sets some bounds each run: the first column's own
        v = columns[0]
        rows = [(0, -np.inf if v.lowBound is None else float(v.lowBound), np.inf if v.upBound is None else float(v.upBound))]
    cols, lower, upper = zip(*rows)
    return np.array(cols, dtype=np.int32), np.array(lower, dtype=float), np.array(upper, dtype=float)


def _shortfall(model: _Model, columns: list, values: np.ndarray) -> float:
    index = {id(v): i for i, v in enumerate(columns)}
    return float(sum(values[index[id(v)]] for v, _ in model.shorts.values() if id(v) in index))


def _highs_model(prob: pulp.LpProblem, *, gap_rel: float):
    """``prob`` as a HiGHS instance (rowwise arrays, one pass over its constraints; pulp's own
    hand-over adds rows one by one). Returns ``(columns, h)``: the pulp variables in column order
    (only those in the objective or a constraint) and the instance, ``mip_rel_gap`` = ``gap_rel``."""
    columns: list = []
    position: dict[int, int] = {}

    def col(v) -> int:
        i = position.get(id(v))
        if i is None:
            i = position[id(v)] = len(columns)
            columns.append(v)
        return i

    cost_pairs = [(col(v), a) for v, a in prob.objective.items()]
    starts, index, value, row_lower, row_upper = [0], [], [], [], []
    for c in prob.constraints.values():
        for v, a in c.items():
            if a:
                index.append(col(v))
                value.append(a)
        starts.append(len(index))
        lo, up = c.getLb(), c.getUb()
        row_lower.append(-np.inf if lo is None else lo)
        row_upper.append(np.inf if up is None else up)
    n = len(columns)
    cost = np.zeros(n)
    for i, a in cost_pairs:
        cost[i] += a
    _silence_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(row_lower)
    lp.col_cost_ = cost
    lp.col_lower_ = np.array([-np.inf if v.lowBound is None else v.lowBound for v in columns], dtype=float)
    lp.col_upper_ = np.array([np.inf if v.upBound is None else v.upBound for v in columns], dtype=float)
    lp.row_lower_, lp.row_upper_ = np.array(row_lower, dtype=float), np.array(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(row_lower)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.offset_ = float(prob.objective.constant)
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.integrality_ = [highspy.HighsVarType.kInteger if v.cat == pulp.LpInteger else highspy.HighsVarType.kContinuous
                       for v in columns]
    h.passModel(lp)
    h.setOptionValue("mip_rel_gap", float(gap_rel))
    return columns, h


class ReplanSolver:
    """The re-plan's MIP runs: in a child process (:class:`scheduling.mip_child.StreamingMip`)
    killed at the stop time, keeping the last improving solution it reported, so that no run
    outlasts the re-plan's deadline (HiGHS reads its own time limit only between root cut
    rounds); in this process, stopped by HiGHS's interrupt callback, only when no child process
    can be started. A context manager (ends the child)."""

    def __init__(self, h, worker: StreamingMip | None = None):
        """``worker``: a child started before the model was built (it gets ``h``'s model here);
        None: one started on the first run (none when no stage has the time)."""
        self.h = h
        self.kills = 0
        self._stop_at = float("inf")
        try:
            if worker is None:
                worker = StreamingMip(h)
            else:
                worker.load(h)
            self.worker: StreamingMip | None = worker
        except OSError:
            if worker is not None:
                worker.close()
            self.worker = None
            self._subscribe()

    def __enter__(self) -> ReplanSolver:
        return self

    def __exit__(self, *exc) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def _subscribe(self) -> None:
        def interrupt(event) -> None:
            event.interrupt(time.perf_counter() > self._stop_at)

        self.h.cbMipInterrupt.subscribe(interrupt)
        self.h.cbSimplexInterrupt.subscribe(interrupt)

    def run(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray, start: np.ndarray, *,
            stop_at: float) -> MipAnswer | None:
        """Solve with the bounds of ``columns`` set and ``start`` (every column's value) as the
        MIP start, done by ``stop_at`` (a ``time.perf_counter()`` value); None at once when less
        than MIN_SOLVE_S is left (a child process would only start to be killed)."""
        left = stop_at - time.perf_counter()
        if left < MIN_SOLVE_S:
            return None
        grace = SOLVER_GRACE_S if SOLVER_GRACE_S < 0 else max(SOLVER_GRACE_S, SOLVER_GRACE_SHARE * left)
        limit = max(left - grace, MIN_SOLVE_S)
        if self.worker is not None:
            try:
                answer = self.worker.solve(columns, lower, upper, start, time_limit_s=limit, stop_at=stop_at)
                self.kills += answer.killed
                return answer
            except OSError:
                self.worker.close()
                self.worker = None
                self._subscribe()
        h = self.h
        h.changeColsBounds(len(columns), columns, lower, upper)
        warm = highspy.HighsSolution()
        warm.col_value = np.asarray(start, dtype=float).tolist()
        warm.value_valid = True
        h.setSolution(warm)
        h.setOptionValue("time_limit", float(limit))
        self._stop_at = stop_at
        ran = time.perf_counter()
        h.run()
        self._stop_at = float("inf")
        has = h.getInfo().primal_solution_status == 2
        return MipAnswer(optimal=h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
                         status=h.modelStatusToString(h.getModelStatus()),
                         col_value=np.asarray(h.getSolution().col_value, dtype=float) if has else None,
                         killed=False, seconds=time.perf_counter() - ran)


@dataclass(frozen=True)
class _Slots:
    """The remaining intervals as 0/1 arrays: :meth:`covers` marks those a time span touches."""

    now: pd.Timestamp
    step: pd.Timedelta
    n: int

    def covers(self, a: pd.Timestamp, b: pd.Timestamp) -> np.ndarray:
        arr = np.zeros(self.n)
        i0 = max(int(np.ceil((a - self.now) / self.step)), 0)
        i1 = min(int(np.ceil((b - self.now) / self.step)), self.n)
        if i1 > i0:
            arr[i0:i1] = 1.0
        return arr


def _agents(roster, acts, rules, *, now, day_end, horizon, immediate, skills, contracts, options, rule_channels) -> list[_Agent]:
    """One :class:`_Agent` per shift of an immediate channel still working after ``now`` on its
    day: its template, channels, hourly cost, the intervals it works as planned (activities it
    keeps taken out), its movable breaks and lunches (:func:`_movable`) and its overtime and VTO
    options (:func:`_overtime_options`, :func:`_vto_options`)."""
    slots = _Slots(now=now, step=pd.Timedelta(minutes=rules.interval_minutes), n=len(horizon))
    live = roster[(roster["shift_end"] > now) & (roster["shift_start"] < day_end) & roster["channel"].isin(immediate)]
    wanted = set(live["agent_id"])
    by_agent: dict[str, list] = defaultdict(list)
    for r in acts[acts["agent_id"].isin(wanted)].itertuples():
        by_agent[r.agent_id].append(r)
    starts_of: dict[str, list] = defaultdict(list)
    for agent, start in zip(roster["agent_id"], roster["shift_start"]):
        if agent in wanted:
            starts_of[agent].append(start)
    out = []
    for idx, row in live.iterrows():
        length = int((_base_end(row) - row.shift_start) / pd.Timedelta(minutes=1))
        template = template_of(rules, row.shift_start, row.date, length, row.channel, _shift_name(row))
        if template is None:
            raise RulesError(f"roster row {idx}: {row.agent_id} {row.shift_start}-{row.shift_end} on {row.channel} matches "
                             "no [[shift]] of the rules")
        own_skills = set(skills.get(row.agent_id, template.channels)) if skills is not None else set(template.channels)
        chans = tuple(c for c in immediate if c in template.channels and c in own_skills or c == row.channel)
        contract = rules.contract(contracts.get(row.agent_id, template.contract) if contracts else template.contract)
        own = [r for r in by_agent.get(row.agent_id, []) if r.start >= row.shift_start and r.end <= row.shift_end]
        base, movable, old_switches = _movable(row, own, template, slots, rules=rules, immediate=immediate,
                                               options=options, rule_channels=rule_channels)
        ot = _overtime_options(row, template, starts_of[row.agent_id], slots, rules=rules, day_end=day_end, options=options)
        vto = _vto_options(row, own, slots, dt_min=rules.interval_minutes, options=options)
        out.append(_Agent(agent_id=row.agent_id, row=int(idx), start=row.shift_start, end=row.shift_end, home=row.channel,
                          group_channels=chans, template=template, hourly_cost=contract.hourly_cost, base=base,
                          movable=movable, ot_options=ot, vto_options=vto, old_switches=old_switches))
    return out


def _movable(row, own: list, template: ShiftTemplate, slots: _Slots, *, rules: RuleSet, immediate, options: ReplanOptions,
             rule_channels) -> tuple[np.ndarray, list, pd.DataFrame]:
    """A shift's breaks and lunches that may move (not started, ``move_activities``), each with
    its placements in its window that miss the activities it keeps, and the earlier re-plans'
    channel switches still ahead (decided again). Returns ``(base, movable, old_switches)``:
    ``base`` = 1 where the agent is at work, the kept activities taken out."""
    now = slots.now
    template_acts, placed = _match_activities(template, [r for r in own if r.activity not in rule_channels])
    fixed_rows = {r.Index for r in own}
    for activity, p in zip(template_acts, placed):
        if options.move_activities and p.start >= now:
            fixed_rows.discard(p.Index)
    # earlier re-plans' channel switches still ahead are decided again (the agent is free for them)
    old = [r for r in own if r.activity in immediate and r.start >= now] if options.switch_channels else []
    fixed_rows -= {r.Index for r in old}
    old_switches = pd.DataFrame([{"start": r.start, "end": r.end, "activity": r.activity} for r in old],
                                index=[r.Index for r in old], columns=["start", "end", "activity"])
    fixed = np.zeros(slots.n)
    for r in own:
        if r.Index in fixed_rows:
            fixed = np.maximum(fixed, slots.covers(r.start, r.end))
    base = slots.covers(row.shift_start, row.shift_end) - fixed
    movable = []
    for activity, p in zip(template_acts, placed):
        if p.Index in fixed_rows:
            continue
        opts, current = [], None
        for offset in activity.offsets(rules.interval_minutes):
            s_ = row.shift_start + pd.Timedelta(minutes=offset)
            e = s_ + pd.Timedelta(minutes=activity.length_minutes)
            if s_ < now or e > row.shift_end:
                continue
            c = slots.covers(s_, e)
            if (c * fixed).any():
                continue
            if s_ == p.start:
                current = len(opts)
            opts.append((s_, c))
        if current is None:  # its own place is always an option
            current = len(opts)
            opts.append((p.start, slots.covers(p.start, p.end)))
        movable.append((p.Index, activity.kind, activity.length_minutes, opts, current))
    return base, movable, old_switches


def _overtime_options(row, template: ShiftTemplate, starts: list, slots: _Slots, *, rules: RuleSet,
                      day_end: pd.Timestamp, options: ReplanOptions) -> list:
    """A shift's extensions by whole intervals (``(minutes, covers)``), at most
    ``overtime_max_minutes``, never past the template's latest end, the end of the day or
    ``min_rest_hours`` before the agent's next shift (``starts``: its shifts' starts); none for
    a shift with overtime already."""
    if not options.overtime or _minutes(row, "overtime_minutes"):
        return []
    dt_min = rules.interval_minutes
    latest_end = min(row.date + pd.Timedelta(minutes=template.latest_start + template.length_minutes), day_end)
    later = [t for t in starts if t > row.shift_start]
    if later:
        latest_end = min(latest_end, min(later) - pd.Timedelta(hours=rules.min_rest_hours))
    ot = []
    for k in range(1, options.overtime_max_minutes // dt_min + 1):
        e = row.shift_end + k * slots.step
        if e > latest_end:
            break
        ot.append((k * dt_min, slots.covers(row.shift_end, e)))
    return ot


def _vto_options(row, own: list, slots: _Slots, *, dt_min: int, options: ReplanOptions) -> list:
    """A shift shortened at its end by whole intervals (``(minutes, covers)``), at most
    ``vto_max_minutes``, not before ``now`` nor into its last activity."""
    if not options.vto:
        return []
    vto = []
    last_act = max((r.end for r in own), default=row.shift_start)
    for k in range(1, options.vto_max_minutes // dt_min + 1):
        s_ = row.shift_end - k * slots.step
        if s_ < slots.now or s_ < last_act or s_ <= row.shift_start:
            break
        vto.append((k * dt_min, slots.covers(s_, row.shift_end)))
    return vto


def _value(var) -> float:
    return float(var.value() or 0.0)


def _edits(agents, choice, split, groups, horizon, now, dt_min, roster, acts, immediate) -> pd.DataFrame:
    step = pd.Timedelta(minutes=dt_min)
    n = len(horizon)
    rows = []
    on_duty = defaultdict(lambda: defaultdict(list))  # group -> t -> agents free to work
    for a in agents:
        g = (a.group_channels, a.home)
        busy = np.zeros(n)
        for j, (act_row, kind, length, opts, current) in enumerate(a.movable):
            k = int(np.argmax([_value(y) for y in choice[(a.row, j)]]))
            busy = np.maximum(busy, opts[k][1])
            if k != current:
                old = acts.loc[act_row]
                rows.append({"agent_id": a.agent_id, "kind": "move", "activity_row": act_row, "activity": kind,
                             "old_start": old["start"], "old_end": old["end"], "new_start": opts[k][0],
                             "new_end": opts[k][0] + pd.Timedelta(minutes=length), "channel": None})
        work = a.base - busy
        for k, (minutes, covers) in enumerate(a.ot_options):
            if (a.row, "ot", k) in choice and _value(choice[(a.row, "ot", k)]) > 0.5:
                rows.append({"agent_id": a.agent_id, "kind": "overtime", "activity_row": None, "activity": None,
                             "old_start": a.start, "old_end": a.end, "new_start": a.start,
                             "new_end": a.end + pd.Timedelta(minutes=minutes), "channel": None})
                work = work + covers
        for k, (minutes, covers) in enumerate(a.vto_options):
            if (a.row, "vto", k) in choice and _value(choice[(a.row, "vto", k)]) > 0.5:
                rows.append({"agent_id": a.agent_id, "kind": "vto", "activity_row": None, "activity": None,
                             "old_start": a.start, "old_end": a.end, "new_start": a.start,
                             "new_end": a.end - pd.Timedelta(minutes=minutes), "channel": None})
                work = work - covers
        for t in np.flatnonzero(work > 0.5):
            on_duty[g][t].append(a.agent_id)
    # channel switches: per group and interval, who works which channel (keep runs together)
    previous: dict[str, str] = {}
    switched = defaultdict(list)  # (agent, channel) -> slots
    for t in range(n):
        current: dict[str, str] = {}
        for g in groups:
            chans, home = g
            members = sorted(on_duty[g][t])
            counts = {c: int(round(_value(split[(g, t, c)]))) for c in chans if (g, t, c) in split}
            if not counts:
                continue
            counts[home] = counts.get(home, 0)
            pool = list(members)
            for c in sorted(counts, key=lambda c: (c == home, c)):
                if c == home:
                    continue
                pool.sort(key=lambda a: (previous.get(a) != c, a))
                for agent in pool[:counts[c]]:
                    current[agent] = c
                    switched[(agent, c)].append(t)
                pool = pool[counts[c]:]
        previous = current
    new_switches = defaultdict(list)
    for (agent, channel), slots in switched.items():
        first = last = slots[0]
        for s in slots[1:] + [None]:
            if s is not None and s == last + 1:
                last = s
                continue
            new_switches[agent].append((horizon[first], horizon[last] + step, channel))
            if s is not None:
                first = last = s
    old_switches = {a.agent_id: a.old_switches for a in agents if a.old_switches is not None and len(a.old_switches)}
    for agent in sorted(set(new_switches) | set(old_switches)):
        old = old_switches.get(agent)
        old_set = set() if old is None else {(pd.Timestamp(r.start), pd.Timestamp(r.end), r.activity) for r in old.itertuples()}
        if old_set == set(new_switches.get(agent, [])):
            continue  # the earlier re-plan's switches stand as they are
        for r in ([] if old is None else old.itertuples()):
            rows.append({"agent_id": agent, "kind": "unswitch", "activity_row": r.Index, "activity": r.activity,
                         "old_start": r.start, "old_end": r.end, "new_start": None, "new_end": None, "channel": None})
        for begin, end, channel in sorted(new_switches.get(agent, [])):
            rows.append({"agent_id": agent, "kind": "switch", "activity_row": None, "activity": channel,
                         "old_start": None, "old_end": None, "new_start": begin, "new_end": end, "channel": channel})
    frame = pd.DataFrame(rows, columns=[c for c in EDIT_COLUMNS if c != "change_id"])
    ids = {a: i + 1 for i, a in enumerate(sorted(frame["agent_id"].unique()))}
    frame.insert(0, "change_id", frame["agent_id"].map(ids).astype("Int64"))
    return frame.sort_values(["change_id", "kind", "new_start"], ignore_index=True)


def apply_changes(roster: pd.DataFrame, activities: pd.DataFrame, result: ReplanResult | pd.DataFrame, *,
                  accept: Iterable[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roster and activities with the accepted changes (``change_id`` values; all when
    None). Moves keep the activity row (its index); overtime/VTO set ``shift_end`` and the
    ``overtime_minutes`` / ``vto_minutes`` columns; switches add activity rows named after the
    channel (new rows get new indexes after the existing ones)."""
    edits = result.edits if isinstance(result, ReplanResult) else result
    if accept is not None:
        wanted = {int(c) for c in accept}
        unknown = wanted - set(int(c) for c in edits["change_id"].dropna())
        if unknown:
            raise InputError(f"accept: change id {sorted(unknown)[0]} is not in the proposal "
                             f"(ids {sorted(set(int(c) for c in edits['change_id']))})")
        edits = edits[edits["change_id"].isin(wanted)]
    roster = roster.copy()
    activities = activities.copy()
    for col in ("overtime_minutes", "vto_minutes"):
        if col not in roster:
            roster[col] = 0
    start_dtype = activities["start"].dtype
    for e in edits.itertuples():
        if e.kind == "move":
            activities.loc[e.activity_row, "start"] = _like(e.new_start, start_dtype)
            activities.loc[e.activity_row, "end"] = _like(e.new_end, start_dtype)
        elif e.kind in ("overtime", "vto"):
            shift_start = pd.to_datetime(roster["shift_start"])
            hit = roster.index[(roster["agent_id"] == e.agent_id) & (shift_start == pd.Timestamp(e.old_start))]
            minutes = abs((pd.Timestamp(e.new_end) - pd.Timestamp(e.old_end)) / pd.Timedelta(minutes=1))
            roster.loc[hit, "shift_end"] = _like(e.new_end, roster["shift_end"].dtype)
            roster.loc[hit, f"{'overtime' if e.kind == 'overtime' else 'vto'}_minutes"] = minutes
    dropped = edits.loc[edits["kind"] == "unswitch", "activity_row"].dropna().astype(int)
    activities = activities.drop(index=[i for i in dropped if i in activities.index])
    switches = edits[edits["kind"] == "switch"]
    if len(switches):
        new = pd.DataFrame({"agent_id": switches["agent_id"].to_numpy(),
                            "start": [_like(v, start_dtype) for v in switches["new_start"]],
                            "end": [_like(v, start_dtype) for v in switches["new_end"]],
                            "activity": switches["channel"].to_numpy()},
                           index=pd.RangeIndex(activities.index.max() + 1 if len(activities) else 0,
                                               (activities.index.max() + 1 if len(activities) else 0) + len(switches)))
        activities = pd.concat([activities, new])
    return roster, activities


def _like(value, dtype):
    """A timestamp as the column stores it (ISO text for object columns, else a Timestamp)."""
    ts = pd.Timestamp(value)
    return ts.isoformat() if dtype == object else ts


def _result(roster, activities, demand, targets, rules, edits, agents, *, now, day_end, status, started, options) -> ReplanResult:
    dt_min = rules.interval_minutes
    immediate = [c for c in IMMEDIATE_CHANNELS if c in targets]
    roster_after, acts_after = apply_changes(roster, activities, edits)
    before = project_service(count_on_duty(roster, activities, start=now, end=day_end, interval_minutes=dt_min, channels=immediate),
                             demand, targets, interval_minutes=dt_min)
    after = project_service(count_on_duty(roster_after, acts_after, start=now, end=day_end, interval_minutes=dt_min, channels=immediate),
                            demand, targets, interval_minutes=dt_min)
    keys = ["interval_start", "channel"]
    proj = before[keys + ["volume", "scheduled", "service_level", "answered_within_t", "shortfall"]].merge(
        after[keys + ["scheduled", "service_level", "answered_within_t", "shortfall"]], on=keys, suffixes=("_before", "_after"))
    proj = proj.rename(columns={"scheduled_before": "scheduled_before", "service_level_before": "sl_before",
                                "service_level_after": "sl_after", "answered_within_t_before": "answered_before",
                                "answered_within_t_after": "answered_after", "shortfall_before": "short_before",
                                "shortfall_after": "short_after"})
    proj["target_sl"] = proj["channel"].map({c: targets[c].target_sl for c in targets})
    proj = proj[list(PROJECTION_COLUMNS)].sort_values(["channel", "interval_start"], ignore_index=True)
    cost_of = {a.agent_id: a.hourly_cost for a in agents}
    change_rows = []
    for cid, rows in edits.groupby("change_id"):
        agent = rows["agent_id"].iloc[0]
        minutes = {k: float(((pd.to_datetime(r["new_end"]) - pd.to_datetime(r["old_end"])).abs() / pd.Timedelta(minutes=1)).sum())
                   if len(r) else 0.0 for k, r in ((k, rows[rows["kind"] == k]) for k in ("overtime", "vto"))}
        switched = float(((pd.to_datetime(rows.loc[rows["kind"] == "switch", "new_end"]) -
                           pd.to_datetime(rows.loc[rows["kind"] == "switch", "new_start"])) / pd.Timedelta(minutes=1)).sum())
        moved = int((rows["kind"] == "move").sum())
        cost = cost_of[agent] * (minutes["overtime"] / 60 * options.overtime_rate - minutes["vto"] / 60)
        parts = []
        for r in rows.itertuples():
            if r.kind == "move":
                parts.append(f"{r.activity} {pd.Timestamp(r.old_start):%H:%M}->{pd.Timestamp(r.new_start):%H:%M}")
            elif r.kind == "overtime":
                parts.append(f"overtime {pd.Timestamp(r.old_end):%H:%M}->{pd.Timestamp(r.new_end):%H:%M}")
            elif r.kind == "vto":
                parts.append(f"VTO from {pd.Timestamp(r.new_end):%H:%M}")
            elif r.kind == "unswitch":
                parts.append(f"cancel {r.activity} {pd.Timestamp(r.old_start):%H:%M}-{pd.Timestamp(r.old_end):%H:%M}")
            else:
                parts.append(f"{r.channel} {pd.Timestamp(r.new_start):%H:%M}-{pd.Timestamp(r.new_end):%H:%M}")
        change_rows.append({"change_id": int(cid), "agent_id": agent, "summary": "; ".join(parts), "moved_activities": moved,
                            "switched_minutes": switched, "overtime_minutes": minutes["overtime"], "vto_minutes": minutes["vto"],
                            "extra_cost": cost})
    changes = pd.DataFrame(change_rows, columns=list(CHANGE_COLUMNS))
    extra_paid = float((changes["overtime_minutes"].sum() - changes["vto_minutes"].sum()) / 60) if len(changes) else 0.0
    return ReplanResult(now=now, changes=changes, edits=edits, projection=proj,
                        shortfall_before=float(proj["short_before"].sum()), shortfall_after=float(proj["short_after"].sum()),
                        answered_before=float(proj["answered_before"].sum()), answered_after=float(proj["answered_after"].sum()),
                        extra_cost=float(changes["extra_cost"].sum()) if len(changes) else 0.0,
                        extra_paid_hours=extra_paid, status=status, seconds=time.perf_counter() - started)

"""Neighbourhoods around the short intervals of a plan (issue 11): breaks, lunches and tours
moved where the plan leaves a requirement uncovered.

A rounded plan with soft coverage leaves a few intervals short of their fractional
requirement, each agent-hour priced at ``under_penalty``, where the LP covers them with
fractions of agents: on the bundled sample 1.44 agent-hours at 1,000 an agent-hour, two thirds
of its gap to the LP bound (benchmarks/RESULTS.md, ``plan_gap``). The windows, days off,
contracts and channels of :mod:`scheduling.shifts.improve` free tours with their own breaks,
but the breaks of the other shifts on duty in a short interval stay fixed. Here, per channel
and day with short intervals (the costliest first):

* ``breaks``: every activity placement (breaks, lunches) of the channel's shift groups on duty
  that day, and the blended agents of the intervals those shifts cover, with every tour fixed;
* ``cover``: the same and the channel's tours of one contract whose shift covers a short
  interval of that day (any day pattern and start: one more part-time shift there, or
  another start), one neighbourhood per contract, the fewest tours first;
* ``channel``: every tour of the channel, of every contract, with their breaks, lunches and
  blended agents (one per channel, whichever of its days are short), when its short days cost
  more than its cheapest shift and its tours are not all the model's (:func:`channel_hood`).
  A cover neighbourhood cannot add a shift on the short day when a headcount cap binds, since
  the shift it would replace works other days and stays fixed; the sample's messaging is
  short 0.29 agents for 2 hours on Saturday (572 of the gap), and only a new mix of its
  full-time and part-time tours (18 tours changed) covers it, 393 cheaper. Its MIP may take
  ``CHANNEL_HOOD_SECONDS``.

A round tries every short day's ``cover`` neighbourhoods first, the smallest first, then the
``channel`` ones, the smallest first, then the ``breaks`` ones (:func:`round_order`).

Each is a MIP on the exact model with every other integer decision fixed at the incumbent,
warm-started from it (in a child process, :class:`~scheduling.shifts.submip.SubMipProcess`,
killed at its stop time; to a relative gap of ``REL_GAP``), so it returns the incumbent or better; a better plan is accepted
only after its integer decisions are rounded and the model solved again with them fixed
(every rule kept), as in the improvement. The shortfalls are read again after each gain. After
each gain that moved tours, the plan's tours are completed again from scratch
(:func:`recompleted`: the neighbourhoods re-place only the breaks around what they free); on
the sample, completing after its first cover gain placed everything 179 cheaper, and the search
reached 101,869.4 at 34 s instead of 57 s (completing only after a round without a gain). The
search ends when nothing gains, the plan is within ``gap_rel`` of the bound, or
``SHORT_DAYS_SHARE`` of the time left is spent. The sample at its own 60 s: 1.0168 x the LP
bound, 1.0215 before the channel neighbourhood (benchmarks/RESULTS.md ``plan_gap``, 2026-12-02).

Example::

    >>> x, best = improve_short_days(model, cols, x, best, bound=lp, stop_at=t0 + 60,   # doctest: +SKIP
    ...                            started=t0, in_child=True, progress=print, log=log)
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

import numpy as np

from scheduling.shifts.submip import SubMipProcess, SubMipResult
from wfm_progress import Progress

try:
    import highspy
except ImportError:  # CBC fallback: no improvement phase
    highspy = None

if TYPE_CHECKING:
    from scheduling.shifts.improve import Improvement, IntegerColumns

HOOD_SECONDS = 6.0  # time limit of one neighbourhood's MIP (less when less is left)
# ... and of a channel's (less when less is left). The sample's messaging (4,774 integer columns
# freed, 18 of its tours changed): HiGHS found the better plan at 13 s with RENS off (in the
# child process within 14 s), at 39.8 s with it on (its root RENS ran 20 s). It does not prove
# REL_GAP there, so the MIP runs to this limit
CHANNEL_HOOD_SECONDS = 24.0
# relative gap of these MIPs: one stops once its dual bound proves it cannot gain more than this
# share of the plan. On the sample most of them prove within a second that they can gain at most
# 9.8 (their relaxation's fractional placements) and at 1e-7 ran to their 6 s each anyway; the
# gains are 35-320 (0.35-3.2e-4 of the plan). From the same first plan, the same plans found in
# the same order: 1.02 x the LP at 23.9 s with 2e-4, at 82.7 s with 1e-7 (load 3.6-4.3)
REL_GAP = 2e-4
# HiGHS's RENS heuristic at the root of these MIPs: off. A neighbourhood is already a restriction
# around the incumbent it starts from; on the sample's messaging channel RENS ran 20 s at the root
# without a plan, and RINS found the better plan once RENS was off
RUN_RENS = False
# share of the improvement's time left these neighbourhoods may take: a round without a gain ends
# them (the rest goes to the improvement's windows), and one costs a few seconds now that a
# neighbourhood stops on its dual bound (REL_GAP). The sample at 60 s (first plan 101,957.3 at
# 16 s, load 2-4): 1.0191 x the LP with all of the time, 1.0202 with half (two runs each, the
# same plans each time), main's code 1.0213
SHORT_DAYS_SHARE = 1.0
MIN_SECONDS = 0.5  # below this much time left, stop
# kept for completing the plan again after a gain (recompleted: 1.6-6.6 s on the sample)
RECOMPLETE_SECONDS = 3.0
GRACE_SECONDS = 0.5  # a child MIP past its limit by this much is killed
SHORT_AGENTS = 1e-6  # an interval short by more agents than this is short
_TOL = 1e-6


@dataclass(frozen=True)
class ShortDay:
    """One immediate channel's short intervals on one day of the week: ``intervals`` (grid
    indexes), the agents ``short`` there (per interval) and what they cost (``cost``, in the
    objective's currency)."""

    channel: str
    day: int
    intervals: tuple[int, ...]
    short: tuple[float, ...]
    cost: float


@dataclass(frozen=True)
class ShortfallHood:
    """Integer columns a short day's neighbourhood frees: ``kind`` "breaks" (activity placements
    and blended agents, tours fixed), "cover" (also the tours covering the short intervals) or
    "channel" (every tour of the channel);
    ``label`` for the progress and the improvement log."""

    label: str
    kind: str
    columns: np.ndarray


def short_days(model, x: np.ndarray) -> list[ShortDay]:
    """The immediate channels' short intervals in column values ``x``, grouped by channel and
    day (day = interval // intervals per day), costliest first. Empty under hard coverage (no
    under-coverage columns)."""
    per_day = model.grid.n_intervals // 7
    found = []
    for channel, unders in model.coverage.under.items():
        by_day: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
        for i, var in enumerate(unders):
            if var is None:
                continue
            short = float(x[var.index])
            if short > SHORT_AGENTS:
                by_day[i // per_day].append((i, short, short * model.prob.objective.get(var, 0.0)))
        for day, rows in by_day.items():
            found.append(ShortDay(channel, day, tuple(r[0] for r in rows), tuple(r[1] for r in rows),
                                  sum(r[2] for r in rows)))
    return sorted(found, key=lambda s: (-s.cost, s.channel, s.day))


def shortfall_hoods(model, cols: IntegerColumns, short: ShortDay) -> list[ShortfallHood]:
    """The ``breaks`` and ``cover`` neighbourhoods of one short day (see the module's doc)."""
    from scheduling.shifts.improve import Neighbourhood, freed_columns  # improve imports this module

    per_day = model.grid.n_intervals // 7
    day_intervals = np.arange(short.day * per_day, (short.day + 1) * per_day)
    shorts = np.asarray(short.intervals)
    on_duty = [key for key, intervals in cols.group_intervals.items()
               if key[1] == short.channel and np.intersect1d(intervals, day_intervals).size]
    activities = []
    for key in on_duty:
        activities += cols.activity_group.get(key, [])
        for i in cols.group_intervals[key]:
            activities += cols.blend_at.get((short.channel, int(i)), [])
            activities += cols.goal_net_at.get((short.channel, int(i)), [])
    activities = np.unique(np.array(activities + cols.always_free.tolist(), dtype=np.int32))
    covering = {key for key in on_duty if np.intersect1d(cols.group_intervals[key], shorts).size}
    by_contract: dict[str, list[int]] = defaultdict(list)
    for j, groups in enumerate(cols.group_of_tour):
        if covering.intersection(groups):
            by_contract[model.tours[j].contract].append(j)
    name = f"{short.channel} {model.grid.day_names()[short.day]}"
    hoods = [ShortfallHood(f"breaks on duty, {name}", "breaks", activities)] if activities.size else []
    for contract, tours in sorted(by_contract.items(), key=lambda kv: (len(kv[1]), kv[0])):
        freed = freed_columns(cols, Neighbourhood(name, tuple(tours), "cover"))
        hoods.append(ShortfallHood(f"{contract} shifts covering the short intervals, {name}", "cover",
                                   np.union1d(freed, activities).astype(np.int32)))
    return hoods


def channel_hood(model, cols: IntegerColumns, channel: str, shorts: list[ShortDay]) -> ShortfallHood | None:
    """The ``channel`` neighbourhood of ``channel`` (every tour of it, with what their shifts
    free) when its short days in ``shorts`` cost more than its cheapest shift (paid minutes at
    the contract's hourly cost: one more shift would pay for itself, were the rules to let it
    in) and its tours are not all the model's; else None. Family seed 11's chat is short 0.14
    agents for one half-hour (71.4 against a part-time shift's 84): its channel's MIP ran 24 s
    without a gain, and the windows after it then had too little time; the sample's messaging
    (572 against 84) gained 393."""
    from scheduling.shifts.improve import Neighbourhood, freed_columns  # improve imports this module

    tours = tuple(j for j, tour in enumerate(model.tours) if tour.channel == channel)
    cheapest = min((model.tours[j].template.paid_minutes / 60
                    * model.rules.contract(model.tours[j].template.contract).hourly_cost for j in tours), default=0.0)
    cost = sum(short.cost for short in shorts if short.channel == channel)
    if not tours or len(tours) == len(model.tours) or cost <= cheapest:
        return None
    return ShortfallHood(f"every {channel} shift", "channel",
                         freed_columns(cols, Neighbourhood(channel, tours, "channel")))


def round_order(model, cols: IntegerColumns, shorts: list[ShortDay]) -> list[ShortfallHood]:
    """The neighbourhoods of every short day in ``shorts`` in the order one round tries them:
    the ``cover`` ones first, fewest freed columns first, then each short channel's
    ``channel`` one (once), fewest freed columns first, then the ``breaks`` ones (costliest
    short day first). On the bundled sample's first plan (101,957.3) no breaks neighbourhood
    gained while the tours stayed as they were (each stopped at its 6 s with the plan; its
    relaxation 101,947.5, fractional breaks on the same tours), and the first gain was the third
    short day's part-time cover: tried short day by short day, it came after nine MIPs (56.5 s at
    load 5); breaks gain once the tours around them have moved."""
    hoods = [hood for short in shorts for hood in shortfall_hoods(model, cols, short)]
    covers = sorted((hood for hood in hoods if hood.kind == "cover"), key=lambda hood: hood.columns.size)
    channels = [channel_hood(model, cols, channel, shorts) for channel in dict.fromkeys(s.channel for s in shorts)]
    channels = sorted((hood for hood in channels if hood is not None), key=lambda hood: hood.columns.size)
    return covers + channels + [hood for hood in hoods if hood.kind != "cover"]


def improve_short_days(model, cols: IntegerColumns, x: np.ndarray, best: float, *, bound: float, stop_at: float,
                       started: float, in_child: bool, progress: Progress,
                       log: list[Improvement], nice: int = 0) -> tuple[np.ndarray, float]:
    """Improve plan ``x`` (every HiGHS column's value; ``best`` its objective with the model's
    constant) by the neighbourhoods of its short days until none gains, the plan is within
    ``gap_rel`` of ``bound``, or ``SHORT_DAYS_SHARE`` of the time to ``stop_at`` (a
    ``time.perf_counter()`` value; ``started`` the solve's start, for the log) is spent. The
    integer columns ``cols`` (:func:`scheduling.shifts.improve.integer_columns`) are made
    integer in the HiGHS instance. ``in_child``: the MIPs run in a child process of their own
    (started here, ``nice`` added to its niceness: :class:`~scheduling.shifts.submip.SubMipProcess`;
    False, or when none starts: in this process). Returns (columns, objective), never worse
    than the plan given; appends an :class:`Improvement` per gain."""
    if not short_days(model, x):  # hard coverage, or nothing short: no child process started
        return x, best
    h = model.prob.solverModel
    h.changeColsIntegrality(len(cols.integer), cols.integer,
                            np.full(len(cols.integer), highspy.HighsVarType.kInteger))  # as the improvement has them
    constant = float(model.prob.objective.constant)
    _status, gap_before = h.getOptionValue("mip_rel_gap")
    _status, rens_before = h.getOptionValue("mip_heuristic_run_rens")
    h.setOptionValue("mip_rel_gap", REL_GAP)
    h.setOptionValue("mip_heuristic_run_rens", RUN_RENS)
    worker = None
    if in_child:
        try:
            worker = SubMipProcess(h, nice=nice)  # a copy of the model with these integers and options
        except OSError as exc:
            progress(f"shortfall neighbourhoods in this process (no child process: {exc})")
    try:
        return _search_short_days(model, h, cols, x, best, bound=bound, stop_at=stop_at, started=started,
                                  worker=worker, progress=progress, log=log)
    finally:
        h.setOptionValue("mip_rel_gap", gap_before)
        h.setOptionValue("mip_heuristic_run_rens", rens_before)
        if worker is not None:
            worker.close()


def _search_short_days(model, h, cols: IntegerColumns, x: np.ndarray, best: float, *, bound: float, stop_at: float,
                       started: float, worker: SubMipProcess | None, progress: Progress,
                       log: list[Improvement]) -> tuple[np.ndarray, float]:
    """The search of :func:`improve_short_days` with its MIPs in ``worker`` (None: in this process):
    rounds of neighbourhoods (:func:`round_order`) while one gains, the plan's breaks, lunches
    and blending placed again for its tours (:func:`recompleted`) after each gain that moved
    tours."""
    search = _ShortSearch(model=model, cols=cols, x=x, best=best, bound=bound, started=started,
                          end=time.perf_counter() + SHORT_DAYS_SHARE * max(0.0, stop_at - time.perf_counter()),
                          worker=worker, progress=progress, log=log)
    while not search.close_enough():
        gained = _round(search)
        if gained is None:
            break
        if gained.kind != "breaks" and search.end - time.perf_counter() >= MIN_SECONDS:
            again = recompleted(model, cols, search.x)
            if again is not None:
                search.accept(*again, "breaks, lunches and blending placed again for its tours")
    return search.x, search.best


@dataclass
class _ShortSearch:
    """:func:`_search_short_days`'s state: the incumbent (``x``, ``best``), the neighbourhoods
    proven optimal around it, the stop time ``end`` and the child process."""

    model: object
    cols: IntegerColumns
    x: np.ndarray
    best: float
    bound: float
    started: float
    end: float
    worker: SubMipProcess | None
    progress: Progress
    log: list
    proven: set = field(default_factory=set)

    @property
    def h(self):
        return self.model.prob.solverModel

    def close_enough(self) -> bool:
        return (self.best - self.bound) / max(abs(self.best), _TOL) <= self.model.rules.gap_rel + _TOL

    def accept(self, x: np.ndarray, objective: float, label: str) -> bool:
        """``x`` (objective ``objective``, with the constant) becomes the incumbent when cheaper:
        logged and told; True then."""
        from scheduling.shifts.improve import log_gain  # improve imports this module

        if not objective < self.best - _TOL * max(1.0, abs(self.best)):
            return False
        self.x, self.best = x, objective
        self.proven.clear()
        log_gain(self.log, self.progress, started=self.started, best=self.best, bound=self.bound, label=label)
        return True


def _round(search: _ShortSearch) -> ShortfallHood | None:
    """One round of the short days' neighbourhoods from the incumbent, until one gains (that
    one: the shortfalls have moved, read them again) or none did, or the time is spent (None).
    ``RECOMPLETE_SECONDS`` of the time are kept for the completion after a gain."""
    from scheduling.shifts.improve import checked_plan  # improve imports this module

    constant = float(search.model.prob.objective.constant)
    for hood in round_order(search.model, search.cols, short_days(search.model, search.x)):
        left = search.end - time.perf_counter() - RECOMPLETE_SECONDS
        if left < MIN_SECONDS or search.close_enough():
            return None
        if hood.label in search.proven:
            continue
        limit_s = min(CHANNEL_HOOD_SECONDS if hood.kind == "channel" else HOOD_SECONDS, left)
        result, search.worker = solve_hood(search.h, search.cols, hood.columns, search.x, search.worker,
                                           limit_s=limit_s, stop_at=search.end, progress=search.progress)
        better = (result is not None and result.col_value is not None
                  and result.objective + constant < search.best - _TOL * max(1.0, abs(search.best)))
        checked = checked_plan(search.h, search.cols, result.col_value) if better else None
        if checked is not None and search.accept(checked[0], checked[1] + constant, hood.label):
            return hood
        if result is not None and result.optimal:
            search.proven.add(hood.label)
    return None


def recompleted(model, cols: IntegerColumns, x: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Plan ``x``'s tours completed again from scratch (:func:`scheduling.shifts.heuristics.first_plan`:
    the LP with the tours fixed, its breaks, lunches and blended agents rounded), every rule
    checked (:func:`scheduling.shifts.improve.checked_plan`): (columns, objective with the
    model's constant), or None when it does not complete. The neighbourhoods re-place the
    breaks around the shifts they move only; on the sample, after their gains, this placed
    everything 37-286 cheaper (four plans: 101,671.6 -> 101,634.1, 101,480.4 -> 101,194.7,
    100,993.0 -> 100,850.2; the first plan itself 27 dearer), in 1.6-6.6 s. The integer
    columns are made integer again in the HiGHS instance."""
    from scheduling.shifts import heuristics  # (records imports improve, which imports this module)
    from scheduling.shifts.improve import checked_plan  # improve imports this module

    h = model.prob.solverModel
    tours = np.round(x[model.tour_columns()])
    completed = heuristics.first_plan(model, [("the incumbent's tours", tours, False)], progress=lambda _s: None,
                                      placement_mip=False)
    h.changeColsIntegrality(len(cols.integer), cols.integer,
                            np.full(len(cols.integer), highspy.HighsVarType.kInteger))
    checked = None if completed is None else checked_plan(h, cols, completed[0])
    return None if checked is None else (checked[0], checked[1] + float(model.prob.objective.constant))


def solve_hood(h, cols: IntegerColumns, free: np.ndarray, x: np.ndarray, worker: SubMipProcess | None, *,
               limit_s: float, stop_at: float, progress: Progress) -> tuple[SubMipResult | None, SubMipProcess | None]:
    """One neighbourhood's MIP: ``free`` integer columns between 0 and infinity, the others fixed
    at ``x`` rounded, warm-started from ``x``; in ``worker`` (killed at ``stop_at``) or, without
    one, in this process with HiGHS's time limit. Returns (result or None, the worker: None
    once it cannot be started)."""
    lower = np.round(x[cols.integer])
    upper = lower.copy()
    mask = np.isin(cols.integer, free)
    lower[mask] = 0.0
    upper[mask] = highspy.kHighsInf
    limit_s = max(limit_s, MIN_SECONDS)
    if worker is not None:
        try:
            return worker.solve(cols.integer, lower, upper, x, time_limit_s=limit_s, grace_s=GRACE_SECONDS,
                                stop_at=stop_at + GRACE_SECONDS), worker
        except OSError as exc:
            progress(f"shortfall neighbourhoods in this process (no child process: {exc})")
    from scheduling.shifts.improve import run_here  # improve imports this module

    result = run_here(h, cols, lower, upper, x, time_limit_s=limit_s)
    h.setOptionValue("time_limit", highspy.kHighsInf)
    return result, None


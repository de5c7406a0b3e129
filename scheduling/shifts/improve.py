"""Anytime improvement of a complete shift plan: large-neighbourhood search with HiGHS.

After the first complete plan (:mod:`scheduling.shifts.heuristics` rounds the LP), the rest of
``time_limit_s`` goes to a sequence of small MIPs on the *exact* model: one neighbourhood of
tours is freed (the tours starting in a clock window, the tours of one contract, or of one
channel), with the breaks, lunches and blended work of their shifts, and every other integer
decision (tours, activity placements, blended agents) is fixed at the incumbent. HiGHS solves
that MIP warm-started from the incumbent, so a sub-MIP returns the incumbent or better. A
better plan is accepted only after its integer decisions are rounded and the model is
solved again with them fixed (every row of the model holds: every rule is kept).

A pass tries every start-time window (``WINDOW_INTERVALS`` wide, overlapping by half; one whose
MIP runs out of time without a gain is split in two by start time, solved next), then
per contract and weekday the tours off that day, then each contract and each channel, and on
a small model (``branch_and_bound``) branch and bound on the whole model for a share of the
time left (its dual bound is a proven bound of the week, and is
used). A pass without a gain doubles the window width, or halves it when windows ran out of
time; the first such pass is followed by the polish, on any model (or it interrupts a pass
once no neighbourhood has gained for ``POLISH_STALL_SHARE`` of the time left, and the pass then
goes on unless it found a better plan): branch and bound on the
whole model from the incumbent for ``POLISH_SHARE`` of the time left, and for the rest of the
time when it made progress (a better plan, or its dual bound closed ``POLISH_PROGRESS`` of the
gap), else back to the windows. Whole-model runs stream each better plan from their child
process (:class:`scheduling.mip_child.StreamingMip`), so one stopped at its deadline keeps what
it found (and proves no bound). Once a window spans two days, the rest of the time is branch
and bound on the whole model. The search stops when the plan is within ``gap_rel`` of the bound or the time is
spent, never earlier. Each accepted plan is logged as an :class:`Improvement`.

The portfolio (``concurrent``: the solve may keep two cores busy): HiGHS branch and bound on
the whole exact model (every integer column free, ``CONCURRENT_THREADS`` HiGHS threads, the
search's deadline as its limit) runs in a child process of its own
(:class:`scheduling.mip_child.ConcurrentMip`, :func:`start_concurrent`) for the whole search,
beside the neighbourhoods, whose MIPs run in the other child one at a time (this process waits
for them) at a lower priority (``NEIGHBOURHOOD_NICE``): they take what the branch and bound's
threads leave of the two cores, so the branch and bound runs as HiGHS alone would on them.
:func:`scheduling.shifts.solve.plan_shifts` begins it right after the LP relaxation, from
scratch as HiGHS alone begins, and hands it the first plan and each better one the search
finds (``offer``: HiGHS takes a plan at its next user-solution callback, prunes with it and
starts its own sub-MIP heuristics from it; HiGHS would drop a plan on a column its presolve
removed, so the child first moves the plan off those columns at no cost,
:class:`scheduling.shifts.submip.OfferRepair`: family seed 25's first five plans each placed a
break where presolve fixes that placement at 0, and were dropped until then; the child hands a
plan not taken again every 2 s, as HiGHS presolves anew at its restarts). Between
neighbourhoods the search takes its latest streamed plan when it is better than the incumbent
(through :func:`checked_plan`, logged as "branch and bound (concurrent)"), and its dual bound
once it has ended by itself (killed at the deadline it proves nothing; its last plan is kept).
The polish and the small models' whole-model runs are left out in this mode (the concurrent
run is that search, uninterrupted: family seed 25 needs ~40 s of it); once every window has
grown to two days the search waits for the concurrent run (whole-model branch and bound in
the other child again only if it ended without reaching ``gap_rel``).

Example::

    >>> log = []                                                    # doctest: +SKIP
    >>> x, obj, bound = improve(model, x, obj, bound=lp, deadline_s=60, started=t0,
    ...                         progress=print, log=log)            # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from wfm_progress import Progress
from scheduling.shifts.submip import SubMipProcess, SubMipResult
from scheduling.shifts.shortfall_hoods import improve_short_days

try:
    import highspy
except ImportError:  # CBC fallback: no improvement phase
    highspy = None

WINDOW_INTERVALS = 4  # first width of a start-time window, in grid intervals (15-min grid: 1 h)
SUB_MIP_SECONDS = 6.0  # time limit of one neighbourhood's MIP (less when less is left)
WHOLE_SHARE = 0.15  # share of the time left given to branch and bound on a small model before the windows
MIN_SUB_MIP_SECONDS = 0.5  # below this much time left, stop
SUB_MIP_REL_GAP = 1e-4
INTERRUPT_GRACE_SECONDS = 0.5  # a run past its time limit by this much is interrupted  # a neighbourhood is solved (nearly) to optimality
# the portfolio (concurrent=True): the concurrent branch and bound starts only with this many
# seconds of the search left (loading the model in its child takes about half a second of a
# quiet machine for a large model); once the neighbourhoods are spent the search polls it this often
CONCURRENT_LEAST_S = 3.0
CONCURRENT_POLL_S = 0.2
# its HiGHS threads, and the neighbourhoods' child's niceness beside it. HiGHS alone on the same
# model with the same 60 s (family seeds 29 and 11, gap_rel 0.001, quiet machine, 3 random seeds
# each): two threads (91-97 CPU s in 60 s) beat one in all 6 runs, by 0.4-0.6 % on seed 29 and
# 0.2-1.0 % on seed 11, with a higher dual bound each time. With one thread beside the
# neighbourhoods at full priority, the portfolio lost to two-thread HiGHS on 5 of 32 family seeds
# at gap_rel 0.001 (benchmarks/RESULTS.md schedule_family, 2026-11-30 20:21)
CONCURRENT_THREADS = 2
NEIGHBOURHOOD_NICE = 10
CONCURRENT = "branch and bound (concurrent)"
# the polish: after a pass of neighbourhoods without a gain, branch and bound on the whole model
# from the incumbent for this share of the time left (at least SUB_MIP_SECONDS); when it makes
# progress (a better plan, or a dual bound closing POLISH_PROGRESS of the gap) it gets the rest of
# the time. Family seed 31 (46 agents): the windows stalled at 1.0064 x bound, where HiGHS's
# branch and bound from scratch proved 1.0034 in 10.5 s; seed 29: 1.0102 against HiGHS's 1.0064
POLISH_SHARE = 0.25
POLISH_PROGRESS = 0.1
# the polish also starts, once, in the middle of a pass when no neighbourhood has gained for this
# share of the time left (since the search began, or its last gain), and for at least
# POLISH_STALL_LEAST_S: family seed 29's windows each ran into their 6 s limit, a first pass did
# not end in 60 s, and the polish never started
POLISH_STALL_SHARE = 0.5
POLISH_STALL_LEAST_S = 2 * SUB_MIP_SECONDS
_TOL = 1e-6


@dataclass(frozen=True)
class Improvement:
    """A better plan found: ``seconds`` since the solve started, its ``objective`` and the best
    proven lower ``bound`` then (both in the objective's currency), and the ``method``."""

    seconds: float
    objective: float
    bound: float
    method: str


@dataclass(frozen=True)
class Neighbourhood:
    """Tours freed together (positions in the model's tour list) and a label for the log."""

    label: str
    tours: tuple[int, ...]
    kind: str = "window"  # "window" (start times), "days off", "contract", "channel" or "all"


@dataclass(frozen=True)
class IntegerColumns:
    """HiGHS columns of the integer decisions and what each belongs to."""

    integer: np.ndarray  # every integer column: tours, activity placements, blended agents
    tours: np.ndarray  # tour columns, in the model's tour order
    group_of_tour: tuple[tuple[tuple, ...], ...]  # shift groups (template, channel, day, start, blends) of each tour
    activity_group: dict[tuple, list[int]]  # shift group -> its activity columns
    blend_at: dict[tuple[str, int], list[int]]  # (immediate channel, interval) -> blending columns
    group_intervals: dict[tuple, np.ndarray]  # shift group -> intervals it covers
    always_free: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # integer columns every neighbourhood frees
    # (channel, interval) -> a daily/weekly goal's net-agent column there: freed with the shifts covering it
    goal_net_at: dict[tuple[str, int], list[int]] = field(default_factory=dict)


def integer_columns(model) -> IntegerColumns:
    """The model's integer HiGHS columns (after a solve has built the HiGHS model) and what
    each belongs to: tours, their shift groups' activity placements, blended agents and a
    daily/weekly goal's net agents; the sub-MIPs free them by :func:`freed_columns`."""
    tour_cols, groups_of = [], []
    for tour in model.tours:
        tour_cols.append(tour.var.index)
        groups_of.append(tuple((tour.template.name, tour.channel, d, tour.start_minute, tour.blends)
                               for d in tour.days))
    activity_group: dict[tuple, list[int]] = defaultdict(list)
    for p in model.placements:
        if p.var is not None:
            activity_group[p.group.key].append(p.var.index)
    intervals = {group.key: group.intervals for group in model.groups}
    blend_at: dict[tuple[str, int], list[int]] = defaultdict(list)
    blend_cols = []
    for blend in model.blends:
        blend_at[(blend.channel, blend.interval)].append(blend.var.index)
        blend_cols.append(blend.var.index)
    act_cols = [c for cols in activity_group.values() for c in cols]
    # a daily/weekly goal's net agents follow the scheduled ones: integer, freed in the intervals the
    # freed shifts cover (elsewhere the scheduled agents are fixed, and so are they: the goal rows
    # carry the rest of the period as constants)
    goal_cols = model.goal_net_columns().tolist() if hasattr(model, "goal_net_columns") else []
    goal_net_at = {(channel, i): [net.index] for channel, rows in getattr(model, "goal_rows", {}).items()
                   for i, net in enumerate(rows.net) if net is not None}
    integer = np.array(tour_cols + act_cols + blend_cols + goal_cols, dtype=np.int32)
    return IntegerColumns(integer, np.array(tour_cols, dtype=np.int32), tuple(groups_of), dict(activity_group),
                          dict(blend_at), intervals, goal_net_at=goal_net_at)


def neighbourhoods(model, *, width_minutes: int) -> list[Neighbourhood]:
    """Start-time windows ``width_minutes`` wide (overlapping by half), then per contract and
    weekday the tours off that day, then one per contract and one per channel when they are
    not the whole model; every list covers every tour."""
    starts = defaultdict(list)
    for j, tour in enumerate(model.tours):
        starts[tour.start_minute].append(j)
    hoods = []
    if starts:
        first, last = min(starts), max(starts)
        step = max(model.grid.interval_minutes, width_minutes // 2)
        a = first
        while a <= last:
            members = tuple(j for s in range(a, a + width_minutes) for j in starts.get(s, ()))
            if members:
                hoods.append(Neighbourhood(f"starts {_clock(a)}-{_clock(a + width_minutes)}", members))
            a += step
    # the days off: a contract's tours that do not work day d, at every start (moves shifts
    # between start times while keeping the week's shape of days off)
    by_day_off = defaultdict(list)
    for j, tour in enumerate(model.tours):
        for d in range(7):
            if not tour.pattern[d]:
                by_day_off[(tour.contract, d)].append(j)
    n_tours = len(model.tours)
    for (contract, d), members in sorted(by_day_off.items()):
        if len(members) < n_tours:
            hoods.append(Neighbourhood(f"contract {contract} off {model.grid.day_names()[d]}", tuple(members), "days off"))
    by_contract, by_channel = defaultdict(list), defaultdict(list)
    for j, tour in enumerate(model.tours):
        by_contract[tour.contract].append(j)
        by_channel[tour.channel].append(j)
    for kind, table in (("contract", by_contract), ("channel", by_channel)):
        if len(table) > 1:
            hoods += [Neighbourhood(f"{kind} {name}", tuple(members), kind) for name, members in sorted(table.items())]
    return hoods


def _clock(minute: int) -> str:
    day, minute = divmod(minute, 1440)
    return f"{'+' if day else ''}{minute // 60:02d}:{minute % 60:02d}"


def improve(model, incumbent: np.ndarray, objective: float, *, bound: float, deadline_s: float, started: float,
            progress: Progress, log: list[Improvement],
            first_width_minutes: int | None = None,
            branch_and_bound: bool = False, concurrent=False) -> tuple[np.ndarray, float, float]:
    """Improve ``incumbent`` (every HiGHS column's value; ``objective`` with the model's constant)
    until it is within ``gap_rel`` of ``bound`` or ``deadline_s`` seconds after ``started``
    (a ``time.perf_counter()`` value) have passed.

    Returns (columns, objective, bound): the best plan found (never worse than the incumbent)
    and the best proven bound (raised when branch and bound on the whole model proves more).
    ``first_width_minutes``: the first start-time window width (default ``WINDOW_INTERVALS``
    grid intervals). ``branch_and_bound``: close each pass with branch and bound on the whole
    model for a share of the time left (worth it on small models). After a pass without a
    gain, the polish (:data:`POLISH_SHARE`, :data:`POLISH_PROGRESS`) on any model.
    ``concurrent``: the portfolio (this module's docstring): branch and bound on the whole
    model in a second child process for the whole search (only when the caller may keep two
    cores busy): True starts it from the incumbent; a running
    :class:`scheduling.mip_child.ConcurrentMip` (:func:`start_concurrent`, begun by the caller
    before the first plan, already offered the incumbent) is taken over (offered each better
    plan, closed at the end); the
    polish and ``branch_and_bound`` are then left out.
    Appends an :class:`Improvement` to ``log`` for each better plan. Leaves the integer
    decisions fixed at the returned plan in the HiGHS instance, with its solution loaded.
    """
    search = _start_search(model, incumbent, objective, bound=bound, deadline_s=deadline_s, started=started,
                           progress=progress, log=log, first_width_minutes=first_width_minutes,
                           branch_and_bound=branch_and_bound, concurrent=concurrent)
    h = search.h

    def interrupt(event) -> None:
        event.interrupt(time.perf_counter() > search.stop_at)  # the flag is sticky across runs: always set it

    h.cbMipInterrupt.subscribe(interrupt)
    h.cbSimplexInterrupt.subscribe(interrupt)
    hoods, position = _one_pass(search) or [search.everything_hood], 0
    try:
        best = search.best
        search.x, search.best = improve_short_days(model, search.cols, search.x, search.best, bound=search.bound,
                                                 stop_at=started + deadline_s, started=started,
                                                 in_child=search.worker is not None, progress=progress, log=log,
                                                 nice=search.worker.nice if search.worker is not None else 0)
        if search.best < best:
            _offer(search)
        # the stall (_stalled) is the neighbourhoods' quiet time: it counts from here, not from
        # the search's start (the bundled sample's short-day neighbourhoods gained four times in
        # 29 s, and the polish then began after the first window)
        search.last_gain_at = time.perf_counter()
        _poll_concurrent(search)
        while search.gap() > search.gap_rel + _TOL and search.left() > MIN_SUB_MIP_SECONDS and hoods:
            _search_hood(search, hoods[position])
            _poll_concurrent(search)
            position += 1
            if search.split:  # a window out of time without a gain: its halves next
                hoods, search.split = hoods[:position] + search.split + hoods[position:], []
            if _stalled(search):  # no gain for a long share of the time left: the polish now, then the pass's rest
                search.polish, search.resume = "running", hoods[position:]
                hoods, position = [search.everything_hood], 0
            elif position >= len(hoods):
                hoods, position = _next_pass(search), 0
        _finish_concurrent(search)
    finally:
        for child in (search.worker, search.streamer, search.concurrent):
            if child is not None:
                child.close()
        h.cbMipInterrupt.unsubscribe(interrupt)
        h.cbSimplexInterrupt.unsubscribe(interrupt)
    _load(h, search.cols, search.x)
    return search.x, search.best, search.bound


@dataclass
class _Search:
    """One :func:`improve` call's state between its steps: the incumbent ``x`` (every column)
    and its objective ``best``, the proven ``bound``, the window ``width`` (minutes), the
    neighbourhoods proven optimal around the incumbent, the pass's flags, the polish's stage
    ("untried", "running": its one-hood pass, "done"; "off" beside the concurrent branch and
    bound) and the child processes."""

    model: object
    h: object
    cols: IntegerColumns
    x: np.ndarray
    best: float
    bound: float
    deadline_s: float
    started: float
    progress: Progress
    log: list
    width: int
    small: bool
    everything_hood: Neighbourhood
    constant: float
    gap_rel: float
    col_cost: np.ndarray
    worker: SubMipProcess | None = None
    streamer: object = None  # scheduling.mip_child.StreamingMip, made at the first whole-model run
    concurrent: object = None  # scheduling.mip_child.ConcurrentMip: the portfolio's branch and bound, running
    concurrent_over: bool = False  # it has ended (by itself, or its child died): its news taken
    concurrent_seen: int = 0  # how many of its streamed plans the search has looked at
    stop_at: float = float("inf")  # the in-process run's interrupt time (no child process)
    proven: set = field(default_factory=set)
    final: bool = False
    timed_out: bool = False
    gained_in_pass: bool = False
    polish: str = "untried"
    progressed: bool = False
    last_gain_at: float = field(default_factory=time.perf_counter)  # the neighbourhoods' start (after the short days), then the last gain's time
    resume: list | None = None  # the rest of the pass a stalled search's polish interrupted
    split: list = field(default_factory=list)  # a window that ran out of time, in halves: solved next

    def left(self) -> float:
        return self.deadline_s - (time.perf_counter() - self.started)

    def gap(self) -> float:
        return (self.best - self.bound) / max(abs(self.best), _TOL)


def _start_search(model, incumbent: np.ndarray, objective: float, *, bound: float, deadline_s: float,
                  started: float, progress: Progress, log: list[Improvement], first_width_minutes: int | None,
                  branch_and_bound: bool, concurrent) -> _Search:
    """The search's state: the integer columns made integer in the HiGHS instance, its MIP gap
    ``SUB_MIP_REL_GAP``, the neighbourhoods' child process (:mod:`scheduling.shifts.submip`) and,
    with ``concurrent``, the concurrent branch and bound started (:func:`_start_concurrent`) or
    taken over."""
    h = model.prob.solverModel
    cols = integer_columns(model)
    n_int = len(cols.integer)
    h.changeColsIntegrality(n_int, cols.integer, np.full(n_int, highspy.HighsVarType.kInteger))
    h.setOptionValue("mip_rel_gap", SUB_MIP_REL_GAP)
    n_tours = len(cols.tours)
    search = _Search(model=model, h=h, cols=cols, x=np.asarray(incumbent, dtype=float).copy(), best=float(objective),
                     bound=bound, deadline_s=deadline_s, started=started, progress=progress, log=log,
                     width=first_width_minutes or WINDOW_INTERVALS * model.grid.interval_minutes,
                     small=bool(n_tours and branch_and_bound),
                     everything_hood=Neighbourhood("all tours (branch and bound)", tuple(range(n_tours)), "all"),
                     constant=float(model.prob.objective.constant), gap_rel=model.rules.gap_rel,
                     col_cost=np.asarray(h.getLp().col_cost_, dtype=float))
    if concurrent is True:  # first: it returns at once, where sending the neighbourhoods' child the model waits
        _start_concurrent(search)
    elif concurrent:  # begun before the first plan, and offered the caller's plans (plan_shifts)
        search.concurrent, search.polish = concurrent, "off"
    # HiGHS checks its time limit and interrupt callbacks only between rounds of its root cut
    # separation, and one round can take several times the limit (family seed 21: 17-27 s
    # with 6 s): the neighbourhood MIPs run in a child process that is killed at the stop time
    # (scheduling.shifts.submip); in this process only when no child can be started
    try:  # beside the concurrent branch and bound: at a lower priority, on the time its threads leave
        search.worker = SubMipProcess(h, nice=NEIGHBOURHOOD_NICE if search.concurrent is not None else 0)
    except OSError as exc:
        progress(f"neighbourhood MIPs in this process (no child process: {exc})")
    return search


def start_concurrent(model, *, time_limit_s: float, progress: Progress, start: np.ndarray | None = None,
                     cols: IntegerColumns | None = None):
    """The portfolio's branch and bound begun: HiGHS on the whole exact model of ``model`` (a copy
    of its HiGHS instance, which may hold the LP relaxation: every integer column of ``cols``,
    default :func:`integer_columns`, made integer and free), ``CONCURRENT_THREADS`` threads,
    ``mip_rel_gap`` the rules' ``gap_rel``, ``start`` (every column's value) as its MIP start or
    none, HiGHS's limit ``time_limit_s``, in a child process of its own
    (:class:`scheduling.mip_child.ConcurrentMip`: plans found meanwhile are handed to it by
    ``offer``). None, told to ``progress``, when less than ``CONCURRENT_LEAST_S`` is given or no
    child can be started."""
    if time_limit_s < CONCURRENT_LEAST_S:
        progress(f"no concurrent branch and bound: {time_limit_s:.1f} s left")
        return None
    from scheduling.mip_child import ConcurrentMip  # here: mip_child imports this package

    cols = cols or integer_columns(model)
    n_int = len(cols.integer)
    child = ConcurrentMip(model.prob.solverModel, integer=cols.integer,
                          options={"threads": CONCURRENT_THREADS, "solver": "choose",
                                   "mip_rel_gap": max(model.rules.gap_rel, 0.0)})
    try:
        child.begin(cols.integer, np.zeros(n_int), np.full(n_int, highspy.kHighsInf), start,
                    time_limit_s=time_limit_s)
    except OSError as exc:
        child.close()
        progress(f"no concurrent branch and bound (no child process: {exc})")
        return None
    progress(f"{CONCURRENT}: started on the whole model for {time_limit_s:.1f} s"
             + (" from the incumbent" if start is not None else ""))
    return child


def _start_concurrent(search: _Search) -> None:
    """The portfolio's branch and bound (:func:`start_concurrent`) from the incumbent, for the
    search's time left; the polish is then off."""
    child = start_concurrent(search.model, time_limit_s=search.left(), progress=search.progress, start=search.x,
                             cols=search.cols)
    if child is not None:
        search.concurrent, search.polish = child, "off"


def _poll_concurrent(search: _Search) -> None:
    """The concurrent branch and bound's news: its latest streamed plan becomes the incumbent
    when it is better and keeps every rule (:func:`checked_plan`); once it has ended by itself
    its dual bound (proven) raises the bound; a child that died is told and left."""
    child = search.concurrent
    if child is None or search.concurrent_over:
        return
    answer, failure = child.ended(), child.failure()
    count, values = child.latest()
    if count > search.concurrent_seen and values is not None:
        search.concurrent_seen = count
        _accept(search, CONCURRENT, _streamed_result(search, values))
    if answer is not None:
        search.concurrent_over = True
        if np.isfinite(answer.dual_bound):
            search.bound = max(search.bound, answer.dual_bound + search.constant)
        search.progress(f"{CONCURRENT} ended by itself after {answer.seconds:.1f} s ({answer.status}): "
                        f"incumbent {search.best:,.1f}, bound {search.bound:,.1f}, gap {search.gap():.2%}")
    elif failure is not None:
        search.concurrent_over = True
        search.progress(f"{CONCURRENT} ended without an answer ({failure})")


def _streamed_result(search: _Search, values: np.ndarray) -> SubMipResult:
    """A streamed plan as a :class:`SubMipResult` (objective without the constant; no bound)."""
    values = np.asarray(values, dtype=float)
    return SubMipResult(optimal=False, status="streamed", objective=float(search.col_cost @ values),
                        dual_bound=float("nan"), col_value=values, seconds=0.0)


def _wait_concurrent(search: _Search) -> None:
    """Every neighbourhood spent while the concurrent branch and bound runs: its news polled
    until the plan is within ``gap_rel``, the time is spent or it ends (then the search goes on
    without it)."""
    search.progress(f"every neighbourhood tried: waiting for the {CONCURRENT}")
    while (search.gap() > search.gap_rel + _TOL and search.left() > MIN_SUB_MIP_SECONDS
           and not search.concurrent_over):
        time.sleep(min(CONCURRENT_POLL_S, max(0.0, search.left() - MIN_SUB_MIP_SECONDS)))
        _poll_concurrent(search)


def _finish_concurrent(search: _Search) -> None:
    """At the search's end: the concurrent branch and bound killed if it still runs, and its
    last streamed plan (or its answer, when it ended by itself) taken as :func:`_poll_concurrent`
    takes it; killed, it proves no bound."""
    child = search.concurrent
    if child is None or search.concurrent_over:
        return
    answer = child.finish()
    if not answer.killed:  # ended by itself just now: its plan and bound as any poll takes them
        _poll_concurrent(search)
        return
    search.concurrent_over = True
    if answer.col_value is not None:
        _accept(search, CONCURRENT, _streamed_result(search, answer.col_value))
    search.progress(f"{CONCURRENT} stopped at the deadline after {answer.seconds:.1f} s (no bound proven): "
                    f"incumbent {search.best:,.1f}, bound {search.bound:,.1f}, gap {search.gap():.2%}")


def _one_pass(search: _Search) -> list[Neighbourhood]:
    """Windows and days off taken in turn, then the larger contract and channel neighbourhoods,
    then (small models) branch and bound on the whole model; those already solved to optimality
    around the current incumbent are left out."""
    by_kind: dict[str, list[Neighbourhood]] = defaultdict(list)
    for hood in neighbourhoods(search.model, width_minutes=search.width):
        if hood.label not in search.proven:
            by_kind[hood.kind].append(hood)
    small_kinds = [by_kind.pop(kind, []) for kind in ("window", "days off")]
    turns = [hood for group in itertools.zip_longest(*small_kinds) for hood in group if hood is not None]
    large = [hood for hoods_of_kind in by_kind.values() for hood in hoods_of_kind]  # contracts, channels
    return turns + large + ([search.everything_hood] if search.small and search.concurrent is None else [])


def _stalled(search: _Search) -> bool:
    """True when the polish has not run and no neighbourhood has gained for
    ``POLISH_STALL_SHARE`` of the time left (at least ``POLISH_STALL_LEAST_S``): the polish
    starts then instead of waiting for the pass's end, and the pass goes on after it
    (:func:`_next_pass`) unless it found a better plan."""
    if search.polish != "untried" or search.final:
        return False
    quiet_s = time.perf_counter() - search.last_gain_at
    return quiet_s >= max(POLISH_STALL_LEAST_S, POLISH_STALL_SHARE * search.left())


def _next_pass(search: _Search) -> list[Neighbourhood]:
    """The next pass's neighbourhoods. After a pass without a gain: larger windows (smaller when
    windows ran out of time), and the first time the polish (one pass of branch and bound on the
    whole model); after the polish, branch and bound to the end when it made progress, else the
    windows. Once a window spans two days, branch and bound on the whole model to the end."""
    if search.resume is not None:  # the polish a stall started: the rest of its pass, unless it made progress
        rest, search.resume, search.polish = search.resume, None, "done"
        search.final = search.final or search.progressed
        if rest and not search.final:
            return rest
    stalled = not search.gained_in_pass and search.polish != "running"
    interval = search.model.grid.interval_minutes
    if search.polish == "running":
        search.polish = "done"
        search.final = search.final or search.progressed
    elif stalled:
        if search.timed_out and search.width > 2 * interval:
            search.width = max(interval, search.width // 2)
        else:
            search.width *= 2
            search.final = search.width >= 2880  # every window has grown to the whole week
    search.gained_in_pass = search.timed_out = False
    if stalled and search.polish == "untried" and not search.final:
        search.polish = "running"
        return [search.everything_hood]
    hoods = [search.everything_hood] if search.final else _one_pass(search)
    while not hoods and not search.final:  # every neighbourhood of this width is proven: larger ones
        search.width *= 2
        search.final = search.width >= 2880
        hoods = [search.everything_hood] if search.final else _one_pass(search)
    return hoods


def _halves(model, hood: Neighbourhood) -> list[Neighbourhood]:
    """A start-time window's tours in two windows, the earlier half of its start times and the
    later (none when all start at one time): solved next when the window's MIP ran out of time
    without a gain."""
    starts = sorted({model.tours[j].start_minute for j in hood.tours})
    if len(starts) < 2:
        return []
    middle = starts[len(starts) // 2]
    early = tuple(j for j in hood.tours if model.tours[j].start_minute < middle)
    late = tuple(j for j in hood.tours if model.tours[j].start_minute >= middle)
    end = starts[-1] + model.grid.interval_minutes
    return [Neighbourhood(f"starts {_clock(starts[0])}-{_clock(middle)}", early),
            Neighbourhood(f"starts {_clock(middle)}-{_clock(end)}", late)]


def _search_hood(search: _Search, hood: Neighbourhood) -> None:
    """One neighbourhood's MIP from the incumbent, the incumbent replaced when it finds a better
    plan that keeps every rule (:func:`checked_plan`), the bound raised by a whole-model run's dual
    bound; the pass's flags and the polish's verdict updated."""
    everything = len(hood.tours) == len(search.cols.tours)
    if everything and search.concurrent is not None and not search.concurrent_over:
        _wait_concurrent(search)  # the concurrent branch and bound is that search already
        return
    share = POLISH_SHARE if search.polish == "running" else WHOLE_SHARE
    limit = search.left() if search.final else min(max(SUB_MIP_SECONDS, share * search.left()) if everything
                                                   else SUB_MIP_SECONDS, search.left())
    ran = time.perf_counter()
    result, run_limit = _run_hood(search, hood, limit=limit, everything=everything)
    before = (search.best, search.bound)
    if everything and result is not None and np.isfinite(result.dual_bound):
        search.bound = max(search.bound, result.dual_bound + search.constant)  # proven: the run ended by itself
    gained = _accept(search, hood.label, result)
    if not gained and everything and result is not None:
        search.progress(f"branch and bound: incumbent {search.best:,.1f}, bound {search.bound:,.1f}, "
                        f"gap {search.gap():.2%}")
    took = time.perf_counter() - ran
    if search.polish == "running":  # progress: a better plan, or POLISH_PROGRESS of the gap closed by the bound
        # (a polish the stall started: a better plan only, the bound raised either way: seed 31 at
        # load 5 ended at its first plan, 58,821.6, with a dual bound 57,930 against the LP's 57,820,
        # 11 % of the gap closed, so it seems the rest of the time went to branch and bound, which
        # found nothing; main's windows went on to 58,321.6 in the same window)
        closed = search.bound >= before[1] + POLISH_PROGRESS * (before[0] - before[1])
        search.progressed = gained or (closed and search.resume is None)
        search.progress(f"branch and bound on the whole model from the incumbent ({took:.1f} s): "
                        + ("progress, it gets the rest of the time" if search.progressed
                           else "no progress, back to the neighbourhoods"))
    if result is None:
        search.progress(f"{hood.label}: its MIP stopped after {took:.1f} s (HiGHS's limit {run_limit:.1f} s), "
                        "the plan kept")
    if result is not None and result.optimal and not gained:
        search.proven.add(hood.label)
    if (not (result is not None and result.optimal) and not everything and hood.kind == "window"
            and took >= limit * 0.9):
        search.timed_out = True  # a window too big to solve in its time
        if not gained:
            search.split = _halves(search.model, hood)


def _run_hood(search: _Search, hood: Neighbourhood, *, limit: float,
              everything: bool) -> tuple[SubMipResult | None, float]:
    """The neighbourhood's MIP (its columns free, every other integer column fixed at the
    incumbent, the incumbent as its start): (the answer or None, HiGHS's time limit). A
    whole-model run in the streaming child, the others in the neighbourhoods' child, in this
    process when no child can be started."""
    cols = search.cols
    free = freed_columns(cols, hood)
    lower = np.round(search.x[cols.integer])
    upper = lower.copy()
    mask = np.isin(cols.integer, free)
    lower[mask] = 0.0
    upper[mask] = highspy.kHighsInf
    ran = time.perf_counter()
    hard_stop = search.started + search.deadline_s
    run_limit = max(limit, MIN_SUB_MIP_SECONDS)  # a MIP run's limit counts from its start
    if everything:
        try:
            if search.streamer is None:
                from scheduling.mip_child import StreamingMip  # here: mip_child imports this package
                search.streamer = StreamingMip(search.h)
            return _streamed(search.streamer, cols, lower, upper, search.x, search.col_cost, time_limit_s=run_limit,
                             stop_at=min(hard_stop, ran + run_limit + INTERRUPT_GRACE_SECONDS)), run_limit
        except OSError as exc:
            search.progress(f"branch and bound on the whole model with the neighbourhoods' process ({exc})")
            search.streamer = None
    if search.worker is not None:
        try:
            return search.worker.solve(cols.integer, lower, upper, search.x, time_limit_s=run_limit,
                                       grace_s=INTERRUPT_GRACE_SECONDS, stop_at=hard_stop), run_limit
        except OSError as exc:
            search.progress(f"neighbourhood MIPs in this process (no child process: {exc})")
            search.worker = None
    search.stop_at = min(ran + limit + INTERRUPT_GRACE_SECONDS, hard_stop)
    return run_here(search.h, cols, lower, upper, search.x, time_limit_s=run_limit), run_limit


def _accept(search: _Search, label: str, result: SubMipResult | None) -> bool:
    """True when ``result`` is a better plan that keeps every rule (its integer decisions
    rounded and fixed, the model re-solved: :func:`checked_plan`): it becomes the incumbent,
    logged with ``label`` (a neighbourhood's, or :data:`CONCURRENT`)."""
    best = search.best
    if result is None or result.col_value is None or not (
            result.objective + search.constant < best - _TOL * max(1, abs(best))):
        return False
    search.stop_at = float("inf")  # the check is one LP with every integer fixed: never cut short
    checked = checked_plan(search.h, search.cols, result.col_value)
    if checked is None or not checked[1] + search.constant < best - _TOL * max(1, abs(best)):
        return False
    search.x, search.best = checked[0], checked[1] + search.constant
    search.gained_in_pass = True
    search.last_gain_at = time.perf_counter()
    search.proven.clear()
    log_gain(search.log, search.progress, started=search.started, best=search.best, bound=search.bound,
             label=label)
    if label != CONCURRENT:
        _offer(search)
    return True


def _offer(search: _Search) -> None:
    """The incumbent handed to the concurrent branch and bound while it runs (it prunes with it)."""
    if search.concurrent is not None and not search.concurrent_over:
        search.concurrent.offer(search.x)


def log_gain(log: list[Improvement], progress, *, started: float, best: float, bound: float, label: str) -> None:
    """A neighbourhood's better plan (objective ``best``, ``label``), or the concurrent branch
    and bound's (``label`` :data:`CONCURRENT`), ``started`` seconds (perf_counter) into the
    search: appended to ``log`` and told to ``progress``."""
    seconds = time.perf_counter() - started
    log.append(Improvement(seconds, best, bound, label if label == CONCURRENT else f"neighbourhood: {label}"))
    progress(f"incumbent {best:,.1f}, bound {bound:,.1f}, gap {(best - bound) / max(abs(best), _TOL):.2%} "
             f"({label}, {seconds:.1f} s)")


def run_here(h, cols: IntegerColumns, lower: np.ndarray, upper: np.ndarray, x: np.ndarray, *,
              time_limit_s: float) -> SubMipResult:
    """A neighbourhood MIP on ``h`` itself (when no child process can be started): stopped by
    its time limit and the interrupt callback, which HiGHS checks only between cut rounds."""
    h.changeColsBounds(len(cols.integer), cols.integer, lower, upper)
    warm = h.getSolution()
    warm.col_value = x.tolist()
    warm.value_valid = True
    h.setSolution(warm)
    h.setOptionValue("time_limit", time_limit_s)
    ran = time.perf_counter()
    h.run()
    info = h.getInfo()
    has = info.primal_solution_status == 2
    return SubMipResult(optimal=h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
                        status=h.modelStatusToString(h.getModelStatus()),
                        objective=float(info.objective_function_value) if has else float("nan"),
                        dual_bound=float(info.mip_dual_bound),
                        col_value=np.asarray(h.getSolution().col_value, dtype=float) if has else None,
                        seconds=time.perf_counter() - ran)


def _streamed(streamer, cols: IntegerColumns, lower: np.ndarray, upper: np.ndarray, x: np.ndarray,
              col_cost: np.ndarray, *, time_limit_s: float, stop_at: float) -> SubMipResult | None:
    """Branch and bound in ``streamer`` (a :class:`scheduling.mip_child.StreamingMip`) with the
    integer columns' bounds ``lower``/``upper`` and ``x`` as its start: its answer as a
    :class:`SubMipResult` (objective without the constant: ``col_cost`` . columns), or None
    without a solution. Killed at ``stop_at``, it keeps the last better plan the child reported
    and has no dual bound (nan)."""
    answer = streamer.solve(cols.integer, lower, upper, x, time_limit_s=time_limit_s, stop_at=stop_at)
    if answer.col_value is None:
        return None
    values = np.asarray(answer.col_value, dtype=float)
    return SubMipResult(optimal=answer.optimal, status=answer.status, objective=float(col_cost @ values),
                        dual_bound=answer.dual_bound, col_value=values, seconds=answer.seconds)


def freed_columns(cols: IntegerColumns, hood: Neighbourhood) -> np.ndarray:
    """Integer columns a neighbourhood frees: its tours, their shifts' activity placements and
    the blended agents of the intervals those shifts cover."""
    free = [int(cols.tours[j]) for j in hood.tours]
    groups = {g for j in hood.tours for g in cols.group_of_tour[j]}
    for g in groups:
        free += cols.activity_group.get(g, [])
        channel = g[1]
        for i in cols.group_intervals[g]:
            free += cols.blend_at.get((channel, int(i)), [])
            free += cols.goal_net_at.get((channel, int(i)), [])
    free += cols.always_free.tolist()
    return np.unique(np.array(free, dtype=np.int32))


def checked_plan(h, cols: IntegerColumns, values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``values`` with its integer decisions rounded and fixed and the rest solved again as an LP
    on ``h``: (columns, objective without the model's constant), or None when that LP has no
    optimal solution (the plan is then never accepted)."""
    fixed = np.round(values[cols.integer])
    h.changeColsBounds(len(cols.integer), cols.integer, fixed, fixed)
    h.setOptionValue("time_limit", highspy.kHighsInf)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    out = np.asarray(h.getSolution().col_value).copy()
    out[cols.integer] = fixed
    return out, float(h.getInfo().objective_function_value)


def _load(h, cols: IntegerColumns, x: np.ndarray) -> None:
    fixed = np.round(x[cols.integer])
    h.changeColsBounds(len(cols.integer), cols.integer, fixed, fixed)
    h.setOptionValue("time_limit", highspy.kHighsInf)
    h.setOptionValue("mip_rel_gap", 1e-4)

"""Anytime improvement of a complete shift plan: large-neighbourhood search with HiGHS.

After the first complete plan (:mod:`scheduling.shifts.heuristics` rounds the LP), the rest of
``time_limit_s`` goes to a sequence of small MIPs on the *exact* model: one neighbourhood of
tours is freed (the tours starting in a clock window, the tours of one contract, or of one
channel), with the breaks, lunches and blended work of their shifts, and every other integer
decision (tours, activity placements, blended agents) is fixed at the incumbent. HiGHS solves
that MIP warm-started from the incumbent, so a sub-MIP returns the incumbent or better. A
better plan is accepted only after its integer decisions are rounded and the model is
solved again with them fixed (every row of the model holds: every rule is kept).

A pass tries every start-time window (``WINDOW_INTERVALS`` wide, overlapping by half), then
per contract and weekday the tours off that day, then each contract and each channel, and on
a small model (``branch_and_bound``) branch and bound on the whole model for a share of the
time left (its dual bound is a proven bound of the week, and is
used). A pass without a gain doubles the window width, or halves it when windows ran out of
time; once a window spans two days, the rest of the time is branch and bound on the whole
model. The search stops when the plan is within ``gap_rel`` of the bound or the time is
spent, never earlier. Each accepted plan is logged as an :class:`Improvement`.

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
# the polish: after a pass of neighbourhoods without a gain, branch and bound on the whole model
# from the incumbent for this share of the time left (at least SUB_MIP_SECONDS); when it makes
# progress (a better plan, or a dual bound closing POLISH_PROGRESS of the gap) it gets the rest of
# the time. Family seed 31 (46 agents): the windows stalled at 1.0064 x bound, where HiGHS's
# branch and bound from scratch proved 1.0034 in 10.5 s; seed 29: 1.0102 against HiGHS's 1.0064
POLISH_SHARE = 0.25
POLISH_PROGRESS = 0.1
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
            branch_and_bound: bool = False) -> tuple[np.ndarray, float, float]:
    """Improve ``incumbent`` (every HiGHS column's value; ``objective`` with the model's constant)
    until it is within ``gap_rel`` of ``bound`` or ``deadline_s`` seconds after ``started``
    (a ``time.perf_counter()`` value) have passed.

    Returns (columns, objective, bound): the best plan found (never worse than the incumbent)
    and the best proven bound (raised when branch and bound on the whole model proves more).
    ``first_width_minutes``: the first start-time window width (default ``WINDOW_INTERVALS``
    grid intervals). ``branch_and_bound``: close each pass with branch and bound on the whole
    model for a share of the time left (worth it on small models).
    Appends an :class:`Improvement` to ``log`` for each better plan. Leaves the integer
    decisions fixed at the returned plan in the HiGHS instance, with its solution loaded.
    """
    h = model.prob.solverModel
    inf = highspy.kHighsInf
    constant = float(model.prob.objective.constant)
    gap_rel = model.rules.gap_rel
    cols = integer_columns(model)
    n_int = len(cols.integer)
    h.changeColsIntegrality(n_int, cols.integer, np.full(n_int, highspy.HighsVarType.kInteger))
    h.setOptionValue("mip_rel_gap", SUB_MIP_REL_GAP)
    x = np.asarray(incumbent, dtype=float).copy()
    best = float(objective)
    n_tours = len(cols.tours)
    width = first_width_minutes or WINDOW_INTERVALS * model.grid.interval_minutes
    everything_hood = Neighbourhood("all tours (branch and bound)", tuple(range(n_tours)), "all")
    small = bool(n_tours and branch_and_bound)

    def one_pass() -> list[Neighbourhood]:
        # windows and days off taken in turn, then the larger contract and channel
        # neighbourhoods, then (small models) branch and bound on the whole model; those
        # already solved to optimality around the current incumbent are left out
        by_kind: dict[str, list[Neighbourhood]] = defaultdict(list)
        for hood in neighbourhoods(model, width_minutes=width):
            if hood.label not in proven:
                by_kind[hood.kind].append(hood)
        small_kinds = [by_kind.pop(kind, []) for kind in ("window", "days off")]
        turns = [hood for group in itertools.zip_longest(*small_kinds) for hood in group if hood is not None]
        large = [hood for hoods_of_kind in by_kind.values() for hood in hoods_of_kind]  # contracts, channels
        return turns + large + ([everything_hood] if small else [])

    proven: set[str] = set()  # neighbourhoods with no better plan around the incumbent

    hoods = one_pass() or [everything_hood]
    position, gained_in_pass, final, timed_out = 0, False, False, False
    polish, progressed = "untried", False  # the polish: "untried", "running" (its one-hood pass), "done"
    col_cost = np.asarray(h.getLp().col_cost_, dtype=float)
    streamer = None  # the whole-model runs' child: it reports each better plan, kept when it is killed
    # HiGHS checks its time limit and interrupt callbacks only between rounds of its root cut
    # separation, and one round can take several times the limit (family seed 21: 17-27 s
    # with 6 s): the neighbourhood MIPs run in a child process that is killed at the stop time
    # (scheduling.shifts.submip); in this process only when no child can be started
    try:
        worker: SubMipProcess | None = SubMipProcess(h)
    except OSError as exc:
        progress(f"neighbourhood MIPs in this process (no child process: {exc})")
        worker = None
    stop_at = [float("inf")]

    def interrupt(event) -> None:
        event.interrupt(time.perf_counter() > stop_at[0])  # the flag is sticky across runs: always set it

    h.cbMipInterrupt.subscribe(interrupt)
    h.cbSimplexInterrupt.subscribe(interrupt)

    def left() -> float:
        return deadline_s - (time.perf_counter() - started)

    def gap() -> float:
        return (best - bound) / max(abs(best), _TOL)

    try:
        while gap() > gap_rel + _TOL and left() > MIN_SUB_MIP_SECONDS and hoods:
            hood = hoods[position]
            everything = len(hood.tours) == n_tours
            share = POLISH_SHARE if polish == "running" else WHOLE_SHARE
            limit = left() if final else min(max(SUB_MIP_SECONDS, share * left()) if everything
                                             else SUB_MIP_SECONDS, left())
            free = freed_columns(cols, hood)
            lower = np.round(x[cols.integer])
            upper = lower.copy()
            mask = np.isin(cols.integer, free)
            lower[mask] = 0.0
            upper[mask] = inf
            ran = time.perf_counter()
            hard_stop = started + deadline_s
            run_limit = max(limit, MIN_SUB_MIP_SECONDS)  # a MIP run's limit counts from its start
            result = None
            if everything:
                try:
                    if streamer is None:
                        from scheduling.mip_child import StreamingMip  # here: mip_child imports this package
                        streamer = StreamingMip(h)
                    result = _streamed(streamer, cols, lower, upper, x, col_cost, time_limit_s=run_limit,
                                       stop_at=min(hard_stop, ran + run_limit + INTERRUPT_GRACE_SECONDS))
                except OSError as exc:
                    progress(f"branch and bound on the whole model with the neighbourhoods' process ({exc})")
                    streamer = None
            if worker is not None and result is None and not (everything and streamer is not None):
                try:
                    result = worker.solve(cols.integer, lower, upper, x, time_limit_s=run_limit,
                                          grace_s=INTERRUPT_GRACE_SECONDS, stop_at=hard_stop)
                except OSError as exc:
                    progress(f"neighbourhood MIPs in this process (no child process: {exc})")
                    worker = None
            if worker is None and result is None and not (everything and streamer is not None):
                stop_at[0] = min(ran + limit + INTERRUPT_GRACE_SECONDS, hard_stop)
                result = _run_here(h, cols, lower, upper, x, time_limit_s=run_limit)
            solved = result is not None and result.optimal
            before = (best, bound)
            if everything and result is not None and np.isfinite(result.dual_bound):
                bound = max(bound, result.dual_bound + constant)  # proven: HiGHS's run ended by itself
            gained = False
            if (result is not None and result.col_value is not None
                    and result.objective + constant < best - _TOL * max(1, abs(best))):
                stop_at[0] = float("inf")  # the check is one LP with every integer fixed: never cut short
                checked = _checked(h, cols, result.col_value)
                if checked is not None and checked[1] + constant < best - _TOL * max(1, abs(best)):
                    x, best = checked[0], checked[1] + constant
                    gained = gained_in_pass = True
                    proven.clear()
                    seconds = time.perf_counter() - started
                    log.append(Improvement(seconds, best, bound, f"neighbourhood: {hood.label}"))
                    progress(f"incumbent {best:,.1f}, bound {bound:,.1f}, gap {gap():.2%} ({hood.label}, {seconds:.1f} s)")
            elif everything:
                progress(f"branch and bound: incumbent {best:,.1f}, bound {bound:,.1f}, gap {gap():.2%}")
            took = time.perf_counter() - ran
            if polish == "running":  # progress: a better plan, or POLISH_PROGRESS of the gap closed by the bound
                progressed = gained or bound >= before[1] + POLISH_PROGRESS * (before[0] - before[1])
                progress(f"branch and bound on the whole model from the incumbent ({took:.1f} s): "
                         + ("progress, it gets the rest of the time" if progressed else "no progress, back to the neighbourhoods"))
            if result is None:
                progress(f"{hood.label}: its MIP stopped after {took:.1f} s (HiGHS's limit {run_limit:.1f} s), "
                         "the plan kept")
            if solved and not gained:
                proven.add(hood.label)
            position += 1
            if not solved and not everything and hood.kind == "window" and took >= limit * 0.9:
                timed_out = True  # a window too big to solve in its time
            if position >= len(hoods):
                stalled = not gained_in_pass and polish != "running"
                if polish == "running":  # the polish's pass: the rest of the time to branch and bound, or the windows
                    polish = "done"
                    final = final or progressed
                elif not gained_in_pass:  # a whole pass without a gain: larger windows, or smaller if they time out
                    if timed_out and width > 2 * model.grid.interval_minutes:
                        width = max(model.grid.interval_minutes, width // 2)
                    else:
                        width *= 2
                        final = width >= 2880  # every window has grown to the whole week: branch and bound to the end
                if stalled and polish == "untried" and not final:
                    polish = "running"
                    hoods = [everything_hood]
                else:
                    hoods = [everything_hood] if final else one_pass()
                while not hoods and not final:  # every neighbourhood of this width is proven: larger ones
                    width *= 2
                    final = width >= 2880
                    hoods = [everything_hood] if final else one_pass()
                position, gained_in_pass, timed_out = 0, False, False
    finally:
        if worker is not None:
            worker.close()
        if streamer is not None:
            streamer.close()
        h.cbMipInterrupt.unsubscribe(interrupt)
        h.cbSimplexInterrupt.unsubscribe(interrupt)
    _load(h, cols, x)
    return x, best, bound


def _run_here(h, cols: IntegerColumns, lower: np.ndarray, upper: np.ndarray, x: np.ndarray, *,
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


def _checked(h, cols: IntegerColumns, values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The plan with its integer decisions rounded and fixed, the rest re-solved: (columns,
    objective without the constant), or None when that has no solution (never accepted)."""
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

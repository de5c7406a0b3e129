"""Neighbourhood MIPs in a child process, so that one can be stopped at its deadline.

HiGHS checks its time limit and its interrupt callbacks only between the rounds of its root
cut separation, and one round can take far longer than the limit: family seed 21's "channel
voice" neighbourhood (4,942 columns, 2,243 integer after presolve) spent 17-25 s in one round
with a 6 s limit, started from the incumbent, on a quiet machine. A solve in this process
cannot be stopped from the outside, so :class:`SubMipProcess` runs the MIPs in a child
Python process (this file run as a script: it imports numpy and highspy only) that holds a
copy of the model; a run that has not answered by its stop time is ended by killing the child
(its plan is lost: the incumbent stays), and the next run starts a new child.

Protocol (the child's stdin and stdout, each message an 8-byte length then a pickle):
``("model", arrays, options)`` loads the model and answers with an empty message;
``("run", columns, lower, upper, start, time_limit_s)`` sets the bounds of ``columns``, the MIP
start ``start`` (every column's value; None: none) and HiGHS's time limit, runs, and answers with the
fields of a :class:`SubMipResult` (a tuple); with a seventh field ``True`` it first sends
``("improved", col_value)`` for each improving solution HiGHS finds (its
``cbMipImprovingSolution``: :class:`scheduling.mip_child.StreamingMip`, which keeps the last one
when it kills the child at its stop time), and takes ``("offer", col_value)`` at any time, also
while it runs: a plan the parent found, handed to HiGHS at its next ``cbMipUserSolution`` (the
latest offer, again every ``OFFER_RETRY_S`` until HiGHS holds a plan as good: :class:`PendingOffer`;
HiGHS keeps it when it is feasible and better than its own, :class:`scheduling.mip_child.ConcurrentMip`).
"""

from __future__ import annotations

import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass

import numpy as np

# options copied from the parent's HiGHS instance to the child's
COPIED_OPTIONS = ("solver", "primal_feasibility_tolerance", "dual_feasibility_tolerance",
                  "mip_feasibility_tolerance", "mip_rel_gap", "random_seed", "presolve", "threads",
                  "mip_heuristic_run_rens")
_HEADER = struct.Struct("<Q")
OFFER_RETRY_S = 2.0  # an offer HiGHS has not taken is handed to it again after this much of its run


@dataclass(frozen=True)
class SubMipResult:
    """One neighbourhood MIP's answer: ``optimal`` (HiGHS proved it), ``status`` (HiGHS's model
    status text), ``objective`` (without the model's constant; nan without a solution),
    ``dual_bound`` (the MIP dual bound, without the constant), ``col_value`` (every column's
    value, or None without a feasible solution) and ``seconds`` (the child's run time)."""

    optimal: bool
    status: str
    objective: float
    dual_bound: float
    col_value: np.ndarray | None
    seconds: float


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the sub-MIP process closed its output")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def model_arrays(h, integer: np.ndarray | None = None) -> dict:
    """The model of HiGHS instance ``h`` (its current bounds and integrality) as plain arrays;
    ``integer``: columns made integer in them (``h`` may hold the LP relaxation)."""
    lp = h.getLp()
    m = lp.a_matrix_
    arrays = {
        "rowwise": str(m.format_).endswith("kRowwise"),
        "col_cost": np.asarray(lp.col_cost_, dtype=float), "col_lower": np.asarray(lp.col_lower_, dtype=float),
        "col_upper": np.asarray(lp.col_upper_, dtype=float), "row_lower": np.asarray(lp.row_lower_, dtype=float),
        "row_upper": np.asarray(lp.row_upper_, dtype=float), "start": np.asarray(m.start_, dtype=np.int32),
        "index": np.asarray(m.index_, dtype=np.int32), "value": np.asarray(m.value_, dtype=float),
        "integrality": np.asarray([int(v) for v in lp.integrality_], dtype=np.uint8),
        "offset": float(lp.offset_), "minimize": str(lp.sense_).endswith("kMinimize"),
    }
    if integer is not None:
        if len(arrays["integrality"]) != len(arrays["col_cost"]):  # a pure LP has none
            arrays["integrality"] = np.zeros(len(arrays["col_cost"]), dtype=np.uint8)
        arrays["integrality"][np.asarray(integer, dtype=np.int64)] = 1  # HighsVarType.kInteger
    return arrays


def _model_message(h, overrides: dict | None = None, integer: np.ndarray | None = None) -> bytes:
    """The child's ``("model", arrays, options)`` message for HiGHS instance ``h``, pickled;
    ``overrides``: options set in the child in place of (or beside) the copied ones;
    ``integer``: columns made integer in the copy (``h`` may hold the LP relaxation)."""
    options = {}
    for name in COPIED_OPTIONS:
        status, value = h.getOptionValue(name)
        if str(status).endswith("kOk"):
            options[name] = value
    options.update(overrides or {})
    return pickle.dumps(("model", model_arrays(h, integer), options), protocol=pickle.HIGHEST_PROTOCOL)


def arrays_matrix(a: dict):
    """The constraint matrix of the model arrays ``a`` (:func:`model_arrays`) as a scipy sparse
    matrix, rows by columns (imported here: the child loads scipy only when it needs it)."""
    import scipy.sparse as sp

    shape = (len(a["row_lower"]), len(a["col_cost"]))
    return (sp.csr_matrix if a["rowwise"] else sp.csc_matrix)((a["value"], a["index"], a["start"]), shape=shape)


def load_arrays(h, a: dict, options: dict) -> None:
    """Pass the model of :func:`model_arrays` ``a`` to HiGHS instance ``h`` and set ``options``
    (in a child process: highspy is imported there, not at this module's import)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(a["col_cost"]), len(a["row_lower"])
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = a["col_cost"], a["col_lower"], a["col_upper"]
    lp.row_lower_, lp.row_upper_ = a["row_lower"], a["row_upper"]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise if a["rowwise"] else highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a["start"], a["index"], a["value"]
    lp.offset_ = a["offset"]
    lp.sense_ = highspy.ObjSense.kMinimize if a["minimize"] else highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType(int(v)) for v in a["integrality"]]
    h.passModel(lp)
    for name, value in options.items():
        h.setOptionValue(name, value)


class SubMipProcess:
    """A child process solving MIPs on a copy of the model of HiGHS instance ``h`` (taken at
    construction: its bounds, integrality and the options in ``COPIED_OPTIONS``, ``options``
    in their place; with ``h=None`` from :meth:`load`, later). Started at construction
    (``start``; else on the first :meth:`solve`), restarted after a kill;
    :meth:`close` ends it (also a context manager). Sending the model waits while the child
    starts (a pipe holds 64 KB): about half a second of a quiet machine for a large model.
    ``nice``: added to each child's niceness (0 to 19; its scheduling priority lowered, so that
    it runs on what the machine's other work leaves: the portfolio's neighbourhoods beside its
    branch and bound, :mod:`scheduling.shifts.improve`). ``integer``: columns made integer in
    the child's copy."""

    def __init__(self, h, *, start: bool = True, options: dict | None = None, nice: int = 0,
                 integer: np.ndarray | None = None):
        if not 0 <= nice <= 19:
            raise ValueError(f"SubMipProcess: nice={nice!r}; give 0 (as this process) to 19 (lowest priority)")
        self._model = None if h is None else _model_message(h, options, integer)  # None: given later (load)
        self.nice = nice
        self._proc: subprocess.Popen | None = None
        self._ready = False  # the child has loaded the model
        self._failures = 0  # answers missing in a row because the child died (not killed)
        self.kills = 0  # runs ended by killing the child
        self.starts = 0
        if start:
            self._start()

    def __enter__(self) -> SubMipProcess:
        return self

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before the first start and after a kill)."""
        return None if self._proc is None else self._proc.pid

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        self._spawn()
        if self._model is not None:
            self._write_model(self._proc)

    def _spawn(self) -> subprocess.Popen:
        """A new child (this file run as a script), not yet given the model."""
        self._proc = subprocess.Popen([sys.executable, "-u", os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        if self.nice:  # a process may always lower its own children's priority (never raise it back)
            try:
                own = os.getpriority(os.PRIO_PROCESS, 0)
                os.setpriority(os.PRIO_PROCESS, self._proc.pid, min(19, own + self.nice))
            except (OSError, AttributeError):  # a platform without priorities: the child runs as this process
                pass
        self.starts += 1
        self._ready = False
        return self._proc

    def _write_model(self, proc: subprocess.Popen) -> None:
        """Send the model to ``proc`` (waits while the child starts: a pipe holds 64 KB)."""
        proc.stdin.write(_HEADER.pack(len(self._model)))
        proc.stdin.write(self._model)
        proc.stdin.flush()

    def load(self, h) -> None:
        """The model of HiGHS instance ``h`` for a process made with ``h=None`` (its child,
        started meanwhile, has imported highspy while the caller built the model)."""
        self._model = _model_message(h)
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._write_model(self._proc)
            except OSError:  # the child died: the next solve starts another
                self._kill(count=False)

    def _loaded_by(self, fd: int, stop_at: float) -> bool:
        """A child that has the model (started anew when there is none or it died); False (the
        child killed) when it has not loaded it by ``stop_at``."""
        if not self._ready:
            if not self._wait(fd, stop_at):
                return False
            _read_exactly(fd, _HEADER.size)  # the child's "model loaded"
            self._ready = True
        return True

    def solve(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray, start: np.ndarray, *,
              time_limit_s: float, grace_s: float, stop_at: float) -> SubMipResult | None:
        """Solve with the bounds of ``columns`` set to ``lower``/``upper`` and ``start`` (every
        column's value) as the MIP start, HiGHS's own time limit ``time_limit_s``. None when
        the child has not answered ``grace_s`` after that limit (counted from when the child
        has the model: a new child's start-up is not the MIP's time) or by ``stop_at`` (a
        ``time.perf_counter()`` value), whichever is first: the child is then killed, at once;
        None too when the child died. Raises ``OSError`` when no child can be started, or
        when the child died without an answer twice in a row."""
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            self._start()
        try:
            fd = self._proc.stdout.fileno()
            if not self._loaded_by(fd, stop_at):
                return None
            _send(self._proc.stdin, ("run", np.asarray(columns, dtype=np.int32), np.asarray(lower, dtype=float),
                                     np.asarray(upper, dtype=float), np.asarray(start, dtype=float),
                                     float(time_limit_s)))
            if not self._wait(fd, min(stop_at, time.perf_counter() + time_limit_s + grace_s)):
                return None
            (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
            result = SubMipResult(*pickle.loads(_read_exactly(fd, n)))
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._kill()
            self._failures += 1
            if self._failures >= 2:  # e.g. highspy does not import there: not worth restarting
                raise OSError(f"the sub-MIP process ended without an answer twice ({exc})") from exc
            return None
        self._failures = 0
        return result

    def _wait(self, fd: int, until: float) -> bool:
        """True when the child has output before ``until``; else kills it and returns False."""
        while True:
            wait = until - time.perf_counter()
            if wait <= 0:
                self._kill()
                return False
            ready, _, _ = select.select([fd], [], [], wait)
            if ready:
                return True

    def _kill(self, *, count: bool = True) -> None:
        """Kill the child if it is still running (counted in ``kills`` when ``count``) and close its pipes."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
            self.kills += count
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._proc = None

    def close(self) -> None:
        """End the child (its stdin closed: it exits; killed if it is still solving)."""
        if self._proc is None:
            return
        try:
            self._proc.stdin.close()
            self._proc.wait(timeout=1.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._kill()


def _serve() -> None:  # the child: this file run as a script
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # HiGHS's banner and any log stay off the protocol
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inbox = _Inbox(sys.stdin.buffer)
    streaming = subscribed = False

    def improved(event) -> None:
        if streaming:
            _send(out, ("improved", np.asarray(event.data_out.mip_solution, dtype=float).copy()))

    offer = PendingOffer()
    loaded = types.SimpleNamespace(arrays=None, options={}, repair=None)  # the model, and the run's OfferRepair

    def user_solution(event) -> None:  # HiGHS asks for a plan: the parent's latest offer
        offered = inbox.take_offer()
        if offered is not None and len(offered) == len(loaded.arrays["col_cost"]):
            try:
                offered = loaded.repair.repaired(offered)  # off the columns HiGHS's presolve removed
            except Exception:  # noqa: BLE001 - the branch and bound must not die of a repair: the offer as it was
                pass
            offer.replace(offered, float(loaded.arrays["col_cost"] @ offered) + loaded.arrays["offset"])
        if offer.due(event.data_out.mip_primal_bound, event.data_out.running_time):
            event.data_in.setSolution(offer.values)  # HiGHS checks it, and keeps it if it is feasible and better

    while True:
        message = inbox.next()  # the child exits when its input ends (_Inbox)
        if message[0] == "model":
            _kind, a, options = message
            load_arrays(h, a, options)
            loaded.arrays, loaded.options = a, options
            out.write(_HEADER.pack(0))  # loaded
            out.flush()
            continue
        _kind, columns, lower, upper, start, limit, *stream = message
        streaming = bool(stream and stream[0])
        if streaming and not subscribed:  # the callbacks only for the runs that stream
            h.cbMipImprovingSolution.subscribe(improved)
            h.cbMipUserSolution.subscribe(user_solution)
            subscribed = True
        if streaming:
            loaded.repair = OfferRepair(loaded.arrays, loaded.options, columns, lower, upper)
        h.changeColsBounds(len(columns), columns, lower, upper)
        if start is not None:
            warm = highspy.HighsSolution()
            warm.col_value = start.tolist()
            warm.value_valid = True
            h.setSolution(warm)
        h.setOptionValue("time_limit", max(limit, 0.05))
        ran = time.perf_counter()
        h.run()
        info = h.getInfo()
        has = info.primal_solution_status == 2
        # a plain tuple in SubMipResult's field order (the parent does not know this __main__)
        _send(out, (h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
                    h.modelStatusToString(h.getModelStatus()),
                    float(info.objective_function_value) if has else float("nan"), float(info.mip_dual_bound),
                    np.asarray(h.getSolution().col_value, dtype=float) if has else None,
                    time.perf_counter() - ran))


class PendingOffer:
    """The parent's latest offer in the child (a minimisation) until HiGHS holds a plan as good: handed to HiGHS
    at once, then again every ``OFFER_RETRY_S`` of its run while HiGHS's primal bound stays above
    the offer's objective. HiGHS drops a plan its presolve reductions do not let through (one
    on a column presolve removed: :class:`OfferRepair` moves it off those first), and presolves
    again at each of its restarts, which may remove more, after which the same plan may pass;
    each try costs HiGHS one postsolve and at most one LP."""

    def __init__(self):
        self.values: np.ndarray | None = None
        self.objective = float("inf")
        self.next_s = 0.0  # HiGHS's running time of the next try

    def replace(self, values: np.ndarray, objective: float) -> None:
        self.values, self.objective, self.next_s = values, objective, 0.0

    def due(self, primal_bound: float, running_s: float) -> bool:
        """True when the offer is to be handed to HiGHS now (and the next try is scheduled)."""
        if self.values is None:
            return False
        if primal_bound <= self.objective + 1e-9 * max(1.0, abs(self.objective)):  # taken, or HiGHS has as good
            self.values = None
            return False
        if running_s < self.next_s:
            return False
        self.next_s = running_s + OFFER_RETRY_S
        return True


# an offered plan's repair (OfferRepair): HiGHS's limit on the small MIP that moves it off the
# columns its presolve removed (family seed 25's first plan: 8 free columns, 0.01 s)
REPAIR_LIMIT_S = 1.0


class OfferRepair:
    """An offered plan moved off the integer columns HiGHS's presolve removes, so that HiGHS
    keeps it. HiGHS maps a plan from its user-solution callback into its presolved model by
    dropping the removed columns' values, then undoes the presolve: a removed column comes back
    at the value presolve gave it (a dominated column at its lower bound), whatever the plan
    said. A plan that used such a column then breaks a row, and HiGHS drops it ("untransformed
    violations"): family seed 25's first five plans each placed one break where presolve had
    fixed that placement at 0 (a placement of the same shift elsewhere does as well); the
    sixth, which placed none there, was taken. Taken early, such a plan is worth much to the
    branch and bound: HiGHS alone on seed 25 ended at 103,195.68 after 60 s; with the sixth plan
    (103,840.92) as its start, it proved the optimum, 103,090.64, in 13.8 s.

    The repair (:meth:`repaired`): the removed integer columns the plan uses are held at their
    lower bounds, the integer columns sharing an equality row with them (the other placements
    of the same shifts, and those shifts' tours) are freed (those removed too held), every
    other integer column is fixed at the plan's value, and HiGHS solves that small MIP
    (``REPAIR_LIMIT_S``). Its plan replaces
    the offer when it costs no more; otherwise the offer goes as it was. The removed columns
    come from one presolve of a copy of the run's model (``a``: :func:`model_arrays`, with the
    run's bounds for ``columns``), made at the first plan that needs it, as is the MIP's copy;
    HiGHS presolves again at its restarts, and may remove more then. This repair leaves alone
    what a postsolve of the plan would show HiGHS changing in other ways (columns presolve
    substitutes): a version that repaired those too made HiGHS keep the first plan on 19 of 33
    weeks instead of 7, and measured worse on the family (benchmarks/RESULTS.md, 2026-12-01 05:58)."""

    def __init__(self, a: dict, options: dict, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        self._a = a
        self._options = {name: value for name, value in options.items() if name != "threads"}  # one scheduler
        self._bounds = (np.asarray(columns, dtype=np.int32), np.asarray(lower, dtype=float),
                        np.asarray(upper, dtype=float))
        self._integer = np.flatnonzero(np.asarray(a["integrality"]) == 1)
        self._removed: np.ndarray | None = None
        self._fixer = None  # made with the first repair (_start_fixer), with _run_lower/_run_upper and _matrix
        self.repaired_count = 0  # plans moved off removed columns

    def _copy(self):
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        load_arrays(h, self._a, self._options)
        columns, lower, upper = self._bounds
        if len(columns):
            h.changeColsBounds(len(columns), columns, lower, upper)
        return h

    def removed(self) -> np.ndarray:
        """The integer columns HiGHS's presolve of the run's model removes (sorted)."""
        if self._removed is None:
            h = self._copy()
            n = len(self._a["col_cost"])
            for j in range(n):
                h.passColName(j, f"c{j}")
            h.presolve()
            self._removed = np.zeros(0, dtype=np.int64)
            if str(h.getModelPresolveStatus()).endswith("kReduced"):  # (not solved by presolve, nor proven infeasible)
                kept = np.array([int(name[1:]) for name in h.getPresolvedLp().col_names_], dtype=np.int64)
                gone = np.ones(n, dtype=bool)
                gone[kept] = False
                self._removed = np.intersect1d(np.flatnonzero(gone), self._integer)
        return self._removed

    def _start_fixer(self) -> None:
        """The repair MIP's HiGHS copy, the run's bounds of its integer columns, and the matrix by row and by column."""
        self._fixer = self._copy()
        lp = self._fixer.getLp()
        self._run_lower = np.asarray(lp.col_lower_, dtype=float)[self._integer]
        self._run_upper = np.asarray(lp.col_upper_, dtype=float)[self._integer]
        matrix = arrays_matrix(self._a)
        self._matrix = (matrix.tocsr(), matrix.tocsc())

    def repaired(self, values: np.ndarray) -> np.ndarray:
        """``values`` (every column) moved off the removed integer columns, or as they were
        (none used, or no plan as cheap found within ``REPAIR_LIMIT_S``)."""
        used = self.removed()
        used = used[np.abs(values[used]) > 0.5]
        if not len(used):
            return values
        if self._fixer is None:
            self._start_fixer()
        a, fixer, integer, (by_row, by_column) = self._a, self._fixer, self._integer, self._matrix
        rows = np.unique(by_column[:, used].indices)
        rows = rows[a["row_lower"][rows] == a["row_upper"][rows]]
        free = np.intersect1d(np.unique(by_row[rows].indices), integer)
        used, free = np.union1d(used, np.intersect1d(free, self.removed())), np.setdiff1d(free, self.removed())
        lower, upper = np.round(values[integer]), np.round(values[integer])
        at = np.searchsorted(integer, free)
        lower[at], upper[at] = self._run_lower[at], self._run_upper[at]
        at = np.searchsorted(integer, used)
        lower[at] = upper[at] = self._run_lower[at]
        fixer.changeColsBounds(len(integer), integer.astype(np.int32), lower, upper)
        fixer.setOptionValue("time_limit", fixer.getRunTime() + REPAIR_LIMIT_S)  # HiGHS counts its total run time
        fixer.run()
        cost = float(a["col_cost"] @ values)
        if (fixer.getInfo().primal_solution_status == 2
                and fixer.getInfo().objective_function_value - a["offset"] <= cost + 1e-9 * max(1.0, abs(cost))):
            self.repaired_count += 1
            return np.asarray(fixer.getSolution().col_value, dtype=float)
        return values


class _Inbox:
    """The child's stdin read by a thread of its own, so that the parent's offers (``("offer",
    col_value)``: a plan to give HiGHS, any time) arrive while HiGHS runs (it releases the GIL):
    the latest offer is kept for HiGHS's user-solution callback, every other message queued
    for the serve loop. At the end of the input (the parent closed the pipe, or was killed) the
    child exits at once, so that a planner killed in the middle of a solve leaves no solver
    running on to its time limit."""

    def __init__(self, source):
        self._source = source
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._offer: np.ndarray | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            header = self._source.read(_HEADER.size)
            if len(header) < _HEADER.size:  # the parent closed the pipe, or died: nobody wants a run's answer
                os._exit(0)  # at once, also in the middle of a run (HiGHS would run on to its time limit)
            (n,) = _HEADER.unpack(header)
            message = pickle.loads(self._source.read(n))
            if message[0] == "offer":
                with self._lock:
                    self._offer = np.asarray(message[1], dtype=float)
            else:
                self._queue.put(message)

    def next(self):
        """The next message other than an offer (waits)."""
        return self._queue.get()

    def take_offer(self) -> np.ndarray | None:
        """The latest offer not yet taken (None when there is none)."""
        with self._lock:
            offered, self._offer = self._offer, None
        return offered


if __name__ == "__main__":
    _serve()

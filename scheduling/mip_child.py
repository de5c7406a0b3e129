"""A MIP solved in a child process that reports every improving solution, so that it can be
stopped at a deadline without losing what it found.

:class:`scheduling.shifts.submip.SubMipProcess` kills its child at the stop time and loses the
run's solution: right for the scheduler's neighbourhood MIPs (the incumbent stays), not for the
intraday re-plan, whose single MIP per stage is all there is. HiGHS reads its time limit only
between rounds of root cut separation, which can run many seconds past it (the sample's re-plan:
a 8.7 s limit ended after 22 s at load 10). Here the child streams each improving solution HiGHS
finds (its ``cbMipImprovingSolution`` callback) while it solves; at the stop time the parent
kills it and keeps the last one.

One mechanism with the scheduler's: :class:`StreamingMip` is a
:class:`~scheduling.shifts.submip.SubMipProcess` (the same child, this one started before the
model is known so that it imports highspy while the caller builds the model; the same wire
format, model arrays, kill and serve loop) whose runs ask the child to stream: messages
``("improved", col_value)`` any number of times, then the :class:`SubMipResult` fields.

:class:`ConcurrentMip` is the same child run without waiting for it (the scheduler's
portfolio: branch and bound on the whole week on a second core beside the neighbourhood
search): :meth:`ConcurrentMip.begin` starts the run (with a MIP start or none) and returns at
once, a thread of this process reads what the child streams (so that the child never waits on a
full pipe while the caller is busy), :meth:`ConcurrentMip.offer` hands the running child a plan
found meanwhile (another thread writes it; the child reads its input on a thread of its own and
gives it to HiGHS's user-solution callback), :meth:`ConcurrentMip.latest` is the last improving solution so far,
:meth:`ConcurrentMip.ended` the answer once the run has ended by itself (its dual bound is
proven then), and :meth:`ConcurrentMip.finish` kills a run still going and keeps its last
streamed solution (no dual bound: nan).
"""

from __future__ import annotations

import pickle
import threading
import time
from dataclasses import dataclass

import numpy as np

from scheduling.shifts.submip import _HEADER, SubMipProcess, SubMipResult, _read_exactly, _send

__all__ = ["ConcurrentMip", "MipAnswer", "StreamingMip"]


@dataclass(frozen=True)
class MipAnswer:
    """One run's answer: ``optimal`` (HiGHS proved it), ``status`` (HiGHS's model status, or
    ``"stopped at the deadline"``), ``col_value`` (the best solution found, every column; None
    without one), ``killed`` (the child was stopped at the deadline), ``seconds`` and
    ``dual_bound`` (HiGHS's MIP dual bound without the model's constant when the run ended by
    itself; nan when it was killed: no proven value then)."""

    optimal: bool
    status: str
    col_value: np.ndarray | None
    killed: bool
    seconds: float
    dual_bound: float = float("nan")


class StreamingMip(SubMipProcess):
    """A child process holding a copy of the model of HiGHS instance ``h`` (its bounds,
    integrality and the options in ``COPIED_OPTIONS``), started on the first :meth:`solve`,
    restarted after a kill. With ``h=None`` the child starts at once and gets the model from
    :meth:`load` (call it before :meth:`solve`). A context manager (:meth:`close` ends the
    child). Raises ``OSError`` when no child can be started."""

    def __init__(self, h=None):
        super().__init__(h, start=h is None)

    def __enter__(self) -> StreamingMip:
        return self

    def solve(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray, start: np.ndarray, *,
              time_limit_s: float, stop_at: float) -> MipAnswer:
        """Solve with the bounds of ``columns`` set to ``lower``/``upper`` and ``start`` (every
        column's value) as the MIP start, HiGHS's own limit ``time_limit_s``; the child is
        killed at ``stop_at`` (a ``time.perf_counter()`` value) if it has not finished, and the
        last improving solution it reported is the answer. Raises ``OSError`` when the child
        ends without an answer."""
        if self._model is None:
            raise ValueError("StreamingMip.solve before load: the child has no model")
        ran = time.perf_counter()
        if self._proc is None or self._proc.poll() is not None:
            self._kill(count=False)
            self._start()
        best = None
        try:
            fd = self._proc.stdout.fileno()
            if not self._loaded_by(fd, stop_at):
                return MipAnswer(False, "stopped at the deadline", None, True, time.perf_counter() - ran)
            _send(self._proc.stdin, ("run", np.asarray(columns, dtype=np.int32), np.asarray(lower, dtype=float),
                                     np.asarray(upper, dtype=float), np.asarray(start, dtype=float),
                                     float(time_limit_s), True))
            while True:
                if not self._wait(fd, stop_at):
                    return MipAnswer(False, "stopped at the deadline", best, True, time.perf_counter() - ran)
                (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
                message = pickle.loads(_read_exactly(fd, n))
                if message[0] == "improved":
                    best = message[1]
                    continue
                result = SubMipResult(*message)
                return MipAnswer(result.optimal, result.status,
                                 result.col_value if result.col_value is not None else best, False,
                                 time.perf_counter() - ran, result.dual_bound)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._kill(count=False)
            raise OSError(f"the re-plan's solver process ended without an answer ({exc})") from exc

    def close(self) -> None:
        """End the child at once (killed: it holds nothing to keep, and a graceful exit can
        take a second of a loaded machine, past the caller's deadline)."""
        self._kill(count=False)


class ConcurrentMip(SubMipProcess):
    """One MIP run in a child process that the caller does not wait for: :meth:`begin` returns
    at once, :meth:`offer` hands the run a plan found meanwhile, :meth:`latest` and
    :meth:`ended` say what the child has sent so far, :meth:`finish` (or :meth:`close`) ends it.
    The model is HiGHS instance ``h``'s (as :class:`StreamingMip` copies it; ``integer``: columns
    made integer in the copy, when ``h`` holds the LP relaxation) with ``options`` set in the
    child in place of the copied ones (e.g. ``{"threads": 1, "mip_rel_gap": 0.01}``). A context
    manager: leaving it kills a child still running."""

    def __init__(self, h, *, options: dict | None = None, integer: np.ndarray | None = None):
        super().__init__(h, start=False, options=options, integer=integer)
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._best: np.ndarray | None = None
        self._count = 0
        self._answer: MipAnswer | None = None
        self._error: str | None = None
        self._began = float("nan")
        self._offers = threading.Condition(self._lock)
        self._offer: np.ndarray | None = None  # the latest plan offered and not yet sent to the child
        self._running = False  # the run's message is sent and its answer not in: offers go to the child
        self.offered = 0  # plans sent to the child

    def __enter__(self) -> ConcurrentMip:
        return self

    def begin(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray, start: np.ndarray | None, *,
              time_limit_s: float) -> None:
        """Start a run (the bounds of ``columns`` set to ``lower``/``upper``, ``start`` every
        column's value as the MIP start, or None for none, HiGHS's own limit ``time_limit_s``)
        and return at once; the model is sent and the answers read by a thread of this process.
        Raises ``OSError`` when no child can be started."""
        if self._reader is not None:
            raise ValueError("ConcurrentMip.begin twice: one run per child")
        message = ("run", np.asarray(columns, dtype=np.int32), np.asarray(lower, dtype=float),
                   np.asarray(upper, dtype=float), None if start is None else np.asarray(start, dtype=float),
                   float(time_limit_s), True)
        proc = self._spawn()
        self._began = time.perf_counter()
        self._reader = threading.Thread(target=self._read, args=(proc, message), daemon=True,
                                        name="concurrent branch and bound")
        self._reader.start()

    def offer(self, col_value: np.ndarray) -> None:
        """Hand the run a plan (every column's value) found meanwhile; returns at once. A thread
        of this process sends the latest one once the run has begun (an offer made before
        replaces an earlier one); HiGHS takes it at its next user-solution callback when it
        is feasible and better than its own incumbent, and prunes with it."""
        with self._offers:
            self._offer = np.asarray(col_value, dtype=float).copy()
            self._offers.notify()

    def _send_offers(self, proc) -> None:
        """The writer thread: each latest offer sent to ``proc`` while the run lasts."""
        while True:
            with self._offers:
                while self._running and self._offer is None:
                    self._offers.wait()
                if not self._running:
                    return
                offered, self._offer = self._offer, None
            try:
                _send(proc.stdin, ("offer", offered))
            except (OSError, ValueError):  # the child was killed or has ended: nothing to hand it
                return
            self.offered += 1

    def _stop_offers(self) -> None:
        with self._offers:
            self._running = False
            self._offers.notify()

    def _read(self, proc, message) -> None:
        """The reader thread: the model and the run sent to ``proc`` (and a writer thread for
        the offers started), then every message it streams kept (the last improving solution,
        the final answer) until it ends."""
        try:
            self._write_model(proc)
            fd = proc.stdout.fileno()
            _read_exactly(fd, _HEADER.size)  # the child's "model loaded"
            _send(proc.stdin, message)
            with self._offers:
                self._running = True
            threading.Thread(target=self._send_offers, args=(proc,), daemon=True,
                             name="offers to the concurrent branch and bound").start()
            while True:
                (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
                reply = pickle.loads(_read_exactly(fd, n))
                if reply[0] == "improved":
                    with self._lock:
                        self._best, self._count = reply[1], self._count + 1
                    continue
                result = SubMipResult(*reply)
                with self._lock:
                    best = result.col_value if result.col_value is not None else self._best
                    self._best, self._count = best, self._count + (result.col_value is not None)
                    self._answer = MipAnswer(result.optimal, result.status, best, False,
                                             time.perf_counter() - self._began, result.dual_bound)
                return
        except (OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:  # killed, or the child died
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._stop_offers()

    def latest(self) -> tuple[int, np.ndarray | None]:
        """(how many solutions the run has sent, the last one or None): a caller keeps the
        count it has seen and looks at the solution only when the count grew."""
        with self._lock:
            return self._count, self._best

    def ended(self) -> MipAnswer | None:
        """The run's answer once it ended by itself (HiGHS's status, its best solution and its
        dual bound: proven), else None (running, killed, or the child died: :meth:`failure`)."""
        with self._lock:
            return self._answer

    def failure(self) -> str | None:
        """Why the run has no answer when its child died or could not be fed (None otherwise)."""
        with self._lock:
            return None if self._answer is not None or self._reader is None or self._reader.is_alive() \
                else self._error

    def finish(self) -> MipAnswer:
        """End the run now: its answer when it ended by itself, else the child killed and the
        last solution it sent kept (``killed``, no dual bound: nan)."""
        self.close()  # first: an answer that arrives before the kill is kept by the reader
        answer = self.ended()
        if answer is not None:
            return answer
        _count, best = self.latest()
        seconds = time.perf_counter() - self._began if self._reader is not None else 0.0
        return MipAnswer(False, "stopped at the deadline", best, True, seconds)

    def close(self) -> None:
        """Kill the child if it is still running, and wait for the reader thread to end."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            self.kills += 1
        if self._reader is not None:
            self._reader.join(timeout=5.0)
        self._kill(count=False)

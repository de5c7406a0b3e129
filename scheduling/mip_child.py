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
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass

import numpy as np

from scheduling.shifts.submip import _HEADER, SubMipProcess, SubMipResult, _read_exactly, _send

__all__ = ["MipAnswer", "StreamingMip"]


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

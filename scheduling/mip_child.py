"""A MIP solved in a child process that reports every improving solution, so that it can be
stopped at a deadline without losing what it found.

:class:`scheduling.shifts.submip.SubMipProcess` kills its child at the stop time and loses the
run's solution: right for the scheduler's neighbourhood MIPs (the incumbent stays), not for the
intraday re-plan, whose single MIP per stage is all there is. HiGHS reads its time limit only
between rounds of root cut separation, which can run many seconds past it (the sample's re-plan:
a 8.7 s limit ended after 22 s at load 10). Here the child streams each improving solution HiGHS
finds (its ``cbMipImprovingSolution`` callback) while it solves; at the stop time the parent
kills it and keeps the last one.

It reuses the scheduler's wire format and model arrays (:mod:`scheduling.shifts.submip`:
an 8-byte length then a pickle; :func:`~scheduling.shifts.submip.model_arrays`). Messages
from the child: ``("loaded",)``; per run ``("improved", col_value)`` any number of times, then
``("done", optimal, status_text, col_value or None)``.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

if __name__ == "__main__":  # the child: scheduling.shifts's package imports pandas and pulp (seconds under load)
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "_submip", os.path.join(os.path.dirname(os.path.abspath(__file__)), "shifts", "submip.py"))
    submip = sys.modules["_submip"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(submip)
else:
    from scheduling.shifts import submip

_HEADER, COPIED_OPTIONS, _read_exactly, _send, model_arrays, load_arrays = (
    submip._HEADER, submip.COPIED_OPTIONS, submip._read_exactly, submip._send, submip.model_arrays,
    submip.load_arrays)




@dataclass(frozen=True)
class MipAnswer:
    """One run's answer: ``optimal`` (HiGHS proved it), ``status`` (HiGHS's model status, or
    ``"stopped at the deadline"``), ``col_value`` (the best solution found, every column; None
    without one), ``killed`` (the child was stopped at the deadline) and ``seconds``."""

    optimal: bool
    status: str
    col_value: np.ndarray | None
    killed: bool
    seconds: float


class StreamingMip:
    """A child process holding a copy of the model of HiGHS instance ``h`` (its bounds,
    integrality and the options in ``COPIED_OPTIONS``), started on the first :meth:`solve`,
    restarted after a kill. A context manager (:meth:`close` ends the child). Raises
    ``OSError`` when no child can be started."""

    def __init__(self, h):
        options = {}
        for name in COPIED_OPTIONS:
            status, value = h.getOptionValue(name)
            if str(status).endswith("kOk"):
                options[name] = value
        self._model = pickle.dumps(("model", model_arrays(h), options), protocol=pickle.HIGHEST_PROTOCOL)
        self._proc: subprocess.Popen | None = None
        self.kills = 0

    def __enter__(self) -> StreamingMip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def solve(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray, start: np.ndarray, *,
              time_limit_s: float, stop_at: float) -> MipAnswer:
        """Solve with the bounds of ``columns`` set to ``lower``/``upper`` and ``start`` (every
        column's value) as the MIP start, HiGHS's own limit ``time_limit_s``; the child is
        killed at ``stop_at`` (a ``time.perf_counter()`` value) if it has not finished, and the
        last improving solution it reported is the answer."""
        ran = time.perf_counter()
        if self._proc is None or self._proc.poll() is not None:
            self._kill(count=False)
            self._proc = subprocess.Popen([sys.executable, "-u", os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
            self._proc.stdin.write(_HEADER.pack(len(self._model)))
            self._proc.stdin.write(self._model)
            self._proc.stdin.flush()
            if self._next(stop_at) is None:  # ("loaded",) or the stop time
                return MipAnswer(False, "stopped at the deadline", None, True, time.perf_counter() - ran)
        best = None
        try:
            _send(self._proc.stdin, ("run", np.asarray(columns, dtype=np.int32), np.asarray(lower, dtype=float),
                                     np.asarray(upper, dtype=float), np.asarray(start, dtype=float), float(time_limit_s)))
        except OSError:
            self._kill(count=False)
            raise
        while True:
            message = self._next(stop_at)
            if message is None:
                return MipAnswer(False, "stopped at the deadline", best, True, time.perf_counter() - ran)
            if message[0] == "improved":
                best = message[1]
                continue
            _kind, optimal, status, values = message
            return MipAnswer(bool(optimal), str(status), values if values is not None else best, False,
                             time.perf_counter() - ran)

    def _next(self, until: float):
        """The child's next message, or None (the child killed) when none came by ``until``."""
        fd = self._proc.stdout.fileno()
        wait = until - time.perf_counter()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            self._kill()
            return None
        try:
            (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
            return pickle.loads(_read_exactly(fd, n))
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._kill(count=False)
            raise OSError(f"the re-plan's solver process ended without an answer ({exc})") from exc

    def _kill(self, *, count: bool = True) -> None:
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
        """End the child at once (killed: it holds nothing to keep, and a graceful exit can
        take a second of a loaded machine, past the caller's deadline)."""
        self._kill(count=False)


def _serve() -> None:  # the child: this file run as a script (numpy, highspy and submip.py only)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # HiGHS's banner and any log stay off the protocol
    import highspy

    source = sys.stdin.buffer
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)

    def improved(event) -> None:
        _send(out, ("improved", np.asarray(event.data_out.mip_solution, dtype=float).copy()))

    h.cbMipImprovingSolution.subscribe(improved)
    while True:
        header = source.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (n,) = _HEADER.unpack(header)
        message = pickle.loads(source.read(n))
        if message[0] == "model":
            _kind, a, options = message
            load_arrays(h, a, options)
            _send(out, ("loaded",))
            continue
        _kind, columns, lower, upper, start, limit = message
        h.changeColsBounds(len(columns), columns, lower, upper)
        warm = highspy.HighsSolution()
        warm.col_value = start.tolist()
        warm.value_valid = True
        h.setSolution(warm)
        h.setOptionValue("time_limit", max(limit, 0.05))
        h.run()
        has = h.getInfo().primal_solution_status == 2
        _send(out, ("done", h.getModelStatus() == highspy.HighsModelStatus.kOptimal,
                    h.modelStatusToString(h.getModelStatus()),
                    np.asarray(h.getSolution().col_value, dtype=float) if has else None))


if __name__ == "__main__":
    _serve()

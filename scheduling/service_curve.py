"""The service curve: expected contacts answered within T as a concave function of agents.

For one interval with ``volume`` offered contacts (per interval), handle time ``aht_s`` and
a threshold ``answer_s`` (seconds), the queueing model gives the expected number of contacts
answered within ``answer_s`` with ``n`` agents on the phones (net, productive agents):

    ``f(n) = volume x SL(n)``, SL by the offered definition (abandons count against),

from Erlang C, or Erlang A when ``patience_s`` is given (:mod:`scheduling.erlang`); chat and
messaging through the concurrency model of :mod:`scheduling.channels` (``n`` agents hold
``n x concurrency`` session slots, each session slowed down). This module turns ``f`` into a
piecewise-linear function with breakpoints at integer agents, for a linear model that sums
answered contacts over a day or a week (``volume``-weighted service level = sum f / sum volume).

**Never above the queueing model.** The linear pieces interpolate ``f`` at consecutive
integers, so they equal the model there. Between integers the model is the same formulas at a
fractional number of agents (Erlang B through the incomplete gamma function, which is defined
for real ``n``); where ``f`` is concave the chord lies below it. A linear model may only use
these pieces as the upper envelope ``y <= f(k) + slope_k (n - k)`` (one cut per piece) when
the function is concave, so concavity is what matters.

**Where f is not concave.** ``f`` is S-shaped in ``n``: zero (Erlang C) or small (Erlang A)
while the agents are fewer than the offered load, convex while the queue is near overload,
concave from about the load onwards. Its concave envelope would lie *above* the model in the
convex part (the envelope of a convex stretch is its chord, which a convex function stays
under), overstating the service the low staffing gives. So the envelope is not taken: the curve
starts at ``min_agents``, the first integer ``k0`` from which the increments
``f(k+1) - f(k)`` never increase again (the concave part) and whose pieces also stay below
the model between the integers (the first piece after the load often does not: it still
holds the convex start of the S), and a model using it must staff an
open interval with at least ``k0`` net agents. Staffing below ``k0`` is an overloaded queue
that no service goal should plan on; the service floor ``min_interval_sl`` usually asks for
more anyway. Closed intervals (``volume`` 0) have ``min_agents`` 0 and a flat curve at 0.

**Past the top.** Breakpoints go up to ``max_agents``, the first integer where the service
level is within 1e-9 of 1 (or a generous search bound ``a + 8 sqrt(a) + 10`` slots); beyond
it the curve stays flat at ``f(max_agents)``, below the model there because ``f`` increases.

Units: ``volume`` contacts per interval, ``interval_s``, ``aht_s``, ``answer_s``,
``patience_s`` seconds; agents are net (productive) agents, not scheduled agents before
shrinkage.

Example:
    >>> c = service_curves([100.0], [180.0], interval_s=1800, answer_s=20)
    >>> int(c.min_agents[0]) <= 11, round(float(c.value([14.0])[0]), 2)
    (True, 88.84)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm_errors import RequirementsError
from scheduling import erlang
from scheduling.channels import CONCURRENCY_CAPACITY, chat_metrics

__all__ = ["ServiceCurves", "service_curves", "concave_start", "CURVE_COLUMNS"]

#: columns of :meth:`ServiceCurves.pieces` (one row per linear piece)
CURVE_COLUMNS = ("interval", "agents", "answered_within", "slope")
_SL_TOP = 1e-9  # breakpoints stop once 1 - SL is this small
_GRID = 16  # points per piece (interior: _GRID - 1) in the check between integers
_CLEAN = 3  # pieces in a row that must pass that check


def concave_start(values: np.ndarray, *, tol: float = 0.0) -> int:
    """First index ``k0`` from which the increments of ``values`` never increase again.

    ``values[k0:]`` is then concave (increments non-increasing, up to ``tol``).

    Example:
        >>> concave_start(np.array([0.0, 0.0, 1.0, 3.0, 4.0, 4.5]))
        2
    """
    v = np.asarray(values, dtype=float)
    if v.size < 3:
        return 0
    d = np.diff(v)
    rising = np.nonzero(d[1:] > d[:-1] + tol)[0]  # increment k+1 above increment k
    return int(rising[-1] + 1) if rising.size else 0


@dataclass(frozen=True)
class ServiceCurves:
    """Concave piecewise-linear service curves of many intervals (one per interval).

    ``volume`` (contacts), ``min_agents`` (``k0``: the curve starts there; a model must staff
    at least this many net agents in the interval), ``max_agents`` (last breakpoint; flat
    beyond), ``offsets`` (interval ``i``'s breakpoint values are
    ``values[offsets[i]:offsets[i + 1]]``, at agents ``min_agents[i] .. max_agents[i]``) and
    ``values`` (expected contacts answered within T at each breakpoint).
    """

    volume: np.ndarray
    min_agents: np.ndarray
    max_agents: np.ndarray
    offsets: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.volume.size)

    def value(self, agents) -> np.ndarray:
        """The curve at ``agents`` net agents per interval (real numbers; NaN below ``min_agents``).

        ``agents`` has one value per interval in its last axis (shape ``(..., len(self))``).

        Example:
            >>> c = service_curves([100.0], [180.0], interval_s=1800, answer_s=20)
            >>> bool(c.value([40.0])[0] <= 100.0)
            True
        """
        x = np.asarray(agents, dtype=float)
        x = np.broadcast_to(x, np.broadcast_shapes(x.shape, self.volume.shape))
        top = self.values[self.offsets[1:] - 1]
        k = np.clip(np.floor(x), self.min_agents, self.max_agents).astype(np.int64)
        at = self.offsets[:-1] + (k - self.min_agents)
        nxt = np.minimum(at + 1, self.offsets[1:] - 1)
        frac = np.clip(x - k, 0.0, 1.0)
        out = self.values[at] + frac * (self.values[nxt] - self.values[at])
        out = np.where(x >= self.max_agents, top, out)
        return np.where(x < self.min_agents - 1e-12, np.nan, out)

    def service_level(self, agents) -> np.ndarray:
        """``value(agents) / volume`` (NaN for closed intervals)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.volume > 0, self.value(agents) / np.where(self.volume > 0, self.volume, 1.0), np.nan)

    def pieces(self) -> pd.DataFrame:
        """One row per linear piece: ``interval, agents, answered_within, slope``.

        The curve of interval ``i`` is the minimum over its rows of
        ``answered_within + slope x (n - agents)`` for ``n >= min_agents[i]``: the cuts a
        linear model adds as ``y_i <= answered_within + slope (n_i - agents)``. The last row of
        each interval has slope 0 (flat beyond ``max_agents``).
        """
        counts = np.diff(self.offsets)
        interval = np.repeat(np.arange(len(self)), counts)
        agents = (np.repeat(self.min_agents, counts)
                  + (np.arange(self.values.size) - np.repeat(self.offsets[:-1], counts)))
        slope = np.zeros(self.values.size)
        inner = np.ones(self.values.size, dtype=bool)
        inner[self.offsets[1:] - 1] = False
        slope[inner] = self.values[np.nonzero(inner)[0] + 1] - self.values[inner]
        return pd.DataFrame({"interval": interval, "agents": agents, "answered_within": self.values,
                             "slope": slope})


def _answered_within(volume, aht_s, agents, *, interval_s, answer_s, patience_s, concurrency,
                     fractional: bool = False) -> np.ndarray:
    """The queueing model's expected contacts answered within ``answer_s`` (offered definition)."""
    if concurrency > 1:
        m = chat_metrics(volume, interval_s, aht_s, agents, answer_s, concurrency=concurrency,
                         patience_s=patience_s, fractional_agents=fractional)
    else:
        m = erlang.metrics(volume, interval_s, aht_s, agents, answer_s, patience_s=patience_s,
                           fractional_agents=fractional)
    return np.asarray(volume, dtype=float) * np.asarray(m["service_level"], dtype=float)


def _first_piece_below(values: np.ndarray, k0: int, volume: float, aht_s: float, *, interval_s: float,
                       answer_s: float, patience_s: float | None, concurrency: int) -> int:
    """Move ``k0`` up past pieces whose chord rises above the model between the integers.

    Concave at the integers is not yet concave between them: the first piece often still
    holds the convex start of the S (e.g. Erlang C from ``n = a``, where SL is 0, to the next
    integer). Each piece from ``k0`` is checked at ``_GRID`` interior points; ``k0`` moves up
    while a piece fails, until ``_CLEAN`` pieces in a row pass (beyond them the function is
    concave; tests/scheduling/test_service_curve.py checks every piece densely).
    """
    last = values.size - 1
    k0 = min(k0, last)
    k, clean = k0, 0
    tol = 1e-12 * max(1.0, volume)
    while k < last and clean < _CLEAN:
        x = k + np.arange(1, _GRID) / _GRID
        chord = values[k] + (x - k) * (values[k + 1] - values[k])
        exact = _answered_within(np.full(x.size, volume), np.full(x.size, aht_s), x, interval_s=interval_s,
                                 answer_s=answer_s, patience_s=patience_s, concurrency=concurrency,
                                 fractional=True)
        if np.any(chord > exact + tol):
            k0, clean = k + 1, 0
        else:
            clean += 1
        k += 1
    return min(k0, last)


def _first_pieces_below(curves: list[np.ndarray], k0: np.ndarray, volume: np.ndarray, aht_s: np.ndarray, *,
                        interval_s: float, answer_s: float, patience_s: float | None, concurrency: int) -> np.ndarray:
    """:func:`_first_piece_below` of many intervals at once (``curves``: each interval's values
    from 0 agents; ``k0``, ``volume``, ``aht_s``: per interval), the same walk per interval but one
    queueing-model call per step for every interval still walking: the bundled sample's 1,248
    goal intervals took 4,167 calls (46 s at load 20) one interval at a time."""
    last = np.array([v.size - 1 for v in curves], dtype=np.int64)
    k0 = np.minimum(np.asarray(k0, dtype=np.int64), last)
    k = k0.copy()
    clean = np.zeros(k.size, dtype=np.int64)
    tol = 1e-12 * np.maximum(1.0, volume)
    frac = np.arange(1, _GRID) / _GRID
    while True:
        act = np.flatnonzero((k < last) & (clean < _CLEAN))
        if not act.size:
            break
        x = k[act][:, None] + frac[None, :]
        lo = np.array([curves[i][k[i]] for i in act])
        hi = np.array([curves[i][k[i] + 1] for i in act])
        chord = lo[:, None] + (x - k[act][:, None]) * (hi - lo)[:, None]
        width = frac.size
        exact = _answered_within(np.repeat(volume[act], width), np.repeat(aht_s[act], width), x.ravel(),
                                 interval_s=interval_s, answer_s=answer_s, patience_s=patience_s,
                                 concurrency=concurrency, fractional=True).reshape(act.size, width)
        fail = np.any(chord > exact + tol[act][:, None], axis=1)
        k0[act[fail]] = k[act[fail]] + 1
        clean[act[fail]] = 0
        clean[act[~fail]] += 1
        k[act] += 1
    return np.minimum(k0, last)


def service_curves(volume, aht_s, *, interval_s: float, answer_s: float, patience_s: float | None = None,
                   concurrency: int = 1) -> ServiceCurves:
    """The concave service curve of each interval (see the module docstring).

    ``volume`` and ``aht_s``: one value per interval (contacts; seconds, for chat the handle
    time of a session handled alone); ``aht_s`` may be NaN where ``volume`` is 0.

    Example:
        >>> c = service_curves([120.0, 0.0], [300.0, np.nan], interval_s=1800, answer_s=60, concurrency=2)
        >>> c.min_agents.tolist()[1], float(c.value([5.0, 5.0])[1])
        (0, 0.0)
    """
    vol = np.atleast_1d(np.asarray(volume, dtype=float))
    aht = np.broadcast_to(np.atleast_1d(np.asarray(aht_s, dtype=float)), vol.shape)
    if vol.ndim != 1:
        raise ValueError(f"volume must be 1-D (one value per interval), got shape {vol.shape}")
    bad = ~np.isfinite(vol) | (vol < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise RequirementsError(f"volume[{i}] = {float(vol[i])!r}: must be finite and >= 0")
    open_ = vol > 0
    bad = open_ & ~(np.isfinite(aht) & (aht > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise RequirementsError(f"aht_s[{i}] = {float(aht[i])!r}: must be > 0 where volume > 0")
    if not interval_s > 0:
        raise RequirementsError(f"interval_s = {interval_s!r}: must be > 0")
    if not answer_s >= 0:
        raise RequirementsError(f"answer_s = {answer_s!r}: must be >= 0")
    c = int(concurrency)
    if c != concurrency or not 1 <= c <= len(CONCURRENCY_CAPACITY):
        raise RequirementsError(f"concurrency = {concurrency!r}: must be a whole number from 1 to {len(CONCURRENCY_CAPACITY)}")
    safe_aht = np.where(open_, aht, 1.0)
    # generous top: the slots' load plus a square-root margin, in agents
    load_slots = vol * safe_aht * (c / CONCURRENCY_CAPACITY[c - 1]) / interval_s
    top = np.where(open_, np.ceil((load_slots + 8.0 * np.sqrt(load_slots) + 10.0) / c), 0).astype(np.int64)
    rows = np.repeat(np.arange(vol.size), top + 1)
    ks = np.arange(rows.size) - np.repeat(np.cumsum(top + 1) - (top + 1), top + 1)
    f = np.zeros(rows.size)
    sel = open_[rows]
    if sel.any():
        f[sel] = _answered_within(vol[rows[sel]], safe_aht[rows[sel]], ks[sel].astype(float), interval_s=interval_s,
                                  answer_s=answer_s, patience_s=patience_s, concurrency=c)
    starts = np.cumsum(top + 1) - (top + 1)
    min_agents = np.zeros(vol.size, dtype=np.int64)
    max_agents = np.zeros(vol.size, dtype=np.int64)
    chunks = []
    cut, starts_at = {}, {}
    for i in range(vol.size):
        values = f[starts[i]:starts[i] + top[i] + 1]
        if not open_[i]:
            continue
        # stop where the service level is within _SL_TOP of 1: the rest is flat (and below the model)
        near = np.nonzero(values >= vol[i] * (1.0 - _SL_TOP))[0]
        last = int(near[0]) if near.size else values.size - 1
        values = values[:last + 1]
        k0 = concave_start(values, tol=1e-12 * max(1.0, vol[i]))
        if patience_s is None:  # Erlang C: SL is 0 up to the load, convex just above it
            k0 = max(k0, int(np.floor(load_slots[i] / c)) + 1)
        cut[i], starts_at[i] = values, k0
    walked = list(cut)
    if walked:
        first = _first_pieces_below([cut[i] for i in walked], np.array([starts_at[i] for i in walked]),
                                    vol[walked], safe_aht[walked], interval_s=interval_s, answer_s=answer_s,
                                    patience_s=patience_s, concurrency=c)
        starts_at = dict(zip(walked, first.tolist()))
    for i in range(vol.size):
        if not open_[i]:
            chunks.append(np.zeros(1))
            continue
        k0, values = int(starts_at[i]), cut[i]
        min_agents[i], max_agents[i] = k0, values.size - 1
        chunks.append(values[k0:])
    counts = np.array([ch.size for ch in chunks], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return ServiceCurves(volume=vol, min_agents=min_agents, max_agents=max_agents, offsets=offsets,
                         values=np.concatenate(chunks) if chunks else np.zeros(0))

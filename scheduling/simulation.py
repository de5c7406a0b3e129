"""Discrete-event simulation of a FIFO queue with time-varying staffing.

The independent check on :mod:`scheduling.erlang` and :mod:`scheduling.channels`, and the
way to see the spread of a roster's service level. Units: seconds.

Model: intervals of ``interval_s`` seconds; in interval ``i`` contacts arrive as a Poisson
process at rate ``calls[i] / interval_s``; ``agents[i]`` agents are staffed, each with
``concurrency`` session slots (a contact occupies one slot). Handle times are exponential
with mean ``aht_s`` of the interval the contact arrived in, or lognormal with that mean and
coefficient of variation ``handle_cv``. Patience is exponential with mean ``patience_s`` (None:
nobody abandons). Service is first come, first served.

Algorithm (exact for this model, no event calendar): because an abandoning contact never
holds a slot, FIFO start times can be found contact by contact in arrival order from the
multiset of slot-free times (a binary heap). A contact starts at ``max(arrival, earliest free
slot)``; it abandons when that wait exceeds its patience. Staffing changes are applied at
interval boundaries, lazily, once every later contact must start after the boundary: slots
added become free at the boundary; the slots removed are a uniformly random set of those on
duty, because the roster, not what an agent is doing, says whose shift ends (an idle agent
leaves at the boundary, a busy one after the contact in hand). Removing the slots free
earliest instead would keep the slots busy longest on duty, a queue started behind every cut
in staffing: on the US bank's afternoons, where staffing falls every hour, that read 0.1-0.3
below Erlang C at the same staffing. After the last interval
the last staffing stays on until the queue has drained. Statistics are by arrival interval;
occupancy is busy slot time of agents on duty inside the interval / staffed slot time (a
contact finished after its agent's shift ended is overtime, not counted).

Example:
    >>> import numpy as np
    >>> res = simulate(np.full(4, 100.0), np.full(4, 14), interval_s=1800, aht_s=180,
    ...                answer_s=20, replications=5, seed=1)
    >>> 0.8 < res.overall["service_level"] < 0.97
    True
"""

from __future__ import annotations

import heapq
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wfm_errors import RequirementsError
from scheduling.channels import session_handle_s

__all__ = ["simulate", "SimulationResult", "simulate_paths", "PathCounts"]

# who leaves when staffing falls is drawn from its own stream, so arrivals and handle times
# stay those of the same seed
LEAVING_STREAM = 1


@dataclass(frozen=True)
class SimulationResult:
    """Per-interval and overall results over all replications.

    ``per_interval`` columns: ``interval, offered, answered, abandoned, service_level, asa_s,
    occupancy`` (means over replications; counts are per replication) and
    ``service_level_p10, service_level_p50, service_level_p90`` (spread across replications).
    ``overall``: ``service_level, asa_s, abandon_rate, occupancy`` (pooled over all
    replications) and each with ``_p10/_p50/_p90`` across replications, plus ``offered`` (mean
    contacts per replication) and ``replications``.
    """

    per_interval: pd.DataFrame
    overall: dict[str, float] = field(default_factory=dict)


def _vec(name: str, value, size: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.shape != (size,):
        raise ValueError(f"{name} must be a scalar or have one value per interval ({size}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise RequirementsError(f"{name} must be finite")
    return arr


def simulate(
    calls,
    agents,
    *,
    interval_s: float,
    aht_s,
    answer_s: float,
    patience_s: float | None = None,
    handle_dist: str = "exponential",
    handle_cv: float = 1.0,
    concurrency: int = 1,
    replications: int = 20,
    seed: int = 0,
) -> SimulationResult:
    """Simulate ``replications`` runs of the queue over the intervals; see the module docstring.

    ``calls`` expected arrivals per interval and ``agents`` staffed agents per interval
    (1-D arrays of the same length); ``aht_s`` scalar or per interval (seconds; for
    ``concurrency > 1`` the handle time of a session handled alone, slowed down as in
    :func:`scheduling.channels.session_handle_s`); ``answer_s`` service-level threshold;
    ``patience_s`` mean patience or None; ``handle_dist`` ``"exponential"`` or
    ``"lognormal"`` (with ``handle_cv``).
    """
    calls, agents, aht = _checked(calls, agents, interval_s=interval_s, aht_s=aht_s, answer_s=answer_s,
                                  patience_s=patience_s, handle_dist=handle_dist, handle_cv=handle_cv,
                                  concurrency=concurrency, replications=replications)
    concurrency = int(concurrency)
    mean_h = aht * session_handle_s(1.0, concurrency=concurrency)
    slots = (agents * concurrency).astype(np.int64)
    tally = _replicate(calls, mean_h, slots, interval_s=interval_s, answer_s=answer_s, patience_s=patience_s,
                       handle_dist=handle_dist, handle_cv=handle_cv, replications=replications, seed=seed)
    return _summarised(tally, staffed=slots * float(interval_s), replications=replications)


def _checked(calls, agents, *, interval_s, aht_s, answer_s, patience_s, handle_dist, handle_cv, concurrency,
             replications) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`simulate`'s arguments checked: calls, agents and handle times (s) as arrays per
    interval; raises :class:`wfm_errors.RequirementsError` naming the value out of range."""
    calls = np.asarray(calls, dtype=float)
    if calls.ndim != 1 or calls.size == 0:
        raise ValueError(f"calls must be a non-empty 1-D array, got shape {calls.shape}")
    n_int = calls.size
    if not np.all(np.isfinite(calls)) or np.any(calls < 0):
        raise RequirementsError("calls must be finite and >= 0")
    agents = _vec("agents", agents, n_int)
    if np.any(agents < 0) or np.any(agents != np.floor(agents)):
        raise RequirementsError("agents must be whole numbers >= 0")
    if not interval_s > 0:
        raise RequirementsError(f"interval_s = {interval_s!r}: must be > 0")
    aht = _vec("aht_s", aht_s, n_int)
    if np.any(aht <= 0):
        raise RequirementsError("aht_s must be > 0")
    if answer_s < 0:
        raise RequirementsError(f"answer_s = {answer_s!r}: must be >= 0")
    if patience_s is not None and not patience_s > 0:
        raise RequirementsError(f"patience_s = {patience_s!r}: must be > 0 or None")
    if handle_dist not in ("exponential", "lognormal"):
        raise RequirementsError(f"handle_dist = {handle_dist!r}: must be 'exponential' or 'lognormal'")
    if not handle_cv > 0:
        raise RequirementsError(f"handle_cv = {handle_cv!r}: must be > 0")
    if int(concurrency) != concurrency or concurrency < 1:
        raise RequirementsError(f"concurrency = {concurrency!r}: must be a whole number >= 1")
    if int(replications) != replications or replications < 1:
        raise RequirementsError(f"replications = {replications!r}: must be a whole number >= 1")
    return calls, agents, aht


@dataclass(frozen=True)
class _Tally:
    """Per replication (rows) and interval (columns): contacts offered, answered, abandoned and
    answered within ``answer_s``; the seconds waited by the answered; agent-seconds busy."""

    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    within: np.ndarray
    wait_sum: np.ndarray
    busy: np.ndarray


def _replicate(calls: np.ndarray, mean_h: np.ndarray, slots: np.ndarray, *, interval_s: float, answer_s: float,
               patience_s: float | None, handle_dist: str, handle_cv: float, replications: int, seed: int) -> _Tally:
    """``replications`` runs of the queue (Poisson arrivals, FIFO over ``slots`` servers per
    interval, handle times of mean ``mean_h`` seconds), counted per interval."""
    n_int = calls.size
    rng = np.random.default_rng(seed)
    leaving = np.random.default_rng([seed, LEAVING_STREAM])
    shape = (replications, n_int)
    offered = np.zeros(shape)
    answered = np.zeros(shape)
    abandoned = np.zeros(shape)
    within = np.zeros(shape)
    wait_sum = np.zeros(shape)
    busy = np.zeros(shape)
    for r in range(replications):
        counts = rng.poisson(calls)
        k = int(counts.sum())
        which = np.repeat(np.arange(n_int), counts)
        arrivals = (which + rng.random(k)) * interval_s
        order = np.argsort(arrivals, kind="stable")
        arrivals, which = arrivals[order], which[order]
        h = mean_h[which]
        if handle_dist == "exponential":
            handle = rng.exponential(1.0, k) * h
        else:
            sigma2 = math.log1p(handle_cv**2)
            handle = h * np.exp(rng.normal(-sigma2 / 2.0, math.sqrt(sigma2), k))
        patience = (rng.exponential(patience_s, k) if patience_s is not None else np.full(k, np.inf))
        start, overtime = _fifo(arrivals, handle, patience, slots, float(interval_s), leaving)
        served = np.isfinite(start)
        wait = np.where(served, start - arrivals, np.nan)
        offered[r] = counts
        answered[r] = np.bincount(which[served], minlength=n_int)
        abandoned[r] = counts - answered[r]
        within[r] = np.bincount(which[served & (wait <= answer_s)], minlength=n_int)
        wait_sum[r] = np.bincount(which[served], weights=wait[served], minlength=n_int)
        busy[r] = (_busy_per_interval(start[served], start[served] + handle[served], n_int, interval_s)
                   - _busy_per_interval(overtime[:, 0], overtime[:, 1], n_int, interval_s))
    return _Tally(offered, answered, abandoned, within, wait_sum, busy)


def _summarised(tally: _Tally, *, staffed: np.ndarray, replications: int) -> SimulationResult:
    """Means and P10/P50/P90 per interval and over the horizon; ``staffed``: server-seconds per interval."""
    offered, answered, abandoned = tally.offered, tally.answered, tally.abandoned
    within, wait_sum, busy = tally.within, tally.wait_sum, tally.busy
    n_int = offered.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        sl_rep = np.where(offered > 0, within / offered, np.nan)
        occ_rep = np.where(staffed > 0, busy / staffed, np.nan)
        asa_rep = np.where(answered > 0, wait_sum / answered, np.nan)
        per = pd.DataFrame({
            "interval": np.arange(n_int),
            "offered": offered.mean(axis=0),
            "answered": answered.mean(axis=0),
            "abandoned": abandoned.mean(axis=0),
            "service_level": _ratio(within.sum(0), offered.sum(0)),
            "asa_s": _ratio(wait_sum.sum(0), answered.sum(0)),
            "occupancy": _ratio(busy.sum(0), staffed * replications),
        })
        q = _nanq(sl_rep, axis=0)
        per["service_level_p10"], per["service_level_p50"], per["service_level_p90"] = q
        per["asa_p50"] = _nanq(asa_rep, axis=0)[1]
        per["occupancy_p50"] = _nanq(occ_rep, axis=0)[1]

        tot_off, tot_ans = offered.sum(1), answered.sum(1)
        rep = {
            "service_level": _ratio(within.sum(1), tot_off),
            "asa_s": _ratio(wait_sum.sum(1), tot_ans),
            "abandon_rate": _ratio(abandoned.sum(1), tot_off),
            "occupancy": _ratio(busy.sum(1), np.full(replications, staffed.sum())),
        }
    overall: dict[str, float] = {
        "service_level": float(_ratio(within.sum(), offered.sum())),
        "asa_s": float(_ratio(wait_sum.sum(), answered.sum())),
        "abandon_rate": float(_ratio(abandoned.sum(), offered.sum())),
        "occupancy": float(_ratio(busy.sum(), staffed.sum() * replications)),
        "offered": float(offered.sum(1).mean()),
        "replications": float(replications),
    }
    for name, values in rep.items():
        p10, p50, p90 = _nanq(np.asarray(values, dtype=float), axis=0)
        overall[f"{name}_p10"], overall[f"{name}_p50"], overall[f"{name}_p90"] = float(p10), float(p50), float(p90)
    return SimulationResult(per_interval=per, overall=overall)


@dataclass(frozen=True)
class PathCounts:
    """Counts per scenario (rows) and interval (columns) of :func:`simulate_paths`: contacts
    ``offered``, ``answered``, ``within`` (answered within ``answer_s``) and ``abandoned``."""

    offered: np.ndarray
    answered: np.ndarray
    within: np.ndarray
    abandoned: np.ndarray


def simulate_paths(
    calls,
    agents,
    *,
    interval_s: float,
    aht_s,
    answer_s: float,
    patience_s: float | None = None,
    concurrency: int = 1,
    seed: int = 0,
) -> PathCounts:
    """One run of the queue per row of ``calls`` (scenarios x intervals: each scenario's expected
    arrivals per interval), all with the same ``agents`` per interval; the model of
    :func:`simulate` (Poisson arrivals at each scenario's rates, exponential handle times,
    FIFO). Returns the counts per scenario and interval, seeded.

    Example:
        >>> counts = simulate_paths(np.array([[20.0], [2000.0]]), [30], interval_s=1800, aht_s=180, answer_s=20)
        >>> (counts.within / counts.offered).round(1)[:, 0].tolist()
        [1.0, 0.0]
    """
    calls = np.asarray(calls, dtype=float)
    if calls.ndim != 2 or calls.size == 0:
        raise ValueError(f"calls must be a non-empty 2-D array (scenarios x intervals), got shape {calls.shape}")
    if not np.all(np.isfinite(calls)) or np.any(calls < 0):
        raise RequirementsError("calls must be finite and >= 0")
    n_int = calls.shape[1]
    agents = _vec("agents", agents, n_int)
    if np.any(agents < 0) or np.any(agents != np.floor(agents)):
        raise RequirementsError("agents must be whole numbers >= 0")
    aht = _vec("aht_s", aht_s, n_int)
    if np.any(aht <= 0):
        raise RequirementsError("aht_s must be > 0")
    if not interval_s > 0:
        raise RequirementsError(f"interval_s = {interval_s!r}: must be > 0")
    if patience_s is not None and not patience_s > 0:
        raise RequirementsError(f"patience_s = {patience_s!r}: must be > 0 or None")
    if int(concurrency) != concurrency or concurrency < 1:
        raise RequirementsError(f"concurrency = {concurrency!r}: must be a whole number >= 1")
    mean_h = aht * session_handle_s(1.0, concurrency=int(concurrency))
    slots = (agents * int(concurrency)).astype(np.int64)
    rng = np.random.default_rng(seed)
    leaving = np.random.default_rng([seed, LEAVING_STREAM])
    shape = calls.shape
    offered, answered, within = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for r in range(shape[0]):
        counts = rng.poisson(calls[r])
        k = int(counts.sum())
        which = np.repeat(np.arange(n_int), counts)
        arrivals = (which + rng.random(k)) * interval_s
        order = np.argsort(arrivals, kind="stable")
        arrivals, which = arrivals[order], which[order]
        handle = rng.exponential(1.0, k) * mean_h[which]
        patience = rng.exponential(patience_s, k) if patience_s is not None else np.full(k, np.inf)
        start, _overtime = _fifo(arrivals, handle, patience, slots, float(interval_s), leaving)
        served = np.isfinite(start)
        offered[r] = counts
        answered[r] = np.bincount(which[served], minlength=n_int)
        within[r] = np.bincount(which[served & (start - arrivals <= answer_s)], minlength=n_int)
    return PathCounts(offered=offered, answered=answered, within=within, abandoned=offered - answered)


def _ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _nanq(values: np.ndarray, axis: int):
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        shape = np.delete(values.shape, axis) if values.ndim else ()
        return tuple(np.full(shape, np.nan) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanpercentile(values, [10, 50, 90], axis=axis)
    return q[0], q[1], q[2]


def _fifo(arrivals: np.ndarray, handle: np.ndarray, patience: np.ndarray, slots: np.ndarray,
          interval_s: float, leaving: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Start time of each contact (inf when it abandons) under FIFO with time-varying slots;
    ``leaving`` draws which slots go when staffing falls (see the module docstring). Also
    returns the overtime: (from, to) seconds of each contact finished by an agent whose shift
    ended at ``from`` (work off duty, outside the staffed time occupancy is measured on)."""
    n_int = slots.size
    heap = [0.0] * int(slots[0])
    next_b = 1  # index of the next boundary not yet applied
    bound_time = interval_s
    inf = math.inf
    heappush, heapreplace = heapq.heappush, heapq.heapreplace
    slot_list = slots.tolist()
    arr_list = arrivals.tolist()
    handle_list = handle.tolist()
    pat_list = patience.tolist()
    res = [inf] * arrivals.size  # a list: element writes are faster than into numpy
    overtime: list[tuple[float, float]] = []
    for i in range(len(arr_list)):
        t = arr_list[i]
        while True:
            free = heap[0] if heap else inf
            s = t if t > free else free
            if next_b < n_int and s >= bound_time:
                # every later contact starts after this boundary: apply it
                change = slot_list[next_b] - slot_list[next_b - 1]
                if change > 0:
                    for _ in range(change):
                        heappush(heap, bound_time)
                elif change < 0:
                    gone = set(leaving.choice(len(heap), size=-change, replace=False).tolist())
                    overtime.extend((bound_time, heap[k]) for k in gone if heap[k] > bound_time)
                    heap = [free_at for k, free_at in enumerate(heap) if k not in gone]
                    heapq.heapify(heap)
                next_b += 1
                bound_time = next_b * interval_s
                continue
            break
        if s == inf or s - t > pat_list[i]:
            continue
        res[i] = s
        heapreplace(heap, s + handle_list[i])
    return np.array(res), np.array(overtime, dtype=float).reshape(-1, 2)


def _busy_per_interval(start: np.ndarray, end: np.ndarray, n_int: int, interval_s: float) -> np.ndarray:
    """Busy slot-seconds falling inside each interval [i*interval_s, (i+1)*interval_s)."""
    bounds = np.arange(n_int + 1) * interval_s
    start = np.sort(start)
    end = np.sort(end)

    def cum_min(values: np.ndarray) -> np.ndarray:
        # sum_i min(values_i, b) for every boundary b
        csum = np.concatenate([[0.0], np.cumsum(values)])
        k = np.searchsorted(values, bounds, side="left")
        return csum[k] + bounds * (values.size - k)

    work_by = cum_min(end) - cum_min(start)
    return np.diff(work_by)

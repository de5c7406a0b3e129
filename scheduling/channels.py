"""Channel models beyond voice: chat/messaging concurrency and deferred work.

Chat and messaging (immediate, several sessions per agent)
----------------------------------------------------------
Model: an agent working ``c`` sessions at once has ``c`` session slots, and every session
is slowed down by the concurrency rule of thumb of FIELD.md: ``c`` sessions give an effective
capacity of ``CONCURRENCY_CAPACITY[c]`` = 1, 1.7, 2.5, 2.9, 3.5 "single sessions' worth" of
work for c = 1..5. So a session whose handle time is ``aht_s`` when handled alone takes
``aht_s * c / capacity(c)`` at concurrency ``c`` (:func:`session_handle_s`). The queue is then
an M/M/(n*c) queue (Erlang C, or Erlang A with patience) of slots with that inflated session
time; ``n`` agents give ``n*c`` slots, so the fewest agents are ``ceil(fewest slots / c)``.
It is conservative: it charges the full slow-down even when an agent holds fewer sessions.
:func:`scheduling.simulation.simulate` with ``concurrency=c`` simulates exactly this slot
model contact by contact and is the check on the formulas (tests/scheduling/test_channels.py).
``aht_s`` in :mod:`scheduling.requirements` for chat is the single-session handle time.

Deferred work (email, social, back office)
------------------------------------------
Work arriving in an open interval is ``volume * aht_s / 60`` agent-minutes
(:func:`deferred_workload_minutes`) and each item must be finished within ``due_minutes`` of
*open* time after its arrival (closed time does not count). The scheduler gets the workload
per interval and the due window; without a scheduler, :func:`deferred_required_agents` gives
the smallest constant staffing per open period (a run of consecutive open intervals) that
finishes every item in time: items are worked first in, first out as a fluid at one
agent-minute per agent per minute and the work of an interval arrives at its start. Periods
are solved in time order: a period's staffing is the smallest whole number of agents such
that every item that has arrived by the end of the period finishes by its due time when that
staffing goes on (through later open time) - found by bisection over an exact backlog
simulation. Under FIFO later arrivals never delay earlier items, so this is exact, no period
pushes work onto later ones beyond its own pace, and backlog is carried into the next period
(whose staffing is checked against the carried items again).

Example:
    >>> int(chat_required_agents(120, 1800, 300, 60, 0.8, concurrency=2))
    14
    >>> deferred_required_agents([600.0, 0.0, 0.0, 0.0], interval_minutes=60, due_minutes=240).tolist()
    [3, 3, 3, 3]
"""

from __future__ import annotations

import numpy as np

from wfm_errors import RequirementsError
from scheduling import erlang

__all__ = [
    "CONCURRENCY_CAPACITY",
    "IMMEDIATE_CHANNELS",
    "DEFERRED_CHANNELS",
    "CONCURRENT_CHANNELS",
    "session_handle_s",
    "chat_metrics",
    "chat_required_agents",
    "deferred_workload_minutes",
    "deferred_required_agents",
]

IMMEDIATE_CHANNELS = ("voice", "chat", "messaging")
DEFERRED_CHANNELS = ("email", "social", "backoffice")
#: the immediate channels whose agents hold several sessions at once (``concurrency``)
CONCURRENT_CHANNELS = ("chat", "messaging")
#: effective capacity (in single sessions' worth of work) of an agent holding 1..5 sessions
CONCURRENCY_CAPACITY = (1.0, 1.7, 2.5, 2.9, 3.5)


def _capacity(concurrency) -> float:
    if int(concurrency) != concurrency or not 1 <= concurrency <= len(CONCURRENCY_CAPACITY):
        raise RequirementsError(f"concurrency = {concurrency!r}: must be a whole number from 1 to {len(CONCURRENCY_CAPACITY)}")
    return CONCURRENCY_CAPACITY[int(concurrency) - 1]


def session_handle_s(aht_s, *, concurrency: int):
    """Handle time (seconds) of one session at ``concurrency``: ``aht_s * c / capacity(c)``.

    Example:
        >>> round(session_handle_s(300.0, concurrency=2), 1)
        352.9
    """
    factor = int(concurrency) / _capacity(concurrency)
    if np.ndim(aht_s):
        return np.asarray(aht_s, dtype=float) * factor
    return float(aht_s) * factor


def chat_metrics(calls, interval_s, aht_s, agents, answer_s, *, concurrency: int, patience_s=None,
                 sl_definition: str = "offered", short_abandon_s=0.0,
                 fractional_agents: bool = False) -> dict[str, np.ndarray]:
    """:func:`scheduling.erlang.metrics` for ``agents`` agents with ``concurrency`` slots each.

    ``fractional_agents``: as in :func:`scheduling.erlang.metrics` (interpolation between whole agents).

    ``traffic_erlangs`` is in busy slots, ``occupancy`` is slot occupancy.

    Example:
        >>> r = chat_metrics(120, 1800, 300, 14, 60, concurrency=2)
        >>> float(r["service_level"]) >= 0.8
        True
    """
    c = int(concurrency)
    _capacity(c)
    agents = np.asarray(agents, dtype=float)
    return erlang.metrics(calls, interval_s, session_handle_s(aht_s, concurrency=c), agents * c, answer_s,
                          patience_s=patience_s, sl_definition=sl_definition, short_abandon_s=short_abandon_s,
                          fractional_agents=fractional_agents)


def chat_required_agents(calls, interval_s, aht_s, answer_s, target_sl, *, concurrency: int,
                         max_occupancy=1.0, patience_s=None, max_asa_s=None, max_abandon=None,
                         sl_definition: str = "offered", short_abandon_s=0.0) -> np.ndarray:
    """Fewest agents (int array) with ``concurrency`` sessions each meeting every target.

    Example:
        >>> int(chat_required_agents(120, 1800, 300, 60, 0.8, concurrency=1))
        24
    """
    c = int(concurrency)
    _capacity(c)
    slots = erlang.required_agents(calls, interval_s, session_handle_s(aht_s, concurrency=c), answer_s, target_sl,
                                   max_occupancy=max_occupancy, patience_s=patience_s, max_asa_s=max_asa_s,
                                   max_abandon=max_abandon, sl_definition=sl_definition,
                                   short_abandon_s=short_abandon_s)
    return (slots + c - 1) // c


def deferred_workload_minutes(volume, aht_s) -> np.ndarray:
    """Agent-minutes of work: ``volume * aht_s / 60``.

    Example:
        >>> float(deferred_workload_minutes(30, 240))
        120.0
    """
    return np.asarray(volume, dtype=float) * np.asarray(aht_s, dtype=float) / 60.0


def deferred_required_agents(workload_minutes, *, interval_minutes: float, due_minutes: float,
                             period=None) -> np.ndarray:
    """Smallest constant staffing per open period that finishes every item within ``due_minutes``.

    ``workload_minutes``: agent-minutes arriving at the start of each OPEN interval, in time
    order (closed intervals left out); ``period``: a label per open interval, equal for the
    intervals of one open period (default: one period). Returns the agents per interval
    (int array, equal within a period). See the module docstring for the model.

    Example:
        >>> deferred_required_agents([120.0, 0, 0, 0], interval_minutes=30, due_minutes=60).tolist()
        [2, 2, 2, 2]
    """
    work = np.asarray(workload_minutes, dtype=float)
    if work.ndim != 1:
        raise ValueError(f"workload_minutes must be 1-D, got shape {work.shape}")
    bad = ~np.isfinite(work) | (work < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise RequirementsError(f"workload_minutes[{i}] = {work[i]!r}: must be finite and >= 0")
    if not interval_minutes > 0:
        raise RequirementsError(f"interval_minutes = {interval_minutes!r}: must be > 0")
    if not due_minutes > 0:
        raise RequirementsError(f"due_minutes = {due_minutes!r}: must be > 0")
    n = work.size
    labels = np.zeros(n, dtype=np.int64) if period is None else np.asarray(period)
    if labels.shape != (n,):
        raise ValueError(f"period must have one label per interval ({n}), got shape {labels.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    dt = float(interval_minutes)
    cum = np.cumsum(work)  # Arr_i: work arrived up to and including interval i
    due_time = np.arange(n) * dt + float(due_minutes)  # open-clock due time of each batch
    starts = np.concatenate([[0], np.nonzero(labels[1:] != labels[:-1])[0] + 1, [n]])
    staff = np.zeros(n, dtype=np.int64)
    done_at_start = 0.0  # work finished (agent-minutes) at the start of the current period
    for p0, p1 in zip(starts[:-1], starts[1:]):
        p0, p1 = int(p0), int(p1)
        # every item that has arrived by the end of this period and is not yet due at its start
        check = np.nonzero(due_time[:p1] > p0 * dt + 1e-9)[0]

        def run(s: float) -> np.ndarray:
            d0 = np.empty(p1 - p0 + 1)
            d0[0] = done_at_start
            for k in range(p1 - p0):
                d0[k + 1] = min(cum[p0 + k], d0[k] + s * dt)
            return d0

        def ok(s: float) -> bool:
            if check.size == 0:
                return True
            d0 = run(s)
            t = due_time[check]
            inside = t < p1 * dt
            m = np.clip(((t - p0 * dt) // dt).astype(np.int64), 0, p1 - p0 - 1)
            done_inside = np.minimum(cum[p0 + m], d0[m] + s * (t - (p0 + m) * dt))
            # after the period the same level goes on; later arrivals queue behind (FIFO)
            done_after = np.minimum(cum[p1 - 1], d0[-1] + s * (t - p1 * dt))
            done = np.where(inside, done_inside, done_after)
            return bool(np.all(done >= cum[check] * (1 - 1e-12) - 1e-9))

        lo, hi = -1, 1
        while not ok(hi):
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        staff[p0:p1] = hi
        done_at_start = run(float(hi))[-1]
    return staff

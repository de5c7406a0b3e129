"""What the pages draw from the same data, drawn once per server process: figures and grid rows
keyed by the *content* of the frames they are drawn from.

A page load rebuilds its figures (plotly's figure objects cost tens of milliseconds each, a
roster timeline hundreds) although most pages show the same stored plan to every user, over and
over. :func:`cached` keys a builder's result by the builder's name, a hash of every input
frame's values, columns and dtypes, and its options: the same data gives the same figure without
building it again, and anything that changes the data (a new plan or version, a republished
plan, a replaced or deleted dataset, new actuals, a renamed scenario) changes the key, so there
is nothing to invalidate. Results are shared by the server's threads: callers treat them as
read-only (a figure or rows handed to a Dash component, which only serialises them).

Example:
    >>> import pandas as pd
    >>> calls = []
    >>> def build(frame, *, scale):
    ...     calls.append(1)
    ...     return int(frame["x"].sum()) * scale
    >>> frame = pd.DataFrame({"x": [1, 2]})
    >>> cached("sum", build, frame, scale=2), cached("sum", build, frame.copy(), scale=2), len(calls)
    (6, 6, 1)
    >>> cached("sum", build, pd.DataFrame({"x": [1, 3]}), scale=2), len(calls)
    (8, 2)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable, TypeVar

import pandas as pd

T = TypeVar("T")
CACHE_ENTRIES = 256  # figures and grids kept per server process (least recently used dropped first)

_ENTRIES: OrderedDict[tuple, Any] = OrderedDict()
_LOCK = threading.Lock()
_BUILDING: dict[tuple, threading.Lock] = {}  # per key while it is built: one thread builds, the others wait for it
_STATS = {"hits": 0, "misses": 0}


def frame_key(frame: pd.DataFrame | None) -> str:
    """A digest of ``frame``'s columns, dtypes, index and values (``"none"`` for None): equal
    frames give equal keys; any changed value, row, column or dtype gives another."""
    if frame is None:
        return "none"
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(str(len(frame)).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def _option_key(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return ("frame", frame_key(value))
    if isinstance(value, (list, tuple)):
        return tuple(_option_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _option_key(v)) for k, v in value.items()))
    hash(value)  # a TypeError here names an option that cannot be part of a key
    return (type(value).__name__, value)


def cached(name: str, build: Callable[..., T], *frames: pd.DataFrame | None, **options: Any) -> T:
    """``build(*frames, **options)``, or the result of an earlier call with equal ``frames``
    (by content) and ``options`` under the same ``name``. ``name`` names the builder (two
    builders must not share one)."""
    key = (name, tuple(frame_key(f) for f in frames), _option_key(options))
    with _LOCK:
        if key in _ENTRIES:
            _ENTRIES.move_to_end(key)
            _STATS["hits"] += 1
            return _ENTRIES[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:  # the threads of a fresh server asking for the same figure at once build it once
        with _LOCK:
            if key in _ENTRIES:
                _ENTRIES.move_to_end(key)
                _STATS["hits"] += 1
                return _ENTRIES[key]
        try:
            value = build(*frames, **options)
        except BaseException:
            with _LOCK:
                _BUILDING.pop(key, None)
            raise
        with _LOCK:  # the entry goes in before the key's lock goes: a later thread finds one or the other
            _STATS["misses"] += 1
            _ENTRIES[key] = value
            _ENTRIES.move_to_end(key)
            while len(_ENTRIES) > CACHE_ENTRIES:
                _ENTRIES.popitem(last=False)
            _BUILDING.pop(key, None)
    return value


def drawn(builder: Callable[..., T], *frames: pd.DataFrame | None, **options: Any) -> T:
    """:func:`cached` under the builder's own name: ``drawn(coverage_figure, coverage, channel="voice")``."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    if "<" in name:
        raise ValueError(f"drawn({name}): a lambda or local function has no stable name; use cached(NAME, ...)")
    return cached(name, builder, *frames, **options)


def stats() -> dict[str, int]:
    """Hits, misses and entries so far in this process."""
    with _LOCK:
        return {**_STATS, "entries": len(_ENTRIES)}


def clear() -> None:
    """Forget every entry (tests)."""
    with _LOCK:
        _ENTRIES.clear()
        _STATS.update(hits=0, misses=0)

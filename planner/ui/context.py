"""Where the app's pages find the store: set once by :func:`planner.ui.app.create_app`.

Background jobs run in forked processes and inherit it. ``store()`` opens a fresh
:class:`planner.store.Store` (cheap: SQLAlchemy pools the connections per URL).

>>> set_store_url("sqlite://"); store_url()
'sqlite://'
"""

from __future__ import annotations

import os

from planner.store import Store, default_url

_state: dict[str, str] = {}
_stores: dict[tuple[str, int], Store] = {}


def set_store_url(url: str) -> None:
    _state["url"] = url


def store_url() -> str:
    return _state.get("url") or default_url()


def store() -> Store:
    """The app's store: one engine per URL and process (a background job forks; database
    connections are never shared across the fork)."""
    key = (store_url(), os.getpid())
    if key not in _stores:
        _stores[key] = Store.open(key[0])
    return _stores[key]

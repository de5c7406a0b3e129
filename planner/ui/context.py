"""Where the app's pages find the store: set once by :func:`planner.ui.app.create_app`.

Background jobs run in forked processes and inherit it. ``store()`` opens a fresh
:class:`planner.store.Store` (cheap: SQLAlchemy pools the connections per URL).

>>> set_store_url("sqlite://"); store_url()
'sqlite://'
"""

from __future__ import annotations

from planner.store import Store, default_url

_state: dict[str, str] = {}
_stores: dict[str, Store] = {}


def set_store_url(url: str) -> None:
    _state["url"] = url


def store_url() -> str:
    return _state.get("url") or default_url()


def store() -> Store:
    """The app's store (one engine per URL and process)."""
    url = store_url()
    if url not in _stores:
        _stores[url] = Store.open(url)
    return _stores[url]

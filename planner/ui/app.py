"""The Dash app factory. ``app.py`` at the repository root is the shell that serves it.

Pages live in ``planner/ui/pages/`` and register themselves (``dash.register_page``); they
call :mod:`planner` functions only - no maths, LP models or file parsing in callbacks.
Long jobs (demo import, forecast, schedule, scenarios) run as background callbacks in
separate processes (``dash.DiskcacheManager``) so the server keeps answering.

Security (:mod:`planner.ui.auth`): with accounts in the store every request needs a signed-in
account (sign-in page, or HTTP Basic for scripts) whose role allows the page or callback; without
accounts the app answers this machine only. Request bodies, gzip uploads and grids are
size-limited; uploads are only parsed (:func:`planner.io.validate_history`). ``planner app`` serves
it with gunicorn (Dash's development server only with ``--debug``).

Example:
    >>> app = create_app("sqlite://")          # doctest: +SKIP
    >>> app.run(host=DEFAULT_HOST, port=DEFAULT_PORT)   # doctest: +SKIP
"""

from __future__ import annotations

import hmac
import os
import tempfile
from pathlib import Path

import dash
import flask
from dash import dcc, html

from planner.store import Store, default_url
from planner.ui import context

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
NAV = (
    ("Overview", "/"),
    ("Data", "/data"),
    ("Forecast", "/forecast"),
    ("Staffing", "/staffing"),
    ("Schedule", "/schedule"),
    ("Scenarios", "/scenarios"),
    ("Capacity", "/capacity"),
    ("Intraday", "/intraday"),
    ("Roster", "/roster"),
    ("Audit", "/audit"),
)
AUTH_USER_ENV = "PLANNER_AUTH_USER"
AUTH_PASSWORD_ENV = "PLANNER_AUTH_PASSWORD"
ASSETS_FOLDER = Path(__file__).resolve().parent / "assets"


def datasets_table(store: Store) -> list[dict]:
    """The stored datasets as table rows: name, kind, rows, interval, date range, channels."""
    from planner.ui.views import datasets_rows

    return datasets_rows(store)


def _install_basic_auth(server: flask.Flask, user: str, password: str) -> None:
    """Every request needs HTTP basic auth with ``user``/``password`` (constant-time compare)."""

    @server.before_request
    def _require_login():
        auth = flask.request.authorization
        if auth is not None and auth.type == "basic":
            ok_user = hmac.compare_digest((auth.username or "").encode(), user.encode())
            ok_password = hmac.compare_digest((auth.password or "").encode(), password.encode())
            if ok_user and ok_password:
                return None
        return flask.Response("Login required", 401, {"WWW-Authenticate": 'Basic realm="wfm-planner"'})


def cache_folder() -> Path:
    """Where background jobs and the session key live: ``PLANNER_CACHE_DIR`` or a per-user temp folder."""
    folder = Path(os.environ.get("PLANNER_CACHE_DIR") or Path(tempfile.gettempdir()) / f"wfm-planner-jobs-{os.getuid()}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _background_manager() -> dash.DiskcacheManager:
    import diskcache

    return dash.DiskcacheManager(diskcache.Cache(str(cache_folder())))


def navbar(user=None) -> html.Nav:
    """The links ``user`` may open (all without a user), who is signed in, and sign-out."""
    from planner.ui.auth import PAGE_PERMISSIONS, SINGLE_USER

    links = [(label, path) for label, path in NAV if user is None or user.can(PAGE_PERMISSIONS.get(path, "read_plan"))]
    items = [html.Span("wfm-planner", className="brand")]
    items += [dcc.Link(label, href=path, id=f"nav-{label.lower()}", className="nav-link") for label, path in links]
    if user is not None and user != SINGLE_USER:
        items += [html.Span(f"{user.name} ({user.role})", id="nav-user", className="nav-user"),
                  html.A("Sign out", href="/logout", id="nav-signout", className="nav-link")]
    elif user is not None:
        items += [html.Span("single-user mode (no accounts)", id="nav-user", className="nav-user")]
    return html.Nav(items, className="navbar")


def _layout() -> html.Div:
    from planner.ui.auth import current_user

    from planner.ui.jobs_board import board

    user = current_user() if flask.has_request_context() else None
    return html.Div([navbar(user), board(), html.Main(dash.page_container, className="page")])


def create_app(store_url: str | None = None) -> dash.Dash:
    """Build the app over the store at ``store_url`` (default: ``PLANNER_DB_URL`` or var/planner.db).

    Basic auth is on when both ``PLANNER_AUTH_USER`` and ``PLANNER_AUTH_PASSWORD`` are set.
    """
    url = store_url or default_url()
    context.set_store_url(url)
    Store.open(url)  # create or upgrade the schema before the first page asks
    app = dash.Dash(
        __name__,
        title="wfm-planner",
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(ASSETS_FOLDER),
        background_callback_manager=_background_manager(),
        suppress_callback_exceptions=True,
    )
    user, password = os.environ.get(AUTH_USER_ENV), os.environ.get(AUTH_PASSWORD_ENV)
    if user and password:
        _install_basic_auth(app.server, user, password)
    from planner.ui import auth, downloads

    auth.Guard(app.server, cache_folder=cache_folder())
    downloads.install(app.server)
    app.layout = _layout
    return app

"""Sign-in, roles and request limits for the web app, checked on the server for every request.

- **Accounts** live in the store (:mod:`planner.accounts`). Browsers sign in on ``/login`` (a
  signed session cookie, HttpOnly, SameSite=Lax); scripts send HTTP Basic with the same accounts.
- **Without any account** the app is a single-user tool: it answers loopback clients only, and
  ``planner app`` refuses a non-loopback ``--host``.
- **Roles**: every page (``PAGE_PERMISSIONS``) and every callback (``CALLBACK_PERMISSIONS``, by the
  ids of the components it changes) needs a permission of :data:`planner.accounts.PERMISSIONS`;
  Dash's page-content callback is checked against the page asked for. A callback this table does
  not know needs ``build`` (managers and admins): new callbacks are closed until listed.
- **Limits**: request bodies over :data:`MAX_REQUEST_BYTES` get 413 before they are read;
  state-changing requests (POST ...) from another origin get 403; uploads are decompressed up to
  :data:`planner.io.MAX_DECOMPRESSED_BYTES`; grids show at most :data:`planner.ui.components.MAX_GRID_ROWS` rows.
- **Who**: every request runs as its account (:func:`planner.store.set_actor`), so the store's audit
  trail names it; background jobs forked by a request inherit it.

Example (scripts):
    curl -u lea:PASSWORD http://HOST:8050/download/roster.csv
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import os
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import flask

from planner.accounts import SIGN_IN_FAILED, User, allowed, authenticate
from planner.store import Store, set_actor
from planner.ui import context
from planner.ui.uploads import UPLOAD_LIMIT_BYTES
from planner.writers import write_once

MAX_REQUEST_BYTES = UPLOAD_LIMIT_BYTES * 4 // 3 + 2 * 1024 * 1024  # a base64 upload in a callback, plus its JSON
SINGLE_USER = User("local", "admin")
SESSION_COOKIE = "planner_session"
BASIC_CACHE_S = 60.0  # a verified Basic password is remembered this long (Argon2 is slow on purpose)

PAGE_PERMISSIONS = {
    "/": "read_plan",
    "/data": "import",
    "/forecast": "read_plan",
    "/staffing": "read_plan",
    "/schedule": "read_plan",
    "/scenarios": "read_plan",
    "/capacity": "read_plan",
    "/intraday": "intraday",
    "/roster": "read_published",
    "/audit": "audit",
}
# where a role lands when it may not read the Overview
HOME_BY_PERMISSION = (("read_plan", "/"), ("read_published", "/roster"), ("intraday", "/intraday"))

CALLBACK_PERMISSIONS = {
    # Overview
    "overview-demo-result": "build", "overview-demo-button": "build", "overview-demo-progress": "build",
    "overview-demo-status": "build",
    # Data
    "data-report": "import", "data-store": "import", "data-name": "import", "data-store-result": "import",
    "datasets": "import", "data-delete-result": "delete",
    "data-columns": "import", "data-mapping": "import", "data-mapping-store": "import", "data-preview-chart": "import",
    # Forecast
    "fc-figure": "read_plan", "fc-backtest-wrap": "read_plan",
    "fc-result": "build", "fc-run": "build", "fc-progress": "build", "fc-status": "build",
    "fc-start": "read_plan", "fc-start-warning": "read_plan",
    # Staffing
    "calc-curve": "read_plan", "calc-error": "read_plan", "calc-results": "read_plan", "staffing-heatmap": "read_plan",
    "staffing-recompute-result": "read_plan", "staffing-forecast-note": "read_plan",
    # Schedule
    "schedule-coverage": "read_plan", "schedule-timeline": "read_plan", "schedule-download": "read_plan",
    "schedule-build-result": "build", "schedule-build": "build", "schedule-progress": "build", "schedule-status": "build",
    "schedule-publish-result": "publish",
    "schedule-interval": "read_plan", "schedule-interval-note": "read_plan", "schedule-timeline-note": "read_plan",
    "schedule-dataset": "read_plan", "schedule-start": "read_plan", "schedule-forecast-note": "read_plan",
    # Scenarios
    # (copying a scenario into the form only reads; running, renaming and deleting store: "scenario")
    "sc-name": "read_plan", "sc-volume": "read_plan", "sc-aht": "read_plan", "sc-target": "read_plan",
    "sc-cost": "read_plan", "sc-other": "read_plan", "sc-goal": "read_plan",
    "sc-result": "scenario", "scenarios-compare": "scenario", "sc-run": "scenario",
    "sc-progress": "scenario", "sc-status": "scenario", "sc-copy": "scenario",
    "sc-manage-result": "scenario", "sc-manage-name": "scenario",
    "sc-frontier-result": "scenario", "sc-frontier": "scenario", "sc-frontier-progress": "scenario",
    "sc-frontier-status": "scenario", "sc-budget-result": "scenario", "sc-budget-run": "scenario",
    "sc-budget-progress": "scenario", "sc-budget-status": "scenario",
    "sc-capacity-result": "scenario", "sc-capacity": "scenario", "sc-capacity-progress": "scenario",
    "sc-capacity-status": "scenario",
    # Intraday (leads run it, including today's actuals)
    "intraday-body": "intraday", "intraday-figure": "intraday", "intraday-upload-result": "intraday",
    # the afternoon re-plan: leads propose it and accept it as a new version of the day's roster
    "replan-body": "intraday", "replan-store": "intraday", "replan-accept-result": "intraday",
    # Roster and Audit
    "roster-grid": "read_published", "audit-grid": "audit",
    # the running-jobs line every page shows
    "jobs-running": None,
    # the plan picker (planner.ui.plan_picker) works in the browser alone: no server callback
}
DEFAULT_CALLBACK_PERMISSION = "build"
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/login", "/_reload-hash")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Denied(Exception):
    """A request the signed-in account may not make (HTTP 403)."""


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def secret_key(folder: Path) -> bytes:
    """The key that signs session cookies: ``PLANNER_SECRET_KEY``, else a random key kept in
    ``folder/secret_key`` (mode 600), shared by the server's worker processes and restarts."""
    if os.environ.get("PLANNER_SECRET_KEY"):
        return os.environ["PLANNER_SECRET_KEY"].encode()
    path = folder / "secret_key"
    write_once(secrets.token_hex(32), path, mode=0o600)  # complete before any worker can read it
    return path.read_text().strip().encode()


def callback_ids(body: dict) -> list[str]:
    """The ids of the components a ``/_dash-update-component`` request would change."""
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    ids = []
    for output in outputs:
        if isinstance(output, list):  # pattern-matching outputs
            ids.extend(_one_id(o) for o in output)
        elif isinstance(output, dict):
            ids.append(_one_id(output))
    return [i for i in ids if i]


def _one_id(output: dict) -> str:
    ident = output.get("id")
    if isinstance(ident, dict):
        return str(ident.get("type") or json.dumps(ident, sort_keys=True))
    return str(ident or "")


def _page_path(body: dict) -> str | None:
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("id") == "_pages_location" and item.get("property") == "pathname":
            return str(item.get("value") or "/")
    return None


def callback_permissions(body: dict) -> list[str]:
    """What a callback request needs: the page's permission for Dash's page-content callback,
    else one permission per changed component (unknown components need ``build``)."""
    ids = callback_ids(body)
    if any(i.startswith("_pages_") for i in ids):
        path = _page_path(body)
        needed = PAGE_PERMISSIONS.get(path.rstrip("/") or "/") if path is not None else None
        return [needed] if needed else []
    needed = []
    for ident in ids:
        permission = CALLBACK_PERMISSIONS.get(ident, DEFAULT_CALLBACK_PERMISSION)
        if permission:
            needed.append(permission)
    return needed


def home_for(user: User) -> str:
    for permission, path in HOME_BY_PERMISSION:
        if user.can(permission):
            return path
    return "/login"


def current_user() -> User | None:
    """The account of this request (None before sign-in, and outside a request)."""
    if not flask.has_app_context():
        return None
    return getattr(flask.g, "planner_user", None)


class Guard:
    """Installs the sign-in pages and the per-request checks on the app's Flask server."""

    def __init__(self, server: flask.Flask, *, cache_folder: Path):
        self.server = server
        self._basic_ok: dict[tuple[str, str], tuple[float, User]] = {}
        self._lock = threading.Lock()
        server.secret_key = secret_key(cache_folder)
        server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                             SESSION_COOKIE_SAMESITE="Lax", MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
                             PERMANENT_SESSION_LIFETIME=12 * 3600, SESSION_REFRESH_EACH_REQUEST=False)
        server.before_request(self.check)
        server.add_url_rule("/login", "planner_login", self.login, methods=["GET", "POST"])
        server.add_url_rule("/logout", "planner_logout", self.logout, methods=["GET", "POST"])
        server.register_error_handler(413, self._too_large)

    # -- who is asking -------------------------------------------------------------------------
    @staticmethod
    def store() -> Store:
        return context.store()

    def _session_user(self, store: Store) -> User | None:
        name = flask.session.get("user")
        if not name:
            return None
        record = store.user(name)
        if record is None or flask.session.get("pwf") != _fingerprint(record["password_hash"]):
            flask.session.clear()  # removed, or the password changed: sign in again
            return None
        return User(record["name"], record["role"])

    def _basic_user(self, store: Store) -> User | None:
        auth = flask.request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None
        key = (auth.username, hashlib.sha256((auth.password or "").encode()).hexdigest())
        now = time.monotonic()
        with self._lock:
            hit = self._basic_ok.get(key)
        if hit and now - hit[0] < BASIC_CACHE_S:
            record = store.user(hit[1].name)
            if record is not None and record["role"] == hit[1].role:
                return hit[1]
        user = authenticate(store, auth.username, auth.password or "")
        if user is not None:
            with self._lock:
                self._basic_ok[key] = (now, user)
        return user

    # -- the check before every request ----------------------------------------------------------
    def check(self):
        request = flask.request
        path = request.path
        if request.method in STATE_CHANGING and not self._same_origin():
            return _plain(403, "cross-origin request refused: state-changing requests must come from this app's own pages")
        store = self.store()
        if store.user_count() == 0:
            if not _loopback(request.remote_addr):
                return _plain(403, "single-user mode answers this machine only: add an account with 'planner users add'")
            flask.g.planner_user = SINGLE_USER
            set_actor(SINGLE_USER.name)
            return None
        if path.startswith(PUBLIC_PREFIXES):
            return None
        user = self._session_user(store) or self._basic_user(store)
        if user is None:
            if request.authorization is not None:
                return _challenge(SIGN_IN_FAILED)
            if request.method == "GET" and (path.rstrip("/") or "/") in PAGE_PERMISSIONS:
                query = request.query_string.decode("latin-1")  # ?plan=ID: the link's plan after sign-in
                return flask.redirect("/login?next=" + quote(f"{path}?{query}" if query else path, safe="/"))
            return _challenge("sign in first (or send HTTP Basic credentials)")
        flask.g.planner_user = user
        set_actor(user.name)
        if request.method == "GET" and path == "/" and not user.can("read_plan"):
            return flask.redirect(home_for(user))
        try:
            self._authorize(user, request)
        except Denied as exc:
            return _plain(403, str(exc))
        return None

    def _authorize(self, user: User, request: flask.Request) -> None:
        path = request.path.rstrip("/") or "/"
        if path == "/_dash-update-component":
            body = request.get_json(silent=True) or {}
            for permission in callback_permissions(body):
                if not user.can(permission):
                    raise Denied(f"{user.name} ({user.role}) may not do this: it needs the '{permission}' permission "
                                 f"({', '.join(callback_ids(body)) or 'unknown callback'})")
            return
        needed = PAGE_PERMISSIONS.get(path)
        if needed and not user.can(needed):
            raise Denied(f"{user.name} ({user.role}) may not open {path}")

    def _same_origin(self) -> bool:
        """A state-changing request must come from this app: its Origin (else Referer) names this
        host. Scripts with HTTP Basic send neither and are allowed; a cookie alone is not enough."""
        request = flask.request
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if not source:
            return request.authorization is not None
        if source == "null":
            return False
        parts = urlsplit(source)
        return parts.netloc == request.host and parts.scheme in ("http", "https")

    # -- pages -------------------------------------------------------------------------------------
    def login(self):
        request = flask.request
        target = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return _login_page(target, message="")
        store = self.store()
        user = authenticate(store, request.form.get("name", ""), request.form.get("password", ""))
        if user is None:
            return _login_page(target, message=SIGN_IN_FAILED), 401
        record = store.user(user.name)
        flask.session.clear()
        flask.session["user"] = user.name
        flask.session["pwf"] = _fingerprint(record["password_hash"])
        flask.session.permanent = True
        set_actor(user.name)
        store.record("sign in", f"user {user.name}")
        return flask.redirect(target if target != "/" else home_for(user))

    def logout(self):
        flask.session.clear()
        response = flask.redirect("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @staticmethod
    def _too_large(_error):
        return _plain(413, f"request body over the server's limit of {MAX_REQUEST_BYTES:,} bytes")


def require(permission: str) -> User:
    """The request's account when it has ``permission``; :class:`Denied` otherwise. For Flask
    routes (downloads); Dash callbacks are checked before they run."""
    user = current_user()
    if user is None or not allowed(user.role, permission):
        raise Denied(f"{user.name if user else 'anonymous'} may not do this: it needs the '{permission}' permission")
    return user


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _plain(status: int, text: str) -> flask.Response:
    return flask.Response(text + "\n", status, {"Content-Type": "text/plain; charset=utf-8"})


def _challenge(text: str) -> flask.Response:
    return flask.Response(text + "\n", 401, {"WWW-Authenticate": 'Basic realm="wfm-planner"',
                                             "Content-Type": "text/plain; charset=utf-8"})


def _login_page(target: str, *, message: str) -> str:
    error = f'<p id="login-error" class="message error">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>wfm-planner - sign in</title>
<link rel="icon" href="/_favicon.ico"><link rel="stylesheet" href="/assets/style.css"></head>
<body><main class="page"><div class="card" style="max-width:360px;margin:60px auto">
<h2>wfm-planner</h2><h3>Sign in</h3>{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{html.escape(target)}">
<p><label>User<br><input id="login-name" name="name" autocomplete="username" required autofocus></label></p>
<p><label>Password<br><input id="login-password" name="password" type="password" autocomplete="current-password" required></label></p>
<p><button id="login-submit" type="submit">Sign in</button></p>
</form></div></main></body></html>"""


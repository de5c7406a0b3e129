"""Accounts and roles: who may do what, salted slow password hashes (Argon2id, argon2-cffi),
sign-in checks with a delay after repeated failures.

Roles (one per account):

- ``admin``: everything, plus accounts and the Audit page;
- ``manager``: imports, forecasts, plan builds, publishing, deleting, scenarios;
- ``finance``: reads plans and costs, creates scenarios; cannot publish or delete;
- ``lead``: reads the published roster and runs intraday.

What each role may do is :data:`PERMISSIONS` (one place); the app and the CLI ask
:func:`allowed`. A wrong password and an unknown user get the same answer
(:data:`SIGN_IN_FAILED`), after the same work (a dummy hash is verified for unknown users).

Example:
    >>> from planner.store import Store
    >>> store = Store.open("sqlite://")
    >>> add_user(store, "ana", role="manager", password="s3cret-pass")
    >>> authenticate(store, "ana", "s3cret-pass").role
    'manager'
    >>> allowed("lead", "publish")
    False
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from wfm_errors import InputError
from planner.store import Store

ROLES = ("admin", "manager", "finance", "lead")
PERMISSIONS: dict[str, frozenset[str]] = {
    # read_plan: pages showing drafts and costs; read_published: the published roster;
    # intraday: the intraday page and its actuals upload; scenario: create scenarios;
    # import/build/publish/delete: change data; audit/users: administration
    "admin": frozenset({"read_plan", "read_published", "intraday", "scenario", "import", "build", "publish", "delete",
                        "audit", "users"}),
    "manager": frozenset({"read_plan", "read_published", "intraday", "scenario", "import", "build", "publish", "delete"}),
    "finance": frozenset({"read_plan", "read_published", "scenario"}),
    "lead": frozenset({"read_published", "intraday"}),
}
SIGN_IN_FAILED = "Sign-in failed: unknown user or wrong password."
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_CHARS = 8
FAILURES_BEFORE_DELAY = 3
FAILURE_WINDOW_S = 15 * 60
MAX_DELAY_S = 8.0

_hasher = PasswordHasher()  # Argon2id with the library's recommended cost (RFC 9106 low-memory profile)
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class User:
    """A signed-in account."""

    name: str
    role: str

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission`` (unknown roles have none)."""
    return permission in PERMISSIONS.get(role, frozenset())


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role {role!r}: not one of {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise InputError(f"user name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-'")
    return name


def check_password(password: str) -> str:
    if not password:
        raise InputError("password: must not be empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"password: {len(password)} characters is shorter than the minimum {MIN_PASSWORD_CHARS}")
    return password


def hash_password(password: str) -> str:
    """A salted Argon2id hash (PHC string, ``$argon2id$...``)."""
    return _hasher.hash(check_password(password))


def add_user(store: Store, name: str, *, role: str, password: str) -> None:
    """Add an account; ``ValueError`` naming the problem (bad name, unknown role, empty or short
    password, duplicate user)."""
    check_name(name)
    check_role(role)
    store.add_user(name, role=role, password_hash=hash_password(password))


def set_password(store: Store, name: str, password: str) -> None:
    check_name(name)
    store.set_password_hash(name, hash_password(password))


def failure_delay_s(failures: int) -> float:
    """Seconds to wait before answering a sign-in after ``failures`` recent failures of the
    same name: none for the first :data:`FAILURES_BEFORE_DELAY`, then 1, 2, 4, ... up to 8."""
    if failures < FAILURES_BEFORE_DELAY:
        return 0.0
    return min(MAX_DELAY_S, 2.0 ** (failures - FAILURES_BEFORE_DELAY))


def authenticate(store: Store, name: str, password: str, *, sleep=time.sleep) -> User | None:
    """The account when ``password`` is right, else None. After repeated failures for ``name``
    (across server processes: they are counted in the store) the answer is delayed."""
    name = str(name or "")[:256]
    now = time.time()
    failures = store.login_failures_since(name, since_s=now - FAILURE_WINDOW_S) if name else 0
    delay = failure_delay_s(failures)
    if delay:
        sleep(delay)
    record = store.user(name) if name else None
    try:
        _hasher.verify(record["password_hash"] if record else _DUMMY_HASH, password or "")
        ok = record is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if name:
            store.record_login_failure(name, at_s=now)
        return None
    if failures:
        store.clear_login_failures(name)
    return User(record["name"], record["role"])

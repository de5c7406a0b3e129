"""The embedded store: SQLite through SQLAlchemy 2 Core.

Default location ``var/planner.db`` (relative to the working directory); any SQLAlchemy
URL through ``PLANNER_DB_URL`` or ``Store.open(url)``. SQLite runs in WAL mode so the web
app can read while a job writes.

Every public write is one transaction: a failure or a kill in the middle leaves the
previous state intact (SQLite's journal guarantees the kill case; the ``with
engine.begin()`` blocks guarantee the exception case).

The schema is versioned in the ``schema_version`` table and upgraded in place on open:
:data:`MIGRATIONS` lists ``(version, function)`` pairs applied in order, each in its own
transaction, for the versions above the stored one.

Tables (one line each):

- ``datasets``: an imported history or actuals file - name, kind, the raw upload (bytes,
  kept as uploaded), its SHA-256, the validation report and a summary.
- ``intervals``: the validated interval rows of each dataset (History frame columns).
- ``forecasts`` / ``forecast_rows`` / ``forecast_backtests``: forecast snapshots with their
  method, parameters, training cut-off and creation time; the rows; the backtest table.
- ``plans`` / ``plan_tables``: a plan's config and summary; its tables (requirements, shift
  plan, roster, activities, coverage, ...) as Parquet.
- ``scenarios``: one row per scenario of a plan: its overrides and its tidy result row; names
  are unique per plan (version 4), and who created it is kept (``created_by``, version 4).
- ``capacity_plans`` (schema version 2): a capacity plan's config, summary and tables.
- ``actuals`` are datasets of kind ``actuals`` (same interval table, same contract).
- ``users`` (schema version 3): accounts - name, role, salted slow password hash
  (:mod:`planner.accounts` hashes; the store never sees a password).
- ``audit`` (version 3): who did what and when - every import, forecast, plan build,
  publish, scenario, user change and delete, written in the same transaction as the change.
- ``publications`` (version 3): each publish of a plan, numbered; the newest is the
  published plan; earlier versions stay.
- ``login_failures`` (version 3): failed sign-ins per account name, for the sign-in delay.
- ``jobs`` (version 3): the app's background jobs - kind, owner, process, progress, status.
- version 4: ``plans.created_by`` (who built it; earlier plans take it from the audit trail),
  ``scenarios.created_by`` and ``scenarios.updated_at``, one scenario name per plan.

Records at the seam: :class:`PlanRecord` (a plan as the plan picker lists it),
:class:`ScenarioRecord` (a stored scenario) and :class:`CapacityRecord` (a capacity plan as the
Capacity page lists it) are frozen dataclasses.

Who acts: :func:`acting_as` sets the actor for the writes in its block (the CLI uses
``cli:<login>``, the app the signed-in account); :data:`LOCAL_ACTOR` otherwise.

PostgreSQL (``postgresql+psycopg://user:pass@host/db``) works as SQLite does; an
unreachable database is a ``ValueError`` naming the URL with its password masked.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wfm_errors import StoreError

DEFAULT_PATH = Path("var") / "planner.db"

HISTORY_COLUMNS = (
    "interval_start",
    "queue",
    "channel",
    "offered",
    "handled",
    "abandoned",
    "aht_s",
    "handle_time_s",
    "answered_within_sl",
    "asa_s",
)
FORECAST_COLUMNS = ("interval_start", "queue", "channel", "forecast", "lo", "hi", "model", "aht_s")
ACTUALS_COLUMNS = ("interval_start", "queue", "channel", "offered")  # what Store.actuals always has
DATASET_KINDS = ("history", "actuals")

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("upgraded_at", sa.String, nullable=False),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("source_name", sa.String, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("raw_sha256", sa.String, nullable=False),
    sa.Column("interval_minutes", sa.Integer),
    sa.Column("timezone", sa.String),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False),
    sa.Column("report_text", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
)

intervals = sa.Table(
    "intervals",
    metadata,
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("interval_start", sa.String, nullable=False),
    sa.Column("queue", sa.String, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("offered", sa.Integer, nullable=False),
    sa.Column("handled", sa.Float),
    sa.Column("abandoned", sa.Float),
    sa.Column("aht_s", sa.Float),
    sa.Column("handle_time_s", sa.Float),
    sa.Column("answered_within_sl", sa.Float),
    sa.Column("asa_s", sa.Float),
    sa.Index("ix_intervals_dataset", "dataset_id", "queue", "channel", "interval_start"),
)

forecasts = sa.Table(
    "forecasts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset", sa.String),
    sa.Column("method", sa.String, nullable=False),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("train_end", sa.String, nullable=False),
    sa.Column("horizon_start", sa.String),
    sa.Column("horizon_end", sa.String),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
)

forecast_rows = sa.Table(
    "forecast_rows",
    metadata,
    sa.Column("forecast_id", sa.Integer, sa.ForeignKey("forecasts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("interval_start", sa.String, nullable=False),
    sa.Column("queue", sa.String, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("forecast", sa.Float, nullable=False),
    sa.Column("lo", sa.Float, nullable=False),
    sa.Column("hi", sa.Float, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("aht_s", sa.Float),
    sa.Index("ix_forecast_rows", "forecast_id", "queue", "channel", "interval_start"),
)

forecast_backtests = sa.Table(
    "forecast_backtests",
    metadata,
    sa.Column("forecast_id", sa.Integer, sa.ForeignKey("forecasts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("table_parquet", sa.LargeBinary, nullable=False),
)

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("forecast_id", sa.Integer, sa.ForeignKey("forecasts.id")),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("created_by", sa.String, nullable=False, server_default=""),  # version 4
)

plan_tables = sa.Table(
    "plan_tables",
    metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("table_parquet", sa.LargeBinary, nullable=False),
)

scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("overrides_json", sa.Text, nullable=False),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("created_by", sa.String, nullable=False, server_default=""),  # version 4
    sa.Column("updated_at", sa.String),  # version 4: the last rename
)
SCENARIO_NAME_INDEX = sa.Index("ux_scenarios_plan_name", scenarios.c.plan_id, scenarios.c.name, unique=True)


capacity_plans = sa.Table(
    "capacity_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False),
    sa.Column("weekly_parquet", sa.LargeBinary, nullable=False),
    sa.Column("hiring_parquet", sa.LargeBinary, nullable=False),
    sa.Column("monthly_parquet", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("password_hash", sa.String, nullable=False),
    sa.Column("created_at", sa.String, nullable=False),
    sa.Column("updated_at", sa.String, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_audit_at", "at"),
)

publications = sa.Table(
    "publications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, unique=True),
    sa.Column("published_by", sa.String, nullable=False),
    sa.Column("published_at", sa.String, nullable=False),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("at_s", sa.Float, nullable=False),
    sa.Index("ix_login_failures_name", "name", "at_s"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("host", sa.String, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("share", sa.Float, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("started_at", sa.String, nullable=False),
    sa.Column("updated_at", sa.String, nullable=False),
)

_V1_TABLES = ("datasets", "intervals", "forecasts", "forecast_rows", "forecast_backtests", "plans", "plan_tables", "scenarios")


def _migrate_1(conn: Connection) -> None:
    """The first schema: datasets, intervals, forecasts, plans, scenarios."""
    metadata.create_all(conn, tables=[metadata.tables[name] for name in _V1_TABLES])


def _migrate_2(conn: Connection) -> None:
    """Version 2 adds capacity plans (weekly FTE, hiring classes, monthly cost)."""
    capacity_plans.create(conn, checkfirst=True)


def _migrate_3(conn: Connection) -> None:
    """Version 3 adds accounts, the audit trail, publications and failed sign-ins."""
    for table in (users, audit, publications, login_failures, jobs):
        table.create(conn, checkfirst=True)


def _migrate_4(conn: Connection) -> None:
    """Version 4: who built each plan and created each scenario; one scenario name per plan.

    Plans and scenarios stored before take their author from the audit trail (the ``plan
    build`` and ``scenario`` rows), else the plan's builder, else ``""`` (not recorded). Where
    a plan holds a name twice (impossible through this module) the newest row is kept."""
    inspector = sa.inspect(conn)
    for table, column in ((plans, "created_by"), (scenarios, "created_by"), (scenarios, "updated_at")):
        if column not in {c["name"] for c in inspector.get_columns(table.name)}:
            kind = "VARCHAR NOT NULL DEFAULT ''" if column == "created_by" else "VARCHAR"
            conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column} {kind}"))
    builders: dict[str, str] = {}
    scenario_authors: dict[tuple[str, str], str] = {}
    if inspector.has_table("audit"):
        rows = conn.execute(sa.select(audit.c.actor, audit.c.action, audit.c.target, audit.c.detail)
                            .where(audit.c.action.in_(("plan build", "scenario"))).order_by(audit.c.id)).all()
        for actor, action, target, detail in rows:
            if action == "plan build":
                builders.setdefault(target, actor)
            else:
                try:
                    name = json.loads(detail).get("name")
                except (ValueError, AttributeError):
                    continue
                scenario_authors[(target, str(name))] = actor  # the newest write of that name
    for plan_id in conn.execute(sa.select(plans.c.id).where(plans.c.created_by == "")).scalars().all():
        if f"plan {plan_id}" in builders:
            conn.execute(plans.update().where(plans.c.id == plan_id).values(created_by=builders[f"plan {plan_id}"]))
    for scenario_id, plan_id, name in conn.execute(
            sa.select(scenarios.c.id, scenarios.c.plan_id, scenarios.c.name).where(scenarios.c.created_by == "")).all():
        author = scenario_authors.get((f"plan {plan_id}", name)) or builders.get(f"plan {plan_id}")
        if author:
            conn.execute(scenarios.update().where(scenarios.c.id == scenario_id).values(created_by=author))
    newest = sa.select(scenarios.c.plan_id, scenarios.c.name, sa.func.max(scenarios.c.id).label("keep")).group_by(
        scenarios.c.plan_id, scenarios.c.name).having(sa.func.count() > 1)
    for plan_id, name, keep in conn.execute(newest).all():
        conn.execute(scenarios.delete().where((scenarios.c.plan_id == plan_id) & (scenarios.c.name == name)
                                              & (scenarios.c.id != keep)))
    SCENARIO_NAME_INDEX.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _migrate_1), (2, _migrate_2), (3, _migrate_3),
                                                               (4, _migrate_4)]

LOCAL_ACTOR = "local"
_actor: contextvars.ContextVar[str] = contextvars.ContextVar("planner_actor", default=LOCAL_ACTOR)


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Record the store writes inside the block as done by ``actor`` (an account name or
    ``cli:<login>``). Background jobs forked inside the block inherit it.

    >>> with acting_as("ana"):
    ...     current_actor()
    'ana'
    """
    token = _actor.set(str(actor))
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(actor: str) -> None:
    """Set the actor for the rest of this context (a web request; the CLI process)."""
    _actor.set(str(actor))


def current_actor() -> str:
    return _actor.get()


def mask_url(url: str) -> str:
    """The database URL with its password replaced by ``***``."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _audit(conn: Connection, action: str, target: Any, detail: Any = "") -> None:
    """One audit row, written by the caller's transaction (so it exists iff the change does)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, default=str, sort_keys=True)
    conn.execute(audit.insert().values(at=_now(), actor=current_actor(), action=action, target=str(target), detail=text))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _iso(values: pd.Series) -> list[str]:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()


def _to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _from_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """Rows as dicts with plain Python values (None for missing), ready for executemany."""
    out = frame.loc[:, list(columns)].astype(object)
    out = out.where(pd.notna(out), None)
    return out.to_dict("records")


SCENARIO_NAME_MAX_CHARS = 80
BASE_SCENARIO = "base"  # the plan itself: stored with the plan, never renamed or deleted


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan as :meth:`Store.plan` reads it: its id and name, the forecast snapshot it
    was built from (``forecast_id``, None when not recorded), its ``config`` (the plan config as
    saved: ``name, source, start, days, interval_minutes, ..., staffing, rules``), its
    ``summary`` (summary.json as saved), the names of its tables (sorted), and when (UTC, ISO)
    and by whom (``""`` when not recorded) it was built. ``config`` and ``summary`` are the
    JSON documents as stored (a fresh copy per read)."""

    plan_id: int
    name: str
    forecast_id: int | None
    config: dict[str, Any]
    summary: dict[str, Any]
    tables: tuple[str, ...]
    created_at: str
    created_by: str = ""


@dataclass(frozen=True)
class PlanRecord:
    """A stored plan as the plan picker lists it: which week, built when (UTC, ISO) and by whom
    (``""`` when not recorded), and whether it is published (``published_version``: its newest
    publication, None for a draft; ``is_published``: it is the published plan now)."""

    plan_id: int
    name: str
    week_start: str | None
    days: int
    interval_minutes: int | None
    created_at: str
    created_by: str
    published_version: int | None
    is_published: bool


@dataclass(frozen=True)
class CapacityRecord:
    """A stored capacity plan as the Capacity page lists it: its first week (a Monday, ISO) and
    number of weeks, channels, total cost over the horizon, built when (UTC, ISO) and by whom
    (from the audit trail: ``""`` when not recorded)."""

    capacity_id: int
    name: str
    start: str | None
    weeks: int | None
    channels: tuple[str, ...]
    total_cost: float | None
    created_at: str
    created_by: str


@dataclass(frozen=True)
class ScenarioRecord:
    """A stored scenario of a plan: its overrides (flat plan.toml ``[[scenario]]`` keys), its
    tidy result row (:func:`planner.service.plan_row` fields), who created it and when (UTC, ISO),
    and its last rename (``updated_at``, None when never renamed). The mappings are read-only."""

    scenario_id: int
    plan_id: int
    name: str
    overrides: Mapping[str, Any]
    result: Mapping[str, Any]
    created_by: str
    created_at: str
    updated_at: str | None


def scenario_name(name: Any) -> str:
    """A scenario name as stored: stripped, not empty, at most :data:`SCENARIO_NAME_MAX_CHARS`
    characters; ``ValueError`` naming the value otherwise.

    >>> scenario_name("  pay rise ")
    'pay rise'
    """
    text = str(name if name is not None else "").strip()
    if not text:
        raise StoreError("scenario name: must not be empty")
    if len(text) > SCENARIO_NAME_MAX_CHARS:
        raise StoreError(f"scenario name {text[:20]!r}...: {len(text)} characters, at most {SCENARIO_NAME_MAX_CHARS}")
    return text


def _scenario_record(row: Mapping[str, Any]) -> ScenarioRecord:
    result = json.loads(row["result_json"])
    result["name"] = row["name"]
    return ScenarioRecord(int(row["id"]), int(row["plan_id"]), row["name"],
                          MappingProxyType(json.loads(row["overrides_json"])), MappingProxyType(result),
                          row["created_by"] or "", row["created_at"], row["updated_at"])


_PLAN_WEEKS: dict[tuple[str, int], tuple[str | None, int, int | None]] = {}  # stored plans never change


def default_url() -> str:
    """``PLANNER_DB_URL`` when set, else SQLite at ``var/planner.db``."""
    return os.environ.get("PLANNER_DB_URL") or f"sqlite:///{DEFAULT_PATH}"


_MEMORY_DATABASES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # in-memory engine -> its number
_MEMORY_NUMBERS = itertools.count(1)
_MEMORY_LOCK = threading.Lock()


class Store:
    """The planner's database. Open with :meth:`Store.open`; every write is atomic.

    >>> store = Store.open("sqlite://")            # in memory
    >>> store.list_datasets().empty
    True
    """

    AUDIT_SCHEMA_VERSION = 3

    def __init__(self, engine: Engine):
        self.engine = engine
        self.audited = False  # set by upgrade(): the audit table exists from schema version 3

    def _audit(self, conn: Connection, action: str, target: Any, detail: Any = "") -> None:
        if self.audited:
            _audit(conn, action, target, detail)

    # -- opening and schema ------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None) -> Store:
        url = url or default_url()
        sa_url = sa.make_url(url)
        if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if sa_url.get_backend_name() == "sqlite" and sa_url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database
            kwargs["connect_args"] = {"check_same_thread": False}
        if sa_url.get_backend_name() == "postgresql":
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise StoreError(f"database {mask_url(url)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        try:
            store.upgrade()
        except sa.exc.OperationalError as exc:
            engine.dispose()
            cause = " ".join(str(getattr(exc, "orig", exc)).split()) or type(exc).__name__
            raise StoreError(f"database {mask_url(url)}: cannot be opened: {cause}") from None
        return store

    @property
    def url(self) -> str:
        """The store's URL with the password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def identity(self) -> str:
        """What tells this database from every other one this process opened, for caches keyed by
        store: the URL names a file or a server, but every in-memory SQLite database has the URL
        ``sqlite://`` (and its first plan the id 1), so each of those gets a number never reused."""
        if self.engine.dialect.name == "sqlite" and self.engine.url.database in (None, "", ":memory:"):
            with _MEMORY_LOCK:
                if self.engine not in _MEMORY_DATABASES:
                    _MEMORY_DATABASES[self.engine] = next(_MEMORY_NUMBERS)
                return f"sqlite-memory:{_MEMORY_DATABASES[self.engine]}"
        return self.url

    def version(self) -> int:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            value = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            return int(value or 0)

    def upgrade(self) -> int:
        """Apply the migrations above the stored version, each in one transaction."""
        current = self.version()
        for version, migrate in MIGRATIONS:
            if version <= current:
                continue
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # several server processes may open a new database at once: one migrates
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(724100)"))
                schema_version.create(conn, checkfirst=True)
                done = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
                if done < version:
                    migrate(conn)
                    conn.execute(schema_version.insert().values(version=version, upgraded_at=_now()))
            current = version
        self.audited = current >= self.AUDIT_SCHEMA_VERSION
        return current

    # -- datasets ------------------------------------------------------------------------
    def save_dataset(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        raw: bytes,
        source_name: str,
        kind: str = "history",
        interval_minutes: int | None = None,
        timezone: str | None = None,
        summary: dict[str, Any] | None = None,
        report_text: str = "",
    ) -> int:
        """Store a validated frame with its raw upload; an existing ``name`` is replaced atomically."""
        if not name or not name.strip():
            raise StoreError("dataset name: must not be empty")
        if kind not in DATASET_KINDS:
            raise StoreError(f"dataset kind: {kind!r} is not one of {', '.join(DATASET_KINDS)}")
        rows = frame.copy()
        for column in HISTORY_COLUMNS:
            if column not in rows:
                rows[column] = np.nan
        rows["interval_start"] = _iso(rows["interval_start"])
        rows["offered"] = rows["offered"].astype("int64")
        with self.engine.begin() as conn:
            conn.execute(datasets.delete().where(datasets.c.name == name))
            dataset_id = conn.execute(
                datasets.insert().values(
                    name=name,
                    kind=kind,
                    source_name=source_name,
                    raw=raw,
                    raw_sha256=hashlib.sha256(raw).hexdigest(),
                    interval_minutes=interval_minutes,
                    timezone=timezone,
                    row_count=len(rows),
                    summary_json=json.dumps(summary or {}, default=str),
                    report_text=report_text,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]
            rows["dataset_id"] = dataset_id
            if len(rows):
                conn.execute(intervals.insert(), _records(rows, ["dataset_id", *HISTORY_COLUMNS]))
            self._audit(conn, "import", f"dataset {name}", {"kind": kind, "source": source_name, "rows": len(rows)})
        return int(dataset_id)

    def list_datasets(self, kind: str | None = None) -> pd.DataFrame:
        query = sa.select(
            datasets.c.id,
            datasets.c.name,
            datasets.c.kind,
            datasets.c.source_name,
            datasets.c.interval_minutes,
            datasets.c.row_count,
            datasets.c.summary_json,
            datasets.c.created_at,
        ).order_by(datasets.c.name)
        if kind:
            query = query.where(datasets.c.kind == kind)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    def dataset(self, name: str) -> pd.DataFrame:
        """The validated interval rows of a dataset, as a History frame."""
        with self.engine.connect() as conn:
            dataset_id = self._dataset_id(conn, name)
            query = (
                sa.select(*[intervals.c[c] for c in HISTORY_COLUMNS])
                .where(intervals.c.dataset_id == dataset_id)
                .order_by(intervals.c.queue, intervals.c.channel, intervals.c.interval_start)
            )
            frame = pd.DataFrame(conn.execute(query).all(), columns=list(HISTORY_COLUMNS))
        frame["interval_start"] = pd.to_datetime(frame["interval_start"])
        frame["offered"] = frame["offered"].astype("int64")
        return frame.dropna(axis="columns", how="all")

    def dataset_window(self, name: str, *, queue: str, channel: str, start: Any, end: Any) -> pd.DataFrame:
        """Offered contacts of one series with ``start <= interval_start < end`` (one indexed query)."""
        fmt = "%Y-%m-%dT%H:%M:%S"
        query = (
            sa.select(intervals.c.interval_start, intervals.c.queue, intervals.c.channel, intervals.c.offered)
            .join(datasets, datasets.c.id == intervals.c.dataset_id)
            .where(
                datasets.c.name == name,
                intervals.c.queue == queue,
                intervals.c.channel == channel,
                intervals.c.interval_start >= f"{pd.Timestamp(start):{fmt}}",
                intervals.c.interval_start < f"{pd.Timestamp(end):{fmt}}",
            )
            .order_by(intervals.c.interval_start)
        )
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=["interval_start", "queue", "channel", "offered"])
        frame["interval_start"] = pd.to_datetime(frame["interval_start"])
        return frame

    def dataset_raw(self, name: str) -> bytes:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(datasets.c.raw).where(datasets.c.name == name)).first()
        if row is None:
            raise StoreError(f"dataset {name!r}: not in the store")
        return bytes(row[0])

    def dataset_info(self, name: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(datasets).where(datasets.c.name == name)).mappings().first()
        if row is None:
            raise StoreError(f"dataset {name!r}: not in the store")
        info = {k: v for k, v in row.items() if k != "raw"}
        info["summary"] = json.loads(info.pop("summary_json"))
        return info

    def delete_dataset(self, name: str) -> None:
        with self.engine.begin() as conn:
            dataset_id = self._dataset_id(conn, name)
            conn.execute(intervals.delete().where(intervals.c.dataset_id == dataset_id))
            conn.execute(datasets.delete().where(datasets.c.id == dataset_id))
            self._audit(conn, "delete", f"dataset {name}")

    def actuals(self, dataset: str | None = None) -> pd.DataFrame:
        """Interval rows of an actuals dataset (the newest one when ``dataset`` is None)."""
        if dataset is None:
            listing = self.list_datasets(kind="actuals")
            if listing.empty:
                return pd.DataFrame(columns=list(ACTUALS_COLUMNS))
            dataset = str(listing.sort_values("created_at")["name"].iloc[-1])
        frame = self.dataset(dataset)
        if frame.empty:  # a stored frame without rows comes back without its columns
            return pd.DataFrame(columns=list(ACTUALS_COLUMNS))
        return frame

    @staticmethod
    def _dataset_id(conn: Connection, name: str) -> int:
        dataset_id = conn.execute(sa.select(datasets.c.id).where(datasets.c.name == name)).scalar()
        if dataset_id is None:
            raise StoreError(f"dataset {name!r}: not in the store")
        return int(dataset_id)

    # -- forecasts -----------------------------------------------------------------------
    def save_forecast(
        self,
        forecast: pd.DataFrame,
        *,
        dataset: str | None,
        method: str,
        params: dict[str, Any],
        backtest: pd.DataFrame | None,
        train_end: str,
        created_by: str = "cli",
    ) -> int:
        """Store a forecast snapshot (rows, method, parameters, backtest) in one transaction."""
        rows = forecast.copy()
        if "aht_s" not in rows:
            rows["aht_s"] = np.nan
        missing = [c for c in FORECAST_COLUMNS if c not in rows]
        if missing:
            raise StoreError(f"forecast frame: missing columns {', '.join(missing)}")
        starts = pd.to_datetime(rows["interval_start"])
        rows["interval_start"] = _iso(rows["interval_start"])
        with self.engine.begin() as conn:
            forecast_id = conn.execute(
                forecasts.insert().values(
                    dataset=dataset,
                    method=method,
                    params_json=json.dumps(params, default=str),
                    train_end=str(train_end),
                    horizon_start=starts.min().isoformat() if len(rows) else None,
                    horizon_end=starts.max().isoformat() if len(rows) else None,
                    row_count=len(rows),
                    created_by=created_by,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]
            rows["forecast_id"] = forecast_id
            if len(rows):
                conn.execute(forecast_rows.insert(), _records(rows, ["forecast_id", *FORECAST_COLUMNS]))
            if backtest is not None:
                conn.execute(
                    forecast_backtests.insert().values(forecast_id=forecast_id, table_parquet=_to_parquet(backtest))
                )
            self._audit(conn, "forecast", f"forecast {forecast_id}", {"dataset": dataset, "method": method, "rows": len(rows)})
        return int(forecast_id)

    def forecast(self, snapshot_id: int) -> pd.DataFrame:
        query = (
            sa.select(*[forecast_rows.c[c] for c in FORECAST_COLUMNS])
            .where(forecast_rows.c.forecast_id == snapshot_id)
            .order_by(forecast_rows.c.queue, forecast_rows.c.channel, forecast_rows.c.interval_start)
        )
        with self.engine.connect() as conn:
            self._forecast_exists(conn, snapshot_id)
            frame = pd.DataFrame(conn.execute(query).all(), columns=list(FORECAST_COLUMNS))
        frame["interval_start"] = pd.to_datetime(frame["interval_start"])
        if frame["aht_s"].isna().all():
            frame = frame.drop(columns="aht_s")
        return frame

    def forecast_info(self, snapshot_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            self._forecast_exists(conn, snapshot_id)
            row = conn.execute(sa.select(forecasts).where(forecasts.c.id == snapshot_id)).mappings().first()
        info = dict(row)
        info["params"] = json.loads(info.pop("params_json"))
        return info

    def forecast_backtest(self, snapshot_id: int) -> pd.DataFrame:
        with self.engine.connect() as conn:
            self._forecast_exists(conn, snapshot_id)
            data = conn.execute(
                sa.select(forecast_backtests.c.table_parquet).where(forecast_backtests.c.forecast_id == snapshot_id)
            ).scalar()
        return _from_parquet(data) if data is not None else pd.DataFrame()

    def list_forecasts(self) -> pd.DataFrame:
        query = sa.select(forecasts).order_by(forecasts.c.id)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    @staticmethod
    def _forecast_exists(conn: Connection, snapshot_id: int) -> None:
        if conn.execute(sa.select(forecasts.c.id).where(forecasts.c.id == snapshot_id)).first() is None:
            raise StoreError(f"forecast snapshot {snapshot_id}: not in the store")

    # -- plans and scenarios -------------------------------------------------------------
    def save_plan(
        self,
        name: str,
        *,
        config: dict[str, Any],
        summary: dict[str, Any],
        tables: dict[str, pd.DataFrame],
        forecast_id: int | None = None,
        scenario_rows: Iterable[tuple[str, dict[str, Any], dict[str, Any]]] = (),
    ) -> int:
        """Store a plan, its tables and its scenarios ``(name, overrides, result)`` in one transaction."""
        with self.engine.begin() as conn:
            plan_id = conn.execute(
                plans.insert().values(
                    name=name,
                    forecast_id=forecast_id,
                    config_json=json.dumps(config, default=str),
                    summary_json=json.dumps(summary, default=str),
                    created_at=_now(),
                    created_by=current_actor(),
                )
            ).inserted_primary_key[0]
            for table_name, frame in tables.items():
                conn.execute(
                    plan_tables.insert().values(
                        plan_id=plan_id, name=table_name, row_count=len(frame), table_parquet=_to_parquet(frame)
                    )
                )
            for scenario_name, overrides, result in scenario_rows:
                conn.execute(
                    scenarios.insert().values(
                        plan_id=plan_id,
                        name=scenario_name,
                        overrides_json=json.dumps(overrides, default=str),
                        result_json=json.dumps(result, default=str),
                        created_at=_now(),
                        created_by=current_actor(),
                    )
                )
            self._audit(conn, "plan build", f"plan {plan_id}", {"name": name, "tables": sorted(tables)})
        return int(plan_id)

    def save_capacity_plan(
        self,
        name: str,
        *,
        config: dict[str, Any],
        summary: dict[str, Any],
        weekly: pd.DataFrame,
        hiring: pd.DataFrame,
        monthly: pd.DataFrame,
    ) -> int:
        """Store a capacity plan (one transaction)."""
        with self.engine.begin() as conn:
            capacity_id = int(
                conn.execute(
                    capacity_plans.insert().values(
                        name=name,
                        config_json=json.dumps(config, default=str),
                        summary_json=json.dumps(summary, default=str),
                        weekly_parquet=_to_parquet(weekly),
                        hiring_parquet=_to_parquet(hiring),
                        monthly_parquet=_to_parquet(monthly),
                        created_at=_now(),
                    )
                ).inserted_primary_key[0]
            )
            self._audit(conn, "capacity plan", f"capacity plan {capacity_id}", {"name": name})
        return capacity_id

    def capacity_plan(self, capacity_id: int) -> dict[str, Any]:
        """A stored capacity plan: name, config, summary and its weekly, hiring and monthly tables."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(capacity_plans).where(capacity_plans.c.id == capacity_id)).mappings().first()
        if row is None:
            raise StoreError(f"capacity plan {capacity_id}: not in the store")
        return {
            "name": row["name"],
            "config": json.loads(row["config_json"]),
            "summary": json.loads(row["summary_json"]),
            "weekly": _from_parquet(row["weekly_parquet"]),
            "hiring": _from_parquet(row["hiring_parquet"]),
            "monthly": _from_parquet(row["monthly_parquet"]),
        }

    def capacity_records(self) -> tuple[CapacityRecord, ...]:
        """Every stored capacity plan, newest first (who built it: the ``capacity plan`` row of
        the audit trail, written in the same transaction as the plan)."""
        query = sa.select(capacity_plans.c.id, capacity_plans.c.name, capacity_plans.c.summary_json,
                          capacity_plans.c.created_at).order_by(capacity_plans.c.id.desc())
        builders = sa.select(audit.c.target, audit.c.actor).where(audit.c.action == "capacity plan").order_by(audit.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            by = {target: actor for target, actor in conn.execute(builders).all()}
        records = []
        for capacity_id, name, summary_json, created_at in rows:
            summary = json.loads(summary_json)
            total = summary.get("total_cost")
            records.append(CapacityRecord(
                int(capacity_id), name, summary.get("start"), int(summary["weeks"]) if summary.get("weeks") else None,
                tuple(summary.get("channels") or ()), float(total) if total is not None else None, created_at,
                by.get(f"capacity plan {capacity_id}", "")))
        return tuple(records)

    def list_plans(self) -> pd.DataFrame:
        query = sa.select(plans.c.id, plans.c.name, plans.c.forecast_id, plans.c.created_at).order_by(plans.c.id)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    def latest_plan_id(self) -> int | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(plans.c.id))).scalar()
        return int(value) if value is not None else None

    def plan_records(self) -> tuple[PlanRecord, ...]:
        """Every stored plan, newest first, as the plan picker lists it."""
        return self._plan_records(None)

    def plan_record(self, plan_id: int) -> PlanRecord:
        """One stored plan's record; ``ValueError`` naming the id when it is not stored."""
        found = self._plan_records(int(plan_id))
        if not found:
            raise StoreError(f"plan {plan_id}: not in the store")
        return found[0]

    def _plan_records(self, plan_id: int | None) -> tuple[PlanRecord, ...]:
        query = sa.select(plans.c.id, plans.c.name, plans.c.created_at, plans.c.created_by).order_by(plans.c.id.desc())
        if plan_id is not None:
            query = query.where(plans.c.id == plan_id)
        versions = sa.select(publications.c.plan_id, publications.c.version).order_by(publications.c.version)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            newest_version: dict[int, int] = {}
            published_now = None
            for pid, version in conn.execute(versions).all():
                newest_version[int(pid)] = int(version)
                published_now = int(pid)
            weeks = _PLAN_WEEKS if self.engine.url.database not in (None, "", ":memory:") else {}
            missing = [int(r[0]) for r in rows if (self.url, int(r[0])) not in weeks]
            for start in range(0, len(missing), 500):
                chunk = missing[start:start + 500]
                for pid, config_json, summary_json in conn.execute(
                        sa.select(plans.c.id, plans.c.config_json, plans.c.summary_json).where(plans.c.id.in_(chunk))):
                    config, summary = json.loads(config_json), json.loads(summary_json)
                    start_day = config.get("start") or summary.get("week_start")
                    interval = config.get("interval_minutes") or summary.get("interval_minutes")
                    weeks[(self.url, int(pid))] = (
                        str(pd.Timestamp(start_day).date()) if start_day else None,
                        int(config.get("days") or summary.get("days") or 7), int(interval) if interval else None)
        records = []
        for pid, name, created_at, created_by in rows:
            week, days, interval = weeks[(self.url, int(pid))]
            records.append(PlanRecord(int(pid), name, week, days, interval, created_at, created_by or "",
                                      newest_version.get(int(pid)), int(pid) == published_now))
        return tuple(records)

    def plan(self, plan_id: int) -> StoredPlan:
        """A plan's config, summary and the names of its tables (:class:`StoredPlan`);
        :class:`wfm_errors.StoreError` when it is not stored."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(plans).where(plans.c.id == plan_id)).mappings().first()
            if row is None:
                raise StoreError(f"plan {plan_id}: not in the store")
            names = conn.execute(sa.select(plan_tables.c.name).where(plan_tables.c.plan_id == plan_id)).scalars().all()
        return StoredPlan(plan_id=int(row["id"]), name=row["name"],
                          forecast_id=int(row["forecast_id"]) if row["forecast_id"] is not None else None,
                          config=json.loads(row["config_json"]), summary=json.loads(row["summary_json"]),
                          tables=tuple(sorted(names)), created_at=row["created_at"], created_by=row["created_by"] or "")

    def save_plan_table(self, plan_id: int, name: str, frame: pd.DataFrame) -> None:
        """Add (or replace) one table of a stored plan, e.g. a result computed from it later."""
        with self.engine.begin() as conn:
            self._plan_exists(conn, plan_id)
            conn.execute(plan_tables.delete().where((plan_tables.c.plan_id == plan_id) & (plan_tables.c.name == name)))
            conn.execute(plan_tables.insert().values(plan_id=plan_id, name=name, row_count=len(frame),
                                                     table_parquet=_to_parquet(frame)))

    def plan_table(self, plan_id: int, name: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(plan_tables.c.table_parquet).where(
                    (plan_tables.c.plan_id == plan_id) & (plan_tables.c.name == name)
                )
            ).scalar()
        if data is None:
            raise StoreError(f"plan {plan_id}: no table {name!r}")
        return _from_parquet(data)

    def add_scenario(self, plan_id: int, name: str, *, overrides: dict[str, Any], result: dict[str, Any]) -> int:
        """Store a scenario of a plan, replacing a same-named one; its id. (The app creates with
        :meth:`create_scenario`, which refuses a name the plan has.)"""
        name = scenario_name(name)
        with self.engine.begin() as conn:
            self._plan_exists(conn, plan_id)
            conn.execute(scenarios.delete().where((scenarios.c.plan_id == plan_id) & (scenarios.c.name == name)))
            scenario_id = self._insert_scenario(conn, plan_id, name, overrides, result)
            self._audit(conn, "scenario", f"plan {plan_id}", {"name": name, "overrides": overrides})
        return scenario_id

    @staticmethod
    def _plan_exists(conn: Connection, plan_id: int) -> None:
        if conn.execute(sa.select(plans.c.id).where(plans.c.id == plan_id)).first() is None:
            raise StoreError(f"plan {plan_id}: not in the store")

    @staticmethod
    def _insert_scenario(conn: Connection, plan_id: int, name: str, overrides: Mapping[str, Any],
                         result: Mapping[str, Any]) -> int:
        row = {**dict(result), "name": name}
        return int(conn.execute(scenarios.insert().values(
            plan_id=plan_id, name=name, overrides_json=json.dumps(dict(overrides), default=str),
            result_json=json.dumps(row, default=str), created_at=_now(), created_by=current_actor(),
        )).inserted_primary_key[0])

    @staticmethod
    def _name_taken(plan_id: int, name: str) -> StoreError:
        return StoreError(f"plan {plan_id}: a scenario named {name!r} exists already: choose another name "
                          "(or rename or delete that one)")

    def _scenario_row(self, conn: Connection, plan_id: int, name: str) -> Mapping[str, Any]:
        row = conn.execute(sa.select(scenarios).where((scenarios.c.plan_id == plan_id) & (scenarios.c.name == name))
                           ).mappings().first()
        if row is None:
            self._plan_exists(conn, plan_id)
            raise StoreError(f"plan {plan_id}: no scenario named {name!r}")
        return row

    def create_scenario(self, plan_id: int, name: str, *, overrides: Mapping[str, Any], result: Mapping[str, Any],
                        copied_from: str | None = None) -> ScenarioRecord:
        """Store a new scenario of a plan (one transaction, audited as ``scenario``); a name the
        plan already has, ``base`` included, is a ``ValueError`` and nothing is written.
        ``copied_from`` (the source's name, when the form was copied) goes into the audit entry."""
        name = scenario_name(name)
        detail: dict[str, Any] = {"name": name, "overrides": dict(overrides)}
        if copied_from is not None:
            detail["copied_from"] = str(copied_from)
        try:
            with self.engine.begin() as conn:
                self._plan_exists(conn, plan_id)
                if conn.execute(sa.select(scenarios.c.id).where((scenarios.c.plan_id == plan_id)
                                                                & (scenarios.c.name == name))).first() is not None:
                    raise self._name_taken(plan_id, name)
                scenario_id = self._insert_scenario(conn, plan_id, name, overrides, result)
                self._audit(conn, "scenario", f"plan {plan_id}", detail)
                row = conn.execute(sa.select(scenarios).where(scenarios.c.id == scenario_id)).mappings().one()
        except sa.exc.IntegrityError:  # another user stored the same name in the meantime
            raise self._name_taken(plan_id, name) from None
        return _scenario_record(row)

    def rename_scenario(self, plan_id: int, name: str, new_name: str) -> ScenarioRecord:
        """Rename a scenario of a plan (audited as ``scenario rename``); ``base`` is the plan
        itself and keeps its name; a name the plan has is refused."""
        new_name = scenario_name(new_name)
        if BASE_SCENARIO in (name, new_name):
            raise StoreError(f"plan {plan_id}: 'base' is the plan itself: it keeps its name, and no scenario may take it")
        try:
            with self.engine.begin() as conn:
                row = self._scenario_row(conn, plan_id, name)
                if new_name != name and conn.execute(sa.select(scenarios.c.id).where(
                        (scenarios.c.plan_id == plan_id) & (scenarios.c.name == new_name))).first() is not None:
                    raise self._name_taken(plan_id, new_name)
                result = {**json.loads(row["result_json"]), "name": new_name}
                conn.execute(scenarios.update().where(scenarios.c.id == row["id"]).values(
                    name=new_name, result_json=json.dumps(result, default=str), updated_at=_now()))
                self._audit(conn, "scenario rename", f"plan {plan_id}", {"name": name, "new_name": new_name})
                row = conn.execute(sa.select(scenarios).where(scenarios.c.id == row["id"])).mappings().one()
        except sa.exc.IntegrityError:
            raise self._name_taken(plan_id, new_name) from None
        return _scenario_record(row)

    def delete_scenario(self, plan_id: int, name: str) -> None:
        """Delete a scenario of a plan (audited as ``scenario delete`` with its overrides);
        ``base`` is the plan itself and is not deleted."""
        if name == BASE_SCENARIO:
            raise StoreError(f"plan {plan_id}: 'base' is the plan itself and cannot be deleted")
        with self.engine.begin() as conn:
            row = self._scenario_row(conn, plan_id, name)
            conn.execute(scenarios.delete().where(scenarios.c.id == row["id"]))
            self._audit(conn, "scenario delete", f"plan {plan_id}",
                        {"name": name, "overrides": json.loads(row["overrides_json"])})

    def scenario_records(self, plan_id: int) -> tuple[ScenarioRecord, ...]:
        """The scenarios of a plan in the order they were stored (``base`` and the plan's own
        scenarios first)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(scenarios).where(scenarios.c.plan_id == plan_id).order_by(scenarios.c.id)
                                ).mappings().all()
        return tuple(_scenario_record(row) for row in rows)

    def scenario_record(self, plan_id: int, name: str) -> ScenarioRecord:
        """One scenario of a plan; ``ValueError`` naming the plan and the name when there is none."""
        with self.engine.connect() as conn:
            return _scenario_record(self._scenario_row(conn, plan_id, name))

    def scenarios(self, plan_id: int) -> pd.DataFrame:
        """One tidy row per scenario of a plan: name plus the result's fields, and ``overrides``."""
        return pd.DataFrame([{"name": r.name, **{k: v for k, v in r.result.items() if k != "name"},
                              "overrides": dict(r.overrides)} for r in self.scenario_records(plan_id)])

    # -- publishing ---------------------------------------------------------------------------
    def publish_plan(self, plan_id: int) -> int:
        """Publish a plan: it becomes the one intraday, exports and team leads use. Returns the
        publication's version (1, 2, ...); earlier publications are kept."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(plans.c.id).where(plans.c.id == plan_id)).first() is None:
                raise StoreError(f"plan {plan_id}: not in the store")
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("LOCK TABLE publications IN EXCLUSIVE MODE"))  # versions are numbered in order
            version = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(publications.c.version), 0))).scalar()) + 1
            conn.execute(publications.insert().values(plan_id=plan_id, version=version, published_by=current_actor(),
                                                      published_at=_now()))
            self._audit(conn, "publish", f"plan {plan_id}", {"version": version})
        return version

    def published_plan_id(self) -> int | None:
        """The plan of the newest publication (None when nothing is published)."""
        query = sa.select(publications.c.plan_id).order_by(publications.c.version.desc()).limit(1)
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return int(value) if value is not None else None

    def publications(self) -> pd.DataFrame:
        """Every publication, newest first: version, plan_id, published_by, published_at."""
        query = sa.select(publications.c.version, publications.c.plan_id, publications.c.published_by,
                          publications.c.published_at).order_by(publications.c.version.desc())
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    # -- accounts (hashing lives in planner.accounts) -------------------------------------------
    def add_user(self, name: str, *, role: str, password_hash: str) -> None:
        """Add an account; ``ValueError`` when the name is taken."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first() is not None:
                raise StoreError(f"user {name!r}: already exists (use 'planner users passwd' to change the password)")
            now = _now()
            conn.execute(users.insert().values(name=name, role=role, password_hash=password_hash, created_at=now, updated_at=now))
            self._audit(conn, "user add", f"user {name}", {"role": role})

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(users.update().where(users.c.name == name).values(password_hash=password_hash, updated_at=_now()))
            if done.rowcount == 0:
                raise StoreError(f"user {name!r}: no such user")
            self._audit(conn, "user passwd", f"user {name}")

    def remove_user(self, name: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(users.delete().where(users.c.name == name))
            if done.rowcount == 0:
                raise StoreError(f"user {name!r}: no such user")
            self._audit(conn, "user remove", f"user {name}")

    def user(self, name: str) -> dict[str, Any] | None:
        """``{name, role, password_hash}`` of an account, or None."""
        query = sa.select(users.c.name, users.c.role, users.c.password_hash).where(users.c.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def list_users(self) -> pd.DataFrame:
        query = sa.select(users.c.name, users.c.role, users.c.created_at, users.c.updated_at).order_by(users.c.name)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    def user_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar())

    def record_login_failure(self, name: str, *, at_s: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(login_failures.insert().values(name=name, at_s=float(at_s)))

    def login_failures_since(self, name: str, *, since_s: float) -> int:
        query = sa.select(sa.func.count()).select_from(login_failures).where(
            (login_failures.c.name == name) & (login_failures.c.at_s >= float(since_s)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar())

    def clear_login_failures(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.name == name))

    # -- background jobs ------------------------------------------------------------------------
    def start_job(self, kind: str, *, host: str, pid: int) -> int:
        """Register a running job of the current actor; its id."""
        now = _now()
        with self.engine.begin() as conn:
            return int(conn.execute(jobs.insert().values(kind=kind, owner=current_actor(), host=host, pid=int(pid),
                                                         status="running", share=0.0, text="", started_at=now,
                                                         updated_at=now)).inserted_primary_key[0])

    def update_job(self, job_id: int, *, share: float | None = None, text: str | None = None, status: str | None = None) -> None:
        values: dict[str, Any] = {"updated_at": _now()}
        if share is not None:
            values["share"] = float(share)
        if text is not None:
            values["text"] = str(text)[:500]
        if status is not None:
            values["status"] = status
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))

    def jobs(self, *, status: str | None = None, limit: int = 50) -> pd.DataFrame:
        """Background jobs, newest first: id, kind, owner, host, pid, status, share, text, started_at, updated_at."""
        query = sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        if status:
            query = query.where(jobs.c.status == status)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))

    # -- audit ----------------------------------------------------------------------------------
    def record(self, action: str, target: str, detail: Any = "") -> None:
        """An audit row for an action that changes nothing in the store (sign-in, download)."""
        with self.engine.begin() as conn:
            self._audit(conn, action, target, detail)

    def audit_log(self, *, limit: int | None = None, actor: str | None = None, action: str | None = None) -> pd.DataFrame:
        """The audit trail, newest first: at (UTC ISO), actor, action, target, detail."""
        query = sa.select(audit.c.at, audit.c.actor, audit.c.action, audit.c.target, audit.c.detail).order_by(audit.c.id.desc())
        if actor:
            query = query.where(audit.c.actor == actor)
        if action:
            query = query.where(audit.c.action == action)
        if limit:
            query = query.limit(int(limit))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()

"""Fixtures shared by every test package: the bundled data and a throw-away store."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def us_bank_path() -> Path:
    return DATA / "us_bank_2003_5min.csv.gz"


@pytest.fixture(scope="session")
def il_bank_path() -> Path:
    return DATA / "anonymous_bank_1999_6min.csv.gz"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return DATA / "sample"


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite store for one test, also set as PLANNER_DB_URL for the CLI."""
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    monkeypatch.setenv("PLANNER_DB_URL", url)
    return url


@pytest.fixture
def store(store_url):
    from planner.store import Store

    return Store.open(store_url)


def _keeps_rules(plan, rules, *, agents=None, roster=None):
    """The plan's roster breaks no rule, and the coverage the plan priced, the plan's coverage
    and the coverage recounted from roster + activities agree in every interval; returns the
    roster."""
    import warnings

    from scheduling.checks import check_roster, compare_coverage
    from scheduling.roster import build_roster

    if roster is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            roster = build_roster(plan, rules, agents=agents)
    violations = check_roster(roster.roster, roster.activities, rules, agents=roster.agents, coverage=roster.coverage,
                              week_start=plan.grid.start)  # the week the plan was made on, as planner.week_schedule does
    assert violations == [], [str(v) for v in violations[:5]]
    assert plan.priced_coverage is not None
    assert compare_coverage(plan.priced_coverage, plan.coverage, expected_name="priced", actual_name="plan") == []
    if not len(roster.unfilled):
        assert compare_coverage(plan.coverage, roster.coverage, expected_name="plan", actual_name="roster") == []
    return roster


@pytest.fixture(scope="session")
def keeps_rules():
    """``keeps_rules(plan, rules, agents=None, roster=None)``: asserts rule check = 0 and that
    the priced, planned and roster coverages agree; returns the roster."""
    return _keeps_rules


# -- a small stored plan whose roster keeps its rules (intraday re-plan tests) -------------
REPLAN_DAY = "2025-06-03"
REPLAN_RULES = {
    "interval_minutes": 15, "min_rest_hours": 11,
    "contract": [{"name": "ft", "days_per_week": [1, 5], "hourly_cost": 20.0}],
    "shift": [{"name": "day", "contract": "ft", "channels": ["voice", "chat"], "length_minutes": 480, "paid_minutes": 450,
               "earliest_start": "08:00", "latest_start": "10:00", "start_step_minutes": 60,
               "activity": [{"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180,
                             "latest_after_start": 300},
                            {"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90,
                             "latest_after_start": 150}]}],
}
REPLAN_STAFFING = {"channel": {"voice": {"aht_s": 300, "target_sl": 0.8, "answer_s": 20, "shrinkage": 0.0},
                               "chat": {"aht_s": 300, "target_sl": 0.8, "answer_s": 60, "shrinkage": 0.0, "concurrency": 2}}}


def store_day_plan(store) -> int:
    """One day (2025-06-03) of a plan: 12 voice agents 08:00-16:00 who all lunch at 12:00 and
    4 chat agents; the forecast is busy at noon, so the roster as planned is short then."""
    import numpy as np
    import pandas as pd

    day = pd.Timestamp(REPLAN_DAY)
    times = pd.date_range(day + pd.Timedelta(hours=8), day + pd.Timedelta(hours=16), freq="15min", inclusive="left")
    hours = np.asarray(times.hour, dtype=float)
    rows = []
    for channel, volume in (("voice", np.where((hours >= 12) & (hours < 13), 10.0, 5.0)), ("chat", np.full(len(times), 2.0))):
        rows.append(pd.DataFrame({"interval_start": times, "queue": "main", "channel": channel, "forecast": volume,
                                  "lo": volume * 0.8, "hi": volume * 1.2, "model": "test"}))
    forecast = pd.concat(rows, ignore_index=True)
    shifts, acts = [], []
    for i in range(16):
        agent, channel = (f"V{i:02d}", "voice") if i < 12 else (f"C{i:02d}", "chat")
        start = day + pd.Timedelta(hours=8)
        shifts.append({"agent_id": agent, "date": day, "shift_start": start, "shift_end": start + pd.Timedelta(hours=8),
                       "channel": channel})
        acts.append({"agent_id": agent, "start": start + pd.Timedelta(minutes=90), "end": start + pd.Timedelta(minutes=105),
                     "activity": "break"})
        acts.append({"agent_id": agent, "start": day + pd.Timedelta(hours=12), "end": day + pd.Timedelta(hours=12, minutes=30),
                     "activity": "lunch"})
    roster, activities = pd.DataFrame(shifts), pd.DataFrame(acts)
    from scheduling.intraday import count_on_duty

    counts = count_on_duty(roster, activities, start=day, end=day + pd.Timedelta(days=1), interval_minutes=15,
                           channels=["voice", "chat"])
    coverage = counts.assign(required=0.0)[["interval_start", "channel", "required", "scheduled"]]
    config = {"name": "Day plan (test)", "start": REPLAN_DAY, "days": 1, "interval_minutes": 15,
              "staffing": REPLAN_STAFFING, "rules": REPLAN_RULES, "timezone": None}
    return store.save_plan("Day plan (test)", config=config, summary={"name": "Day plan (test)"},
                           tables={"forecast": forecast, "roster": roster, "activities": activities, "coverage": coverage})


@pytest.fixture
def day_plan(store) -> int:
    """:func:`store_day_plan` in the test's fresh store (also PLANNER_DB_URL); returns the plan id."""
    return store_day_plan(store)


@pytest.fixture(scope="module")
def day_plan_url(tmp_path_factory) -> str:
    """A store URL holding :func:`store_day_plan` (one per test module)."""
    from planner.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('day-plan') / 'planner.db'}"
    store_day_plan(Store.open(url))
    return url


# -- a real PostgreSQL server, started by the tests ----------------------------------------------
# Debian's ``postgresql`` binaries (installed by ``make test`` when missing), a cluster made with
# initdb in a temporary folder, on a free loopback port, trust authentication, stopped at the end.
# initdb refuses to run as root (CI runs as root): then the cluster belongs to the unprivileged
# ``postgres`` account (made by the Debian package) and the binaries run through ``runuser``.

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "planner"


def _binaries() -> Path:
    for candidate in [shutil.which("pg_ctl"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)]:
        if candidate and Path(candidate).resolve().with_name("initdb").exists():
            return Path(candidate).resolve().parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found: run 'make test', which installs Debian's postgresql")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    folder: Path
    port: int
    bin: Path
    run_as: str | None
    _counter: itertools.count

    @classmethod
    def start(cls) -> PostgresServer:
        binaries = _binaries()
        folder = Path(tempfile.mkdtemp(prefix="planner-pg-"))
        run_as = None
        if os.geteuid() == 0:
            run_as = "postgres"
            shutil.chown(folder, user=run_as)
        server = cls(folder, _free_port(), binaries, run_as, itertools.count(1))
        data = folder / "data"
        server._run(["initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync",
                     "--locale=C.UTF-8"])
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c max_connections=200"
        server._run(["pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "-t", "60", "start"])
        return server

    def _run(self, argv: list[str]) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database on the server; its SQLAlchemy URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL cluster (initdb + pg_ctl in a temporary folder) for the session;
    yields a :class:`tests.pg.PostgresServer` that hands out fresh databases."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server, monkeypatch) -> str:
    """A fresh, empty PostgreSQL database for one test, also set as PLANNER_DB_URL."""
    url = postgres_server.new_database()
    monkeypatch.setenv("PLANNER_DB_URL", url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_url(request, tmp_path, monkeypatch) -> str:
    """The same test on SQLite and on a real PostgreSQL server (set as PLANNER_DB_URL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'planner.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    monkeypatch.setenv("PLANNER_DB_URL", url)
    return url

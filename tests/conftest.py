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

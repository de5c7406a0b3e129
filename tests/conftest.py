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

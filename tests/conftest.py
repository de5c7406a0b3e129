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
    assert check_roster(roster.roster, roster.activities, rules, agents=roster.agents, coverage=roster.coverage) == []
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

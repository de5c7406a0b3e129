"""The store: round trips, atomic replace under failure and kill, schema upgrades, accounts,
publications and the audit trail - each on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
import sqlalchemy as sa

import planner.store as store_module
from planner.store import Store, default_url


@pytest.fixture
def store_url(any_store_url) -> str:
    """Every test of this module runs on SQLite and on PostgreSQL."""
    return any_store_url


def history(n: int, offered: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start": pd.date_range("2024-01-01", periods=n, freq="15min"),
            "queue": "main",
            "channel": "voice",
            "offered": offered,
        }
    )


def test_dataset_round_trip_keeps_rows_and_raw_upload(store):
    frame = history(50).assign(aht_s=180.5, handled=1)
    store.save_dataset("d", frame, raw=b"raw bytes", source_name="d.csv", interval_minutes=15)
    back = store.dataset("d")
    pd.testing.assert_frame_equal(back[frame.columns], frame, check_dtype=False)
    assert store.dataset_raw("d") == b"raw bytes"
    assert store.list_datasets()["name"].tolist() == ["d"]


def test_replace_is_atomic_when_the_write_fails_midway(store):
    store.save_dataset("d", history(10, offered=1), raw=b"v1", source_name="v1.csv")
    broken = history(20, offered=2)
    broken.loc[5, "interval_start"] = pd.NaT  # stored as NULL: the database refuses mid-insert
    with pytest.raises(sa.exc.IntegrityError):
        store.save_dataset("d", broken, raw=b"v2", source_name="v2.csv")
    kept = store.dataset("d")
    assert len(kept) == 10 and set(kept["offered"]) == {1}
    assert store.dataset_raw("d") == b"v1"


def test_a_killed_writer_leaves_the_previous_dataset_whole(store_url, tmp_path):
    Store.open(store_url).save_dataset("d", history(1000), raw=b"old", source_name="old.csv")
    script = textwrap.dedent(
        f"""
        import pandas as pd
        from planner.store import Store
        frame = pd.DataFrame({{"interval_start": pd.date_range("2024-01-01", periods=300_000, freq="min"),
                               "queue": "main", "channel": "voice", "offered": 2}})
        store = Store.open({store_url!r})
        print("ready", flush=True)
        while True:
            store.save_dataset("d", frame, raw=b"new", source_name="new.csv")
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # well inside a 300,000-row transaction
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    store = Store.open(store_url)
    info = store.dataset_info("d")
    rows = store.dataset("d")
    assert len(rows) == info["row_count"]
    assert (len(rows), set(rows["offered"])) in [(1000, {1}), (300_000, {2})]  # old or new, never a mix


def test_schema_is_versioned_and_upgraded_in_place(store_url, monkeypatch):
    store = Store.open(store_url)
    assert store.version() == store_module.MIGRATIONS[-1][0]
    store.save_dataset("d", history(3), raw=b"x", source_name="x.csv")
    applied = []

    def add_notes_table(conn):
        applied.append(True)
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, (99, add_notes_table)])
    upgraded = Store.open(store_url)
    assert upgraded.version() == 99 and applied == [True]
    assert len(upgraded.dataset("d")) == 3  # data survives the upgrade
    Store.open(store_url)
    assert applied == [True]  # never applied twice


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'wal.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


def test_forecast_snapshot_round_trip(store):
    forecast = history(8).rename(columns={"offered": "forecast"}).assign(
        forecast=lambda f: f["forecast"] * 2.5, lo=1.0, hi=4.0, model="profile"
    )
    backtest = pd.DataFrame({"model": ["profile", "naive"], "wape": [0.07, 0.11]})
    snapshot = store.save_forecast(forecast, dataset="d", method="auto", params={"k": 4}, backtest=backtest, train_end="2024-01-01")
    pd.testing.assert_frame_equal(store.forecast(snapshot), forecast, check_dtype=False)
    pd.testing.assert_frame_equal(store.forecast_backtest(snapshot), backtest)
    assert store.forecast_info(snapshot)["params"] == {"k": 4}
    with pytest.raises(ValueError, match="snapshot 999"):
        store.forecast(999)


def test_plan_with_tables_and_scenarios_round_trip(store):
    roster = pd.DataFrame({"agent_id": ["A1"], "date": ["2024-01-01"], "shift_start": ["08:00"], "shift_end": ["16:30"], "channel": ["voice"]})
    plan_id = store.save_plan(
        "week 1",
        config={"days": 7},
        summary={"cost": 1234.5},
        tables={"roster": roster},
        scenario_rows=[("base", {}, {"fte": 10.0}), ("volume +10%", {"volume_factor": 1.1}, {"fte": 11.0})],
    )
    assert store.latest_plan_id() == plan_id
    assert store.plan(plan_id).summary == {"cost": 1234.5}
    pd.testing.assert_frame_equal(store.plan_table(plan_id, "roster"), roster)
    assert store.scenarios(plan_id)["fte"].tolist() == [10.0, 11.0]


def test_planner_db_url_selects_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_DB_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert default_url().endswith("other.db")
    Store.open()
    assert (tmp_path / "other.db").exists()


def test_a_version_1_store_is_upgraded_to_version_2(store_url, monkeypatch):
    real = list(store_module.MIGRATIONS)
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:1])
    old = Store.open(store_url)
    old.save_dataset("d", history(5), raw=b"x", source_name="x.csv")
    assert old.version() == 1 and not sa.inspect(old.engine).has_table("capacity_plans")
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:2])
    new = Store.open(store_url)
    assert new.version() == 2 and len(new.dataset("d")) == 5
    weekly = pd.DataFrame({"week": ["2025-06-02"], "channel": ["voice"], "required_fte": [10.5]})
    capacity_id = new.save_capacity_plan("c", config={}, summary={"total_cost": 1.0}, weekly=weekly, hiring=weekly.iloc[:0], monthly=weekly)
    pd.testing.assert_frame_equal(new.capacity_plan(capacity_id)["weekly"], weekly)


def test_a_version_2_store_is_upgraded_to_version_3_with_accounts_and_audit(store_url, monkeypatch):
    real = list(store_module.MIGRATIONS)
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:2])
    old = Store.open(store_url)
    old.save_dataset("d", history(5), raw=b"x", source_name="x.csv")
    assert not sa.inspect(old.engine).has_table("audit")
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:3])
    new = Store.open(store_url)
    assert new.version() == 3 and len(new.dataset("d")) == 5
    assert new.audit_log().empty  # nothing is invented for the writes before the upgrade
    new.delete_dataset("d")
    assert new.audit_log()[["action", "target"]].values.tolist() == [["delete", "dataset d"]]


def _plan_tables(n: int) -> dict[str, pd.DataFrame]:
    return {"roster": pd.DataFrame({"agent_id": [f"A{i}" for i in range(n)], "hours": [7.5] * n}),
            "coverage": pd.DataFrame({"interval": range(n), "scheduled": [1.0] * n})}


def test_every_change_is_audited_with_who_and_when(store):
    from planner.store import acting_as

    with acting_as("ana"):
        store.save_dataset("d", history(3), raw=b"x", source_name="x.csv")
        plan_id = store.save_plan("p", config={}, summary={}, tables=_plan_tables(3))
    with acting_as("fin"):
        store.add_scenario(plan_id, "volume +5%", overrides={"volume_factor": 1.05}, result={"fte": 3.0})
    with acting_as("ana"):
        store.publish_plan(plan_id)
        store.delete_dataset("d")
    log = store.audit_log()
    assert log[["actor", "action", "target"]].values.tolist()[::-1] == [
        ["ana", "import", "dataset d"], ["ana", "plan build", f"plan {plan_id}"], ["fin", "scenario", f"plan {plan_id}"],
        ["ana", "publish", f"plan {plan_id}"], ["ana", "delete", "dataset d"]]
    assert log["at"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$").all()
    assert store.scenarios(plan_id)["name"].tolist() == ["volume +5%"]


def test_a_failed_write_leaves_no_audit_row(store):
    with pytest.raises(ValueError, match="plan 42: not in the store"):
        store.publish_plan(42)
    with pytest.raises(ValueError, match="dataset 'nope'"):
        store.delete_dataset("nope")
    assert store.audit_log().empty


def test_republishing_keeps_the_earlier_versions(store):
    from planner.store import acting_as

    first = store.save_plan("week 1", config={}, summary={}, tables=_plan_tables(2))
    second = store.save_plan("week 1 again", config={}, summary={}, tables=_plan_tables(3))
    assert store.published_plan_id() is None
    with acting_as("ana"):
        assert store.publish_plan(first) == 1
    assert store.published_plan_id() == first and store.latest_plan_id() == second  # a newer draft is not published
    with acting_as("bo"):
        assert store.publish_plan(second) == 2
    assert store.published_plan_id() == second
    assert store.publications()[["version", "plan_id", "published_by"]].values.tolist() == [[2, second, "bo"], [1, first, "ana"]]
    pd.testing.assert_frame_equal(store.plan_table(first, "roster"), _plan_tables(2)["roster"])  # version 1 still readable


def test_accounts_are_unique_and_their_changes_audited(store):
    store.add_user("ana", role="manager", password_hash="$argon2id$x")
    with pytest.raises(ValueError, match="user 'ana': already exists"):
        store.add_user("ana", role="lead", password_hash="$argon2id$y")
    store.set_password_hash("ana", "$argon2id$z")
    assert store.user("ana") == {"name": "ana", "role": "manager", "password_hash": "$argon2id$z"}
    with pytest.raises(ValueError, match="user 'bo': no such user"):
        store.remove_user("bo")
    store.remove_user("ana")
    assert store.user("ana") is None and store.user_count() == 0
    assert store.audit_log()["action"].tolist() == ["user remove", "user passwd", "user add"]


PLAN_WRITER = """
import sys
import pandas as pd
from planner.store import Store, acting_as
url, actor, count, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = Store.open(url)
tables = {{"roster": pd.DataFrame({{"agent_id": [f"A{{i}}" for i in range(rows)], "hours": [7.5] * rows}}),
          "coverage": pd.DataFrame({{"interval": range(rows), "scheduled": [1.0] * rows}})}}
print("ready", flush=True)
with acting_as(actor):
    for i in range(count):
        store.save_plan(f"{{actor}} {{i}}", config={{"by": actor}}, summary={{"i": i}}, tables=tables)
"""


def _plan_writer(url: str, actor: str, count: int, rows: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PLAN_WRITER.format(), url, actor, str(count), str(rows)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_users_building_plans_at_once_lose_nothing(store_url):
    Store.open(store_url)
    writers = [_plan_writer(store_url, actor, 6, 20_000) for actor in ("ana", "bo")]
    for writer in writers:
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    store = Store.open(store_url)
    plans = store.list_plans()
    assert sorted(plans["name"]) == sorted(f"{a} {i}" for a in ("ana", "bo") for i in range(6))
    for plan_id in plans["id"]:
        assert len(store.plan_table(int(plan_id), "roster")) == 20_000
    builds = store.audit_log(action="plan build")
    assert sorted(builds["actor"]) == ["ana"] * 6 + ["bo"] * 6


def test_a_plan_build_killed_mid_write_leaves_whole_plans_only(store_url):
    Store.open(store_url).save_plan("old", config={}, summary={}, tables=_plan_tables(10))
    writer = _plan_writer(store_url, "ana", 10_000, 400_000)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(2.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    store = Store.open(store_url)
    plans = store.list_plans()
    assert plans["name"].iloc[0] == "old"
    for plan_id in plans["id"]:
        assert store.plan(int(plan_id)).tables == ("coverage", "roster")  # every stored plan is whole
    assert len(store.audit_log(action="plan build")) == len(plans)  # an audit row for each build that landed, no more


def test_an_unreachable_database_is_one_line_naming_the_url_with_the_password_masked():
    with pytest.raises(ValueError) as caught:
        Store.open("postgresql+psycopg://ana:s3cret@127.0.0.1:9/planner")
    message = str(caught.value)
    assert message.startswith("database postgresql+psycopg://ana:***@127.0.0.1:9/planner: cannot be opened: ")
    assert "s3cret" not in message and "\n" not in message


def test_identity_tells_in_memory_databases_apart_and_names_a_file_by_its_url(tmp_path):
    first, second = Store.open("sqlite://"), Store.open("sqlite://")
    assert first.identity != second.identity
    assert first.identity == first.identity  # stable for one database
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    assert Store.open(url).identity == Store.open(url).identity == url

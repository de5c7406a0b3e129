"""The embedded store: round trips, atomic replace under failure and kill, schema upgrades."""

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


def test_replace_is_atomic_when_the_write_fails_midway(store, monkeypatch):
    store.save_dataset("d", history(10, offered=1), raw=b"v1", source_name="v1.csv")
    real_records = store_module._records

    def records_with_a_broken_row(frame, columns):
        rows = real_records(frame, columns)
        if "dataset_id" in columns and len(rows) > 5:
            rows[5]["interval_start"] = None  # NOT NULL: the database refuses mid-insert
        return rows

    monkeypatch.setattr(store_module, "_records", records_with_a_broken_row)
    with pytest.raises(sa.exc.IntegrityError):
        store.save_dataset("d", history(20, offered=2), raw=b"v2", source_name="v2.csv")
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


def test_sqlite_runs_in_wal_mode(store):
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
    assert store.plan(plan_id)["summary"] == {"cost": 1234.5}
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
    monkeypatch.setattr(store_module, "MIGRATIONS", real)
    new = Store.open(store_url)
    assert new.version() == 2 and len(new.dataset("d")) == 5
    weekly = pd.DataFrame({"week": ["2025-06-02"], "channel": ["voice"], "required_fte": [10.5]})
    capacity_id = new.save_capacity_plan("c", config={}, summary={"total_cost": 1.0}, weekly=weekly, hiring=weekly.iloc[:0], monthly=weekly)
    pd.testing.assert_frame_equal(new.capacity_plan(capacity_id)["weekly"], weekly)

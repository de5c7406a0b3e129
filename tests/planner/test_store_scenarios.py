"""Scenarios stored per plan and the plan records the picker lists: create, list, rename,
delete, the audit trail, names unique per plan under concurrent writers, and the upgrade of
a version-3 store - each on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import planner.store as store_module
from planner.store import PlanRecord, ScenarioRecord, Store, acting_as


@pytest.fixture
def store_url(any_store_url) -> str:
    return any_store_url


@pytest.fixture
def store(store_url) -> Store:
    return Store.open(store_url)


def _plan(store: Store, name: str, start: str = "2025-06-02") -> int:
    return store.save_plan(name, config={"start": start, "days": 7, "interval_minutes": 15}, summary={}, tables={},
                           scenario_rows=[("base", {}, {"name": "base", "cost": 100.0})])


def test_scenarios_belong_to_their_plan_and_survive_a_new_connection(store_url, store):
    with acting_as("max"):
        first, second = _plan(store, "week 1"), _plan(store, "week 2", "2025-06-09")
    with acting_as("fin"):
        made = store.create_scenario(first, " pay rise ", overrides={"contract.full_time.hourly_cost": 26.0},
                                     result={"cost": 130.0, "fte": 4.0})
    assert isinstance(made, ScenarioRecord)
    assert (made.plan_id, made.name, dict(made.overrides), made.created_by) == (
        first, "pay rise", {"contract.full_time.hourly_cost": 26.0}, "fin")
    assert made.result["name"] == "pay rise" and made.result["cost"] == 130.0
    with pytest.raises(TypeError):
        made.overrides["volume_factor"] = 2.0  # read-only at the seam
    again = Store.open(store_url)  # another process, another user: the same list
    assert [r.name for r in again.scenario_records(first)] == ["base", "pay rise"]
    assert [r.name for r in again.scenario_records(second)] == ["base"]  # not under the other plan
    assert again.scenario_record(first, "pay rise") == made
    assert again.scenario_records(first)[0].created_by == "max"  # the plan's own scenarios: its builder
    assert again.scenarios(first)["name"].tolist() == ["base", "pay rise"]
    with pytest.raises(ValueError, match=r"plan 99: not in the store"):
        store.create_scenario(99, "x", overrides={}, result={})
    with pytest.raises(ValueError, match=rf"plan {second}: no scenario named 'pay rise'"):
        store.scenario_record(second, "pay rise")


def test_a_name_the_plan_has_is_refused_and_nothing_is_written(store):
    plan_id = _plan(store, "week 1")
    other = _plan(store, "week 2")
    store.create_scenario(plan_id, "volume +10%", overrides={"volume_factor": 1.1}, result={"cost": 110.0})
    audit_rows = len(store.audit_log())
    for name in ("volume +10%", "  volume +10%", "base"):
        with pytest.raises(ValueError, match="exists already: choose another name"):
            store.create_scenario(plan_id, name, overrides={"volume_factor": 1.3}, result={"cost": 999.0})
    for name in ("", "   ", "x" * 81):
        with pytest.raises(ValueError, match="scenario name"):
            store.create_scenario(plan_id, name, overrides={}, result={})
    assert len(store.audit_log()) == audit_rows
    assert store.scenario_record(plan_id, "volume +10%").result["cost"] == 110.0  # the first one kept whole
    store.create_scenario(other, "volume +10%", overrides={"volume_factor": 1.2}, result={"cost": 120.0})  # another plan: fine
    assert store.scenario_record(other, "volume +10%").overrides["volume_factor"] == 1.2


def test_rename_and_delete_are_audited_and_base_is_the_plan_itself(store):
    plan_id = _plan(store, "week 1")
    with acting_as("fin"):
        store.create_scenario(plan_id, "pay rise", overrides={"contract.full_time.hourly_cost": 26.0}, result={"cost": 1.0},
                              copied_from="base")
        store.create_scenario(plan_id, "target 90%", overrides={"channel.voice.target_sl": 0.9}, result={"cost": 2.0})
    with acting_as("max"):
        renamed = store.rename_scenario(plan_id, "pay rise", "pay rise 2026")
        with pytest.raises(ValueError, match="'target 90%' exists already"):
            store.rename_scenario(plan_id, "pay rise 2026", "target 90%")
        with pytest.raises(ValueError, match="no scenario named 'nope'"):
            store.rename_scenario(plan_id, "nope", "other")
        for bad in (("base", "main"), ("target 90%", "base")):
            with pytest.raises(ValueError, match="'base' is the plan itself"):
                store.rename_scenario(plan_id, *bad)
        with pytest.raises(ValueError, match="'base' is the plan itself"):
            store.delete_scenario(plan_id, "base")
        store.delete_scenario(plan_id, "target 90%")
        with pytest.raises(ValueError, match="no scenario named 'target 90%'"):
            store.delete_scenario(plan_id, "target 90%")
    assert renamed.name == "pay rise 2026" and renamed.result["name"] == "pay rise 2026" and renamed.updated_at
    assert renamed.created_by == "fin" and dict(renamed.overrides) == {"contract.full_time.hourly_cost": 26.0}
    assert [r.name for r in store.scenario_records(plan_id)] == ["base", "pay rise 2026"]
    assert store.scenarios(plan_id).set_index("name").loc["pay rise 2026", "cost"] == 1.0
    log = store.audit_log()
    log = log[log["action"].str.startswith("scenario")]
    assert log[["actor", "action", "target"]].values.tolist()[::-1] == [
        ["fin", "scenario", f"plan {plan_id}"], ["fin", "scenario", f"plan {plan_id}"],
        ["max", "scenario rename", f"plan {plan_id}"], ["max", "scenario delete", f"plan {plan_id}"]]
    details = log["detail"].tolist()[::-1]
    assert '"copied_from": "base"' in details[0] and '"new_name": "pay rise 2026"' in details[2]
    assert '"channel.voice.target_sl": 0.9' in details[3]  # what was deleted can be made again


def test_two_users_storing_the_same_name_at_once_make_one_scenario(store_url):
    plan_id = _plan(Store.open(store_url), "week 1")
    for attempt in range(3):
        name = f"same name {attempt}"
        barrier, outcomes = threading.Barrier(2), []

        def write(actor: str) -> None:
            store = Store.open(store_url)
            barrier.wait()
            try:
                with acting_as(actor):
                    store.create_scenario(plan_id, name, overrides={"volume_factor": 1.1}, result={"by": actor})
                outcomes.append("stored")
            except ValueError as exc:
                outcomes.append(str(exc))

        threads = [threading.Thread(target=write, args=(actor,)) for actor in ("ana", "bo")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes)[1:] == ["stored"] and "exists already" in sorted(outcomes)[0], outcomes
        records = [r for r in Store.open(store_url).scenario_records(plan_id) if r.name == name]
        assert len(records) == 1 and records[0].result["by"] == records[0].created_by


def test_plan_records_say_which_week_who_built_it_and_what_is_published(store):
    with acting_as("ana"):
        first = _plan(store, "week 1")
    with acting_as("bo"):
        second = _plan(store, "week 2", "2025-06-09")
    with acting_as("cli:dee"):
        store.save_plan("bare", config={}, summary={"week_start": "2025-06-16", "days": 5}, tables={})
    records = store.plan_records()
    assert [r.plan_id for r in records] == [first + 2, second, first]  # newest first
    assert records[-1] == PlanRecord(first, "week 1", "2025-06-02", 7, 15, records[-1].created_at, "ana", None, False)
    assert (records[0].week_start, records[0].days, records[0].interval_minutes, records[0].created_by) == (
        "2025-06-16", 5, None, "cli:dee")
    store.publish_plan(first)
    store.publish_plan(second)
    store.publish_plan(first)
    assert [(r.published_version, r.is_published) for r in store.plan_records()] == [(None, False), (2, False), (3, True)]
    assert store.plan_record(second).published_version == 2
    with pytest.raises(ValueError, match="plan 99: not in the store"):
        store.plan_record(99)


def test_a_version_3_store_is_upgraded_with_authors_from_the_audit_trail(store_url, monkeypatch):
    real = list(store_module.MIGRATIONS)
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:3])
    old = Store.open(store_url)
    with old.engine.begin() as conn:  # the tables as schema version 3 made them
        conn.execute(sa.text("DROP INDEX ux_scenarios_plan_name"))
        for table, column in (("plans", "created_by"), ("scenarios", "created_by"), ("scenarios", "updated_at")):
            conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        for plan_id, actor in ((1, "ana"), (2, "bo")):
            conn.execute(sa.text("INSERT INTO plans (id, name, config_json, summary_json, created_at) "
                                 "VALUES (:id, :name, '{}', '{}', '2025-01-01T00:00:00+00:00')"),
                         {"id": plan_id, "name": f"plan {plan_id}"})
            conn.execute(sa.text("INSERT INTO audit (at, actor, action, target, detail) VALUES "
                                 "('2025-01-01T00:00:00+00:00', :actor, 'plan build', :target, '{}')"),
                         {"actor": actor, "target": f"plan {plan_id}"})
        conn.execute(sa.text("INSERT INTO audit (at, actor, action, target, detail) VALUES "
                             "('2025-01-02T00:00:00+00:00', 'fin', 'scenario', 'plan 1', '{\"name\": \"pay rise\"}')"))
        for name, cost in (("base", 1.0), ("pay rise", 2.0), ("pay rise", 3.0)):  # a doubled name: the newest is kept
            conn.execute(sa.text("INSERT INTO scenarios (plan_id, name, overrides_json, result_json, created_at) "
                                 "VALUES (1, :name, '{}', :result, '2025-01-02T00:00:00+00:00')"),
                         {"name": name, "result": f'{{"cost": {cost}}}'})
    monkeypatch.setattr(store_module, "MIGRATIONS", real)
    new = Store.open(store_url)
    assert new.version() == real[-1][0]
    assert [(r.plan_id, r.created_by) for r in new.plan_records()] == [(2, "bo"), (1, "ana")]
    assert [(r.name, r.created_by, r.result["cost"]) for r in new.scenario_records(1)] == [
        ("base", "ana", 1.0), ("pay rise", "fin", 3.0)]
    assert any(i["name"] == "ux_scenarios_plan_name" and i["unique"]
               for i in sa.inspect(new.engine).get_indexes("scenarios"))
    with pytest.raises(ValueError, match="exists already"):
        new.create_scenario(1, "pay rise", overrides={}, result={})

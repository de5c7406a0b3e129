"""Stored capacity plans as the Capacity page lists them, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.store import CapacityRecord, Store, acting_as


def _tables(weeks: int = 2) -> dict[str, pd.DataFrame]:
    weekly = pd.DataFrame({"week": [f"2025-06-{2 + 7 * i:02d}" for i in range(weeks)], "channel": "voice",
                           "required_fte": [10.5 + i for i in range(weeks)], "available_fte": 11.0})
    hiring = pd.DataFrame({"start_week": ["2025-06-09"], "channel": ["voice"], "size": [3], "fixed": [True]})
    monthly = pd.DataFrame({"month": ["2025-06"], "channel": ["voice"], "total_cost": [12345.67]})
    return {"weekly": weekly, "hiring": hiring, "monthly": monthly}


def test_capacity_records_newest_first_with_who_built_them(any_store_url):
    store = Store.open(any_store_url)
    assert store.capacity_records() == ()
    with acting_as("cli:fin"):
        first = store.save_capacity_plan("June plan", config={"source": "capacity.toml"},
                                         summary={"start": "2025-06-02", "weeks": 13, "total_cost": 1000.5,
                                                  "channels": {"voice": {}, "chat": {}}}, **_tables())
    with acting_as("max"):
        second = store.save_capacity_plan("July plan", config={}, summary={"start": "2025-07-07", "weeks": 26,
                                                                          "total_cost": 2000.0, "channels": {"voice": {}}},
                                          **_tables(3))
    records = store.capacity_records()
    assert [r.capacity_id for r in records] == [second, first]
    july, june = records
    assert isinstance(june, CapacityRecord)
    assert (june.name, june.start, june.weeks, june.channels, june.total_cost, june.created_by) == \
        ("June plan", "2025-06-02", 13, ("voice", "chat"), 1000.5, "cli:fin")
    assert (july.weeks, july.created_by) == (26, "max") and july.created_at >= june.created_at
    stored = store.capacity_plan(second)
    assert len(stored["weekly"]) == 3 and stored["monthly"]["total_cost"].tolist() == [12345.67]
    with pytest.raises(ValueError, match="capacity plan 99: not in the store"):
        store.capacity_plan(99)


def test_a_record_without_summary_fields_or_audit_row_still_lists(any_store_url):
    """A plan stored with a bare summary (as a script might) lists with what is known."""
    store = Store.open(any_store_url)
    capacity_id = store.save_capacity_plan("bare", config={}, summary={}, **_tables())
    with store.engine.begin() as conn:
        from planner.store import audit

        conn.execute(audit.delete().where(audit.c.action == "capacity plan"))
    (record,) = store.capacity_records()
    assert (record.capacity_id, record.start, record.weeks, record.channels, record.total_cost, record.created_by) == \
        (capacity_id, None, None, (), None, "")

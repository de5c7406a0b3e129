"""The Forecast page's defaults and checks (planner.forecast_runs), and a stored snapshot planned
on as a week's schedule (planner.ui.jobs.plan_dataset(forecast_snapshot=...))."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.forecast_runs import LONG_GAP_DAYS, default_start, history_on_grid, start_gap_warning


@pytest.fixture
def us_bank_store(store, us_bank_path):
    from planner.datasets import import_file

    import_file(us_bank_path, dataset="us_bank", store=store)
    return store


def test_default_start_follows_the_history(us_bank_store):
    store = us_bank_store  # history to Fri 2003-10-24
    assert default_start(store, "us_bank") == pd.Timestamp("2003-10-25")
    # a 2025 plan's week is not carried over to a 2003 dataset...
    assert default_start(store, "us_bank", plan_start=pd.Timestamp("2025-06-02"), plan_dataset="sample") == pd.Timestamp("2003-10-25")
    # ...but the plan's own dataset keeps the plan's week, unless it lies beyond the history
    assert default_start(store, "us_bank", plan_start=pd.Timestamp("2003-10-20"), plan_dataset="us_bank") == pd.Timestamp("2003-10-20")
    assert default_start(store, "us_bank", plan_start=pd.Timestamp("2025-06-02"), plan_dataset="us_bank") == pd.Timestamp("2003-10-25")


def test_a_long_gap_is_warned_about(us_bank_store):
    store = us_bank_store
    assert start_gap_warning(store, "us_bank", "2003-10-25") is None
    last_quiet = pd.Timestamp("2003-10-24") + pd.Timedelta(days=LONG_GAP_DAYS + 1)
    assert start_gap_warning(store, "us_bank", f"{last_quiet:%Y-%m-%d}") is None
    text = start_gap_warning(store, "us_bank", f"{last_quiet + pd.Timedelta(days=1):%Y-%m-%d}")
    assert text.startswith(f"The history of 'us_bank' ends on Fri 2003-10-24, {LONG_GAP_DAYS + 1} days before the start")
    assert "21.6 years before the start 2025-06-02" in start_gap_warning(store, "us_bank", "2025-06-02")
    assert start_gap_warning(store, "us_bank", "not a date") is None


def test_history_on_grid_sums_complete_intervals_only():
    times = pd.date_range("2025-01-06 08:00", periods=12, freq="5min")  # 08:00 .. 08:55
    history = pd.DataFrame({"interval_start": times, "offered": range(1, 13)}).drop(index=[7])  # 08:35 missing
    out = history_on_grid(history, interval_minutes=15)
    assert out["interval_start"].dt.strftime("%H:%M").tolist() == ["08:00", "08:15", "08:45"]
    assert out["offered"].tolist() == [1 + 2 + 3, 4 + 5 + 6, 10 + 11 + 12]
    coarse = history_on_grid(out, interval_minutes=15)  # already on the grid: unchanged
    assert coarse["offered"].tolist() == out["offered"].tolist()


@pytest.mark.slow
def test_a_forecast_snapshot_is_planned_without_forecasting_again(us_bank_store, data_dir, monkeypatch):
    from planner.toml_files import read_toml
    from planner.ui.jobs import forecast_dataset, plan_dataset
    from planner.ui.views import latest_plan

    store = us_bank_store
    example = read_toml(data_dir / "sample" / "us_bank_plan.toml")
    snapshot = forecast_dataset(store, dataset="us_bank", start="2003-10-13", days=8, interval_minutes=60, country="US")
    expected = store.forecast(snapshot)

    import planner.pipeline

    def no_forecast(*_args, **_kwargs):
        raise AssertionError("the snapshot's forecast is used, not a new one")

    monkeypatch.setattr(planner.pipeline, "build_forecast", no_forecast)
    plan_id = plan_dataset(store, dataset="anything", start="2025-06-02", interval_minutes=15, staffing=example["staffing"],
                           rules=example["rules"], forecast_snapshot=snapshot)
    plan = latest_plan(store)
    assert plan.plan_id == plan_id and plan.week_start == pd.Timestamp("2003-10-13") and plan.interval_minutes == 60
    assert plan.config["dataset"] == "us_bank" and plan.config["country"] == "US"
    week = expected[expected["interval_start"] < pd.Timestamp("2003-10-20")]
    got = plan.table("forecast").sort_values(["queue", "channel", "interval_start"], ignore_index=True)
    assert len(got) == len(week) == 7 * 24
    assert got["forecast"].to_numpy() == pytest.approx(week["forecast"].to_numpy())
    assert not plan.table("roster").empty and plan.table("roster")["date"].min() == "2003-10-13"

    short = forecast_dataset(store, dataset="us_bank", start="2003-10-13", days=3, interval_minutes=60)
    with pytest.raises(ValueError, match=rf"forecast snapshot {short} covers 3 day\(s\) from 2003-10-13; a schedule needs a week"):
        plan_dataset(store, dataset="us_bank", start="2003-10-13", interval_minutes=60, forecast_snapshot=short)

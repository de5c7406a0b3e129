"""The whole chain on the real US bank data for one week (fast settings: hourly grid).

Built once per module: history -> forecast -> requirements -> shift plan -> roster -> cost,
with scenarios, saved in a throw-away store and written to a folder.
"""

from __future__ import annotations

import json
import textwrap
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.cli import main
from planner.pipeline import plan
from planner.plan_config import PlanConfig, load_plan_config
from planner.store import Store
from scheduling.checks import check_roster
from scheduling.rules import RuleSet
from tests.progress_check import Recorder

START = pd.Timestamp("2003-10-20")

PLAN_TOML = """\
name = "US bank, week of 2003-10-20"
history = "{history}"
start = "2003-10-20"
days = 7
interval_minutes = 60
country = "US"
backtest_windows = 2
agents = ""

[staffing.channel.voice]
aht_s = 300
target_sl = 0.80
answer_s = 20
shrinkage = 0.30

[rules]
interval_minutes = 60
min_rest_hours = 11
max_consecutive_days = 6

  [[rules.contract]]
  name = "full_time"
  days_per_week = 5
  consecutive_days_off = 2
  hourly_cost = 24.0
  max_agents = 1500

  [[rules.contract]]
  name = "part_time"
  days_per_week = [3, 5]
  consecutive_days_off = 2
  hourly_cost = 21.0
  max_agents = 300

  [[rules.shift]]
  name = "day"
  contract = "full_time"
  channels = ["voice"]
  length_minutes = 540
  paid_minutes = 480
  earliest_start = "07:00"
  latest_start = "12:00"
  start_step_minutes = 60

    [[rules.shift.activity]]
    kind = "lunch"
    length_minutes = 60
    paid = false
    earliest_after_start = 180
    latest_after_start = 300

  [[rules.shift]]
  name = "evening"
  contract = "part_time"
  channels = ["voice"]
  length_minutes = 240
  paid_minutes = 240
  earliest_start = "09:00"
  latest_start = "17:00"
  start_step_minutes = 60

[[scenario]]
name = "volume +10%"
volume_factor = 1.1

[[scenario]]
name = "voice 90/20"
channel.voice.target_sl = 0.9
"""


def write_config(folder, us_bank_path, text: str = PLAN_TOML):
    path = folder / "plan.toml"
    path.write_text(text.format(history=us_bank_path))
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request, tmp_path_factory, us_bank_path):
    """The plan built once per database: SQLite and a real PostgreSQL server."""
    folder = tmp_path_factory.mktemp("plan")
    if request.param == "sqlite":
        store = Store.open(f"sqlite:///{folder / 'planner.db'}")
    else:
        store = Store.open(request.getfixturevalue("postgres_server").new_database())
    config = load_plan_config(write_config(folder, us_bank_path))
    progress = Recorder()  # fails on a call of another shape than wfm_progress.Progress
    result = plan(config, out=folder / "out", store=store, progress=progress)
    return result, folder / "out", store, progress


def test_outputs_are_complete(built):
    result, out, _store, progress = built
    names = {p.name for p in out.iterdir()}
    assert {"forecast.csv", "requirements.csv", "roster.csv", "activities.csv", "coverage.csv", "summary.json",
            "scenarios.csv", "roster.xlsx", "ics"} <= names
    roster = pd.read_csv(out / "roster.csv")
    assert list(roster.columns) == ["agent_id", "date", "shift_start", "shift_end", "channel", "shift"]
    assert list(pd.read_csv(out / "activities.csv").columns) == ["agent_id", "start", "end", "activity"]
    assert list(pd.read_csv(out / "coverage.csv").columns)[:4] == ["interval_start", "channel", "required", "scheduled"]
    assert len(list((out / "ics").glob("*.ics"))) == roster["agent_id"].nunique()
    stages = progress.shares
    assert stages == sorted(stages) and stages[-1] == 1.0  # progress only moves forward
    assert progress.calls[-1] == ("done", 1.0) and "forecasting series 1/1" in progress.texts


def test_forecast_is_for_the_week_and_trained_before_it(built):
    result, out, _store, _ = built
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["interval_start"])
    assert forecast["interval_start"].min() >= START
    assert forecast["interval_start"].max() < START + pd.Timedelta(days=7)
    weekend = forecast["interval_start"].dt.day_of_week >= 5
    assert forecast.loc[weekend, "forecast"].sum() == 0  # the bank is closed at weekends
    actual = pd.read_csv("data/us_bank_2003_5min.csv.gz", parse_dates=["interval_start"])
    week = actual[(actual["interval_start"] >= START) & (actual["interval_start"] < START + pd.Timedelta(days=5))]
    assert forecast["forecast"].sum() == pytest.approx(week["offered"].sum(), rel=0.08)


def test_roster_passes_the_independent_rule_check(built):
    result, _out, _store, _ = built
    rules = RuleSet.from_mapping(result.config.rules)
    assert check_roster(result.roster, result.activities, rules, coverage=result.coverage) == []


def test_summary_states_cost_service_and_solver(built):
    result, out, _store, _ = built
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solver"]["status"] in ("Optimal", "Feasible")
    assert summary["cost"] == pytest.approx(summary["paid_hours"] * 24.0, rel=0.15)  # mostly full-time pay
    assert 0.7 < summary["service_level"] <= 1.0
    assert "abandons count against" in summary["definitions"]["service_level"]
    checks = summary["schedule_checks"]
    assert checks["roster_short_of_plan_agent_hours"] == 0  # the roster is the plan
    assert checks["deferred_undone_minutes"] == 0 and checks["rule_check"]["violations"] == 0


def test_every_plan_reports_the_probability_it_meets_its_target(built):
    result, out, _store, _ = built
    summary = json.loads((out / "summary.json").read_text())
    report = summary["uncertainty"]
    assert report["scenarios"] >= 50 and 0.0 <= summary["p_meets_target"] <= 1.0
    (voice,) = report["per_channel"]
    assert voice["channel"] == "voice" and voice["p_goal"] == summary["p_meets_target"]
    assert 0.0 <= voice["weekly_p10"] <= voice["weekly_p50"] <= voice["weekly_p90"] <= 1.0
    assert {d["date"] for d in report["per_day"]} == {f"2003-10-{d}" for d in range(20, 27)}
    assert report["spread"][0]["source"].startswith("backtest")
    # forecast error widens the weekly spread beyond Poisson noise at the point forecast
    poisson = summary["schedule_checks"]["service_check"]["per_channel"]["voice"]
    assert voice["weekly_p90"] - voice["weekly_p10"] >= poisson["sim_p90"] - poisson["sim_p10"]
    table = pd.read_csv(out / "scenarios.csv").set_index("name")
    assert table["p_meets_target"].between(0, 1).all() and (table["p_meets_target"] == table["p_target_voice"]).all()


def test_scenarios_are_monotone(built):
    result, out, _store, _ = built
    table = pd.read_csv(out / "scenarios.csv").set_index("name")
    assert list(table.index) == ["base", "volume +10%", "voice 90/20"]
    assert table.loc["volume +10%", "cost"] >= table.loc["base", "cost"]
    assert table.loc["voice 90/20", "cost"] >= table.loc["base", "cost"]
    assert table.loc["volume +10%", "contacts"] == pytest.approx(1.1 * table.loc["base", "contacts"])
    assert table.loc["voice 90/20", "service_level"] > table.loc["base", "service_level"]


def test_store_holds_the_plan_its_snapshot_and_scenarios(built):
    result, _out, store, _ = built
    info = store.plan(result.plan_id)
    assert info.forecast_id == result.forecast_id
    assert {"forecast", "requirements", "roster", "activities", "coverage", "scenarios"} <= set(info.tables)
    pd.testing.assert_frame_equal(store.plan_table(result.plan_id, "roster"), result.roster.reset_index(drop=True), check_dtype=False)
    assert len(store.forecast(result.forecast_id)) == len(result.forecast)
    assert store.scenarios(result.plan_id)["name"].tolist() == ["base", "volume +10%", "voice 90/20"]
    # the stored config is PlanConfig.to_record(), and from_record() rebuilds the config the plan was built from
    assert info.plan_id == result.plan_id and info.name == result.config.name
    assert info.config == json.loads(json.dumps(result.config.to_record()))
    again = PlanConfig.from_record(info.config, scenarios=result.config.scenarios)
    for name in ("name", "source", "start", "days", "interval_minutes", "staffing", "rules", "history", "dataset",
                 "agents", "country", "timezone", "method", "fte_hours_per_week", "scenarios"):
        assert getattr(again, name) == getattr(result.config, name), name


def test_exports_open(built):
    result, out, _store, _ = built
    book = load_workbook(out / "roster.xlsx")
    assert "Roster" in book.sheetnames and any(name.startswith("Coverage") for name in book.sheetnames)
    sheet = book["Roster"]
    assert sheet.max_row - 1 == result.roster["agent_id"].nunique()
    assert zipfile.is_zipfile(out / "roster.xlsx")
    text = next((out / "ics").glob("*.ics")).read_text()
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text and text.rstrip().endswith("END:VCALENDAR")


def test_nothing_is_written_or_stored_on_failure(tmp_path, us_bank_path, any_store_url, capsys):
    store_url = any_store_url
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous plan")
    bad_scenario = PLAN_TOML + '\n[[scenario]]\nname = "typo"\nchanel.voice.target_sl = 0.9\n'
    assert main(["plan", "--config", str(write_config(tmp_path, us_bank_path, bad_scenario)), "--out", str(out)]) == 2
    assert "unknown override 'chanel.voice.target_sl'" in capsys.readouterr().err
    no_chat = PLAN_TOML.replace('[[scenario]]\nname = "voice 90/20"\nchannel.voice.target_sl = 0.9\n',
                                '[[scenario]]\nname = "chat goal"\nchannel.chat.target_sl = 0.9\n')
    assert main(["plan", "--config", str(write_config(tmp_path, us_bank_path, no_chat)), "--out", str(out)]) == 2
    assert "channel 'chat' is not in the staffing config" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert Store.open(store_url).list_plans().empty and Store.open(store_url).list_forecasts().empty


def test_planner_plan_whose_caps_make_hard_coverage_infeasible_explains_it(tmp_path, us_bank_path, store_url,
                                                                            capsys):
    """Hard coverage with 5 full-time and 5 part-time agents at most (the US bank week needs
    dozens): exit 2, the explanation names the short channel and both caps, no traceback,
    nothing written or stored."""
    text = (PLAN_TOML.replace("max_consecutive_days = 6\n", 'max_consecutive_days = 6\ncoverage = "hard"\n')
            .replace("max_agents = 1500", "max_agents = 5").replace("max_agents = 300", "max_agents = 5"))
    out = tmp_path / "out"
    code = main(["plan", "--config", str(write_config(tmp_path, us_bank_path, text)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "hard coverage cannot be met: voice short in" in err
    assert ("headcount cap: contract 'full_time' max_agents=5 (all used); "
            "headcount cap: contract 'part_time' max_agents=5 (all used)") in err
    assert not out.exists()
    assert Store.open(store_url).list_plans().empty


def test_plan_config_errors_name_the_key(tmp_path, us_bank_path):
    text = textwrap.dedent(PLAN_TOML).replace('start = "2003-10-20"', 'start = "2003-10-20T08:00"')
    with pytest.raises(ValueError, match="start = '2003-10-20T08:00' must be a date at midnight"):
        load_plan_config(write_config(tmp_path, us_bank_path, text))


@pytest.mark.parametrize("override,named", [
    ('channel.voice.service_goal = "monthly"', "channel.voice] service_goal = 'monthly'"),
    ('channel.voice.service_goal = "weekly"\nchannel.voice.min_interval_sl = 0.95', "min_interval_sl = 0.95"),  # target 0.9
])
def test_planner_plan_reads_service_goals_and_names_a_bad_one(tmp_path, us_bank_path, capsys, override, named):
    """A scenario's service goal is checked before any work: exit 2, nothing written."""
    text = PLAN_TOML.replace('name = "voice 90/20"\n', f'name = "voice 90/20"\n{override}\n')
    out = tmp_path / "out"
    code = main(["plan", "--config", str(write_config(tmp_path, us_bank_path, text)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and named in err and "scenario 'voice 90/20'" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.slow
def test_a_plan_whose_roster_breaks_a_rule_is_neither_written_nor_stored(tmp_path, us_bank_path, store_url, capsys,
                                                                          monkeypatch):
    import dataclasses

    import planner.week_schedule

    real = planner.week_schedule.build_roster

    def broken(plan, rules, *, agents=None):  # one lunch moved 3 h early, after solving
        roster = real(plan, rules, agents=agents)
        acts = roster.activities.copy()
        k = acts.index[acts["activity"] == "lunch"][0]
        acts.loc[k, ["start", "end"]] = [acts.loc[k, "start"] - pd.Timedelta(hours=3),
                                         acts.loc[k, "end"] - pd.Timedelta(hours=3)]
        return dataclasses.replace(roster, activities=acts)

    monkeypatch.setattr(planner.week_schedule, "build_roster", broken)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous plan")
    single = PLAN_TOML[:PLAN_TOML.index("[[scenario]]")]  # no scenarios: planned in this process
    code = main(["plan", "--config", str(write_config(tmp_path, us_bank_path, single)), "--out", str(out),
                 "--workers", "1"])
    assert code == 3
    assert "the solver found no rule-abiding plan" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert Store.open(store_url).list_plans().empty


@pytest.mark.parametrize("alone", [True, False])
def test_a_scenario_alone_in_its_batch_may_use_the_cores_and_one_beside_others_may_not(monkeypatch, alone):
    # issue 11's portfolio: a plan solved alone may keep the process's cores busy (two processes
    # on two cores); plans side by side get one each, so N plans never keep 2 N processes busy
    import os

    from planner import pipeline
    from planner.week_schedule import plan_processes

    seen = []
    monkeypatch.setattr(pipeline, "evaluate", lambda config, forecast, scenario, *, start, processes:
                        seen.append(processes) or scenario)
    assert pipeline.scenario_task(None, None, None, alone, pipeline.BASE) is pipeline.BASE
    assert seen == [plan_processes() if alone else 1]
    assert plan_processes() == len(os.sched_getaffinity(0))

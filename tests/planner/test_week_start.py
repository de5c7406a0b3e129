"""A planning week that starts on a Sunday, end to end through ``planner plan``.

The Israeli bank of the bundled Anonymous Bank series works Sunday to Thursday (short
Fridays, closed Saturdays); its centre plans Sunday to Saturday.
"""

from __future__ import annotations

import json

import pandas as pd
from openpyxl import load_workbook

from planner.cli import main
from planner.store import Store
from scheduling.checks import check_roster
from scheduling.rules import RuleSet

SUNDAY = pd.Timestamp("1999-11-07")

PLAN_TOML = """\
name = "Anonymous Bank, week of Sunday 1999-11-07"
history = "{history}"
start = "1999-11-07"
days = 7
interval_minutes = 60
backtest_windows = 2
agents = ""

[staffing.channel.voice]
aht_s = 180
target_sl = 0.80
answer_s = 20
shrinkage = 0.30

[rules]
interval_minutes = 60
min_rest_hours = 11
max_consecutive_days = 5
wrap_week = false
{week_start}

  [[rules.contract]]
  name = "full_time"
  days_per_week = 5
  consecutive_days_off = 2
  hourly_cost = 24.0

  [[rules.shift]]
  name = "day"
  contract = "full_time"
  channels = ["voice"]
  length_minutes = 540
  paid_minutes = 480
  earliest_start = "07:00"
  latest_start = "14:00"
  start_step_minutes = 60
  days = ["Sun", "Mon", "Tue", "Wed", "Thu"]

    [[rules.shift.activity]]
    kind = "lunch"
    length_minutes = 60
    paid = false
    earliest_after_start = 180
    latest_after_start = 300
"""


def test_a_sunday_week_plans_end_to_end(tmp_path, il_bank_path, store_url):
    config = tmp_path / "plan.toml"
    config.write_text(PLAN_TOML.format(history=il_bank_path, week_start=""))
    out = tmp_path / "out"
    assert main(["plan", "--config", str(config), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["week_start"] == "1999-11-07"
    assert summary["schedule_checks"]["rule_check"]["violations"] == 0
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["interval_start"])
    assert forecast["interval_start"].min() == SUNDAY
    assert forecast["interval_start"].max() == SUNDAY + pd.Timedelta(days=7) - pd.Timedelta(hours=1)
    roster = pd.read_csv(out / "roster.csv", parse_dates=["date"])
    assert len(roster) and set(roster["date"].dt.strftime("%a")) <= {"Sun", "Mon", "Tue", "Wed", "Thu"}
    # every agent works the template's five days with Friday and Saturday off, inside the Sunday week
    assert (roster.groupby("agent_id")["date"].apply(lambda d: "".join(d.sort_values().dt.strftime("%a").str[:2]))
            == "SuMoTuWeTh").all()
    rules = RuleSet.from_mapping(json.loads(json.dumps(Store.open(store_url).plan(1).config["rules"])))
    activities = pd.read_csv(out / "activities.csv")
    coverage = pd.read_csv(out / "coverage.csv")
    assert check_roster(roster.assign(date=roster["date"].dt.strftime("%Y-%m-%d")), activities, rules,
                        coverage=coverage, week_start=SUNDAY) == []
    sheet = load_workbook(out / "roster.xlsx")["Roster"]
    assert [cell.value for cell in sheet[1]][1:8] == [
        f"{(SUNDAY + pd.Timedelta(days=d)):%a %Y-%m-%d}" for d in range(7)]


def test_a_week_start_rule_that_disagrees_with_the_start_is_named(tmp_path, il_bank_path, store_url, capsys):
    config = tmp_path / "plan.toml"
    config.write_text(PLAN_TOML.format(history=il_bank_path, week_start='week_start = "Mon"'))
    assert main(["plan", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    message = capsys.readouterr().err
    assert "week_start = 'Mon' but the plan's start = 1999-11-07 is a Sunday" in message
    assert not (tmp_path / "out").exists()

"""Re-plan from the store and the CLI: a proposal accepted becomes a new plan version whose
roster keeps the rules and whose coverage follows the moved people."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.cli import main
from planner.replan import accept, propose
from scheduling.intraday import check_day, count_on_duty
from scheduling.rules import RuleSet

REPLAN_DAY = "2025-06-03"  # the day of the ``day_plan`` fixture (tests/conftest.py)


def test_propose_and_accept_part_then_all(store, day_plan):
    plan_id = day_plan
    proposal = propose(REPLAN_DAY, store=store, now="12:00")
    r = proposal.result
    assert proposal.now == pd.Timestamp(f"{REPLAN_DAY} 12:00")
    assert r.shortfall_before > 0 and r.shortfall_after <= 0.5 * r.shortfall_before
    assert r.extra_paid_hours <= 0
    first = int(r.changes["change_id"].iloc[0])
    part = accept(proposal, store=store, change_ids=[first])
    assert part != plan_id and store.latest_plan_id() == part
    info = store.plan(part)
    assert info.summary["intraday_replan"]["accepted_changes"] == [first]
    roster, acts = store.plan_table(part, "roster"), store.plan_table(part, "activities")
    assert check_day(roster, acts, RuleSet.from_mapping(info.config["rules"])) == []
    whole = accept(proposal, store=store)
    roster, acts = store.plan_table(whole, "roster"), store.plan_table(whole, "activities")
    coverage = store.plan_table(whole, "coverage")
    day = pd.Timestamp(REPLAN_DAY)
    recount = count_on_duty(roster, acts, start=day, end=day + pd.Timedelta(days=1), interval_minutes=15, channels=["voice", "chat"])
    merged = coverage.merge(recount, on=["interval_start", "channel"], suffixes=("", "_recount"))
    assert (merged["scheduled"] - merged["scheduled_recount"]).abs().max() < 1e-9
    # the intraday view of the new version projects what the proposal promised
    again = propose(REPLAN_DAY, store=store, now="12:00")
    assert again.result.shortfall_before == pytest.approx(r.shortfall_after, abs=1e-6)
    # re-planning the re-planned day (its switches are decided again) never makes it worse
    assert again.result.shortfall_after <= again.result.shortfall_before + 1e-6
    third = accept(again, store=store)
    info = store.plan(third)
    assert check_day(store.plan_table(third, "roster"), store.plan_table(third, "activities"),
                     RuleSet.from_mapping(info.config["rules"])) == []
    assert info.name.count("re-plan") == 1


def test_cli_replan_and_accept(store, day_plan, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["intraday", "--date", REPLAN_DAY, "--out", str(out), "--replan", "--now", "12:00", "--accept", "all",
                 "--no-overtime"])
    assert code == 0
    text = capsys.readouterr().out
    assert "re-plan from 12:00" in text and "stored as plan" in text
    for name in ("intraday.csv", "summary.json", "proposal.csv", "edits.csv", "projection.csv", "replan.json",
                 "roster.csv", "activities.csv", "coverage.csv"):
        assert (out / name).exists(), name
    assert list((out / "ics").glob("*.ics"))
    payload = json.loads((out / "replan.json").read_text())
    assert payload["shortfall_after"] < payload["shortfall_before"] and payload["accepted_as_plan"] == store.latest_plan_id()
    edits = pd.read_csv(out / "edits.csv")
    assert set(edits["kind"]) <= {"move", "switch", "vto"}


def test_cli_replan_mistakes_exit_2(store, day_plan, tmp_path, capsys):
    assert main(["intraday", "--date", REPLAN_DAY, "--out", str(tmp_path / "o"), "--accept", "all"]) == 2
    assert main(["intraday", "--date", REPLAN_DAY, "--out", str(tmp_path / "o"), "--replan", "--accept", "one"]) == 2
    assert main(["intraday", "--date", REPLAN_DAY, "--out", str(tmp_path / "o"), "--replan", "--now", "2025-07-01 12:00"]) == 2
    err = capsys.readouterr().err
    assert "--accept" in err and "--now" in err


def test_the_intraday_models_are_kept_with_the_plan(store, day_plan, monkeypatch):
    """The first intraday view fits (here: finds nothing to learn from) and stores the result
    with the plan; a fresh process reads it back instead of fitting again."""
    import planner.intraday as intraday_module

    first = propose(REPLAN_DAY, store=store, now="12:00")
    assert intraday_module.MODEL_TABLE in store.plan(day_plan).tables
    kept = store.plan_table(day_plan, intraday_module.MODEL_TABLE)
    assert set(kept["channel"]) == {"voice", "chat"}
    intraday_module.forget_models()  # as in a new process

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(intraday_module, "fit_models", no_fit)
    again = propose(REPLAN_DAY, store=store, now="12:00")
    assert again.result.shortfall_before == pytest.approx(first.result.shortfall_before)
    assert list(again.reforecast.notes) == list(first.reforecast.notes)

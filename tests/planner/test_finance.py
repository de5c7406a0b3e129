"""Exact finance answers (issue 19 items 1 and 4): the frontier and what a budget buys, over the
staffing-level family of real plans (requirements -> LP/MIP shift plan -> roster -> Erlang
service), and the honest status of a plan its agents cannot cover.

The properties asserted are the ones finance relies on: every frontier point reaches its target
(the evaluated expected service level, not the level asked for), the frontier's cost never falls
as the target rises, a budget answer costs at most the budget and serves at least as well as any
frontier point that costs no more, and a larger budget never buys less.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from execution import Executor
from planner.cli import main
from planner.pipeline import build_forecast, load_plan_history, plan
from planner.plan_config import Scenario, load_plan_config
from planner.scenarios import (LEVEL_MAX, PlanSearch, budget_service, check_budget, frontier, parse_targets,
                               stored_plan_levels)
from planner.store import Store
from scheduling.shifts import SolveError
from tests.progress_check import Recorder

QUICK = Scenario("base", {"rules.time_limit_s": 10})  # the bank's hourly week solves in seconds


@pytest.fixture(scope="module")
def bank(data_dir):
    """The US bank's week (data/sample/us_bank_plan.toml, no scenarios) and its forecast."""
    config = dataclasses.replace(load_plan_config(data_dir / "sample" / "us_bank_plan.toml"), scenarios=())
    with Executor(in_process=True) as ex:
        forecast = build_forecast(config, load_plan_history(config), executor=ex)
    return config, forecast


def limited(config):
    """The bank's week with a pool of 300 full-time and 40 part-time agents (it needs about 500)."""
    rules = json.loads(json.dumps(config.rules))
    for contract in rules["contract"]:
        contract["max_agents"] = 300 if contract["name"] == "full_time" else 40
    return dataclasses.replace(config, rules=rules)


def assert_finance_properties(table: pd.DataFrame, answers: list) -> None:
    reached = table[table["reached"]]
    assert (reached["service_level"] >= reached["target"]).all()  # exact: no tolerance
    assert np.all(np.diff(table.sort_values("target")["cost"].to_numpy()) >= 0)
    for answer in answers:
        assert answer.plan.cost <= answer.budget + 1e-6
        affordable = reached[reached["cost"] <= answer.budget]
        if len(affordable):
            assert answer.plan.service_level >= affordable["service_level"].max()
    by_budget = sorted(answers, key=lambda a: a.budget)
    levels = [a.plan.service_level for a in by_budget]
    assert levels == sorted(levels), "a larger budget bought less"


@pytest.mark.slow
def test_us_bank_frontier_and_budget(bank, tmp_path):
    config, forecast = bank
    with Executor(workers=2) as ex:
        search = PlanSearch(config, forecast.frame, ex, base=QUICK, cache=tmp_path / "family.json")
        table = search.frontier((0.8, 0.9))
        assert table["reached"].all() and list(table["target"]) == [0.8, 0.9]
        low, high = table["cost"].min(), table["cost"].max()
        answers = [search.budget(0.99 * low, tolerance=0.05, max_solves=2),
                   search.budget(0.5 * (low + high), tolerance=0.05, max_solves=2)]
    # every budget between the cheapest and the dearest known plan, from the same plans
    costs = sorted(p.cost for p in search.plans)
    answers += [search.budget(b, max_solves=0) for b in np.linspace(costs[0], costs[-1] * 1.1, 12)]
    assert_finance_properties(table, answers)
    middle = answers[1]
    assert middle.plan.service_level >= table.loc[0, "service_level"]  # the 80 % point fits this budget
    assert middle.next_plan is None or middle.next_plan.cost > middle.budget
    # the plans are kept: a second search over the same file solves nothing and answers the same
    again = PlanSearch(config, forecast.frame, Executor(in_process=True), base=QUICK, cache=tmp_path / "family.json")
    assert [p.level for p in again.plans] == [p.level for p in search.plans]
    assert again.budget(middle.budget, max_solves=0).plan == middle.plan
    frame = middle.to_frame()
    assert list(frame.columns[:10]) == ["name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level",
                                        "occupancy", "abandon_rate", "understaffed_intervals", "coverage_limit"]


def test_the_envelope_takes_a_cheaper_plan_from_a_higher_level(bank):
    """A time-limited solver may price a higher level lower: the frontier and the budget answer
    then take that plan (known plans only, so nothing is solved here)."""
    config, forecast = bank
    search = PlanSearch(config, forecast.frame, Executor(in_process=True), cache=False)
    row = {"fte": 1.0, "paid_hours": 40.0, "cost_per_contact": 1.0, "occupancy": 0.8, "abandon_rate": 0.0,
           "understaffed_intervals": 0, "coverage_limit": ""}
    search.add(0.80, dict(row, name="a", cost=100.0, service_level=0.79))
    search.add(0.85, dict(row, name="b", cost=98.0, service_level=0.86))  # cheaper and better
    search.add(0.90, dict(row, name="c", cost=120.0, service_level=0.93))
    search.add(LEVEL_MAX, dict(row, name="d", cost=150.0, service_level=0.95))
    table = search.frontier((0.8, 0.85, 0.9))
    assert list(table["name"]) == ["b", "b", "c"] and table["reached"].all()
    assert search.budget(99.0, max_solves=0).plan.row["name"] == "b"
    assert search.budget(100.0, max_solves=0).plan.row["name"] == "b"  # never the dearer, worse 'a'
    assert search.budget(130.0, max_solves=0).next_plan.row["name"] == "d"
    search.add(0.97, dict(row, name="e", cost=140.0, service_level=0.945))
    unreachable = search.frontier((0.97,))  # its own level and the highest are known: nothing to solve
    assert not unreachable["reached"].iloc[0] and unreachable["service_level"].iloc[0] == 0.95
    assert "unreachable: the best plan reaches 95.0%" in unreachable["note"].iloc[0]


def test_the_budget_guide_aims_where_the_cost_meets_the_budget(bank):
    """Item 4's guide (nothing is solved here): with known plans whose cost is a fixed price per
    required agent-hour, the level it aims at for a budget is the lowest level (to 0.1 %) whose
    requirement costs at least the budget; the first round of a budget search solves exactly
    around it, and later rounds also split the bracket."""
    config, forecast = bank
    search = PlanSearch(config, forecast.frame, Executor(in_process=True), cache=False)
    levels = (0.05, 0.3, 0.6, 0.8, 0.9, 0.99)
    hours = [search.required_hours(x) for x in levels]
    assert hours == sorted(hours) and hours[-1] > 1.1 * hours[0]  # more service asks for more agent-hours
    price = 26.4  # money per required agent-hour
    row = {"fte": 1.0, "paid_hours": 40.0, "cost_per_contact": 1.0, "occupancy": 0.8, "abandon_rate": 0.0,
           "understaffed_intervals": 0, "coverage_limit": ""}
    for level in (0.6, 0.9):
        search.add(level, dict(row, name=f"{level}", cost=price * search.required_hours(level), service_level=level))
    step = 0.001
    for level in (0.3, 0.75, 0.85, 0.95):  # below, between and above the known plans
        wanted = search.required_hours(level)
        aim = search.aimed_level(price * wanted)
        assert search.required_hours(aim) >= wanted - 1e-9 and search.required_hours(aim - step) < wanted, level
        assert aim <= level
    budget = price * search.required_hours(0.75)
    aim = search.aimed_level(budget, 0.6, 0.9)
    assert search.guided_probes(budget, 0.6, 0.9, 0.02, round_number=0) == [aim]  # one worker: the aim itself
    assert search.guided_probes(budget, 0.6, 0.9, 0.02, round_number=1) == [0.75]  # then the bracket's middle
    above = price * search.required_hours(0.95)  # nothing known costs more: the open side's end, not its middle
    assert search.guided_probes(above, 0.9, None, 0.02, round_number=1) == [0.95]  # one worker: the aim, then
    assert search.guided_probes(above, 0.9, None, 0.02, round_number=2) == [LEVEL_MAX]


def test_a_level_with_no_plan_is_left_out(bank):
    """A level the scheduler can't plan (here: hard coverage from a pool of 10 full-time agents,
    which no level reaches; a 1 ms time limit no longer serves, since a short limit now ends with
    a greedy plan, issue 11) no longer ends the question: the answer comes from the plans there
    are, the progress says which level was left out and why, and the frontier does not call a
    target unreachable when the highest level was not planned."""
    config, forecast = bank
    progress = Recorder()  # a wfm_progress.Progress
    hopeless = Scenario("base", {"rules.time_limit_s": 10, "rules.coverage": "hard",
                                 "contract.full_time.max_agents": 10, "contract.part_time.max_agents": 0})
    search = PlanSearch(config, forecast.frame, Executor(in_process=True), base=hopeless, cache=False,
                        progress=progress)
    row = {"fte": 1.0, "paid_hours": 40.0, "cost_per_contact": 1.0, "occupancy": 0.8, "abandon_rate": 0.0,
           "understaffed_intervals": 0, "coverage_limit": ""}
    search.add(0.8, dict(row, name="stored", cost=1000.0, service_level=0.85))
    answer = search.budget(2000.0, tolerance=0.02, max_solves=2)
    assert answer.plan.row["name"] == "stored" and answer.next_plan is None
    assert search.failed and answer.solved == len(search.failed) and all(x > 0.8 for x in search.failed)
    assert all(reason.startswith("hard coverage cannot be met") and "headcount cap" in reason
               for reason in search.failed.values())
    assert any(text.endswith("no plan, left out (" + search.failed[min(search.failed)] + ")")
               for text in progress.texts), progress.texts
    table = search.frontier((0.9,))
    assert not table["reached"].iloc[0] and table["service_level"].iloc[0] == 0.85
    assert table["note"].iloc[0].startswith("not reached by the plans made: the best reaches 85.0%; the plan staffed "
                                            "for 99% could not be made (hard coverage cannot be met")
    nothing = PlanSearch(config, forecast.frame, Executor(in_process=True), base=hopeless, cache=False)
    with pytest.raises(SolveError, match=r"no plan of this week could be made at the staffing levels tried \(5.0%, 99.0%\)"):
        nothing.budget(2000.0, max_solves=2)
    fresh = PlanSearch(config, forecast.frame, Executor(in_process=True), base=hopeless, cache=False)
    with pytest.raises(SolveError, match=r"no plan of this week could be made at the staffing levels tried \(80.0%, 99.0%\)"):
        fresh.frontier((0.8,))


def test_a_plan_its_agents_cannot_cover_says_so(bank, tmp_path, monkeypatch):
    """Item 4: the agent pool's wall in summary.json, on the Schedule line (not "Optimal"), in the
    scenario row, and the frontier calls the target unreachable."""
    config, forecast = bank
    config = limited(config)
    store = Store.open(f"sqlite:///{tmp_path / 'planner.db'}")
    with Executor(in_process=True) as ex:
        result = plan(config, out=tmp_path / "out", store=store, forecast=forecast, executor=ex)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    limit = summary["coverage_limit"]
    assert limit["limited_by_pool"] and limit["short_intervals"] > 0 and limit["worst_short_agents"] >= 1
    assert any("full_time" in cap for cap in limit["binding_caps"])
    assert limit["text"].startswith(f"limited by the agent pool: {limit['short_intervals']} intervals short, worst ")
    coverage = result.coverage
    gap = (coverage["required"] - coverage["scheduled"]).max()
    assert limit["worst_short_agents"] == pytest.approx(gap)
    assert result.base.row["coverage_limit"] == limit["text"]

    from planner.ui.jobs import plan_view
    from planner.ui.views import limit_text, solver_text

    view = plan_view(store, result.plan_id)
    assert "Optimal" not in solver_text(view) and "limited by the agent pool" in solver_text(view)
    assert limit_text(view) == limit["text"]

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    known = stored_plan_levels(config, store.scenarios(result.plan_id))
    assert list(known) == [0.8]  # the stored plan is the family's 80 % plan: not solved again
    with Executor(in_process=True) as ex:
        table = frontier(config, forecast.frame, levels=(0.8,), executor=ex, known=known)
    row = table.iloc[0]
    assert not row["reached"] and row["service_level"] < 0.8
    assert row["note"].startswith(f"unreachable: the best plan reaches {row['service_level']:.1%} (limited by the agent pool")


def test_cli_frontier_and_budget(bank, tmp_path, monkeypatch, capsys):
    config, forecast = bank
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    monkeypatch.setenv("PLANNER_DB_URL", url)
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    config = limited(config)
    with Executor(in_process=True) as ex:
        plan_id = plan(config, store=Store.open(url), forecast=forecast, executor=ex).plan_id
    out = tmp_path / "frontier.csv"
    assert main(["frontier", "--plan", str(plan_id), "--targets", "0.1,80%", "--out", str(out), "--workers", "1"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["target", "reached", "level", "name", "fte"]
    assert {"paid_hours", "cost", "cost_per_contact", "service_level", "occupancy", "coverage_limit", "note"} <= set(table)
    assert table["target"].tolist() == [0.1, 0.8] and table["reached"].tolist() == [True, False]
    assert table.loc[0, "service_level"] >= 0.1  # reached by a plan staffed higher than 10 %
    text = capsys.readouterr().out
    assert "target 80.0%: UNREACHABLE" in text
    budget = float(table["cost"].max())
    out = tmp_path / "budget.csv"
    assert main(["budget", "--budget", str(budget), "--out", str(out), "--workers", "1", "--max-solves", "1"]) == 0
    row = pd.read_csv(out).iloc[0]
    assert row["cost"] <= budget and row["budget"] == budget
    assert row["service_level"] >= table.loc[table["cost"] <= budget, "service_level"].max()
    assert "limited by the agent pool" in capsys.readouterr().out
    # user mistakes: exit 2, one line naming the value, nothing written
    for argv, words in ((["frontier", "--targets", "0.8,1.2"], "'1.2' must be a service level between 0 and 1"),
                        (["frontier", "--targets", "0"], "'0' must be a service level between 0 and 1"),
                        (["frontier", "--plan", "999", "--targets", "0.8"], "plan 999: not in the store"),
                        (["budget", "--budget", "0"], "budget '0' must be a positive amount per week"),
                        (["budget", "--budget", "-5"], "budget '-5' must be a positive amount per week"),
                        (["budget", "--budget", "lots"], "budget 'lots' is not a number"),
                        (["budget", "--plan", "999", "--budget", "9e4"], "plan 999: not in the store")):
        target = tmp_path / "never.csv"
        assert main([*argv, "--out", str(target)]) == 2, argv
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not target.exists()


def test_targets_and_budget_are_checked():
    assert parse_targets("0.9, 70%,0.8") == (0.7, 0.8, 0.9)
    with pytest.raises(ValueError, match="'abc' is not a number"):
        parse_targets("0.8,abc")
    with pytest.raises(ValueError, match="at least one"):
        parse_targets(" , ")
    assert check_budget("90000") == 90000.0
    with pytest.raises(ValueError, match="positive"):
        check_budget(float("nan"))
    with pytest.raises(ValueError, match="positive"):
        budget_service(None, None, budget=-1)


@pytest.mark.slow
def test_sample_frontier_and_budget(data_dir, tmp_path):
    """The bundled multi-channel sample (15-minute grid, 160 named agents): one frontier target and
    a budget below the 80 % plan's cost, then every budget over the plans solved."""
    config = dataclasses.replace(load_plan_config(data_dir / "sample" / "plan.toml"), scenarios=())
    with Executor(workers=2) as ex:
        forecast = build_forecast(config, load_plan_history(config), executor=ex).frame
        # stop at the first plan within 5 % of its bound (the time limit only guards a loaded machine)
        quick = Scenario("base", {"rules.time_limit_s": 150, "rules.gap_rel": 0.05})
        search = PlanSearch(config, forecast, ex, base=quick, cache=False)
        table = search.frontier((0.8,), max_rounds=2)
        answers = [search.budget(0.97 * float(table["cost"].iloc[0]), tolerance=0.2, max_solves=2)]
    costs = sorted(p.cost for p in search.plans)
    answers += [search.budget(b, max_solves=0) for b in np.linspace(costs[0], costs[-1] * 1.05, 10)]
    assert table["reached"].all()
    assert_finance_properties(table, answers)
    assert answers[0].plan.service_level < table["service_level"].iloc[0]  # less money, less service

"""Finance's two questions on the Scenarios page, in a real headless Chromium on the production
server, computed by the page itself (issue 19): the frontier drawn for 70/80/90 % with every
point at or above its target (or the page saying the target is unreachable and the best level),
costs non-decreasing; "What does it buy?" as a formatted card whose cost is within the budget and
whose service level is at least that of every frontier point costing no more; progress shown
while each runs. The plan build's warnings are on the Schedule and Overview pages.

The stored plan is small: the US bank's last week (data/sample/us_bank_plan.toml: hourly grid,
voice, five open days) with a 10 s solver limit. After the page answered, the same questions are
asked in this process over the plans the page solved (the shared ``PLANNER_CACHE_DIR``): the
page must show exactly those answers."""

from __future__ import annotations

import dataclasses
import json
import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from execution import Executor
from forecasting import ForecastResult
from planner.pipeline import plan
from planner.plan_config import load_plan_config
from planner.store import Store

from .conftest import serve, severe_console_errors
from tests.progress_check import Recorder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TARGETS = (0.7, 0.8, 0.9)  # the page's FRONTIER_LEVELS
MONEY = re.compile(r"^\d{1,3}(,\d{3})*$")  # 101,640: thousands separators, no decimals
PERCENT = re.compile(r"^\d{1,3}\.\d%$")  # 82.4%


@pytest.fixture(scope="module")
def bank_site(tmp_path_factory, data_dir):
    """The US bank week planned and stored (no scenarios; time_limit_s 10), served with its own
    finance cache."""
    folder = tmp_path_factory.mktemp("finance-flows")
    url = f"sqlite:///{folder / 'planner.db'}"
    config = dataclasses.replace(load_plan_config(data_dir / "sample" / "us_bank_plan.toml"), scenarios=())
    config = dataclasses.replace(config, rules=dict(json.loads(json.dumps(config.rules)), time_limit_s=10))
    store = Store.open(url)
    with Executor(in_process=True) as ex:
        built = plan(config, store=store, executor=ex)
        # a second plan of the same week whose shifts all end by 20:00: the 20:00 hour (calls
        # every weekday) is one no shift reaches, which the build warns about
        rules = json.loads(json.dumps(config.rules))
        for shift in rules["shift"]:
            shift["latest_start"] = {"day": "11:00", "evening": "16:00"}[shift["name"]]
        narrow = dataclasses.replace(config, name="US bank, shifts end by 20:00", rules=rules)
        forecast = ForecastResult(built.forecast, built.selection, built.backtest)
        warned = plan(narrow, store=store, executor=ex, forecast=forecast).plan_id
    cache = folder / "cache"
    process, base = serve(url, extra_env={"PLANNER_CACHE_DIR": str(cache)})
    yield base, store, built.plan_id, cache, warned
    process.terminate()
    process.wait(timeout=20)


def _wait(browser, by, value, timeout=60):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def _run_watching_progress(browser, button: str, prefix: str, done: str, timeout: float = 600) -> list[str]:
    """Click ``button`` and poll until ``done`` is on the page; returns the status lines seen on
    the progress block meanwhile (the user saw them while the job ran)."""
    browser.find_element(By.ID, button).click()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.find_elements(By.ID, done):
            return seen
        status = browser.find_element(By.ID, f"{prefix}-status").text.strip()
        bar = browser.find_element(By.ID, f"{prefix}-progress")
        if status and (not seen or seen[-1] != status):
            seen.append(status)
            assert bar.is_displayed()
        errors = browser.find_elements(By.CSS_SELECTOR, ".message.error")
        assert not [e.text for e in errors if "could not" in e.text], [e.text for e in errors]
        time.sleep(0.3)
    raise AssertionError(f"#{done} did not appear within {timeout} s; progress seen: {seen}")


def _frontier_figure(browser) -> dict:
    return browser.execute_script(
        "const gd = document.querySelector('#sc-frontier-figure .js-plotly-plot');"
        "return gd._fullData.map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y), text: Array.from(t.text)}));")


def test_frontier_and_budget_on_the_scenarios_page(bank_site, browser, artifacts, monkeypatch):
    base, store, plan_id, cache, _warned = bank_site
    browser.get(base + f"scenarios?plan={plan_id}")
    _wait(browser, By.ID, "sc-frontier")

    # -- the frontier, computed by the page ------------------------------------------------------
    seen = _run_watching_progress(browser, "sc-frontier", "sc-frontier", "sc-frontier-done")
    assert any(line.startswith("planning ") or line.startswith("planned staffing level ") for line in seen), seen
    _wait(browser, By.CSS_SELECTOR, "#sc-frontier-figure .main-svg")
    browser.save_screenshot(str(artifacts / "finance_frontier.png"))
    traces = {t["name"]: t for t in _frontier_figure(browser)}
    line = traces.get("cheapest plan per target", {"x": [], "y": [], "text": []})
    reached = {float(label.rstrip("%")) / 100: (sl, cost) for label, sl, cost in zip(line["text"], line["x"], line["y"])}
    missed = {}
    if "unreachable target" in traces:
        t = traces["unreachable target"]
        missed = {float(label.split("%")[0]) / 100: (sl, cost) for label, sl, cost in zip(t["text"], t["x"], t["y"])}
    assert sorted({**reached, **missed}) == list(TARGETS)  # every target drawn, once
    for target, (sl, _cost) in reached.items():
        assert sl >= target, (target, sl)  # exact: the evaluated service level, no tolerance
    costs = [cost for _t, (_sl, cost) in sorted(reached.items())]
    assert costs == sorted(costs), "the frontier's cost fell as the target rose"
    notes = browser.find_elements(By.ID, "sc-frontier-unreachable")
    for target, (sl, _cost) in missed.items():
        assert notes and f"Target {target:.0%}: unreachable: the best plan reaches {sl:.1%}" in notes[0].text
    assert not missed or all(sl < target for target, (sl, _c) in missed.items())
    grid = browser.find_element(By.ID, "sc-frontier-table").text
    for target, (sl, cost) in {**reached, **missed}.items():
        assert f"{target:.0%}" in grid and f"{sl:.1%}" in grid and f"{cost:,.0f}" in grid  # shares as %, money with separators

    # the same question asked here over the plans the page solved: nothing to solve, same answer
    from planner.ui.jobs import budget_buys, plan_view, run_frontier

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(cache))
    view = plan_view(store, plan_id)
    progress = Recorder()  # the app's job emits the wfm_progress.Progress shape
    table = run_frontier(store, view, levels=TARGETS, progress=progress)
    assert not [s for s in progress.texts if s.startswith("planning ")], progress.texts  # every plan came from the page's search
    for row in table.to_dict("records"):
        shown = reached.get(row["target"]) if row["reached"] else missed.get(row["target"])
        assert shown == pytest.approx((row["service_level"], row["cost"]), rel=1e-9), row

    # -- what a budget buys: between the cheapest and the dearest point -----------------------------
    points = sorted(reached.values(), key=lambda p: p[1]) or sorted(missed.values(), key=lambda p: p[1])
    budget = round((points[0][1] + points[-1][1]) / 2) if len(points) > 1 else round(1.01 * points[0][1])
    field = browser.find_element(By.ID, "sc-budget")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(str(budget))
    _run_watching_progress(browser, "sc-budget-run", "sc-budget", "sc-budget-card")
    card = browser.find_element(By.ID, "sc-budget-card")
    browser.save_screenshot(str(artifacts / "finance_budget_card.png"))
    cost_text = browser.find_element(By.ID, "sc-budget-cost").text
    sl_text = browser.find_element(By.ID, "sc-budget-service-level").text
    unspent_text = browser.find_element(By.ID, "sc-budget-unspent").text
    assert MONEY.match(cost_text) and MONEY.match(unspent_text), (cost_text, unspent_text)
    assert PERCENT.match(sl_text), sl_text
    cost, sl = float(cost_text.replace(",", "")), float(sl_text.rstrip("%")) / 100
    assert cost <= budget
    assert abs(float(unspent_text.replace(",", "")) - (budget - cost)) <= 1  # rounding of the two shown numbers
    for point_sl, point_cost in {**reached, **missed}.values():
        if point_cost <= budget:
            assert sl >= round(point_sl, 3), (sl, point_sl, point_cost)  # never below a frontier point costing no more
    assert f"A weekly budget of {budget:,.0f} buys {sl_text} expected service level" in card.text
    more = browser.find_element(By.ID, "sc-budget-next").text
    assert re.match(r"^\d{1,3}(,\d{3})* more \(\d{1,3}(,\d{3})* above the budget\) buys \d{1,3}\.\d%$", more) or \
        more.startswith("no solved plan serves better"), more
    # exactly the library's answer over the plans the page solved
    answer = budget_buys(store, view, budget=budget, max_solves=0)
    assert cost_text == f"{answer.plan.cost:,.0f}" and sl_text == f"{answer.plan.service_level:.1%}"
    assert more == answer.next_text()
    if answer.next_plan is not None:
        assert answer.next_plan.cost > budget and answer.next_plan.service_level > answer.plan.service_level
    assert severe_console_errors(browser) == []


def test_the_build_warnings_are_on_schedule_and_overview(bank_site, browser, artifacts):
    """A plan whose shifts all end by 20:00 while calls come until 21:00: the build warns that
    no shift reaches those intervals, the warning is stored with the plan and the Schedule and
    Overview pages list it (not only the server log); a plan that warned of nothing lists nothing."""
    base, store, clean_id, _cache, plan_id = bank_site
    said = store.plan(plan_id).summary["warnings"]
    known = [s for s in said if s.startswith("no [[shift]] serving voice is on duty in 5 interval(s) with a requirement "
                                             "(Mon 20:00-21:00, Tue 20:00-21:00, Wed 20:00-21:00, Thu 20:00-21:00, ...)")]
    assert known, said
    browser.get(base + f"schedule?plan={plan_id}")
    shown = _wait(browser, By.ID, "schedule-warnings").text
    assert shown.startswith(f"Building plan {plan_id} warned ({len(said)}):")
    assert all(s in shown for s in said) and "agent-hours stay uncovered whatever the plan" in shown
    browser.save_screenshot(str(artifacts / "schedule_warnings.png"))
    browser.get(base + f"?plan={plan_id}")
    overview = _wait(browser, By.ID, "overview-warnings").text
    assert all(s in overview for s in said)
    if not store.plan(clean_id).summary["warnings"]:
        browser.get(base + f"schedule?plan={clean_id}")
        _wait(browser, By.ID, "schedule-solver")
        assert not browser.find_elements(By.ID, "schedule-warnings")
    assert severe_console_errors(browser) == []

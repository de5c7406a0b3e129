"""The finance answers in a real headless Chromium on the production server: "What does it buy?"
shows a formatted card (cost, FTE, service level, what is left and what more money buys) with
the values of :func:`planner.scenarios.budget_service`, and a plan its agents cannot cover says
so on the Schedule and Overview pages instead of "Optimal"."""

from __future__ import annotations

import dataclasses
import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from execution import Executor
from planner.pipeline import plan
from planner.plan_config import load_plan_config
from planner.store import Store

from .conftest import serve, severe_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def finance_site(tmp_path_factory, data_dir):
    """The US bank's hourly week with a pool of 300 full-time and 40 part-time agents (it needs
    about 500), stored, and the answer to a budget worked out beforehand in this process into the
    cache the server reads (``PLANNER_CACHE_DIR``): the page must show exactly that answer."""
    import os

    from planner.ui.jobs import budget_buys, plan_view

    folder = tmp_path_factory.mktemp("finance-browser")
    url = f"sqlite:///{folder / 'planner.db'}"
    config = dataclasses.replace(load_plan_config(data_dir / "sample" / "us_bank_plan.toml"), scenarios=())
    rules = json.loads(json.dumps(config.rules))
    for contract in rules["contract"]:
        contract["max_agents"] = 300 if contract["name"] == "full_time" else 40
    config = dataclasses.replace(config, rules=dict(rules, time_limit_s=10))
    store = Store.open(url)
    with Executor(in_process=True) as ex:
        plan_id = plan(config, store=store, executor=ex).plan_id
    cache = folder / "cache"
    old = os.environ.get("PLANNER_CACHE_DIR")
    os.environ["PLANNER_CACHE_DIR"] = str(cache)
    try:
        budget = 1.02 * store.plan(plan_id).summary["cost"]
        answer = budget_buys(store, plan_view(store, plan_id), budget=budget)  # the page's own call
    finally:
        if old is None:
            os.environ.pop("PLANNER_CACHE_DIR", None)
        else:
            os.environ["PLANNER_CACHE_DIR"] = old
    process, base = serve(url, extra_env={"PLANNER_CACHE_DIR": str(cache)})
    yield base, store, plan_id, answer
    process.terminate()
    process.wait(timeout=20)


def _wait(browser, by, value, timeout=60):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def test_budget_card_shows_the_answer(finance_site, browser, artifacts):
    base, _store, _plan_id, answer = finance_site
    browser.get(base + "scenarios")
    field = _wait(browser, By.ID, "sc-budget")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(repr(answer.budget))
    browser.find_element(By.ID, "sc-budget-run").click()
    card = _wait(browser, By.ID, "sc-budget-card", timeout=120)
    browser.save_screenshot(str(artifacts / "budget_card.png"))
    row = answer.plan.row
    assert browser.find_element(By.ID, "sc-budget-cost").text == f"{answer.plan.cost:,.0f}"
    assert browser.find_element(By.ID, "sc-budget-fte").text == f"{row['fte']:,.1f}"
    assert browser.find_element(By.ID, "sc-budget-service-level").text == f"{answer.plan.service_level:.1%}"
    assert browser.find_element(By.ID, "sc-budget-unspent").text == f"{answer.unspent:,.0f}"
    assert browser.find_element(By.ID, "sc-budget-next").text == answer.next_text()
    text = card.text
    assert f"A weekly budget of {answer.budget:,.0f} buys {answer.plan.service_level:.1%}" in text
    assert "Limited by the agent pool" in text  # this pool is the wall, and the card says so
    assert "0 planned for this answer" in text  # the plans worked out beforehand were used
    assert severe_console_errors(browser) == []


def test_schedule_and_overview_say_the_pool_is_the_limit(finance_site, browser, artifacts):
    base, store, plan_id, _answer = finance_site
    limit = store.plan(plan_id).summary["coverage_limit"]
    assert limit["limited_by_pool"]
    browser.get(base + "schedule")
    message = _wait(browser, By.ID, "schedule-limit")
    assert limit["text"][1:] in message.text and message.text.startswith("Limited by the agent pool: ")
    solver = browser.find_element(By.ID, "schedule-solver").text
    assert "Optimal" not in solver and "limited by the agent pool" in solver
    browser.save_screenshot(str(artifacts / "schedule_limited.png"))
    browser.get(base)
    overview = _wait(browser, By.ID, "overview-limit")
    assert overview.text == f"Plan {plan_id} is {limit['text']}."
    assert severe_console_errors(browser) == []

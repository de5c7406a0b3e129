"""The Intraday page's re-plan: propose, see the before/after projection, accept all or the
selected agents' changes as a new plan version (callbacks, then in headless Chromium)."""

from __future__ import annotations

import sys

import pytest

from planner.store import Store

DAY = "2025-06-03"  # the day of the ``day_plan_url`` fixture (tests/conftest.py)


def _page():
    return sys.modules["pages.intraday"]


@pytest.fixture(scope="module")
def page_on(day_plan_url):
    from planner.ui.app import create_app

    create_app(day_plan_url)
    return _page()


def test_propose_then_accept_selected_from_the_callbacks(page_on, day_plan_url):
    store = Store.open(day_plan_url)
    first_plan = store.latest_plan_id()
    body, kept = page_on.propose_replan(1, DAY, ["moves", "switch"], "12:00")
    ids = {getattr(c, "id", None) for c in body.children}
    assert {"replan-totals", "replan-changes", "replan-figure"} <= ids
    totals = [c for c in body.children if getattr(c, "id", None) == "replan-totals"][0].children
    assert "From 12:00" in totals and "+0.00 paid hours" in totals
    rows = [c for c in body.children if getattr(c, "id", None) == "replan-changes"][0].rowData
    assert rows and kept["plan_id"] == first_plan
    nothing = page_on.accept_view("replan-accept-selected", None, kept)
    assert "Select the changes" in str(nothing) and store.latest_plan_id() == first_plan
    assert "Propose a re-plan first" in str(page_on.accept_view("replan-accept-all", None, None))
    message = page_on.accept_view("replan-accept-selected", rows[:1], kept)
    assert "stored as plan" in str(message)
    new_plan = store.latest_plan_id()
    assert new_plan != first_plan
    assert store.plan(new_plan).summary["intraday_replan"]["accepted_changes"] == [rows[0]["change_id"]]


@pytest.mark.browser
def test_replan_proposal_and_accept_all_in_the_browser(day_plan_url, browser, artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import serve, severe_console_errors

    store = Store.open(day_plan_url)
    before = store.latest_plan_id()
    process, url = serve(day_plan_url)
    try:
        browser.get(url + "/intraday")
        wait = WebDriverWait(browser, 120)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#intraday-figure .main-svg")))
        browser.find_element(By.ID, "replan-now").send_keys("12:00")
        browser.find_element(By.ID, "replan-propose").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#replan-changes .ag-row")))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#replan-figure .main-svg .trace")))
        totals = browser.find_element(By.ID, "replan-totals").text
        assert "From 12:00" in totals and "recovered" in totals
        browser.save_screenshot(str(artifacts / "intraday_replan_proposal.png"))
        browser.find_element(By.ID, "replan-accept-all").click()
        accepted = wait.until(EC.presence_of_element_located((By.ID, "replan-accepted")))
        assert "stored as plan" in accepted.text
        assert severe_console_errors(browser) == []
    finally:
        process.terminate()
        process.wait(timeout=10)
    after = store.latest_plan_id()
    assert after != before
    summary = store.plan(after).summary["intraday_replan"]
    assert summary["date"] == DAY and summary["from"] == "12:00" and summary["accepted_changes"]

"""Signed-in roles in a real headless Chromium on the production server: sign-in, a finance
user creates a scenario but cannot publish or delete (the server rejects the callback even when
the page sends it by hand), a team lead sees the published roster and intraday only, sign-out."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from planner.store import Store

from .conftest import serve, severe_console_errors
from .test_auth import PASSWORDS, team_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def team_site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('team-browser') / 'planner.db'}"
    team_store(url)
    process, base = serve(url, extra_env={"PLANNER_CACHE_DIR": str(tmp_path_factory.mktemp("team-browser-cache"))})
    yield base, url
    process.terminate()
    process.wait(timeout=20)


def _wait(browser, by, value, timeout=30):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def sign_in(browser, base: str, name: str, path: str = "") -> None:
    browser.get(base + path)
    _wait(browser, By.ID, "login-name").send_keys(name)
    browser.find_element(By.ID, "login-password").send_keys(PASSWORDS[name])
    browser.find_element(By.ID, "login-submit").click()
    _wait(browser, By.ID, "nav-user")


def nav_links(browser) -> list[str]:
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".navbar a.nav-link")]


def hand_sent_publish(browser, base: str, plan_id: int) -> int:
    """POST the publish callback from the signed-in page with fetch (same origin, session cookie)."""
    body = {"output": "schedule-publish-result.children", "outputs": {"id": "schedule-publish-result", "property": "children"},
            "inputs": [{"id": "schedule-publish", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["schedule-publish.n_clicks"],
            "state": [{"id": "schedule-plan-id", "property": "data", "value": plan_id}]}
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: arguments[0]}).then(r => done(r.status));", json.dumps(body))


def test_sign_in_with_a_wrong_password_then_the_right_one(team_site, browser):
    base, _url = team_site
    browser.get(base + "scenarios")
    assert "/login" in browser.current_url
    _wait(browser, By.ID, "login-name").send_keys("fin")
    browser.find_element(By.ID, "login-password").send_keys("not-the-password")
    browser.find_element(By.ID, "login-submit").click()
    assert "unknown user or wrong password" in _wait(browser, By.ID, "login-error").text
    browser.find_element(By.ID, "login-name").clear()
    browser.find_element(By.ID, "login-name").send_keys("fin")
    browser.find_element(By.ID, "login-password").send_keys(PASSWORDS["fin"])
    browser.find_element(By.ID, "login-submit").click()
    assert "fin (finance)" in _wait(browser, By.ID, "nav-user").text
    # back where the user was going (the plan picker may add ?plan=ID to the address: issue 19)
    assert urlsplit(browser.current_url).path == "/scenarios"


@pytest.mark.slow
def test_finance_creates_a_scenario_but_cannot_publish_or_delete(team_site, browser, artifacts):
    base, url = team_site
    store = Store.open(url)
    plan_id = store.latest_plan_id()
    sign_in(browser, base, "fin", "scenarios")
    assert "Data" not in nav_links(browser) and "Audit" not in nav_links(browser)
    name = _wait(browser, By.ID, "sc-name")
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys(Keys.DELETE)
    name.send_keys("finance volume +10%")
    browser.find_element(By.ID, "sc-run").click()
    done = _wait(browser, By.ID, "sc-done", timeout=600)
    assert "finance volume +10%" in done.text
    assert "finance volume +10%" in set(store.scenarios(plan_id)["name"])
    audit = store.audit_log(action="scenario")
    assert audit["actor"].tolist()[:1] == ["fin"]  # the background job ran as the signed-in account
    jobs = store.jobs()
    assert jobs[["kind", "owner", "status"]].values.tolist()[0] == ["scenario", "fin", "done"]
    browser.save_screenshot(str(artifacts / "team_finance_scenario.png"))
    # Schedule: readable, but no publish button; a publish sent by hand is refused by the server
    browser.get(base + "schedule")
    _wait(browser, By.ID, "schedule-publication")
    assert not browser.find_element(By.ID, "schedule-publish").is_displayed()
    assert hand_sent_publish(browser, base, plan_id) == 403
    assert store.published_plan_id() is None
    browser.get(base + "data")
    assert "may not open /data" in browser.find_element(By.TAG_NAME, "body").text


def test_a_lead_sees_the_published_roster_and_intraday_only_then_signs_out(team_site, browser, artifacts):
    base, url = team_site
    store = Store.open(url)
    sign_in(browser, base, "max", "schedule")  # a manager publishes in the browser
    _wait(browser, By.ID, "schedule-publish").click()
    assert "published as version" in _wait(browser, By.ID, "schedule-published", timeout=60).text
    published = store.published_plan_id()
    assert published == store.latest_plan_id()
    browser.get(base + "logout")
    sign_in(browser, base, "lea")
    assert urlsplit(browser.current_url).path == "/roster"
    assert nav_links(browser) == ["Intraday", "Roster", "Sign out"]
    assert f"Plan {published}" in _wait(browser, By.ID, "roster-plan").text
    assert "by max" in browser.find_element(By.ID, "roster-publication").text
    _wait(browser, By.CSS_SELECTOR, "#roster-grid .ag-row")
    browser.save_screenshot(str(artifacts / "team_lead_roster.png"))
    browser.find_element(By.ID, "nav-intraday").click()
    _wait(browser, By.CSS_SELECTOR, "#intraday-figure .main-svg")
    assert severe_console_errors(browser) == []
    browser.get(base + "scenarios")
    assert "may not open /scenarios" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(base + "roster")
    _wait(browser, By.ID, "nav-signout").click()  # the page's layout arrives after the load event
    _wait(browser, By.ID, "login-name")
    browser.get(base + "roster")
    assert "/login" in browser.current_url

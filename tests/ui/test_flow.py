"""The whole flow in a real headless Chromium, as a workforce manager does it on a fresh store:
upload the US bank file and read the validation report, store it, forecast a week, build the
week's schedule, create a scenario with +10 % volume and compare it with the base."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import serve, severe_console_errors

pytestmark = pytest.mark.browser

WEEK = "2003-10-20"  # a Monday; the US bank history runs to 2003-10-24


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory):
    process, url = serve(f"sqlite:///{tmp_path_factory.mktemp('flow-store') / 'planner.db'}")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _wait(browser, by, value, timeout=30):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def _type(browser, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_upload_forecast_schedule_and_compare_a_scenario(flow_server, browser, artifacts, us_bank_path):
    # 1. Data: upload, read the report, store
    browser.get(flow_server + "data")
    # the first page of a fresh server: its workers load Dash's bundles on first use (slow on a busy machine)
    upload = _wait(browser, By.CSS_SELECTOR, "#data-upload input[type=file]", timeout=90)
    upload.send_keys(str(us_bank_path))
    verdict = _wait(browser, By.ID, "data-verdict", timeout=60)
    assert "0 errors" in verdict.text and "ready to store" in verdict.text
    summary = browser.find_element(By.ID, "data-summary").text
    assert "rows accepted: 27716" in summary and "interval minutes: 5" in summary
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "data-store").is_enabled())
    browser.find_element(By.ID, "data-store").click()
    stored = _wait(browser, By.ID, "data-stored", timeout=60)
    assert "us_bank_2003_5min" in stored.text and "27,716 rows" in stored.text
    WebDriverWait(browser, 10).until(lambda d: "us_bank_2003_5min" in d.find_element(By.ID, "datasets").text)
    browser.save_screenshot(str(artifacts / "flow_1_data.png"))
    assert severe_console_errors(browser) == []

    # 2. Forecast the week
    browser.get(flow_server + "forecast")
    _wait(browser, By.ID, "fc-run")
    WebDriverWait(browser, 10).until(lambda d: "us_bank_2003_5min" in d.find_element(By.ID, "fc-dataset").text)
    _type(browser, "fc-start", WEEK)
    _type(browser, "fc-interval", "30")
    _type(browser, "fc-country", "US")
    browser.find_element(By.ID, "fc-run").click()
    done = _wait(browser, By.ID, "fc-done", timeout=240)
    contacts = _number(re.search(r"([\d,]+) contacts", done.text).group(1))
    assert 100_000 < contacts < 250_000  # the bank takes some 30,000 calls a weekday
    _wait(browser, By.CSS_SELECTOR, "#fc-new-figure .main-svg")
    assert "chosen" in browser.find_element(By.ID, "fc-result").text or browser.find_element(By.ID, "fc-selection")
    browser.save_screenshot(str(artifacts / "flow_2_forecast.png"))
    assert severe_console_errors(browser) == []

    # 3. Build the week's schedule
    browser.get(flow_server + "schedule")
    _wait(browser, By.ID, "schedule-build")
    WebDriverWait(browser, 10).until(lambda d: "us_bank_2003_5min" in d.find_element(By.ID, "schedule-dataset").text)
    _type(browser, "schedule-start", WEEK)
    _type(browser, "schedule-country", "US")
    browser.find_element(By.ID, "schedule-build").click()
    built = _wait(browser, By.CSS_SELECTOR, "#schedule-build-result .message", timeout=600)
    browser.save_screenshot(str(artifacts / "flow_3_build.png"))
    assert "has no shifts" not in built.text and "built: solver: status" in built.text, built.text
    browser.get(flow_server + "schedule")
    _wait(browser, By.CSS_SELECTOR, "#schedule-coverage .main-svg")
    _wait(browser, By.CSS_SELECTOR, "#schedule-timeline .main-svg")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#schedule-roster .ag-row"))
    assert "us_bank_2003_5min, week of 2003-10-20" in browser.find_element(By.TAG_NAME, "h3").text
    assert "Mon 2003-10-20" in browser.find_element(By.ID, "schedule-roster").text
    browser.save_screenshot(str(artifacts / "flow_3_schedule.png"))
    assert severe_console_errors(browser) == []

    # 4. A scenario with +10 % volume, compared with the base
    browser.get(flow_server + "scenarios")
    _wait(browser, By.ID, "sc-run")
    _type(browser, "sc-name", "volume +10%")
    _type(browser, "sc-volume", "1.1")
    browser.find_element(By.ID, "sc-run").click()
    result = _wait(browser, By.CSS_SELECTOR, "#sc-result .message", timeout=600)
    assert "Scenario 'volume +10%'" in result.text, result.text
    WebDriverWait(browser, 30).until(lambda d: "volume +10%" in d.find_element(By.ID, "scenarios-table").text)
    rows = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "#scenarios-table .ag-center-cols-container .ag-row"):
        cells = {c.get_attribute("col-id"): c.text for c in row.find_elements(By.CSS_SELECTOR, ".ag-cell")}
        rows[cells.get("name") or row.find_element(By.XPATH, "..").text] = cells
    pinned = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#scenarios-table .ag-pinned-left-cols-container .ag-row")]
    assert pinned[:2] == ["base", "volume +10%"]
    costs = [_number(r.find_element(By.CSS_SELECTOR, "[col-id=cost]").text)
             for r in browser.find_elements(By.CSS_SELECTOR, "#scenarios-table .ag-center-cols-container .ag-row")]
    assert costs[1] >= costs[0] > 0  # more volume never costs less
    _wait(browser, By.CSS_SELECTOR, "#scenarios-bars .main-svg")
    browser.save_screenshot(str(artifacts / "flow_4_scenarios.png"))
    assert severe_console_errors(browser) == []

"""Issue 16 in a real headless Chromium: a file no profile matches shows its columns with a
mapping form; the preview validates and draws the series before anything is stored; storing
then keeps the mapped History rows."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from planner.store import Store

from .conftest import serve, severe_console_errors

pytestmark = pytest.mark.browser

CUSTOM = ("Start;Line;Calls In;Answered;AHT\n"
          "03/17/2025 08:00;Sales;10;9;3:00\n03/17/2025 08:30;Sales;12;12;200\n03/17/2025 09:00;Sales;14;13;190\n")


def _wait(browser, by, value, timeout=30):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def _choose(browser, dropdown_id: str, option: str) -> None:
    """Open a Dash dropdown and click the option with this text."""
    browser.find_element(By.ID, dropdown_id).click()
    WebDriverWait(browser, 10).until(
        lambda d: any(o.text == option for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")))
    [o for o in browser.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == option][0].click()
    WebDriverWait(browser, 10).until(lambda d: option in d.find_element(By.ID, dropdown_id).text)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.2)


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    process, base = serve(url)
    yield url, base
    process.terminate()
    process.wait(timeout=10)


def test_unmatched_file_is_mapped_previewed_then_stored(server, browser, artifacts, tmp_path):
    store_url, base = server
    path = tmp_path / "acd_custom.csv"
    path.write_text(CUSTOM)
    browser.get(base + "data")
    _wait(browser, By.CSS_SELECTOR, "#data-upload input[type=file]").send_keys(str(path))
    columns = _wait(browser, By.ID, "data-file-columns", timeout=60)
    assert columns.text == "The file's columns: Start, Line, Calls In, Answered, AHT"
    assert browser.find_element(By.ID, "data-mapping").is_displayed()
    assert "missing" in browser.find_element(By.ID, "data-verdict").text or \
        "errors" in browser.find_element(By.ID, "data-verdict").text
    assert not browser.find_element(By.ID, "data-store").is_enabled()

    _choose(browser, "data-map-interval_start", "Start")
    _choose(browser, "data-map-queue", "Line")
    _choose(browser, "data-map-offered", "Calls In")
    _choose(browser, "data-map-handled", "Answered")
    _choose(browser, "data-map-aht_s", "AHT")
    browser.find_element(By.ID, "data-preview").click()
    WebDriverWait(browser, 60).until(lambda d: "0 errors" in d.find_element(By.ID, "data-verdict").text)
    summary = browser.find_element(By.ID, "data-summary").text
    assert "offered total: 36" in summary and "offered <- 'Calls In'" in summary
    assert "month-first (inferred from row 2" in summary
    WebDriverWait(browser, 30).until(
        lambda d: "Sales/voice" in d.find_element(By.ID, "data-preview-chart").text)
    assert Store.open(store_url).list_datasets().empty  # previewing stores nothing
    browser.find_element(By.ID, "data-preview-chart").location_once_scrolled_into_view
    browser.save_screenshot(str(artifacts / "mapping_preview.png"))

    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "data-store").is_enabled())
    button = browser.find_element(By.ID, "data-store")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    stored = _wait(browser, By.ID, "data-stored", timeout=60)
    assert "acd_custom" in stored.text and "3 rows" in stored.text
    frame = Store.open(store_url).dataset("acd_custom")
    assert frame["offered"].tolist() == [10, 12, 14] and frame["aht_s"].tolist() == [180, 200, 190]
    assert set(frame["queue"]) == {"Sales"}
    assert severe_console_errors(browser) == []


def test_a_detected_profile_needs_no_mapping(server, browser, tmp_path):
    _, base = server
    path = tmp_path / "genesys.csv"
    path.write_text("Interval Start,Interval End,Queue Name,Media Type,Offer,Answer,Abandon,Avg Handle\n"
                    "2025-03-03 08:00,2025-03-03 08:30,Billing,voice,40,35,4,4:10\n"
                    "2025-03-03 08:30,2025-03-03 09:00,Billing,voice,52,50,3,3:55\n")
    browser.get(base + "data")
    _wait(browser, By.CSS_SELECTOR, "#data-upload input[type=file]").send_keys(str(path))
    WebDriverWait(browser, 60).until(lambda d: "0 errors" in d.find_element(By.ID, "data-verdict").text)
    assert "profile: genesys_cloud" in browser.find_element(By.ID, "data-summary").text
    assert not browser.find_element(By.ID, "data-mapping").is_displayed()

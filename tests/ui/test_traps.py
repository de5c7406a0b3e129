"""The flows that misled users (issue 19, item 5), in a real headless Chromium: what the user
sees after each action, the values and the layout, not only that an element exists."""

from __future__ import annotations

import pytest

from planner.store import Store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def traps_server(plan_store_url):
    from .conftest import serve

    process, url = serve(plan_store_url)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _wait(browser, by, value, timeout: float = 60):
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def _box(browser, element_id: str) -> dict:
    return browser.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, height: r.height};", element_id)


def test_staffing_recompute_keeps_the_heatmap_and_shows_its_result(traps_server, plan_store_url, browser, artifacts):
    """Edit voice shrinkage 0.3 -> 0.45 and press Recompute: the heatmap keeps its height and
    stays above the targets table, and the result under the button states the week's
    agent-hours, more than the plan's by 0.7 / 0.55 on the voice part."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from planner.ui.views import latest_plan

    from .conftest import severe_console_errors

    browser.get(traps_server + "staffing")
    _wait(browser, By.CSS_SELECTOR, "#staffing-heatmap .main-svg")
    _wait(browser, By.CSS_SELECTOR, "#staffing-targets .ag-row")
    before = _box(browser, "staffing-heatmap")
    assert before["height"] > 300
    cell = browser.find_element(By.CSS_SELECTOR, "#staffing-targets .ag-row[row-index='0'] .ag-cell[col-id='shrinkage']")
    assert cell.text == "0.3"
    ActionChains(browser).double_click(cell).perform()
    editor = _wait(browser, By.CSS_SELECTOR, "#staffing-targets .ag-cell-inline-editing input")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("0.45", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: b.find_element(
        By.CSS_SELECTOR, "#staffing-targets .ag-row[row-index='0'] .ag-cell[col-id='shrinkage']").text == "0.45")
    browser.find_element(By.ID, "staffing-recompute").click()
    result = _wait(browser, By.ID, "staffing-recomputed")
    WebDriverWait(browser, 30).until(lambda b: _box(b, "staffing-heatmap")["height"] > 300
                                     and b.find_elements(By.CSS_SELECTOR, "#staffing-heatmap .main-svg"))
    browser.save_screenshot(str(artifacts / "traps_staffing_recompute.png"))

    after, table, button, shown = (_box(browser, i) for i in ("staffing-heatmap", "staffing-targets", "staffing-recompute",
                                                              "staffing-recompute-result"))
    assert after["height"] == pytest.approx(before["height"], abs=2)     # not collapsed
    assert after["bottom"] <= table["top"] + 1                             # not drawn over the targets
    assert shown["top"] >= button["bottom"] - 1 and shown["height"] > 0    # the result under the button
    assert result.is_displayed()

    plan = latest_plan(Store.open(plan_store_url))
    req = plan.table("requirements")
    hours = req["required_agents"].sum() * plan.interval_minutes / 60
    voice = req.loc[req["channel"] == "voice", "required_agents"].sum() * plan.interval_minutes / 60
    edited = hours + voice * (0.7 / 0.55 - 1)
    text = result.text
    assert f"(plan: {hours:,.0f})" in text, text
    shown_hours = float(text.split("needs ")[1].split(" scheduled")[0].replace(",", ""))
    assert shown_hours == pytest.approx(edited, rel=0.02), text
    assert severe_console_errors(browser) == []

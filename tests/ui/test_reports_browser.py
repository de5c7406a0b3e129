"""Tables that read like reports (issue 17, item 8), on the production server in a real headless
Chromium: the Scenarios and Intraday grids show labels with units and formatted values (the
numbers of the store, formatted by planner.ui.columns), sorting stays by value, the browser's
formatter writes what the Python one writes, and the Capacity page shows a stored capacity plan
to finance and managers (not to team leads)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import requests

from planner.accounts import add_user
from planner.store import Store
from planner.ui.columns import COLUMNS, format_value, formatted

from .test_auth import PASSWORDS, callback, signed_in
from .test_columns import FORMAT_CASES

TEAM = {"max": "manager", "fin": "finance", "lea": "lead"}
DAY = "2025-06-03"


@pytest.fixture(scope="module")
def reports_store(tmp_path_factory) -> str:
    """The test plan, the morning of 2025-06-03 as actuals (1.2 x the forecast), a stored
    capacity plan (built by cli:fin) and three accounts."""
    from planner.datasets import import_bytes

    from .conftest import store_capacity_plan, store_sample_plan

    folder = tmp_path_factory.mktemp("reports-store")
    url = f"sqlite:///{folder / 'planner.db'}"
    store = Store.open(url)
    plan_id = store_sample_plan(store)
    forecast = store.plan_table(plan_id, "forecast")
    starts = pd.to_datetime(forecast["interval_start"])
    morning = forecast[(starts >= DAY) & (starts < f"{DAY} 12:00")]
    actual = morning.assign(offered=(morning["forecast"] * 1.2).round().astype(int),
                            interval_start=pd.to_datetime(morning["interval_start"]).dt.strftime("%Y-%m-%dT%H:%M"))
    result = import_bytes(actual[["interval_start", "queue", "channel", "offered"]].to_csv(index=False).encode(),
                          source_name="today.csv", dataset="actuals_today", kind="actuals", store=store)
    assert result.dataset_id is not None
    store_capacity_plan(store, folder)
    for name, role in TEAM.items():
        add_user(store, name, role=role, password=PASSWORDS[name])
    return url


@pytest.fixture(scope="module")
def reports_server(reports_store, tmp_path_factory):
    from .conftest import serve

    process, base = serve(reports_store, extra_env={"PLANNER_CACHE_DIR": str(tmp_path_factory.mktemp("reports-cache"))})
    yield base
    process.terminate()
    process.wait(timeout=20)


def _wait(browser, css: str, timeout: float = 60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def _sign_in(browser, base: str, name: str, path: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base + path)
    _wait(browser, "#login-name").send_keys(name)
    browser.find_element(By.ID, "login-password").send_keys(PASSWORDS[name])
    browser.find_element(By.ID, "login-submit").click()
    _wait(browser, "#nav-user")


def _headers(browser, grid: str) -> dict[str, str]:
    """col-id -> the header text the reader sees."""
    from selenium.webdriver.common.by import By

    cells = browser.find_elements(By.CSS_SELECTOR, f"#{grid} .ag-header-cell[col-id]")
    return {c.get_attribute("col-id"): c.find_element(By.CSS_SELECTOR, ".ag-header-cell-text").text for c in cells}


def _rows(browser, grid: str) -> list[dict[str, str]]:
    """The rendered rows in display order (row-index), pinned and centre cells joined: col-id -> text."""
    from selenium.webdriver.common.by import By

    rows: dict[int, dict[str, str]] = {}
    for row in browser.find_elements(By.CSS_SELECTOR, f"#{grid} .ag-row[row-index]"):
        index = int(row.get_attribute("row-index"))
        cells = {c.get_attribute("col-id"): c.text for c in row.find_elements(By.CSS_SELECTOR, ".ag-cell[col-id]")}
        rows.setdefault(index, {}).update(cells)
    return [rows[i] for i in sorted(rows)]


def _labels_are_the_vocabulary(headers: dict[str, str]) -> None:
    for field, text in headers.items():
        assert text == COLUMNS[field].label, (field, text)
        assert "_" not in text, text


pytestmark = pytest.mark.browser


def test_the_browser_formats_as_python_does(reports_server, browser):
    """wfmFormat (assets/wfm_format.js) and format_value agree on every known-answer case and on
    a spread of awkward numbers (halves, negatives, big sums)."""
    _sign_in(browser, reports_server, "fin", "scenarios")
    _wait(browser, "#scenarios-table .ag-row")
    numbers = [0.005, 0.015, 0.125, -0.125, 2.5, -2.5, 1234.5, 99999.995, 1e7 + 0.5, -0.04, 0.0, 3.14159]
    cases = [(v, k, d) for v, k, d, _shown in FORMAT_CASES]
    cases += [(v, kind, digits) for v in numbers for kind in ("money", "number", "percent", "signed_pct", "seconds")
              for digits in (0, 1, 2)]
    cases += [(None, "money", 2), (float("nan"), "percent", 1)]
    script = ("return arguments[0].map(c => window.dashAgGridFunctions.wfmFormat("
              "c[0] === 'NaN' ? NaN : c[0], c[1], c[2]));")
    sent = [["NaN" if isinstance(v, float) and v != v else v, k, d] for v, k, d in cases]
    shown = browser.execute_script(script, sent)
    expected = [format_value(v, k, d) for v, k, d in cases]
    assert [c for c, a, b in zip(cases, shown, expected) if a != b] == []


def test_scenarios_grid_reads_like_a_report(reports_server, reports_store, browser, artifacts):
    """Labels with units, not "Cost_per_contact"; cost 92,160 not 92160.0; shares as percentages."""
    from planner.ui.views import latest_plan, scenario_rows

    _sign_in(browser, reports_server, "fin", "scenarios")
    _wait(browser, "#scenarios-table .ag-center-cols-container .ag-row")
    headers = _headers(browser, "scenarios-table")
    assert {"name", "cost", "cost_per_contact", "service_level", "p_meets_target", "fte"} <= set(headers)
    _labels_are_the_vocabulary(headers)
    assert headers["cost_per_contact"] == "Cost per contact" and headers["cost"] == "Cost (week)"
    store = Store.open(reports_store)
    stored = scenario_rows(store, latest_plan(store)).set_index("name")
    rows = {r["name"]: r for r in _rows(browser, "scenarios-table")}
    assert set(rows) == set(stored.index) == {"base", "volume +10%"}
    for name, row in rows.items():
        for field in ("cost", "cost_per_contact", "service_level", "fte", "occupancy", "paid_hours"):
            assert row[field] == formatted(field, stored.loc[name, field]), (name, field, row[field])
        assert re.fullmatch(r"\d{1,3}(,\d{3})+", row["cost"]), row["cost"]     # separators, no decimals
        assert re.fullmatch(r"\d+\.\d%", row["service_level"]), row["service_level"]
        assert re.fullmatch(r"\d+\.\d\d", row["cost_per_contact"]), row["cost_per_contact"]
    browser.save_screenshot(str(artifacts / "reports_scenarios.png"))


def test_intraday_grid_reads_like_a_report(reports_server, reports_store, browser, artifacts):
    from planner.intraday import intraday

    _sign_in(browser, reports_server, "lea", "intraday")
    _wait(browser, "#intraday-summary .ag-center-cols-container .ag-row")
    headers = _headers(browser, "intraday-summary")
    _labels_are_the_vocabulary(headers)
    assert headers["wape_so_far"] == "WAPE so far" and headers["day_reforecast"] == "Day re-forecast (contacts)"
    store = Store.open(reports_store)
    result = intraday(DAY, store=store, plan_id=store.latest_plan_id())
    expected = result.summary.set_index("channel")
    rows = {r["channel"]: r for r in _rows(browser, "intraday-summary")}
    assert set(rows) == set(expected.index)
    voice = rows["voice"]
    for field in ("wape_so_far", "bias_so_far", "day_forecast", "day_reforecast", "projected_service_level",
                  "actual_so_far", "forecast_so_far", "multiplier"):
        assert voice[field] == formatted(field, round(float(expected.loc["voice", field]), 3)), (field, voice[field])
    assert voice["bias_so_far"].startswith("-") and voice["bias_so_far"].endswith("%")  # forecast 1/1.2 of actual
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", voice["day_reforecast"])
    browser.save_screenshot(str(artifacts / "reports_intraday.png"))


def test_capacity_page_for_finance(reports_server, reports_store, browser, artifacts):
    """The stored capacity plan: caption, a chart per channel, cost by month, hiring classes,
    definitions; the values are the stored ones, formatted; a numeric column sorts by value."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from planner.ui.views import capacity_view

    store = Store.open(reports_store)
    view = capacity_view(store)
    _sign_in(browser, reports_server, "fin", "capacity")
    caption = _wait(browser, "#capacity-caption").text
    assert caption.startswith(f"Capacity plan {view.record.capacity_id}: Sample centre, capacity (test); 13 weeks, "
                              "Mon 2025-06-02 - Sun 2025-08-31") and caption.endswith("by cli:fin")
    for channel in ("voice", "chat"):
        _wait(browser, f"#capacity-fte-{channel} .main-svg")
        title = browser.find_element(By.CSS_SELECTOR, f"#capacity-fte-{channel} .gtitle").text
        assert title == f"Capacity plan by week, {channel}"
    _wait(browser, "#capacity-cost-figure .main-svg")
    assert browser.find_element(By.ID, "capacity-total-cost").text == formatted("total_cost", view.summary["total_cost"])

    _wait(browser, "#capacity-monthly .ag-row")
    headers = _headers(browser, "capacity-monthly")
    _labels_are_the_vocabulary(headers)
    assert [headers[c] for c in ("month", "total_cost")] == ["Month", "Total cost"]
    totals = view.monthly_totals()
    rows = _rows(browser, "capacity-monthly")
    assert [r["month"] for r in rows] == ["Jun 2025", "Jul 2025", "Aug 2025"]
    assert [r["total_cost"] for r in rows] == [formatted("total_cost", v) for v in totals["total_cost"]]
    assert sum(float(r["total_cost"].replace(",", "")) for r in rows) == pytest.approx(view.summary["total_cost"], abs=3)

    hiring = _rows(browser, "capacity-hiring")
    assert [(r["start_week"], r["channel"], r["size"], r["fixed"]) for r in hiring][0] == ("Mon 2025-06-09", "voice", "4", "yes")
    assert len(hiring) == len(view.hiring)
    _labels_are_the_vocabulary(_headers(browser, "capacity-hiring"))

    terms = browser.find_element(By.ID, "capacity-definitions").text
    for term in ("FTE", "Shrinkage", "Attrition", "Required FTE", "Available FTE", "Cost"):
        assert term in terms
    assert "(1 - shrinkage)" in terms and "paid_hours_per_fte_week" in terms

    # sorting by value: hires starting of 4 and 15 people sort 15, 4 descending (as text "4" > "15")
    header = browser.find_element(By.CSS_SELECTOR, "#capacity-weekly .ag-header-cell[col-id='hires_starting'] .ag-header-cell-label")
    header.click()
    header.click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(
        By.CSS_SELECTOR, "#capacity-weekly .ag-header-cell[col-id='hires_starting'][aria-sort='descending']"))
    shown = [r["hires_starting"] for r in _rows(browser, "capacity-weekly")][:4]
    numbers = [float(t) for t in shown]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] >= 10 > numbers[-1], shown
    browser.save_screenshot(str(artifacts / "reports_capacity.png"))


def test_capacity_page_roles_are_checked_on_the_server(reports_server):
    """Finance and managers read it; a team lead gets 403 for the page and its content callback,
    and the menu offers it only to those who may open it."""
    base = reports_server
    content = [{"id": "_pages_location", "property": "pathname", "value": "/capacity"},
               {"id": "_pages_location", "property": "search", "value": ""}]
    for name in ("fin", "max"):
        session = signed_in(base, name)
        assert session.get(base + "capacity").status_code == 200
        page = callback(base, session, "_pages_content", inputs=content)
        assert page.status_code == 200 and "Required vs available FTE by week" in page.text, name
        assert "nav-capacity" in session.get(base + "_dash-layout").text, name
    lea = signed_in(base, "lea")
    assert lea.get(base + "capacity", allow_redirects=False).status_code == 403
    assert callback(base, lea, "_pages_content", inputs=content).status_code == 403
    assert requests.get(base + "capacity", auth=("lea", PASSWORDS["lea"]), allow_redirects=False).status_code == 403
    assert requests.get(base + "capacity", auth=("fin", PASSWORDS["fin"])).status_code == 200
    assert "nav-capacity" not in lea.get(base + "_dash-layout").text

"""The plan picker and stored scenarios in a real headless Chromium on the production server:
every plan page shows the plan picked (and ``?plan=ID`` reproduces it), a plan built meanwhile
changes nothing on a page already open - its exports included - and the default is the
published plan; scenarios are stored per plan, copied with every field of the source, renamed
and deleted, and seen by another user of the same plan but not under another plan."""

from __future__ import annotations

import csv
import json
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from planner.store import Store, acting_as
from planner.ui.columns import formatted

from .conftest import serve, severe_console_errors
from .test_auth import PASSWORDS

pytestmark = pytest.mark.browser

PAGE_LOAD_S = 90  # a fresh server's first pages, on a busy machine


def variant_plan(store: Store, source_id: int, *, name: str) -> int:
    """A second plan of the same week: every other agent of the source's roster, cost and FTE
    x 1.5, only a ``base`` scenario; so each page shows numbers that tell the two apart."""
    info = store.plan(source_id)
    tables = {t: store.plan_table(source_id, t) for t in info.tables}
    keep = sorted(tables["roster"]["agent_id"].unique())[::2]
    tables["roster"] = tables["roster"][tables["roster"]["agent_id"].isin(keep)].reset_index(drop=True)
    tables["activities"] = tables["activities"][tables["activities"]["agent_id"].isin(keep)].reset_index(drop=True)
    summary = dict(info.summary, name=name, fte=info.summary["fte"] * 1.5, cost=info.summary["cost"] * 1.5)
    base = dict(store.scenario_record(source_id, "base").result, fte=summary["fte"], cost=summary["cost"])
    tables["scenarios"] = tables["scenarios"].iloc[:1].assign(fte=summary["fte"], cost=summary["cost"])
    return store.save_plan(name, config=dict(info.config, name=name), summary=summary, tables=tables,
                           scenario_rows=[("base", {}, base)])


def _wait(browser, by, value, timeout=60):
    return WebDriverWait(browser, timeout).until(EC.presence_of_element_located((by, value)))


def _caption(browser, plan_id: int, timeout=PAGE_LOAD_S) -> str:
    """Wait until the page names plan ``plan_id`` as the plan shown; the caption's text."""
    def shown(driver):
        found = driver.find_elements(By.ID, "plan-caption")
        text = found[0].text if found else ""
        return text if text.startswith(f"Plan {plan_id}:") else False

    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(shown)


def choose(browser, dropdown_id: str, option_text: str) -> None:
    """Pick the option of a Dash dropdown whose label starts with ``option_text``."""
    WebDriverWait(browser, 30).until(EC.element_to_be_clickable((By.ID, dropdown_id))).click()
    option = WebDriverWait(browser, 30).until(lambda d: next(
        (o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text.startswith(option_text)), None))
    option.click()


def _type(browser, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


def _cost_input(browser, contract: str):
    return browser.find_element(By.XPATH, f"//input[contains(@id, '\"contract\":\"{contract}\"') and contains(@id, 'sc-cost')]")


def _form(browser) -> dict[str, str]:
    """What the scenario form shows, field by field."""
    values = {key: browser.find_element(By.ID, f"sc-{key}").get_attribute("value")
              for key in ("name", "volume", "aht", "target", "other")}
    values.update({f"cost {c}": _cost_input(browser, c).get_attribute("value") for c in ("full_time", "part_time")})
    return values


def _table_names(browser) -> list[str]:
    """The scenario names in the comparison table, top to bottom (re-read while the grid redraws)."""
    for _attempt in range(20):
        try:
            rows = browser.find_elements(By.CSS_SELECTOR, "#scenarios-table .ag-pinned-left-cols-container .ag-row")
            return [r.text for r in sorted(rows, key=lambda r: int(r.get_attribute("row-index")))]
        except StaleElementReferenceException:
            time.sleep(0.25)
    raise AssertionError("the scenario table kept redrawing")


# -- one team's store for the module: the tests run in file order, the last one publishes ---------------
PAY_RISE = {"contract.full_time.hourly_cost": 30.0, "volume_factor": 1.2, "shift.early.latest_start": "10:00"}


@pytest.fixture(scope="module")
def team_plans(tmp_path_factory):
    """A team's store (accounts ada/max/fin/lea) with plan A (the test plan, built by this process's actor:
    base, volume +10% and max's 'pay rise') and the newer plan B (half the agents, cost x 1.5,
    base only, built by max); nothing published; the production server over it."""
    from .test_auth import team_store

    url = f"sqlite:///{tmp_path_factory.mktemp('scenarios-browser') / 'planner.db'}"
    store = team_store(url)
    a = store.latest_plan_id()
    with acting_as("max"):
        b = variant_plan(store, a, name="Sample centre, half the agents")
        store.create_scenario(a, "pay rise", overrides=PAY_RISE,
                              result=dict(store.scenario_record(a, "base").result, cost=99_999.0))
    process, base = serve(url, extra_env={"PLANNER_CACHE_DIR": str(tmp_path_factory.mktemp("scenarios-browser-cache"))})
    yield base, url, a, b
    process.terminate()
    process.wait(timeout=20)


PAGE_MARKS = {"": "kpi-fte", "forecast": "fc-series", "staffing": "staffing-channel", "schedule": "schedule-solver",
              "scenarios": "scenarios-table", "intraday": "intraday-now", "roster": "roster-plan"}


def _page_shows(browser, path: str, store: Store, plan_id: int) -> None:
    """The page at ``path`` shows plan ``plan_id``'s own values (not only its number)."""
    info = store.plan(plan_id)
    roster = store.plan_table(plan_id, "roster")
    _wait(browser, By.ID, PAGE_MARKS[path])  # the page itself, not the one before it
    if path == "":
        assert browser.find_element(By.ID, "kpi-fte").text == f"{info.summary['fte']:,.1f}"
        assert browser.find_element(By.ID, "kpi-cost").text == f"{info.summary['cost']:,.0f}"
    elif path == "forecast":
        assert f"Forecast of plan {plan_id} ({info.name})" in _wait(browser, By.CSS_SELECTOR, "#fc-figure").find_element(
            By.XPATH, "ancestor::div[contains(@class,'card')]").text
    elif path == "staffing":
        assert f"Requirements of plan {plan_id} ({info.name})" in browser.find_element(By.TAG_NAME, "main").text
    elif path == "schedule":
        text = browser.find_element(By.TAG_NAME, "main").text
        assert f"Plan {plan_id}: {info.name}" in text
        assert f"{roster['agent_id'].nunique()} agents, {len(roster)} shifts" in text
    elif path == "scenarios":
        WebDriverWait(browser, 30).until(lambda d: _table_names(d))
        assert f"Compare: plan {plan_id} ({info.name})" in browser.find_element(By.TAG_NAME, "main").text
        assert _table_names(browser) == [r.name for r in store.scenario_records(plan_id)]
    elif path == "intraday":
        assert f"plan {plan_id};" in _wait(browser, By.ID, "intraday-now").text
    elif path == "roster":
        assert _wait(browser, By.ID, "roster-plan").text == f"Plan {plan_id}: {info.name}"
        assert browser.find_element(By.ID, "roster-dl-csv").get_attribute("href").endswith(f"/download/roster.csv?plan={plan_id}")
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#roster-grid .ag-row"))


PLAN_PAGES = ("", "forecast", "staffing", "schedule", "scenarios", "intraday", "roster")


def _open_scenarios(browser, base: str, plan_id: int) -> None:
    browser.get(base + f"scenarios?plan={plan_id}")
    _caption(browser, plan_id)
    WebDriverWait(browser, 30).until(lambda d: _table_names(d))


def test_copy_fills_every_field_from_the_source_and_nothing_from_before(team_plans, browser):
    from .test_team_browser import sign_in

    base, _url, a, _b = team_plans
    sign_in(browser, base, "fin", f"scenarios?plan={a}")
    _open_scenarios(browser, base, a)
    _type(browser, "sc-target", "0.95")  # what a previous scenario left in the form
    _type(browser, "sc-other", "rules.coverage = \"hard\"")
    _cost_input(browser, "part_time").send_keys("25")
    choose(browser, "sc-copy", "pay rise")
    WebDriverWait(browser, 30).until(lambda d: _form(d)["name"] == "pay rise (copy)")
    assert _form(browser) == {"name": "pay rise (copy)", "volume": "1.2", "aht": "1", "target": "",
                              "other": 'shift.early.latest_start = "10:00"', "cost full_time": "30", "cost part_time": ""}
    choose(browser, "sc-copy", "base")  # the case: the pay rise must not stay
    WebDriverWait(browser, 30).until(lambda d: _form(d)["name"] == "base (copy)")
    assert _form(browser) == {"name": "base (copy)", "volume": "1", "aht": "1", "target": "", "other": "",
                              "cost full_time": "", "cost part_time": ""}
    choose(browser, "sc-copy", "volume +10%")
    WebDriverWait(browser, 30).until(lambda d: _form(d)["name"] == "volume +10% (copy)")
    assert _form(browser)["volume"] == "1.1" and _form(browser)["cost full_time"] == ""
    # the copy list is this plan's scenarios
    browser.find_element(By.ID, "sc-copy").click()
    options = WebDriverWait(browser, 10).until(lambda d: [o.text for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")])
    assert options == ["base", "volume +10%", "pay rise"]
    assert severe_console_errors(browser) == []


@pytest.mark.slow
def test_a_scenario_is_stored_with_its_plan_for_everyone_and_renamed_and_deleted(team_plans, browser, chromium_paths,
                                                                                   tmp_path, artifacts):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from .conftest import CHROMIUM_FLAGS
    from .test_team_browser import sign_in

    base, url, a, b = team_plans
    store = Store.open(url)
    sign_in(browser, base, "fin", f"scenarios?plan={a}")
    _open_scenarios(browser, base, a)
    choose(browser, "sc-copy", "base")
    WebDriverWait(browser, 30).until(lambda d: _form(d)["name"] == "base (copy)")
    _type(browser, "sc-name", "finance volume +5%")
    _type(browser, "sc-volume", "1.05")
    browser.find_element(By.ID, "sc-run").click()
    done = _wait(browser, By.ID, "sc-done", timeout=900)
    assert f"Scenario 'finance volume +5%' of plan {a}" in done.text
    made = store.scenario_record(a, "finance volume +5%")
    assert dict(made.overrides) == {"volume_factor": 1.05} and made.created_by == "fin"
    entry = store.audit_log(action="scenario").iloc[0]
    assert entry["actor"] == "fin" and json.loads(entry["detail"])["copied_from"] == "base"
    # after a reload, and for another user of the same plan; not under the other plan
    browser.refresh()
    _caption(browser, a)
    WebDriverWait(browser, 30).until(lambda d: _table_names(d) == ["base", "volume +10%", "pay rise", "finance volume +5%"])
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_paths[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'manager-profile'}")
    manager = webdriver.Chrome(service=Service(chromium_paths[1]), options=options)
    try:
        sign_in(manager, base, "max", f"scenarios?plan={a}")
        _open_scenarios(manager, base, a)
        assert _table_names(manager) == ["base", "volume +10%", "pay rise", "finance volume +5%"]
        cost = manager.find_element(By.CSS_SELECTOR, "#scenarios-table .ag-center-cols-container .ag-row[row-index='3'] [col-id=cost]")
        assert cost.text == formatted("cost", made.result["cost"])  # money, 0 decimals: "92,160"
        by = manager.find_element(By.CSS_SELECTOR, "#scenarios-table .ag-center-cols-container .ag-row[row-index='3'] [col-id=created_by]")
        assert by.text == "fin"
        _open_scenarios(manager, base, b)
        assert _table_names(manager) == ["base"]
        # rename, then delete (as the manager); each seen after a reload, and audited
        _open_scenarios(manager, base, a)
        choose(manager, "sc-manage-name", "finance volume +5%")
        _type(manager, "sc-new-name", "volume +5% (checked)")
        manager.find_element(By.ID, "sc-rename").click()
        assert "renamed to 'volume +5% (checked)'" in _wait(manager, By.ID, "sc-managed").text
        WebDriverWait(manager, 30).until(lambda d: "volume +5% (checked)" in _table_names(d))
        manager.save_screenshot(str(artifacts / "plans_scenario_renamed.png"))
        browser.refresh()
        _caption(browser, a)
        WebDriverWait(browser, 30).until(lambda d: _table_names(d) == ["base", "volume +10%", "pay rise", "volume +5% (checked)"])
        manager.find_element(By.ID, "sc-manage-name").click()  # the plan itself is not offered
        offered = WebDriverWait(manager, 10).until(lambda d: [o.text for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")])
        assert offered == ["volume +10%", "pay rise", "volume +5% (checked)"]
        next(o for o in manager.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == "volume +5% (checked)").click()
        manager.find_element(By.ID, "sc-delete").click()
        WebDriverWait(manager, 30, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: "deleted" in d.find_element(By.ID, "sc-managed").text)
        assert "volume +5% (checked)" not in _table_names(manager)
        browser.refresh()
        _caption(browser, a)
        WebDriverWait(browser, 30).until(lambda d: _table_names(d) == ["base", "volume +10%", "pay rise"])
        assert severe_console_errors(manager) == [] and severe_console_errors(browser) == []
    except Exception:
        manager.save_screenshot(str(artifacts / "plans_scenario_failure.png"))
        raise
    finally:
        manager.quit()
    log = store.audit_log()
    log = log[log["action"].isin(["scenario rename", "scenario delete"])]
    assert log[["actor", "action", "target"]].values.tolist() == [
        ["max", "scenario delete", f"plan {a}"], ["max", "scenario rename", f"plan {a}"]]
    assert [r.name for r in store.scenario_records(a)] == ["base", "volume +10%", "pay rise"]


@pytest.mark.slow
def test_the_picker_switches_every_page_and_a_link_reproduces_it(team_plans, browser, chromium_paths, tmp_path, artifacts):
    from .test_team_browser import sign_in

    base, url, a, b = team_plans
    store = Store.open(url)
    sign_in(browser, base, "max")
    links = {}
    for path in PLAN_PAGES:
        browser.get(base + path)
        caption = _caption(browser, b)  # the newest plan while nothing is published
        assert "Sample centre, half the agents" in caption and "by max" in caption and caption.endswith("draft")
        _page_shows(browser, path, store, b)
        choose(browser, "plan-picker", f"{a} - ")
        caption = _caption(browser, a)
        assert "week Mon 2025-06-02 - Sun 2025-06-08" in caption and f"by {store.plan_record(a).created_by};" in caption
        _page_shows(browser, path, store, a)
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(f"/{path}?plan={a}"))
        links[path] = browser.current_url
        assert severe_console_errors(browser) == [], path
    browser.save_screenshot(str(artifacts / "plans_picker_scenarios.png"))
    # the menu keeps the plan picked: Roster -> Schedule -> Overview stay on plan A
    for label in ("schedule", "overview"):
        browser.find_element(By.ID, f"nav-{label}").click()
        _caption(browser, a)
    _page_shows(browser, "", store, a)
    # a copied link shows the same plan in another browser that never picked it
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from .conftest import CHROMIUM_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_paths[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'other-profile'}")
    other = webdriver.Chrome(service=Service(chromium_paths[1]), options=options)
    try:
        other.get(links["schedule"])  # signing in keeps the link's plan
        _wait(other, By.ID, "login-name").send_keys("ada")
        other.find_element(By.ID, "login-password").send_keys(PASSWORDS["ada"])
        other.find_element(By.ID, "login-submit").click()
        _caption(other, a)
        assert other.current_url.endswith(f"/schedule?plan={a}")
        for path, link in links.items():
            other.get(link)
            _caption(other, a)
            _page_shows(other, path, store, a)
        other.get(base + "schedule?plan=999")
        _caption(other, b)
        assert f"Plan 999 is not in the store. Showing plan {b}, the newest plan." in _wait(other, By.ID, "plan-problem").text
    finally:
        other.quit()


@pytest.mark.slow
def test_a_plan_built_meanwhile_changes_nothing_on_an_open_page(team_plans, browser, tmp_path):
    from .test_team_browser import sign_in

    base, url, a, b = team_plans
    store = Store.open(url)
    sign_in(browser, base, "max")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(base + "schedule")
    newest = store.latest_plan_id()
    _caption(browser, newest)
    with acting_as("cy"):  # another user builds a plan while the page is open
        built = variant_plan(store, a, name="Built while the page was open")
    # the page's exports are of the plan it shows, not of the newest plan (issue 14)
    browser.find_element(By.ID, "schedule-dl-csv").click()
    target = tmp_path / f"roster_plan{newest}.csv"
    WebDriverWait(browser, 60).until(lambda _d: target.exists() and target.stat().st_size > 0)
    assert not (tmp_path / f"roster_plan{built}.csv").exists()
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = store.plan_table(newest, "roster")
    assert len(rows) == len(expected) and sorted({r["agent_id"] for r in rows}) == sorted(expected["agent_id"].unique())
    # reloading, or moving to another page, keeps the plan
    browser.refresh()
    assert "Built while the page was open" not in _caption(browser, newest)
    browser.find_element(By.ID, "nav-overview").click()
    _caption(browser, newest)
    _page_shows(browser, "", store, newest)
    # a new session opens the newest plan while nothing is published; the published one once one is
    browser.get(base + "schedule")
    _caption(browser, built)
    store.publish_plan(a)
    for path in ("", "schedule", "scenarios", "intraday", "roster"):
        browser.get(base + path)
        assert _caption(browser, a).endswith("published (version 1)"), path
    with acting_as("cy"):
        variant_plan(store, a, name="Built after the publish")
    browser.get(base + "forecast")
    _caption(browser, a)  # a build never moves the default away from the published plan
    browser.get(base + f"?plan={newest}")
    _caption(browser, newest)  # and a link still opens the draft it names

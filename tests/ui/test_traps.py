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


def _choose(browser, dropdown_id: str, option: str) -> None:
    """Open a Dash dropdown and click the option with this text."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.ID, dropdown_id).click()
    WebDriverWait(browser, 10).until(
        lambda d: any(o.text == option for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")))
    [o for o in browser.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == option][0].click()
    WebDriverWait(browser, 10).until(lambda d: option in d.find_element(By.ID, dropdown_id).text)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.2)


def _options(browser, dropdown_id: str) -> dict[str, bool]:
    """The options of a Dash dropdown, text -> selectable."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.find_element(By.ID, dropdown_id).click()
    time.sleep(0.5)
    found = {o.text: o.find_element(By.CSS_SELECTOR, "input").is_enabled()
             for o in browser.find_elements(By.CSS_SELECTOR, "[role=option]")}
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.2)
    return found


def test_schedule_offers_only_the_intervals_the_rules_can_use(traps_server, browser, artifacts):
    """The sample rules (15-minute breaks, 8.5-hour shifts) on the 15-minute sample: only 15 is
    selectable, and the page says why 30 and 60 are not, in words; a 6-minute history fits no
    interval of these rules and the page says so, and the build button says it too."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import severe_console_errors

    browser.get(traps_server + "schedule")
    _wait(browser, By.ID, "schedule-interval")
    note = _wait(browser, By.ID, "schedule-interval-note")
    assert "sample_centre" in browser.find_element(By.ID, "schedule-dataset").text
    assert _options(browser, "schedule-interval") == {"15": True, "30 (not possible)": False, "60 (not possible)": False}
    assert browser.find_element(By.ID, "schedule-interval").text.strip().startswith("15")
    browser.find_element(By.ID, "schedule-interval").click()  # clicking a refused interval changes nothing
    WebDriverWait(browser, 10).until(lambda b: [o for o in b.find_elements(By.CSS_SELECTOR, "[role=option]")
                                                if o.text == "30 (not possible)"])[0].click()
    _options(browser, "schedule-interval")
    assert browser.find_element(By.ID, "schedule-interval").text.strip().startswith("15")
    assert note.text.splitlines() == [
        "30 min is not offered: the 15-minute breaks of the 'early' shifts don't fill whole 30-minute intervals.",
        "60 min is not offered: the 'early' shifts last 510 minutes (8.5 h), which is not a whole number of "
        "60-minute intervals.",
    ]
    assert "interval_minutes" not in note.text and "[[shift" not in note.text

    _choose(browser, "schedule-dataset", "anonymous_bank_1999")
    WebDriverWait(browser, 30).until(lambda b: "No planning interval" in b.find_element(By.ID, "schedule-interval-note").text)
    lines = browser.find_element(By.ID, "schedule-interval-note").text.splitlines()
    assert lines[0] == "No planning interval fits the shift rules and this dataset, so it can't be scheduled here."
    assert lines[1] == ("15 min is not offered: the history's 6-minute intervals don't add up to 15-minute ones.")
    assert all(v is False for v in _options(browser, "schedule-interval").values())
    browser.find_element(By.ID, "schedule-build").click()
    result = WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "schedule-build-result").text)
    assert result.startswith("No planning interval fits the shift rules and this dataset")
    browser.save_screenshot(str(artifacts / "traps_schedule_intervals.png"))

    _choose(browser, "schedule-dataset", "sample_centre")
    WebDriverWait(browser, 30).until(lambda b: "No planning interval" not in b.find_element(By.ID, "schedule-interval-note").text)
    assert browser.find_element(By.ID, "schedule-interval").text.strip().startswith("15")
    assert severe_console_errors(browser) == []


def test_schedule_timeline_draws_every_shift_of_the_day(traps_server, plan_store_url, browser, artifacts):
    """Tuesday of the test plan has more shifts than the old 60-row cut: the note names how many
    are drawn, the chart holds a bar for each shift and a labelled row for each agent, and the
    last agent's row is reached by scrolling inside the chart's box."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from planner.ui.views import latest_plan

    from .conftest import severe_console_errors

    roster = latest_plan(Store.open(plan_store_url)).table("roster")
    day = roster[roster["date"] == "2025-06-03"]
    assert len(day) > 60
    browser.get(traps_server + "schedule")
    _wait(browser, By.CSS_SELECTOR, "#schedule-timeline .main-svg")
    _choose(browser, "schedule-day", "Tue 2025-06-03")
    note = f"The timeline draws all {len(day)} shifts of Tue 2025-06-03 ({day['agent_id'].nunique()} agents)"
    WebDriverWait(browser, 30).until(lambda b: b.find_element(By.ID, "schedule-timeline-note").text.startswith(note))
    WebDriverWait(browser, 30).until(lambda b: "Tue 2025-06-03" in b.find_element(By.CSS_SELECTOR, "#schedule-timeline .gtitle").text)
    drawn = browser.execute_script("""
        const gd = document.querySelector('#schedule-timeline .js-plotly-plot');
        const traces = Array.from(gd.querySelectorAll('.barlayer .trace'));
        return gd._fullData.map((t, i) => [t.name, traces[i].querySelectorAll('.point path').length]);""")
    shift_bars = sum(n for name, n in drawn if name.startswith("shift"))
    assert shift_bars == len(day)
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#schedule-timeline .ytick text")]
    assert sorted(labels) == sorted(day["agent_id"].astype(str).unique())
    box, chart = _box(browser, "schedule-timeline-box"), _box(browser, "schedule-timeline")
    assert chart["height"] > box["height"] + 500  # all rows at full height, inside a scrolling box
    last = day.sort_values(["shift_start", "agent_id"])["agent_id"].iloc[-1]
    browser.execute_script("const b = document.getElementById('schedule-timeline-box'); b.scrollTop = b.scrollHeight;")
    label = [e for e in browser.find_elements(By.CSS_SELECTOR, "#schedule-timeline .ytick text") if e.text == last][0]
    inside = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(), b = document.getElementById('schedule-timeline-box')"
        ".getBoundingClientRect(); return r.top >= b.top && r.bottom <= b.bottom;", label)
    assert inside
    browser.save_screenshot(str(artifacts / "traps_schedule_timeline.png"))
    assert severe_console_errors(browser) == []


def test_intraday_actuals_outside_every_plan_are_named_and_warned(traps_server, plan_store_url, browser, artifacts,
                                                                  tmp_path):
    """A file called actuals_2003-10-20.csv dated 2003 beside a plan of June 2025: stored as
    'actuals_2003-10-20' (not 'actuals_actuals_...'), with a warning naming its dates and the plan's."""
    from selenium.webdriver.common.by import By

    import pandas as pd

    plan_id = Store.open(plan_store_url).latest_plan_id()
    times = pd.date_range("2003-10-20 08:00", periods=8, freq="15min")
    path = tmp_path / "actuals_2003-10-20.csv"
    pd.DataFrame({"interval_start": times.strftime("%Y-%m-%dT%H:%M"), "channel": "voice", "offered": 7}).to_csv(path, index=False)
    browser.get(traps_server + "intraday")
    # the page fits the day's re-forecast model before it shows (tens of seconds on a loaded machine)
    _wait(browser, By.CSS_SELECTOR, "#intraday-upload input[type=file]", timeout=240).send_keys(str(path))
    warning = _wait(browser, By.ID, "intraday-upload-warning", timeout=120)
    stored = browser.find_element(By.CSS_SELECTOR, "#intraday-upload-result .message.ok").text
    assert stored == "Stored actuals_2003-10-20.csv as actuals dataset 'actuals_2003-10-20'."
    assert warning.text == ("These actuals were stored, but they are dated Mon 2003-10-20, outside every plan's dates "
                            f"(plan {plan_id}: 2025-06-02 .. 2025-06-08), so intraday can't compare them with a forecast. "
                            "Check the file's dates, or build a plan for those days.")
    assert "actuals_2003-10-20" in Store.open(plan_store_url).list_datasets(kind="actuals")["name"].tolist()
    browser.save_screenshot(str(artifacts / "traps_intraday_actuals.png"))


def _set_input(browser, element_id: str, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.ID, element_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text, Keys.TAB)


def _figure(browser, graph_id: str) -> dict:
    """The figure a Dash graph draws: trace names, x and y, and the y-axis title."""
    return browser.execute_script("""
        const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        // _fullData holds the decoded arrays (a figure may send numbers as base64 typed arrays)
        return {traces: gd._fullData.map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])})),
                ytitle: (gd.layout.yaxis.title || {}).text || gd.layout.yaxis.title};""", graph_id)


@pytest.mark.slow
def test_forecast_page_starts_after_the_history_warns_plots_on_one_grid_and_feeds_staffing_and_schedule(
        traps_server, plan_store_url, browser, artifacts):
    """On the Forecast page: the plan's dataset keeps the plan's week, another dataset starts
    the day after its history, a start years later is warned about; a forecast of the 5-minute
    US bank history on a 15-minute grid over Memorial Day shows its holiday warning on the page
    and plots the history summed to 15 minutes (same axis, comparable level); its snapshot then
    opens on Staffing (requirements of that snapshot) and fills in the Schedule build form."""
    import pandas as pd
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import severe_console_errors

    store = Store.open(plan_store_url)
    browser.get(traps_server + "forecast")
    _wait(browser, By.CSS_SELECTOR, "#fc-figure .main-svg")
    top = _figure(browser, "fc-figure")
    assert top["ytitle"] == "contacts per 15 minutes"
    assert browser.find_element(By.ID, "fc-start").get_attribute("value") == "2025-06-02"  # the plan's own week
    assert browser.find_element(By.ID, "fc-start-warning").text == ""

    _choose(browser, "fc-dataset", "us_bank_2003")
    WebDriverWait(browser, 30).until(lambda b: b.find_element(By.ID, "fc-start").get_attribute("value") == "2003-10-25")
    assert browser.find_element(By.ID, "fc-start-warning").text == ""
    _set_input(browser, "fc-start", "2025-06-02")
    warning = WebDriverWait(browser, 30).until(lambda b: b.find_element(By.ID, "fc-start-warning").text)
    assert warning == ("The history of 'us_bank_2003' ends on Fri 2003-10-24, 21.6 years before the start 2025-06-02: "
                       "the forecast would repeat patterns that old, and the backtest can't tell how far off that is. "
                       "Start on 2003-10-25 for a forecast that follows on from the history.")

    _set_input(browser, "fc-start", "2003-05-19")
    WebDriverWait(browser, 30).until(lambda b: b.find_element(By.ID, "fc-start-warning").text == "")
    _set_input(browser, "fc-days", "14")
    _set_input(browser, "fc-interval", "15")
    _set_input(browser, "fc-country", "US")
    browser.find_element(By.ID, "fc-run").click()
    done = _wait(browser, By.ID, "fc-done", timeout=420)
    snapshot = int(done.text.split("Forecast snapshot ")[1].split(" ")[0])
    said = browser.find_element(By.ID, "fc-warnings").text
    assert "The forecast warns (1):" in said and "no past example of Memorial Day in the history" in said
    _wait(browser, By.CSS_SELECTOR, "#fc-new-figure .main-svg")
    browser.save_screenshot(str(artifacts / "traps_forecast_run.png"))

    figure = _figure(browser, "fc-new-figure")
    assert figure["ytitle"] == "contacts per 15 minutes"
    traces = {t["name"]: t for t in figure["traces"]}
    # the lines break (a None point) where the bank is closed: nights and weekends (issue 17)
    points = list(zip(traces["history (offered)"]["x"], traces["history (offered)"]["y"]))
    breaks = [i for i, (x, _y) in enumerate(points) if x is None]
    assert breaks and all(points[i - 1][0] is not None and points[i + 1][0] is not None for i in breaks)
    assert all(pd.Timestamp(points[i + 1][0]) - pd.Timestamp(points[i - 1][0]) > pd.Timedelta(minutes=15) for i in breaks)
    points = [p for p in points if p[0] is not None]
    hist = pd.Series([y for _x, y in points], index=pd.to_datetime([x for x, _y in points]), dtype=float)
    raw = store.dataset("us_bank_2003").set_index("interval_start")["offered"]
    sums = raw.resample("15min").sum()
    counts = raw.resample("15min").count()
    expected = sums[counts == 3]  # complete 15-minute intervals of the 5-minute history
    expected = expected[(expected.index >= hist.index.min()) & (expected.index <= hist.index.max())]
    assert len(hist) == len(expected) > 500
    assert (hist.to_numpy() == expected.to_numpy()).all() and (hist.index == expected.index).all()
    fc_points = [(x, y) for x, y in zip(traces["forecast"]["x"], traces["forecast"]["y"]) if x is not None]
    fc = pd.Series([y for _x, y in fc_points], index=pd.to_datetime([x for x, _y in fc_points]), dtype=float)
    last_week = hist[hist.index >= hist.index.max() - pd.Timedelta(days=7)]
    ratio = fc[fc > 0].mean() / last_week[last_week > 0].mean()
    assert 0.6 < ratio < 1.6, ratio  # one grid: the forecast is no longer several times the history

    links = {e.get_attribute("id"): e.get_attribute("href") for e in browser.find_elements(By.CSS_SELECTOR, "#fc-done a")}
    assert links["fc-use-staffing"].endswith(f"/staffing?forecast={snapshot}")
    assert links["fc-use-schedule"].endswith(f"/schedule?forecast={snapshot}")

    browser.get(links["fc-use-staffing"])
    note = _wait(browser, By.ID, "staffing-snapshot-note")
    assert note.text.startswith(f"Showing the requirements of forecast snapshot {snapshot}: us_bank_2003, 2003-05-19 + 14 days, "
                                "15 min, under the service targets below:")
    assert f"snapshot {snapshot}:" in browser.find_element(By.ID, "staffing-forecast").text
    assert browser.find_element(By.ID, "staffing-heading").text == (
        f"Requirements of forecast snapshot {snapshot}: us_bank_2003, 2003-05-19 + 14 days, 15 min under the targets below")
    _wait(browser, By.CSS_SELECTOR, "#staffing-heatmap .main-svg")
    heat = browser.execute_script("const gd = document.querySelector('#staffing-heatmap .js-plotly-plot');"
                                  "return [gd.layout.title.text, Array.from(gd._fullData[0].y)];")
    assert heat[0] == "Required agents, voice (scheduled, after shrinkage)"
    assert heat[1][0] == "Mon 2003-05-19" and len(heat[1]) == 14
    browser.save_screenshot(str(artifacts / "traps_forecast_staffing.png"))

    browser.get(links["fc-use-schedule"])
    note = _wait(browser, By.ID, "schedule-snapshot-note")
    assert note.text.startswith(f"The schedule is built on forecast snapshot {snapshot}: us_bank_2003, 2003-05-19")
    assert "us_bank_2003" in browser.find_element(By.ID, "schedule-dataset").text
    assert browser.find_element(By.ID, "schedule-start").get_attribute("value") == "2003-05-19"
    assert browser.find_element(By.ID, "schedule-interval").text.strip().startswith("15")
    assert f"snapshot {snapshot}:" in browser.find_element(By.ID, "schedule-forecast").text
    browser.save_screenshot(str(artifacts / "traps_forecast_schedule.png"))
    assert severe_console_errors(browser) == []

"""The pages without a browser: layouts on an empty store and on a stored plan, and the helpers
and callbacks behind them, called directly."""

from __future__ import annotations

import base64
import io
import sys
import zipfile

import pandas as pd
import pytest

from planner.store import Store
from tests.progress_check import Recorder

PAGES = ("/", "/data", "/forecast", "/staffing", "/schedule", "/scenarios", "/capacity", "/intraday", "/roster", "/audit")


def _ids(component) -> set[str]:
    """Every component id in a layout tree."""
    found = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        ident = getattr(node, "id", None)
        if isinstance(ident, str):
            found.add(ident)
        stack.append(getattr(node, "children", None))
    return found


def _page(name: str):
    return sys.modules[f"pages.{name}"]


@pytest.fixture(scope="module")
def app_on(plan_store_url):
    from planner.ui.app import create_app

    def make(url):
        create_app(url)
        import dash

        return {page["path"]: page["layout"] for page in dash.page_registry.values()}

    return make


def test_every_page_registers_in_the_nav_order(app_on, tmp_path):
    from planner.ui.app import NAV

    layouts = app_on(f"sqlite:///{tmp_path / 'empty.db'}")
    assert set(layouts) == set(PAGES)
    assert [path for _label, path in NAV] == list(PAGES)


def test_empty_store_pages_say_what_to_do(app_on, tmp_path):
    layouts = app_on(f"sqlite:///{tmp_path / 'empty.db'}")
    overview = layouts["/"]()
    assert {"no-plan", "overview-demo-button", "overview-demo-progress"} <= _ids(overview)
    assert "planner demo" in str(overview)
    for path, graph in (("/forecast", "fc-figure"), ("/staffing", "staffing-heatmap"), ("/schedule", "schedule-coverage"),
                        ("/scenarios", "scenarios-bars"), ("/intraday", "intraday-figure")):
        ids = _ids(layouts[path]())
        assert "no-plan" in ids and graph in ids, path
    assert "calc-curve" in _ids(layouts["/staffing"]())  # the calculator works without a plan
    assert "datasets" in _ids(layouts["/data"]())


def test_plan_pages_show_their_charts_and_numbers(app_on, plan_store_url):
    layouts = app_on(plan_store_url)
    store = Store.open(plan_store_url)
    plan_id = store.latest_plan_id()
    summary = store.plan(plan_id).summary
    overview = layouts["/"]()
    assert {"overview-service", "overview-plan", "kpi-fte", "kpi-cost"} <= _ids(overview)
    text = str(overview)
    assert f"{summary['fte']:,.1f}" in text and f"{summary['cost']:,.0f}" in text
    expected = {
        "/forecast": {"fc-figure", "fc-backtest", "fc-series", "fc-special", "fc-run"},
        "/staffing": {"staffing-heatmap", "staffing-targets", "calc-curve"},
        "/schedule": {"schedule-coverage", "schedule-roster", "schedule-timeline", "schedule-solver",
                      "schedule-uncertainty", "schedule-uncertainty-channels", "schedule-uncertainty-days"},
        "/scenarios": {"scenarios-table", "scenarios-bars", "sc-run", "sc-frontier"},
        "/intraday": {"intraday-figure", "intraday-summary", "intraday-upload"},
    }
    for path, ids in expected.items():
        found = _ids(layouts[path]())
        assert ids <= found, (path, ids - found)
        assert "no-plan" not in found


def test_data_page_reports_bad_rows_and_stores_good_files(app_on, tmp_path, us_bank_path):
    url = f"sqlite:///{tmp_path / 'data.db'}"
    app_on(url)
    data = _page("data")
    bad = b"interval_start,offered,channel\n2025-01-06T08:00,5,voice\n2025-01-06T08:15,-2,voice\nnot a time,3,fax\n"
    report, disabled, name = data.validate_upload("data:text/csv;base64," + base64.b64encode(bad).decode(), "bad.csv")
    assert disabled is True and name == "bad"
    grid = [c for c in report.children if getattr(c, "id", None) == "data-problems"][0]
    problems = {(r["kind"], r["row"], r["column"], r["value"]) for r in grid.rowData}
    assert ("negative", "3", "offered", "-2") in problems
    assert ("bad_timestamp", "4", "interval_start", "not a time") in problems
    assert Store.open(url).list_datasets().empty  # nothing stored by validating

    good = "data:application/gzip;base64," + base64.b64encode(us_bank_path.read_bytes()).decode()
    report, disabled, name = data.validate_upload(good, us_bank_path.name)
    assert disabled is False and name == "us_bank_2003_5min"
    result, rows = data.store_upload(1, good, us_bank_path.name, "us_bank", "history")
    assert "Stored" in str(result) and [r["dataset"] for r in rows] == ["us_bank"]
    assert rows[0]["rows"] == 27_716
    message, rows = data.delete_selected(1, [{"dataset": "us_bank"}])
    assert rows == [] and Store.open(url).list_datasets().empty


def test_upload_limits_and_decoding():
    from planner.ui.uploads import UPLOAD_LIMIT_BYTES, decode_upload

    assert decode_upload("data:text/csv;base64," + base64.b64encode(b"a,b\n").decode(), "f.csv") == b"a,b\n"
    with pytest.raises(ValueError, match="f.csv"):
        decode_upload("data:text/csv;base64,@@@", "f.csv")
    big = base64.b64encode(b"0" * (UPLOAD_LIMIT_BYTES + 1)).decode()
    with pytest.raises(ValueError, match="upload limit"):
        decode_upload("data:text/csv;base64," + big, "big.csv")


def test_staffing_calculator_callback_and_targets(app_on, plan_store_url):
    app_on(plan_store_url)
    staffing = _page("staffing")
    cards, figure, error = staffing.update_calculator(100, 30, 180, 20, 0.8, 1.0, 0.3, None)
    assert error is None
    text = str(cards)
    assert "'14'" in text and "'20'" in text and "88.8%" in text  # 14 net, 20 scheduled, SL 88.8 %
    _cards, _figure, error = staffing.update_calculator(100, 30, -5, 20, 0.8, 1.0, 0.3, None)
    assert "aht_s" in str(error)
    rows = staffing.target_rows({"channel": {"voice": {"aht_s": 300, "target_sl": 0.8, "shrinkage": 0.3}}})
    assert rows[0]["channel"] == "voice" and rows[0]["patience_s"] is None
    rows[0]["shrinkage"] = "0.4"
    assert staffing.staffing_from_rows(rows) == {"channel": {"voice": {"aht_s": 300.0, "target_sl": 0.8, "shrinkage": 0.4}}}
    rows[0]["service_goal"], rows[0]["min_interval_sl"] = "weekly", "0.6"
    assert staffing.staffing_from_rows(rows)["channel"]["voice"] == {
        "aht_s": 300.0, "target_sl": 0.8, "shrinkage": 0.4, "service_goal": "weekly", "min_interval_sl": 0.6}
    rows[0]["shrinkage"] = "lots"
    with pytest.raises(ValueError, match=r"\[channel.voice\] shrinkage"):
        staffing.staffing_from_rows(rows)


def test_the_app_shows_a_mistake_in_its_words_and_logs_a_bug(app_on, plan_store_url, monkeypatch, caplog):
    app_on(plan_store_url)
    staffing = _page("staffing")
    with caplog.at_level("ERROR", logger="planner"):
        _cards, _figure, error = staffing.update_calculator(100, 30, -5, 20, 0.8, 1.0, 0.3, None)
    assert "aht_s" in str(error) and "bug" not in str(error) and not caplog.records

    def broken_internal(values):
        raise ValueError("an internal invariant broke")

    monkeypatch.setattr(staffing, "calculator_view", broken_internal)
    with caplog.at_level("ERROR", logger="planner"):
        _cards, _figure, error = staffing.update_calculator(100, 30, 180, 20, 0.8, 1.0, 0.3, None)
    assert "a bug in the planner, not in your input" in str(error)
    assert "ValueError: an internal invariant broke" in str(error)
    [record] = caplog.records
    assert record.levelname == "ERROR" and record.exc_info[0] is ValueError
    assert record.getMessage() == "bug in the app: ValueError: an internal invariant broke"


def test_staffing_recompute_more_shrinkage_needs_more_agents(app_on, plan_store_url):
    app_on(plan_store_url)
    staffing = _page("staffing")
    config = Store.open(plan_store_url).plan(Store.open(plan_store_url).latest_plan_id()).config
    rows = staffing.target_rows(config["staffing"])
    same_fig, same_note = staffing.update_heatmap("voice", 1, rows)
    for row in rows:
        row["shrinkage"] = 0.45
    more_fig, _note = staffing.update_heatmap("voice", 1, rows)
    import numpy as np

    same, more = np.nansum(np.asarray(same_fig.data[0].z, float)), np.nansum(np.asarray(more_fig.data[0].z, float))
    assert more == pytest.approx(same * 0.7 / 0.55, rel=0.02)  # net / (1 - s)


def test_staffing_heading_says_which_forecast_is_shown(app_on, plan_store_url):
    """Issue 19: with a forecast snapshot chosen the heading names that forecast, not the plan,
    on the page as opened (``?forecast=N``) and when the choice changes."""
    from planner.ui.views import plan_by_id

    url = plan_store_url
    store = Store.open(url)
    plan_id = store.latest_plan_id()
    frame = plan_by_id(store, plan_id).table("forecast")
    snapshot = store.save_forecast(frame, dataset="sample_centre", method="seasonal_naive",
                                   params={"interval_minutes": 15}, backtest=None, train_end="2025-06-02")
    layouts = app_on(url)
    staffing = _page("staffing")
    from planner.ui.views import snapshot_choice

    label = snapshot_choice(store, snapshot).label
    assert label.startswith(f"snapshot {snapshot}: sample_centre, 2025-06-02 + 7 days, 15 min")

    def heading(layout):
        found = [n for n in _walk(layout) if getattr(n, "id", None) == "staffing-heading"]
        assert len(found) == 1
        return found[0].children

    name = store.plan(plan_id).name
    assert heading(layouts["/staffing"]()) == f"Requirements of plan {plan_id} ({name})"
    assert heading(layouts["/staffing"](forecast=str(snapshot))) == f"Requirements of forecast {label} under the targets below"
    rows = staffing.target_rows(store.plan(plan_id).config["staffing"])
    *_rest, shown = staffing.show_heatmap("voice", 0, str(snapshot), rows, plan_id)
    assert shown == f"Requirements of forecast {label} under the targets below"
    *_rest, shown = staffing.show_heatmap("voice", 0, staffing.PLAN_FORECAST, rows, plan_id)
    assert shown == f"Requirements of plan {plan_id} ({name})"


def _walk(component):
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        yield node
        stack.append(getattr(node, "children", None))


def test_schedule_exports(app_on, plan_store_url):
    app_on(plan_store_url)
    schedule = _page("schedule")
    from planner.ui.views import latest_plan

    plan = latest_plan(Store.open(plan_store_url))
    data, name = schedule.export_bytes(plan, "csv")
    assert name.endswith(".csv")
    assert len(pd.read_csv(io.BytesIO(data))) == len(plan.table("roster"))
    data, name = schedule.export_bytes(plan, "xlsx")
    assert data[:2] == b"PK" and name.endswith(".xlsx")
    data, name = schedule.export_bytes(plan, "ics")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == plan.table("roster")["agent_id"].nunique()
        assert b"BEGIN:VCALENDAR" in archive.read(names[0])
        # the test plan has no time zone: shifts are floating local times, at the roster's clock time
        import icalendar

        roster = plan.table("roster")
        first = roster.sort_values("shift_start").iloc[0]
        text = archive.read(f"{first['agent_id']}.ics")
        starts = [e["DTSTART"].dt for e in icalendar.Calendar.from_ical(text).walk("VEVENT")
                  if str(e["SUMMARY"]).startswith("Shift")]
        assert all(s.tzinfo is None for s in starts)
        assert pd.Timestamp(first["shift_start"]).to_pydatetime() in starts


def test_scenario_comparison_and_overrides(app_on, plan_store_url):
    app_on(plan_store_url)
    scenarios = _page("scenarios")
    from planner.ui.jobs import scenario_overrides
    from planner.ui.views import latest_plan, scenario_rows

    overrides = scenario_overrides(volume_factor=1.1, aht_factor="", target_sl=0.9, channels=["voice", "chat"],
                                   hourly_cost={"full_time": 26, "part_time": None})
    assert overrides == {"volume_factor": 1.1, "channel.voice.target_sl": 0.9, "channel.chat.target_sl": 0.9,
                         "contract.full_time.hourly_cost": 26.0}
    assert scenario_overrides(service_goal="weekly", channels=["voice", "chat"]) == {
        "channel.voice.service_goal": "weekly", "channel.chat.service_goal": "weekly"}
    store = Store.open(plan_store_url)
    stored = scenario_rows(store, latest_plan(store))
    assert stored["p_meets_target"].notna().iloc[0]  # the base plan's probability of meeting its goals
    assert "p_meets_target" in scenarios.TABLE_COLUMNS and "sc-goal" in _ids(scenarios.layout())
    added = [{"name": "pricey", "cost": float(stored["cost"].iloc[0]) + 1000.0, "fte": 1.0, "service_level": 0.9}]
    table = scenarios.comparison(stored, added)
    assert list(table["name"]) == ["base", "volume +10%", "pricey"]
    assert table.set_index("name").loc["pricey", "cost_vs_base"] == pytest.approx(1000.0)


def test_intraday_with_uploaded_actuals(app_on, plan_store_url, tmp_path):
    """Actuals 20 % above the forecast in the morning raise the re-forecast for the afternoon."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'intraday.db'}"
    # Copy through SQLite's backup API: a plain file copy misses pages still in the -wal file.
    source, copy = sqlite3.connect(plan_store_url.removeprefix("sqlite:///")), sqlite3.connect(tmp_path / "intraday.db")
    source.backup(copy)
    source.close(), copy.close()
    app_on(url)
    intraday = _page("intraday")
    store = Store.open(url)
    forecast = store.plan_table(store.latest_plan_id(), "forecast")
    morning = forecast[(forecast["interval_start"] >= "2025-06-03") & (forecast["interval_start"] < "2025-06-03 12:00")]
    actual = morning.assign(offered=(morning["forecast"] * 1.2).round().astype(int))[["interval_start", "queue", "channel", "offered"]]
    csv = actual.assign(interval_start=actual["interval_start"].dt.strftime("%Y-%m-%dT%H:%M")).to_csv(index=False).encode()
    message = intraday.upload_actuals("data:text/csv;base64," + base64.b64encode(csv).decode(), "today.csv")
    assert "Stored" in str(message)
    body = intraday.day_view("2025-06-03", "voice")
    summary = [c for c in body.children if getattr(c, "id", None) == "intraday-summary"][0].rowData
    voice = [r for r in summary if r["channel"] == "voice"][0]
    assert voice["multiplier"] > 1.1
    assert voice["day_reforecast"] > voice["day_forecast"]
    assert "12:00" in str(body.children[0])


# -- in a real headless Chromium --------------------------------------------------------------
PAGE_GRAPHS = {
    "": "overview-forecast",
    "data": None,
    "forecast": "fc-figure",
    "staffing": "staffing-heatmap",
    "schedule": "schedule-coverage",
    "scenarios": "scenarios-bars",
    "intraday": "intraday-figure",
}


@pytest.fixture(scope="module")
def plan_server(plan_store_url):
    from .conftest import serve

    process, url = serve(plan_store_url)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    from .conftest import serve

    process, url = serve(f"sqlite:///{tmp_path_factory.mktemp('empty-store') / 'planner.db'}")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _wait_for_chart(browser, graph_id: str, timeout: float = 30):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, f"#{graph_id} .main-svg")))


@pytest.mark.browser
def test_every_page_shows_its_charts_in_the_browser(plan_server, plan_store_url, browser, artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import severe_console_errors

    for path, graph_id in PAGE_GRAPHS.items():
        browser.get(plan_server + path)
        if graph_id:
            _wait_for_chart(browser, graph_id)
            traces = browser.find_elements(By.CSS_SELECTOR, f"#{graph_id} .trace, #{graph_id} .hm, #{graph_id} .heatmaplayer image")
            assert traces, f"/{path}: the chart {graph_id} has no traces"
        else:
            table = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#datasets .ag-row")))
            text = browser.find_element(By.ID, "datasets").text
            for name in ("sample_centre", "us_bank_2003", "anonymous_bank_1999"):
                assert name in text
            assert "27,716" in text and "87,120" in text and table
        browser.save_screenshot(str(artifacts / f"page_{path or 'overview'}.png"))
        assert severe_console_errors(browser) == [], f"/{path}"

    # what the user reads on the Overview is the stored plan's
    store = Store.open(plan_store_url)
    summary = store.plan(store.latest_plan_id()).summary
    browser.get(plan_server)
    _wait_for_chart(browser, "overview-forecast")
    assert browser.find_element(By.ID, "kpi-fte").text == f"{summary['fte']:,.1f}"
    assert browser.find_element(By.ID, "kpi-service-level").text == f"{summary['service_level']:.1%}"


@pytest.mark.browser
def test_empty_store_pages_in_the_browser(empty_server, browser, artifacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import severe_console_errors

    for path in PAGE_GRAPHS:
        browser.get(empty_server + path)
        if path == "data":
            WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "data-upload")))
            continue
        message = WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "no-plan")))
        assert "planner demo" in message.text
        if path == "staffing":
            _wait_for_chart(browser, "calc-curve")  # the calculator needs no plan
        assert severe_console_errors(browser) == [], f"/{path}"
    browser.get(empty_server)
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "overview-demo-button")))
    browser.save_screenshot(str(artifacts / "empty_overview.png"))


def test_page_roster_grid_agrees_with_the_export_grid(plan_store_url):
    """The page's vectorized grid and planner.exports.roster_grid (a loop per agent and day) agree."""
    from planner.exports import roster_grid
    from planner.ui.views import latest_plan, roster_week_grid

    plan = latest_plan(Store.open(plan_store_url))
    roster = plan.table("roster")
    ours = roster_week_grid(roster, week_start=plan.week_start)
    theirs = roster_grid(roster, week_start=plan.week_start)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    assert (ours.drop(columns=["agent_id", "shifts", "hours"]) != "off").sum().sum() == len(roster)


def test_basic_auth_when_the_environment_sets_it(tmp_path, monkeypatch):
    from planner.ui.app import create_app

    url = f"sqlite:///{tmp_path / 'auth.db'}"
    monkeypatch.setenv("PLANNER_AUTH_USER", "lead")
    monkeypatch.setenv("PLANNER_AUTH_PASSWORD", "s3cret")
    client = create_app(url).server.test_client()
    for path in ("/", "/data", "/_dash-layout"):
        response = client.get(path)
        assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
    wrong = base64.b64encode(b"lead:guess").decode()
    assert client.get("/", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = base64.b64encode(b"lead:s3cret").decode()
    assert client.get("/", headers={"Authorization": f"Basic {right}"}).status_code == 200
    monkeypatch.delenv("PLANNER_AUTH_PASSWORD")
    assert create_app(url).server.test_client().get("/").status_code == 200  # both variables needed


def test_app_binds_loopback_by_default():
    from planner.cli import build_parser
    from planner.ui.app import DEFAULT_HOST

    args = build_parser().parse_args(["app"])
    assert DEFAULT_HOST == "127.0.0.1" and args.host == "127.0.0.1"


def test_capacity_view_one_chart_per_channel(app_on, plan_store_url):
    from types import SimpleNamespace

    app_on(plan_store_url)
    scenarios = _page("scenarios")
    weeks = pd.date_range("2025-06-02", periods=3, freq="7D")
    weekly = pd.DataFrame({"week": list(weeks) * 2, "channel": ["voice"] * 3 + ["chat"] * 3, "required_fte": 1.0,
                           "available_fte": 1.0, "hires_starting": 0})
    hiring = pd.DataFrame({"start_week": [weeks[1]], "channel": ["voice"], "size": [5], "fixed": [False]})
    monthly = pd.DataFrame({"month": ["2025-06"], "channel": ["voice"], "total_cost": [1234.4]})
    view = scenarios.capacity_view(SimpleNamespace(weekly=weekly, hiring=hiring, monthly=monthly))
    ids = _ids(view)
    assert {"sc-capacity-chat", "sc-capacity-voice", "sc-capacity-hiring", "sc-capacity-monthly"} <= ids
    monthly_grid = [c for c in view.children if getattr(c, "id", None) == "sc-capacity-monthly"][0]
    assert monthly_grid.rowData == [{"month": "2025-06", "channel": "voice", "total_cost": 1234.0}]


def test_schedule_and_scenario_jobs_through_the_pipeline(app_on, tmp_path, us_bank_path, data_dir):
    """plan_dataset and run_scenario drive planner.pipeline end to end with the real LP
    scheduler (hourly rules of data/sample/us_bank_plan.toml, so it solves in seconds);
    this checks the app's side: config, storage, pages and the scenario comparison."""
    from planner.toml_files import read_toml
    from planner.datasets import import_file
    from planner.ui.jobs import plan_dataset, run_scenario
    from planner.ui.views import latest_plan

    example = read_toml(data_dir / "sample" / "us_bank_plan.toml")
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app_on(url)
    store = Store.open(url)
    import_file(us_bank_path, dataset="us_bank", store=store)
    progress = Recorder()  # the app's job emits the wfm_progress.Progress shape
    plan_id = plan_dataset(store, dataset="us_bank", start="2003-10-20", interval_minutes=60, country="US",
                           staffing=example["staffing"], rules=example["rules"],
                           progress=progress)
    shares = progress.shares
    assert shares[-1] == 1.0 and shares == sorted(shares)
    plan = latest_plan(store)
    assert plan.plan_id == plan_id and plan.name == "us_bank, week of 2003-10-20"
    assert plan.table("roster")["date"].min() == "2003-10-20"
    schedule_ids = _ids(_page("schedule").layout())
    assert {"schedule-roster", "schedule-timeline", "schedule-coverage"} <= schedule_ids
    row = run_scenario(store, plan, name="volume +10%", overrides={"volume_factor": 1.1})
    base = plan.summary
    assert row["contacts"] == pytest.approx(1.1 * base["forecast_contacts"], rel=1e-6)
    assert row["cost"] >= base["cost"] > 0
    table = _page("scenarios").comparison(store.scenarios(plan_id), [row])
    assert list(table["name"]) == ["base", "volume +10%"]
    assert table["cost_vs_base"].iloc[1] == pytest.approx(row["cost"] - base["cost"])
    with pytest.raises(ValueError, match="start"):
        plan_dataset(store, dataset="us_bank", start="2003-10-20 08:00", interval_minutes=15)
    with pytest.raises(ValueError, match="us_bnk"):
        plan_dataset(store, dataset="us_bnk", start="2003-10-20", interval_minutes=15)


@pytest.mark.slow
def test_schedule_page_shows_an_error_instead_of_a_roster_that_breaks_a_rule(app_on, tmp_path, us_bank_path, data_dir,
                                                                             monkeypatch):
    """A lunch moved out of its window after solving: the page says the solver found no
    rule-abiding plan, and nothing is stored as a plan."""
    import dataclasses

    import planner.week_schedule
    from planner.toml_files import read_toml
    from planner.datasets import import_file
    from planner.ui.jobs import plan_dataset

    real = planner.week_schedule.build_roster

    def broken(plan, rules, *, agents=None):
        roster = real(plan, rules, agents=agents)
        acts = roster.activities.copy()
        k = acts.index[acts["activity"] == "lunch"][0]
        acts.loc[k, ["start", "end"]] = [acts.loc[k, "start"] - pd.Timedelta(hours=3),
                                         acts.loc[k, "end"] - pd.Timedelta(hours=3)]
        return dataclasses.replace(roster, activities=acts)

    monkeypatch.setattr(planner.week_schedule, "build_roster", broken)
    example = read_toml(data_dir / "sample" / "us_bank_plan.toml")
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    app_on(url)
    store = Store.open(url)
    import_file(us_bank_path, dataset="us_bank", store=store)
    schedule = _page("schedule")
    def hourly_rules(store, **kwargs):  # no stored plan yet: the example's hourly rules, not the sample's
        return plan_dataset(store, **{**kwargs, "staffing": example["staffing"], "rules": example["rules"]})

    monkeypatch.setattr(schedule, "plan_dataset", hourly_rules)
    message = schedule.build(lambda _progress: None, 1, "us_bank", "2003-10-20", 60, "US")
    text = str(message)
    assert "The schedule could not be built: the solver found no rule-abiding plan" in text
    assert "'lunch' starts" in text and "schedule-built" not in text
    assert Store.open(url).list_plans().empty

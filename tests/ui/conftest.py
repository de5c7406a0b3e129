"""Browser fixtures: the real app served on a free loopback port, driven by headless Chromium.

Debian's ``chromium`` and ``chromium-driver`` (installed by ``make test`` when missing) run
through Selenium; nothing is downloaded. Screenshots go to ``tests/ui/artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("Debian chromium and chromium-driver are required for the browser tests: run 'make test', which installs them")
    return browser, driver


@pytest.fixture
def browser(chromium_paths, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_paths[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromium_paths[1]), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


#: how long a fresh server may take to answer: 60 s ran out on a 2-core machine at load 15
SERVER_START_S = 180
#: the output file of each server :func:`serve` started, by base url (read when a test fails)
SERVER_LOGS: dict[str, Path] = {}
#: how much of the page text and of each server's output a failure report shows
FAILURE_TEXT_CHARS = 3000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, say what the browser showed: its address, the page's text,
    its console and the tail of the servers' output, in the report, and a screenshot in
    artifacts/. A timeout alone says only that something did not appear."""
    report = yield
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or driver is None:
        return report
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"FAILED_{item.name}.png"))
        text = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
        console = "\n".join(f"{e['level']} {e['message']}" for e in driver.get_log("browser"))
        shown = f"address: {driver.current_url}\n--- page text ---\n{text[:FAILURE_TEXT_CHARS]}\n--- console ---\n{console}"
    except Exception as exc:  # the browser itself may be what failed
        shown = f"the browser could not be read: {exc!r}"
    report.sections.append(("what the browser showed", shown))
    for url, path in SERVER_LOGS.items():
        if path.exists():
            tail = path.read_text(errors="replace")[-FAILURE_TEXT_CHARS:]
            report.sections.append((f"server {url} output (tail)", tail))
    return report


def serve(store_url: str, *, extra_env: dict[str, str] | None = None,
          program: tuple[str, ...] = ("-m", "planner.cli")):
    """Start ``planner app`` (the production server) on a free port against ``store_url``;
    returns (process, base url). ``program``: what Python runs with ``app --port N`` (a test
    launcher such as ``rule_breaking_app.py`` wraps the same command)."""
    port = _free_port()
    env = {**os.environ, "PLANNER_DB_URL": store_url, **(extra_env or {})}
    # The server's output goes to a file: an undrained pipe fills up and blocks the server.
    log = tempfile.NamedTemporaryFile("w+", prefix="planner-app-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, *program, "app", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    SERVER_LOGS[url] = Path(log.name)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"planner app exited: {log.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except urllib.error.HTTPError:  # answering (a sign-in challenge, say)
            return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"planner app did not answer within {SERVER_START_S} s")


def severe_console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# -- a stored plan for the page tests ---------------------------------------------------------
SAMPLE_WEEK = "2025-06-02"
FULL_SHIFT_INTERVALS = 32  # 8 h of 15 min


def _greedy_roster(requirements, *, interval_minutes: int = 15):
    """A simple, deterministic roster covering ``ceil(required_agents)`` per channel: shifts of
    8 h start whenever the shifts already running fall short; a 15-min break 2 h and a 30-min
    lunch 4 h into each shift. Independent of the scheduler, so the page tests don't wait on it."""
    import numpy as np
    import pandas as pd

    step = pd.Timedelta(minutes=interval_minutes)
    shifts, activities = [], []
    need = requirements.groupby(["channel", "interval_start"])["required_agents"].sum()
    for channel, series in need.groupby(level=0):
        series = series.droplevel(0).sort_index()
        for day, day_need in series.groupby(series.index.normalize()):
            ends: list = []
            count = 0
            for start, value in day_need.items():
                running = sum(1 for end in ends if end > start)
                for _ in range(max(0, int(np.ceil(value - 1e-9)) - running)):
                    count += 1
                    end = start + FULL_SHIFT_INTERVALS * step
                    agent = f"{channel[:2].upper()}{count:03d}"
                    shifts.append({"agent_id": agent, "date": f"{day:%Y-%m-%d}", "shift_start": start,
                                   "shift_end": end, "channel": channel})
                    activities.append({"agent_id": agent, "start": start + 8 * step, "end": start + 9 * step, "activity": "break"})
                    activities.append({"agent_id": agent, "start": start + 16 * step, "end": start + 18 * step, "activity": "lunch"})
                    ends.append(end)
    roster = pd.DataFrame(shifts)
    acts = pd.DataFrame(activities)
    rows = []
    by_channel = roster.groupby("channel")
    for (channel, start), required in need.items():
        part = by_channel.get_group(channel) if channel in by_channel.groups else roster.iloc[:0]
        on = part[(part["shift_start"] <= start) & (part["shift_end"] > start)]
        off = acts[acts["agent_id"].isin(on["agent_id"]) & (acts["start"] <= start) & (acts["end"] > start)]
        rows.append({"interval_start": start, "channel": channel, "required": float(required),
                     "scheduled": float(len(on) - len(off))})
    return roster, acts, pd.DataFrame(rows)


def store_sample_plan(store) -> int:
    """Import the bundled samples and store a plan for the week of 2025-06-02 built from them:
    forecast = the previous week's actual volume (seasonal naive) with Poisson 10-90% limits,
    requirements from data/sample/staffing.toml, a greedy roster, expected service, and two
    scenarios (base, volume +10%). Returns the plan id."""
    import pandas as pd
    from scipy import stats

    from planner.toml_files import read_toml
    from planner.demo import data_dir, import_samples
    from planner.service import channel_summary, expected_service, plan_row
    from planner.staffing import requirements, staffing_from_mapping

    import_samples(store)
    history = store.dataset("sample_centre")
    week = pd.Timestamp(SAMPLE_WEEK)
    last = history[(history["interval_start"] >= week - pd.Timedelta(days=7)) & (history["interval_start"] < week)].copy()
    forecast = pd.DataFrame({
        "interval_start": last["interval_start"] + pd.Timedelta(days=7), "queue": last["queue"], "channel": last["channel"],
        "forecast": last["offered"].astype(float),
        "lo": stats.poisson.ppf(0.1, last["offered"]), "hi": stats.poisson.ppf(0.9, last["offered"]),
        "model": "seasonal_naive",
    }).reset_index(drop=True)
    folder = data_dir() / "sample"
    staffing = read_toml(folder / "staffing.toml")
    rules = read_toml(folder / "rules.toml")
    targets = staffing_from_mapping(staffing)
    tables, rows = {}, []
    for name, factor in (("base", 1.0), ("volume +10%", 1.1)):
        scaled = forecast.assign(**{c: forecast[c] * factor for c in ("forecast", "lo", "hi")})
        req = requirements(scaled, targets, interval_minutes=15)
        if name == "base":
            roster, acts, coverage = _greedy_roster(req)
            base_req = req
        cov = coverage.drop(columns="required").merge(
            req.groupby(["interval_start", "channel"], as_index=False)["required_agents"].sum().rename(columns={"required_agents": "required"}),
            on=["interval_start", "channel"])[["interval_start", "channel", "required", "scheduled"]]
        service = expected_service(cov, req, targets, interval_minutes=15)
        channels = channel_summary(service, {})
        paid_hours = len(roster) * 7.5
        row = plan_row(name=name, service=service, channels=channels, coverage=cov, requirements=req,
                       paid_hours=paid_hours, cost=paid_hours * 24.0, fte_hours_per_week=40.0)
        rows.append((name, {} if factor == 1 else {"volume_factor": factor}, row))
        if name == "base":
            base_service, base_channels, base_row = service, channels, row
    selection = pd.DataFrame([{"queue": q, "channel": c, "model": "seasonal_naive", "wape": 0.2, "bias": 0.0}
                              for q, c in forecast[["queue", "channel"]].drop_duplicates().itertuples(index=False)])
    backtest = pd.concat([selection.assign(model=m, wape=w, origin=o, level="interval", noise_floor=0.15)
                          for m, w in (("seasonal_naive", 0.2), ("week_mean_4", 0.25)) for o in ("2025-05-19", "2025-05-26")])
    # the base roster over forecast scenarios (planner.uncertainty), as planner plan stores it
    from forecasting.scenarios import forecast_spread
    from planner.uncertainty import roster_under_uncertainty

    base_cov = coverage.drop(columns="required").merge(
        base_req.groupby(["interval_start", "channel"], as_index=False)["required_agents"].sum().rename(
            columns={"required_agents": "required"}), on=["interval_start", "channel"])
    uncertainty = roster_under_uncertainty(base_cov, base_req, targets, interval_minutes=15,
                                           spread=forecast_spread(forecast, selection, backtest))
    rows[0][2].update(uncertainty.row_fields())
    base_row = rows[0][2]
    scenarios = pd.DataFrame([r for _n, _o, r in rows])
    tables = {"forecast": forecast, "requirements": base_req, "roster": roster, "activities": acts, "coverage": coverage,
              "service": base_service, "scenarios": scenarios, "backtest": backtest, "selection": selection}
    summary = {
        "name": "Sample centre (test plan)", "week_start": SAMPLE_WEEK, "days": 7, "interval_minutes": 15,
        "channels": sorted(base_req["channel"].unique().tolist()), "forecast_contacts": float(forecast["forecast"].sum()),
        **{k: base_row[k] for k in ("fte", "paid_hours", "cost", "cost_per_contact", "service_level", "occupancy",
                                    "abandon_rate", "understaffed_intervals")},
        "service_by_channel": base_channels.to_dict("records"),
        "solver": {"status": "Optimal", "gap": 0.0, "objective": base_row["cost"]},
        "scenarios": scenarios["name"].tolist(),
        "p_meets_target": base_row["p_meets_target"],
        "uncertainty": uncertainty.to_summary(),
    }
    config = {"name": summary["name"], "source": str(folder / "plan.toml"), "start": SAMPLE_WEEK, "days": 7,
              "interval_minutes": 15, "country": "US", "timezone": None, "history": str(folder / "history.csv.gz"),
              "dataset": None, "method": "auto", "staffing": staffing, "rules": rules, "fte_hours_per_week": 40.0}
    import math

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    return store.save_plan(summary["name"], config=config, summary=clean(summary), tables=tables,
                           scenario_rows=[(n, o, clean(r)) for n, o, r in rows])


@pytest.fixture(scope="module")
def plan_store_url(tmp_path_factory) -> str:
    """A store (one per test module) holding the samples and the test plan."""
    from planner.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('plan-store') / 'planner.db'}"
    store_sample_plan(Store.open(url))
    return url


# -- a stored capacity plan for the Capacity page ------------------------------------------------
CAPACITY_TOML = """
name = "Sample centre, capacity (test)"
history = "{history}"
start = "2025-06-02"
weeks = 13
interval_minutes = 60
country = "US"
method = "decomposition"
staffing = "{staffing}"
paid_hours_per_fte_week = 37.5
attrition_per_month = 0.02
time_limit_s = 30

[hiring]
training_weeks = 3
ramp_weeks = 2
lead_time_weeks = 2
min_class_size = 2
max_class_size = 15

[cost]
hourly_cost = 24.0
hire_cost = 2500.0
class_cost = 4000.0

[channel.voice]
headcount = 50

[channel.chat]
headcount = 15
hourly_cost = 22.0

[[class]]
start = "2025-06-09"
channel = "voice"
size = 4
"""


def store_capacity_plan(store, folder: Path, *, actor: str = "cli:fin"):
    """Run the capacity plan of the bundled sample history (voice and chat, 13 weeks of hourly
    requirements, the flat-level forecast) in this process and store it as ``planner capacity``
    does, as ``actor``. Returns the :class:`planner.capacity_plan.CapacityResult` and its id."""
    import warnings

    from execution import Executor
    from planner.capacity_plan import capacity_plan, load_capacity_config
    from planner.demo import data_dir
    from planner.store import acting_as

    sample = data_dir() / "sample"
    path = folder / "capacity.toml"
    path.write_text(CAPACITY_TOML.format(history=(sample / "history.csv.gz").as_posix(),
                                         staffing=(sample / "staffing.toml").as_posix()))
    config = load_capacity_config(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the sample's other channels are left out, on purpose
        result = capacity_plan(config, executor=Executor(in_process=True))
    with acting_as(actor):
        capacity_id = store.save_capacity_plan(result.summary["name"], config={"source": str(path)}, summary=result.summary,
                                               weekly=result.weekly, hiring=result.hiring, monthly=result.monthly)
    return result, capacity_id

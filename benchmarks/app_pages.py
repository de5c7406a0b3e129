"""First render of each web-app page on the demo plan, in a real headless Chromium.

For every page (/, /data, /forecast, /staffing, /schedule, /scenarios, /intraday) a fresh
browser navigation is timed until the page's chart has drawn (``#GRAPH .main-svg`` with its
traces) or, for /data, until the datasets table has rows. Target: <= 2 s per page. There is no
peer for this benchmark: the target is the yardstick.

The store: ``--store URL`` (e.g. after ``planner demo``); ``--test-plan`` for the page tests'
plan of the same sample week (tests/ui/conftest.py, built in seconds); otherwise ``planner
demo`` is run into a temporary store first (the full example plan; minutes, not timed).

    .venv/bin/python benchmarks/app_pages.py [--store URL | --test-plan] [--repeats 3]

Appends the result to benchmarks/RESULTS.md under "## app_pages".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import append_section

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## app_pages"
TARGET_S = 2.0
PAGES = {
    "/": "overview-forecast",
    "/data": None,
    "/forecast": "fc-figure",
    "/staffing": "staffing-heatmap",
    "/schedule": "schedule-coverage",
    "/scenarios": "scenarios-bars",
    "/intraday": "intraday-figure",
}
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def demo_store(folder: Path) -> str:
    url = f"sqlite:///{folder / 'planner.db'}"
    print("building the demo plan (planner demo) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "planner.cli", "demo", "--out", str(folder / "demo_plan")],
                   env={**os.environ, "PLANNER_DB_URL": url}, check=True, cwd=ROOT)
    return url


def test_plan_store(folder: Path) -> str:
    """A store with the samples and the page tests' plan (tests/ui/conftest.py), built in seconds."""
    import importlib.util

    from planner.store import Store

    spec = importlib.util.spec_from_file_location("ui_conftest", ROOT / "tests" / "ui" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{folder / 'planner.db'}"
    module.store_sample_plan(Store.open(url))
    return url


def serve(url: str, port: int) -> subprocess.Popen:
    import urllib.request

    process = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port)],
                               env={**os.environ, "PLANNER_DB_URL": url}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("planner app did not answer within 60 s")


def browser():
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def time_page(driver, base: str, path: str, graph_id: str | None) -> float:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    selector = (f"#{graph_id} .main-svg .trace, #{graph_id} .main-svg .hm" if graph_id else "#datasets .ag-row")
    start = time.perf_counter()
    driver.get(base + path.lstrip("/"))
    WebDriverWait(driver, 60, poll_frequency=0.02).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))
    return time.perf_counter() - start


def run(url: str, repeats: int, port: int) -> dict[str, list[float]]:
    process = serve(url, port)
    driver = browser()
    try:
        base = f"http://127.0.0.1:{port}/"
        for path, graph in PAGES.items():  # warm-up: server imports, browser cache of the JS bundles
            time_page(driver, base, path, graph)
        return {path: [time_page(driver, base, path, graph) for _ in range(repeats)] for path, graph in PAGES.items()}
    finally:
        driver.quit()
        process.terminate()
        process.wait(timeout=10)


def table(times: dict[str, list[float]]) -> str:
    lines = ["| page | median s | max s | within 2 s |", "|---|---:|---:|---|"]
    for path, values in times.items():
        worst = max(values)
        lines.append(f"| {path} | {statistics.median(values):.2f} | {worst:.2f} | {'yes' if worst <= TARGET_S else 'NO'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="SQLAlchemy URL of a store holding the demo plan (default: build one)")
    parser.add_argument("--test-plan", action="store_true",
                        help="use the page tests' plan of the sample week instead of running planner demo")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--no-record", action="store_true", help="print only; don't append to RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.store or (test_plan_store(Path(folder)) if args.test_plan else demo_store(Path(folder)))
        load_before = os.getloadavg()[0]
        times = run(url, args.repeats, args.port)
        load_after = os.getloadavg()[0]
        from planner.store import Store

        store = Store.open(url)
        plan_id = store.latest_plan_id()
        name = store.plan(plan_id).name if plan_id else "no plan"
    nproc = os.cpu_count()
    text = (f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {nproc}\n\n"
            f"Store: plan {plan_id} ({name}); {args.repeats} timed loads per page after one warm-up load; "
            f"1-min load average {load_before:.1f} before, {load_after:.1f} after (other jobs on the machine slow the "
            f"browser and the server alike).\n\n{table(times)}\n")
    print(text)
    if not args.no_record:
        append_section("app_pages", text, intro="`.venv/bin/python benchmarks/app_pages.py`: first render of each page on the demo plan in headless Chromium, from navigation to the page\'s chart drawn (target <= 2 s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""20 concurrent signed-in sessions loading every page while a plan builds, on the production
server (``planner app``: gunicorn), with SQLite and with PostgreSQL.

Set-up (not timed): a store with the bundled samples and the page tests' plan of the sample week
(tests/ui/conftest.py), 20 accounts (5 each of admin, manager, finance, lead), then ``planner
app --workers W`` on it. PostgreSQL is a throw-away server started here (initdb/pg_ctl, as the
tests do). Timed: each session signs in, then loads every page its role may open, over and over,
pausing ``--think-s`` seconds (x 0.5..1.5, at random) between pages as a reader does (0 = hammer),
while ``planner plan --config PLAN`` builds a plan into the same store (forecast, LP/MIP schedule,
scenarios). Loading a page is what the browser asks for: the page (HTML), the layout, and the
page's content callback; its response time is the sum of the three. Target: p95 <= 2 s, zero
errors (a failed plan build counts as an error).

The report gives p50/p95 per page and per request kind (HTML, layout, callback; wall clock at
the client, so it depends on the machine's load) and, from a pass before the load run on the same
store, the server's CPU milliseconds per page and kind (``time.thread_time`` of the serving
thread in a fresh app process, one signed-in admin, ``--cpu-rounds`` loads each, the first one
cold). The CPU time depends on the load much less, so it shows what a change saves on a shared
machine. ``--cpu-only`` skips the load run; ``--profile-page PAGE`` (or ``all``) prints the
cProfile of that page's requests to standard error.

    .venv/bin/python benchmarks/app_load.py [--db sqlite|postgresql|both] [--sessions 20] [--workers 2]
        [--think-s 2] [--plan-config data/sample/us_bank_plan.toml] [--cpu-rounds 6] [--cpu-only]
        [--profile-page /schedule|all] [--no-record]

Appends the result to benchmarks/RESULTS.md under "## app_load". There is no peer: the target
is the yardstick.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

from results import append_section

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_S = 2.0
ROLES = ("admin", "manager", "finance", "lead")
PASSWORD = "load-test-password"
PAGE_ORDER = ("/", "/data", "/forecast", "/staffing", "/schedule", "/scenarios", "/capacity", "/intraday", "/roster",
              "/audit")
KINDS = ("page", "layout", "callback")  # what loading a page asks for: its HTML, Dash's layout, the page-content callback


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_store(url: str, sessions: int) -> list[tuple[str, str]]:
    """Samples, the test plan and ``sessions`` accounts; returns (name, role) pairs."""
    from planner.accounts import hash_password
    from planner.store import Store

    store = Store.open(url)
    _module(ROOT / "tests" / "ui" / "conftest.py", "ui_conftest").store_sample_plan(store)
    password_hash = hash_password(PASSWORD)  # one hash for all: set-up time, not what is measured
    accounts = [(f"user{i:02d}", ROLES[i % len(ROLES)]) for i in range(sessions)]
    for name, role in accounts:
        store.add_user(name, role=role, password_hash=password_hash)
    store.publish_plan(store.latest_plan_id())
    return accounts


def serve(url: str, port: int, workers: int, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "PLANNER_DB_URL": url, "PLANNER_CACHE_DIR": str(cache)}
    process = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port), "--workers", str(workers)],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("planner app did not answer within 120 s")


class Session(threading.Thread):
    """One signed-in user loading every page its role may open until told to stop."""

    def __init__(self, base: str, name: str, role: str, stop: threading.Event, think_s: float):
        super().__init__(daemon=True)
        from planner.accounts import allowed
        from planner.ui.auth import PAGE_PERMISSIONS

        self.base, self.name, self.role, self.stop, self.think_s = base, name, role, stop, think_s
        self.random = np.random.default_rng(sum(map(ord, name)))
        self.pages = [path for path, permission in PAGE_PERMISSIONS.items() if allowed(role, permission)]
        self.times: list[tuple[str, float, float, float]] = []  # page, then seconds for HTML, layout, callback
        self.errors: list[str] = []

    def run(self) -> None:
        http = requests.Session()
        origin = {"Origin": self.base.rstrip("/")}
        try:
            answer = http.post(self.base + "login", data={"name": self.name, "password": PASSWORD}, headers=origin,
                               allow_redirects=False, timeout=60)
            if answer.status_code != 302:
                self.errors.append(f"sign-in {self.name}: HTTP {answer.status_code}")
                return
            deps = http.get(self.base + "_dash-dependencies", timeout=60).json()
            content = next(d["output"] for d in deps if "_pages_content" in d["output"])
        except requests.RequestException as exc:
            self.errors.append(f"set-up {self.name}: {exc}")
            return
        outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]} for o in content.strip(".").split("...")]
        while not self.stop.is_set():
            for path in self.pages:
                body = {"output": content, "outputs": outputs,
                        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                   {"id": "_pages_location", "property": "search", "value": ""}],
                        "changedPropIds": ["_pages_location.pathname"], "state": []}
                requests_ = [lambda: http.get(self.base + path.lstrip("/"), timeout=60),
                             lambda: http.get(self.base + "_dash-layout", timeout=60),
                             lambda: http.post(self.base + "_dash-update-component", data=json.dumps(body), timeout=60,
                                               headers={**origin, "Content-Type": "application/json"})]
                steps, seconds = [], []
                try:
                    for send in requests_:
                        start = time.perf_counter()
                        steps.append(send())
                        seconds.append(time.perf_counter() - start)
                except requests.RequestException as exc:
                    self.errors.append(f"{self.name} {path}: {KINDS[len(steps)]}: {exc}")
                    continue
                bad = [(kind, r) for kind, r in zip(KINDS, steps) if r.status_code != 200]
                if bad:
                    kind, r = bad[0]
                    self.errors.append(f"{self.name} ({self.role}) {path}: {kind}: HTTP {r.status_code} {r.text[:80]}")
                else:
                    self.times.append((path, *seconds))
                if self.stop.wait(self.think_s * self.random.uniform(0.5, 1.5)):
                    break


def run_one(db: str, *, sessions: int, workers: int, folder: Path, think_s: float, plan_config: str, cpu_rounds: int,
            cpu_only: bool, profile_page: str | None) -> tuple[dict | None, dict | None]:
    """The load run on ``db`` (None with ``cpu_only``) and the server-CPU pass before it (None when
    ``cpu_rounds`` is 0), on the same prepared store."""
    server_pg = None
    if db == "sqlite":
        url = f"sqlite:///{folder / 'load.db'}"
    else:
        server_pg = _module(ROOT / "tests" / "conftest.py", "root_conftest").PostgresServer.start()
        url = server_pg.new_database()
    try:
        accounts = prepare_store(url, sessions)
        cpu = (run_cpu_pass(url, rounds=cpu_rounds, cache=folder / f"cache-cpu-{db}", profile_page=profile_page)
               if cpu_rounds > 0 else None)
        if cpu_only:
            return None, cpu
        port = _free_port()
        app = serve(url, port, workers, folder / f"cache-{db}")
        base = f"http://127.0.0.1:{port}/"
        try:
            build = subprocess.Popen([sys.executable, "-m", "planner.cli", "plan", "--config", plan_config,
                                      "--out", str(folder / f"plan-{db}")],
                                     env={**os.environ, "PLANNER_DB_URL": url}, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            stop = threading.Event()
            users = [Session(base, name, role, stop, think_s) for name, role in accounts]
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            for user in users:
                user.start()
            _out, build_err = build.communicate()
            build_s = time.perf_counter() - started
            stop.set()
            for user in users:
                user.join(timeout=120)
            load_after = os.getloadavg()[0]
        finally:
            app.terminate()
            app.wait(timeout=30)
        from planner.store import Store

        store = Store.open(url)
        plans = len(store.list_plans())
        store.engine.dispose()
    finally:
        if server_pg is not None:
            server_pg.stop()
    samples = [row for user in users for row in user.times]
    times = np.array([sum(row[1:]) for row in samples])
    errors = [e for user in users for e in user.errors]
    if build.returncode != 0:
        errors.append(f"plan build exited {build.returncode}: {build_err.strip().splitlines()[-1:]}")
    return {"db": db, "loads": len(times), "p50": _pct(times, 50), "p95": _pct(times, 95),
            "max": float(times.max()) if len(times) else float("nan"), "errors": errors, "build_s": build_s,
            "plans": plans, "load_before": load_before, "load_after": load_after, "samples": samples}, cpu


def _pct(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def table(results: list[dict]) -> str:
    lines = ["| database | page loads | p50 s | p95 s | max s | errors | plan build s | p95 <= 2 s, 0 errors | load avg before/after |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        ok = r["p95"] <= TARGET_P95_S and not r["errors"]
        lines.append(f"| {r['db']} | {r['loads']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['max']:.2f} | {len(r['errors'])} | "
                     f"{r['build_s']:.0f} | {'yes' if ok else 'NO'} | {r['load_before']:.1f} / {r['load_after']:.1f} |")
    return "\n".join(lines)


def page_table(result: dict) -> str:
    """p50/p95 per page: the whole load, and each request kind (page HTML, layout, callback)."""
    lines = [f"Per page ({result['db']}; seconds, wall clock at the client):\n",
             "| page | loads | load p50 | load p95 | HTML p50 / p95 | layout p50 / p95 | callback p50 / p95 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    samples = result["samples"]
    for path in sorted({row[0] for row in samples}, key=lambda p: PAGE_ORDER.index(p) if p in PAGE_ORDER else len(PAGE_ORDER)):
        rows = np.array([row[1:] for row in samples if row[0] == path])
        total = rows.sum(axis=1)
        kinds = " | ".join(f"{_pct(rows[:, k], 50):.2f} / {_pct(rows[:, k], 95):.2f}" for k in range(len(KINDS)))
        lines.append(f"| {path} | {len(rows)} | {_pct(total, 50):.2f} | {_pct(total, 95):.2f} | {kinds} |")
    if samples:
        rows = np.array([row[1:] for row in samples])
        kinds = " | ".join(f"{_pct(rows[:, k], 50):.2f} / {_pct(rows[:, k], 95):.2f}" for k in range(len(KINDS)))
        lines.append(f"| all | {len(rows)} | {_pct(rows.sum(axis=1), 50):.2f} | {_pct(rows.sum(axis=1), 95):.2f} | {kinds} |")
    return "\n".join(lines)


# -- server CPU per page (load-independent) -------------------------------------------------------
def cpu_pass(url: str, *, rounds: int, cache: Path, profile_page: str | None) -> dict:
    """In this process: the app over ``url`` (as a gunicorn worker runs it, warmed up), one signed-in
    admin loading every page ``rounds`` times; CPU seconds of the serving thread
    (``time.thread_time``) per page and request kind. The first round is the cold one (a fresh
    worker: nothing decoded yet). With ``profile_page``, cProfile of that page's requests over the
    rounds goes to standard error."""
    import cProfile
    import io
    import pstats

    os.environ["PLANNER_DB_URL"], os.environ["PLANNER_CACHE_DIR"] = url, str(cache)
    from planner.commands.app import warm_up
    from planner.ui.app import create_app

    app = create_app(url)
    server = app.server
    warm_up(server)
    client = server.test_client()
    origin = {"Origin": "http://localhost"}
    answer = client.post("/login", data={"name": "user00", "password": PASSWORD}, headers=origin)
    if answer.status_code != 302:
        raise RuntimeError(f"cpu pass: sign-in failed: HTTP {answer.status_code}")
    deps = client.get("/_dash-dependencies").get_json()
    content = next(d["output"] for d in deps if "_pages_content" in d["output"])
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]} for o in content.strip(".").split("...")]
    profilers = {path: cProfile.Profile() for path in PAGE_ORDER if profile_page in (path, "all")}
    cpu: dict[str, list[list[float]]] = {path: [] for path in PAGE_ORDER}
    for round_ in range(rounds):
        for path in PAGE_ORDER:
            body = {"output": content, "outputs": outputs,
                    "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                               {"id": "_pages_location", "property": "search", "value": ""}],
                    "changedPropIds": ["_pages_location.pathname"], "state": []}
            sends = [lambda: client.get(path), lambda: client.get("/_dash-layout"),
                     lambda: client.post("/_dash-update-component", data=json.dumps(body),
                                         headers={**origin, "Content-Type": "application/json"})]
            seconds = []
            profiler = profilers.get(path)
            for kind, send in zip(KINDS, sends):
                if profiler:
                    profiler.enable()
                start = time.thread_time()
                response = send()
                seconds.append(time.thread_time() - start)
                if profiler:
                    profiler.disable()
                if response.status_code != 200:
                    raise RuntimeError(f"cpu pass: {path} {kind}: HTTP {response.status_code}")
            cpu[path].append(seconds)
    for path, profiler in profilers.items():
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
        if profile_page == "all":  # the project's own functions only, a screenful per page
            stats.print_stats(r"wfm|planner/", 25)
        else:
            stats.print_stats(40)
        print(f"cProfile of {path}, {rounds} loads (the first cold):\n{text.getvalue()}", file=sys.stderr)
    return cpu


def run_cpu_pass(url: str, *, rounds: int, cache: Path, profile_page: str | None) -> dict:
    """:func:`cpu_pass` in a fresh process (its caches cold, as a new server worker's are)."""
    command = [sys.executable, __file__, "--cpu-pass", url, "--cpu-rounds", str(rounds), "--cache", str(cache)]
    if profile_page:
        command += ["--profile-page", profile_page]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout)


def cpu_table(db: str, cpu: dict) -> str:
    lines = [f"Server CPU per page ({db}; ms of the serving thread's CPU, `time.thread_time`, one signed-in admin, "
             f"{len(next(iter(cpu.values())))} loads each; cold = the first load in a fresh process):\n",
             "| page | cold total | warm total (median) | HTML | layout | callback |", "|---|---:|---:|---:|---:|---:|"]
    for path, loads in cpu.items():
        rows = np.array(loads) * 1000
        warm = rows[1:] if len(rows) > 1 else rows
        kinds = " | ".join(f"{np.median(warm[:, k]):.0f}" for k in range(len(KINDS)))
        lines.append(f"| {path} | {rows[0].sum():.0f} | {np.median(warm.sum(axis=1)):.0f} | {kinds} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-s", type=float, default=2.0, help="mean pause between a session's page loads (0 = none)")
    parser.add_argument("--plan-config", default="data/sample/us_bank_plan.toml", help="the plan built during the run")
    parser.add_argument("--cpu-rounds", type=int, default=6, help="loads per page in the server-CPU pass (0 = skip it)")
    parser.add_argument("--cpu-only", action="store_true", help="only the server-CPU pass: no load run")
    parser.add_argument("--profile-page", default=None, help="cProfile this page's requests in the CPU pass (to stderr; 'all': every page, "
                        "the project's functions only)")
    parser.add_argument("--no-record", action="store_true", help="print only; don't append to RESULTS.md")
    parser.add_argument("--cpu-pass", default=None, help=argparse.SUPPRESS)  # internal: the CPU pass's own process
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_pass:
        print(json.dumps(cpu_pass(args.cpu_pass, rounds=args.cpu_rounds, cache=Path(args.cache),
                                  profile_page=args.profile_page)))
        return 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    results, cpu_tables = [], []  # (the commit is taken before the run: the code measured)
    with tempfile.TemporaryDirectory(prefix="app-load-") as folder:
        if os.geteuid() == 0:
            os.chmod(folder, 0o755)
        for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            print(f"{db}: {args.sessions} sessions while a plan builds ...", file=sys.stderr, flush=True)
            result, cpu = run_one(db, sessions=args.sessions, workers=args.workers, folder=Path(folder),
                                  think_s=args.think_s, plan_config=args.plan_config, cpu_rounds=args.cpu_rounds,
                                  cpu_only=args.cpu_only, profile_page=args.profile_page)
            if result is not None:
                results.append(result)
            if cpu is not None:
                cpu_tables.append(cpu_table(db, cpu))
    command = (f"benchmarks/app_load.py --db {args.db} --sessions {args.sessions} --workers {args.workers} "
               f"--think-s {args.think_s:g} --plan-config {args.plan_config} --cpu-rounds {args.cpu_rounds}"
               + (" --cpu-only" if args.cpu_only else ""))
    text = f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, commit {commit}\n\n"
    if results:
        text += (f"`.venv/bin/python {command}`: {args.sessions} signed-in sessions (admin, manager, finance, lead in turn), "
                 f"each loading every page its role may open (page + layout + page-content callback = one load), "
                 f"{args.think_s:g} s mean pause between loads, while `planner plan --config {args.plan_config}` builds "
                 f"into the same store; `planner app --workers "
                 f"{args.workers}` (gunicorn, 4 threads per worker). The machine is shared with other jobs (load averages "
                 f"below).\n\n{table(results)}\n")
        for r in results:
            text += "\n" + page_table(r) + "\n"
            if r["errors"]:
                text += f"\nFirst errors ({r['db']}): " + "; ".join(r["errors"][:3]) + "\n"
    else:
        text += f"`.venv/bin/python {command}` (load average {os.getloadavg()[0]:.1f}; CPU time does not depend on it much)\n"
    for cpu in cpu_tables:
        text += "\n" + cpu + "\n"
    print(text)
    if not args.no_record:
        append_section("app_load", text, intro="`.venv/bin/python benchmarks/app_load.py`: concurrent signed-in sessions "
                       "on the production server while a plan builds (target: p95 page response <= 2 s, zero errors).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

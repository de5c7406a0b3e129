"""The work on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1.

A forecast of 20 series through `planner forecast --scheduler` equals the local one; the
scheduler ran the series tasks; killing a worker mid-run still completes the job with the same
numbers; a failing task names its queue and channel; an unreachable scheduler is a one-line
error with exit 2. (The in-process default and the local cluster are covered by the other tests.)
"""

from __future__ import annotations

import json
import operator
import re
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from execution import Executor, SchedulerUnreachable, TaskFailed
from forecasting import forecast_frame
from planner.synthetic import generate_many_queues

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).with_name("dask")
START = "2025-02-17"  # after 6 generated weeks
FORECAST = dict(start=START, days=7, interval_minutes=60, method="decomposition", backtest_windows=2)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead)."""
    folder = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(folder / f"{name}.log", "w") for name in ("scheduler", "w0", "w1")]
    env = dict(os.environ)
    env.pop("PLANNER_DASK_SCHEDULER", None)
    procs = {"scheduler": subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                            "--no-dashboard"], stdout=logs[0], stderr=subprocess.STDOUT, env=env)}
    for i, name in enumerate(("w0", "w1"), start=1):
        procs[name] = subprocess.Popen([str(DASK), "worker", address, "--name", name, "--nthreads", "1",
                                        "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                                       stdout=logs[i], stderr=subprocess.STDOUT, env=env)
    from distributed import Client

    deadline = time.monotonic() + 180
    client = None
    while client is None:
        try:
            client = Client(address, timeout="5s", set_as_default=False)
        except OSError:
            if time.monotonic() > deadline:
                raise
    while len(client.scheduler_info(n_workers=-1)["workers"]) < 2:
        assert time.monotonic() < deadline, (folder / "w0.log").read_text()[-2000:]
        time.sleep(0.2)
    yield {"address": address, "client": client, "procs": procs, "folder": folder}
    client.close()
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    for log in logs:
        log.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    frame, _table = generate_many_queues(series=20, weeks=6, interval_minutes=60, seed=3)
    path = tmp_path_factory.mktemp("history") / "many.parquet"
    frame.to_parquet(path, index=False)
    return frame, path


def _planner(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_DASK_SCHEDULER"} | (env_extra or {})
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def _forecast_args(path: Path, out: Path) -> list[str]:
    return [str(path), "--start", START, "--days", "7", "--interval-minutes", "60", "--method", "decomposition",
            "--out", str(out), "--no-store"]


def test_forecast_through_the_scheduler_equals_the_local_one(cluster, history, tmp_path):
    _frame, path = history
    remote = _planner("forecast", *_forecast_args(path, tmp_path / "remote.csv"), "--scheduler", cluster["address"])
    assert remote.returncode == 0, remote.stderr
    assert f"running on the Dask scheduler {cluster['address']} (2 worker(s))" in remote.stderr
    local = _planner("forecast", *_forecast_args(path, tmp_path / "local.csv"))
    assert local.returncode == 0, local.stderr
    assert "local Dask cluster of" in local.stderr  # 20 series: the local default spreads them too
    remote_csv, local_csv = (tmp_path / "remote.csv").read_bytes(), (tmp_path / "local.csv").read_bytes()
    assert remote_csv == local_csv
    frame = pd.read_csv(tmp_path / "remote.csv")
    assert frame.groupby(["queue", "channel"]).ngroups == 20 and len(frame) == 20 * 7 * 24
    # same order as a sequential run: series sorted by queue, intervals in time order within each
    assert frame["queue"].tolist() == sorted(frame["queue"].tolist())
    # the scheduler ran the 20 series tasks (cumulative state counts of the task prefix)
    counts = cluster["client"].run_on_scheduler(
        lambda dask_scheduler: dict(dask_scheduler.task_prefixes["series_task"].state_counts))
    assert counts.get("memory", 0) >= 20, counts


def test_a_failing_task_names_its_queue_and_channel(cluster, history):
    frame, _path = history
    with Executor(scheduler=cluster["address"]) as ex, pytest.raises(TaskFailed) as failed:
        forecast_frame(frame, **FORECAST, opening_hours="Mon-Fri 25:00-18:00", executor=ex)
    assert re.fullmatch(r"queue 'q0[01]\d' channel '[a-z]+'", failed.value.label)  # whichever failed first
    assert "25:00" in failed.value.cause
    with Executor(scheduler=cluster["address"]) as ex, pytest.raises(TaskFailed, match=r"^b: ZeroDivisionError"):
        ex.map(operator.truediv, [1, 0], common=(1,), labels=["a", "b"])


def test_an_unreachable_scheduler_is_a_one_line_error_exit_2(history, tmp_path):
    _frame, path = history
    dead = f"tcp://127.0.0.1:{_free_port()}"
    for extra, env in ((["--scheduler", dead], None), ([], {"PLANNER_DASK_SCHEDULER": dead})):
        done = _planner("forecast", *_forecast_args(path, tmp_path / "x.csv"), *extra, env_extra=env)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert lines[0].startswith(f"planner forecast: error: cannot reach the Dask scheduler at '{dead}' within 5 s")
        assert not (tmp_path / "x.csv").exists()
    with pytest.raises(SchedulerUnreachable):
        Executor(scheduler=dead, connect_timeout_s=1)


def test_killing_a_worker_mid_run_still_completes_the_job(cluster, history):
    """Runs last in this module: it leaves the cluster with one worker."""
    frame, _path = history
    client = cluster["client"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = forecast_frame(frame, **FORECAST, executor=Executor(in_process=True)).frame
    killed: dict = {}

    def progress(text: str, share: float | None = None) -> None:
        if text == "series 2/20" and not killed:  # mid-run: 18 series still to do, both workers busy
            processing = client.processing()
            names = {w["id"]: address for address, w in client.scheduler_info(n_workers=-1)["workers"].items()}
            busy = [name for name in ("w1", "w0") if processing.get(names[name])]
            killed["name"] = busy[0]
            killed["tasks"] = len(processing[names[busy[0]]])
            cluster["procs"][busy[0]].send_signal(signal.SIGKILL)
            cluster["procs"][busy[0]].wait(timeout=30)

    with warnings.catch_warnings(), Executor(scheduler=cluster["address"]) as ex:
        warnings.simplefilter("ignore")
        result = forecast_frame(frame, **FORECAST, executor=ex, progress=progress)
    assert killed["tasks"] >= 1  # it died holding work, which another worker re-ran
    assert len(client.scheduler_info(n_workers=-1)["workers"]) == 1
    pd.testing.assert_frame_equal(result.frame, expected, check_exact=True)
    assert json.dumps(sorted(result.selection["queue"])) == json.dumps([f"q{i:03d}" for i in range(20)])

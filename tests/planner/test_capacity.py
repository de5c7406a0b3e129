"""Capacity plan: config checks, required FTE from interval requirements (known truth on a
peaky synthetic day), the whole plan's invariants, and `planner capacity`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.capacity_plan import capacity_plan, daily_average_fte, load_capacity_config, required_fte
from planner.cli import main
from planner.staffing import load_staffing
from planner.synthetic import generate_centre
from scheduling.erlang import metrics
from scheduling.requirements import requirements
from tests.progress_check import Recorder

SAMPLE = Path(__file__).parents[2] / "data" / "sample"

CONFIG = """
name = "test plan"
history = "{history}"
start = "2025-06-02"
weeks = 13
interval_minutes = 60
country = "US"
method = "decomposition"
staffing = "{staffing}"
paid_hours_per_fte_week = 37.5
attrition_per_month = 0.02

[hiring]
training_weeks = 3
ramp_weeks = 2
lead_time_weeks = 2
min_class_size = 2
max_class_size = 12

[cost]
hourly_cost = 24.0
hire_cost = 2000.0
class_cost = 1000.0

[channel.voice]
headcount = 55

[channel.chat]
headcount = 18
annual_salary = 42900.0

[[class]]
start = "2025-06-09"
channel = "voice"
size = 3
"""


def write_config(tmp_path: Path, text: str = CONFIG, **replace: str) -> Path:
    body = text.format(history=SAMPLE / "history.csv.gz", staffing=SAMPLE / "staffing.toml")
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    path = tmp_path / "capacity.toml"
    path.write_text(body)
    return path


# -- config --------------------------------------------------------------------------------------
def test_config_reads_and_merges_channel_overrides(tmp_path):
    config = load_capacity_config(write_config(tmp_path))
    assert config.channels == ["chat", "voice"]
    assert config.starting_fte == {"voice": 55.0, "chat": 18.0}
    assert config.rules["voice"].hourly_cost == 24.0
    assert config.rules["chat"].hourly_cost == pytest.approx(42900.0 / (52 * 37.5))  # 22.0
    assert config.rules["chat"].training_weeks == 3 and config.rules["chat"].max_class_size == 12
    assert config.classes[0].start == pd.Timestamp("2025-06-09") and config.classes[0].size == 3


@pytest.mark.parametrize("old, new, message", [
    ('start = "2025-06-02"', 'start = "2025-06-03"', "start = 2025-06-03: must be a Monday"),
    ("weeks = 13", "weeks = 60", "weeks = 60: must be a whole number from 13 to 52"),
    ("interval_minutes = 60", "interval_minutes = 7", "interval_minutes = 7"),
    ("attrition_per_month = 0.02", "attrition_per_month = 2", "attrition_per_month = 2"),
    ("max_class_size = 12", "max_class_size = 1", "min_class_size = 2: must not exceed max_class_size = 1"),
    ("headcount = 55", "headcount = -5", "[channel.voice] headcount = -5"),
    ("headcount = 55", "heads = 55", "[channel.voice] unknown key 'heads'"),
    ('channel = "voice"\nsize = 3', 'channel = "fax"\nsize = 3', "[[class]] #1 channel = 'fax'"),
    ("hire_cost = 2000.0", "hire_cost = 2000.0\nannual_salary = 40000", "[cost] give hourly_cost or annual_salary"),
    ('method = "decomposition"', 'method = "crystal_ball"', "method = 'crystal_ball'"),
    ("[channel.chat]", "[channel.social]", "[channel.social] has no service target"),
])
def test_bad_config_names_the_key_and_value(tmp_path, old, new, message):
    with pytest.raises(ValueError) as info:
        load_capacity_config(write_config(tmp_path, **{old: new}))
    assert message in str(info.value)
    assert "capacity.toml" in str(info.value)


# -- required FTE: interval requirements vs a daily average (known truth) ------------------------
def _flatten_day(forecast: pd.DataFrame) -> pd.DataFrame:
    """Each day's volume spread evenly over its open intervals (written here independently)."""
    out = forecast.copy()
    day = out["interval_start"].dt.normalize()
    open_ = out["forecast"] > 0
    for (channel, d), idx in out.groupby(["channel", day]).groups.items():
        rows = out.loc[idx]
        mask = rows["forecast"] > 0
        volume = rows["forecast"].sum()
        aht = (rows["forecast"] * rows["aht_s"]).sum() / volume
        out.loc[rows.index[mask], "forecast"] = volume / mask.sum()
        out.loc[rows.index[mask], "aht_s"] = aht
    out.loc[~open_, "forecast"] = 0.0
    return out


def test_interval_requirements_beat_the_daily_average_on_a_peaky_day():
    """Voice of the synthetic centre on a Monday: two peaks, quiet nights. With the true
    rates as forecast, the interval method asks for more hours than spreading the day's
    volume evenly, and the even spread misses the service target at the peaks."""
    _, truth = generate_centre(weeks=1, interval_minutes=30, seed=3)
    day = pd.Timestamp("2025-01-06")
    fc = truth[(truth["channel"] == "voice") & (truth["interval_start"].dt.normalize() == day)]
    fc = fc.rename(columns={"rate": "forecast"})[["interval_start", "queue", "channel", "forecast", "aht_s"]]
    targets = load_staffing(SAMPLE / "staffing.toml")
    kwargs = dict(start=day, weeks=1, interval_minutes=30, paid_hours_per_fte_week=37.5)
    by_interval, reqs = required_fte(fc, targets, **kwargs)
    naive = daily_average_fte(fc, targets, **kwargs)
    assert by_interval["required_fte"].iloc[0] > naive["required_fte"].iloc[0] * 1.01

    # the same numbers by hand: sum of scheduled agents x 0.5 h / 37.5 h
    assert by_interval["required_fte"].iloc[0] == pytest.approx(reqs["required_agents"].sum() * 0.5 / 37.5)
    flat = requirements(_flatten_day(fc), targets, interval_minutes=30)
    assert naive["required_fte"].iloc[0] == pytest.approx(flat["required_agents"].sum() * 0.5 / 37.5)

    # known truth: at the true rates, the interval plan meets 80/20 everywhere, the flat plan does not
    voice = targets["voice"]
    kw = dict(patience_s=voice.patience_s)
    at_interval = metrics(fc["forecast"].to_numpy(), 1800.0, fc["aht_s"].to_numpy(), reqs["net_agents"].to_numpy(),
                          voice.answer_s, **kw)["service_level"]
    at_flat = metrics(fc["forecast"].to_numpy(), 1800.0, fc["aht_s"].to_numpy(), flat["net_agents"].to_numpy(),
                      voice.answer_s, **kw)["service_level"]
    assert (at_interval >= voice.target_sl - 1e-9).all()
    peaks = fc["forecast"].to_numpy() >= np.quantile(fc["forecast"], 0.8)
    assert (at_flat[peaks] < voice.target_sl).all()


# -- the whole plan ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_plan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cap")
    history, _ = generate_centre(weeks=16, interval_minutes=30, seed=5)
    history = history[history["channel"].isin(["voice", "chat"])]
    config = load_capacity_config(write_config(tmp, **{'start = "2025-06-02"': 'start = "2025-04-28"',
                                                       '"2025-06-09"': '"2025-05-05"',
                                                       "headcount = 55": "headcount = 60"}))
    progress = Recorder()  # capacity_plan emits the wfm_progress.Progress shape, forward only
    result = capacity_plan(config, history=history, progress=progress)
    assert progress.shares == sorted(progress.shares) and progress.calls[-1] == ("done", 1.0)
    assert progress.texts[:2] == ["history", "forecast"] and any(t.startswith("forecast series ") for t in progress.texts)
    return result


def test_plan_invariants(synthetic_plan):
    result = synthetic_plan
    weekly, config = result.plan.weekly, result.config
    assert sorted(weekly["channel"].unique()) == ["chat", "voice"] and len(weekly) == 26
    # required FTE is the interval requirements summed by week
    reqs = result.requirements
    week = (pd.to_datetime(reqs["interval_start"]) - config.start) // pd.Timedelta(weeks=1)
    hours = (reqs["required_agents"] * 1.0).groupby([week, reqs["channel"]]).sum()
    for row in weekly.itertuples():
        k = (row.week_start - config.start).days // 7
        assert row.required_fte == pytest.approx(hours.loc[(k, row.channel)] / 37.5)
    # where hiring can reach, nothing is short; new classes keep the size limits
    reach = weekly["hiring_can_close"]
    assert (weekly.loc[reach, "gap_fte"] >= -1e-6).all()
    new = result.plan.hiring[~result.plan.hiring["fixed"]]
    assert len(new) and new["size"].between(2, 12).all()
    assert (new["start_week"] >= config.start + pd.Timedelta(weeks=2)).all()
    # cost per month adds up to salary of every employed FTE plus hiring costs
    pay = {c: config.rules[c].hourly_cost * 37.5 for c in config.channels}
    salary = sum(r.headcount_fte * pay[r.channel] for r in weekly.itertuples())
    hiring = sum(r.size * 2000.0 + 1000.0 for r in result.plan.hiring.itertuples())
    assert result.plan.monthly["total_cost"].sum() == pytest.approx(salary + hiring)
    assert result.summary["total_cost"] == pytest.approx(salary + hiring, abs=0.01)
    # outputs are rounded once and use the documented names
    assert list(result.weekly.columns[:8]) == ["week", "channel", "required_fte", "available_fte", "gap_fte",
                                               "hires_starting", "in_training", "ramping"]


# -- the command ---------------------------------------------------------------------------------
def test_cli_writes_the_four_files_and_stores_the_plan(tmp_path, capsys, store):
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="history channel.s. email, messaging have no .channel.NAME. table"):
        code = main(["capacity", "--config", str(write_config(tmp_path)), "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["hiring.csv", "monthly_cost.csv", "summary.json", "weekly.csv"]
    weekly = pd.read_csv(out / "weekly.csv")
    assert len(weekly) == 26 and set(weekly["channel"]) == {"voice", "chat"}
    assert (weekly["gap_fte"] - (weekly["available_fte"] - weekly["required_fte"])).abs().max() <= 0.011
    hiring = pd.read_csv(out / "hiring.csv")
    assert hiring.loc[hiring["fixed"], ["start_week", "channel", "size"]].values.tolist() == [["2025-06-09", "voice", 3]]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["weeks"] == 13 and set(summary["channels"]) == {"voice", "chat"}
    assert summary["solver"]["status"] == "Optimal"
    monthly = pd.read_csv(out / "monthly_cost.csv")
    assert set(monthly["month"]) == {"2025-06", "2025-07", "2025-08"}
    assert monthly["total_cost"].sum() == pytest.approx(summary["total_cost"], abs=1.0)
    assert "new hire(s)" in capsys.readouterr().out
    stored = store.capacity_plan(1)
    pd.testing.assert_frame_equal(stored["weekly"].reset_index(drop=True), weekly, check_dtype=False, check_exact=False, atol=0.01)
    assert stored["summary"]["total_cost"] == pytest.approx(summary["total_cost"])


def test_cli_bad_config_exits_2_and_keeps_old_output(tmp_path, capsys, store_url):
    out = tmp_path / "out"
    out.mkdir()
    (out / "weekly.csv").write_text("previous")
    code = main(["capacity", "--config", str(write_config(tmp_path, **{"weeks = 13": "weeks = 5"})), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "planner capacity: error:" in err and "weeks = 5" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["weekly.csv"] and (out / "weekly.csv").read_text() == "previous"


def test_cli_infeasible_plan_names_the_weeks(tmp_path, capsys, store_url):
    config = write_config(tmp_path, **{"max_class_size = 12": "max_class_size = 2", "headcount = 55": "headcount = 30"})
    with pytest.warns(UserWarning, match="left out of the capacity plan"):
        code = main(["capacity", "--config", str(config), "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "hiring plan infeasible" in err and "channel voice" in err and "max_class_size = 2" in err
    assert "short" in err and "2025-" in err
    assert not (tmp_path / "out").exists()


def test_cli_missing_config_file(tmp_path, capsys):
    assert main(["capacity", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "nope.toml" in capsys.readouterr().err

"""The pipeline's stages are the one chain: the capacity plan calls them instead of its own copy."""

from __future__ import annotations

import pandas as pd
import pytest

import planner.capacity_plan
from planner import pipeline
from planner.staffing import staffing_from_mapping
from scheduling.requirements import requirements
from wfm_errors import ConfigError


def _forecast() -> pd.DataFrame:
    times = pd.date_range("2025-06-02 08:00", periods=8, freq="30min")
    return pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice",
                         "forecast": [10.0, 40, 80, 120, 100, 60, 30, 0], "aht_s": 240.0})


def test_the_requirements_stage_is_the_erlang_requirements_and_names_a_channel_without_target():
    targets = staffing_from_mapping({"channel": {"voice": {"target_sl": 0.8, "answer_s": 20, "shrinkage": 0.3}}})
    stage = pipeline.requirements_stage(_forecast(), targets, interval_minutes=30, source="plan.toml")
    pd.testing.assert_frame_equal(stage, requirements(_forecast(), targets, interval_minutes=30))
    # 120 contacts x 240 s in 30 min = 16 Erlangs: more than 16 net agents, / (1 - 0.3) scheduled
    peak = stage.loc[stage["volume"] == 120].iloc[0]
    assert peak["net_agents"] > 16 and peak["required_agents"] == pytest.approx(peak["net_agents"] / 0.7)
    chat = _forecast().assign(channel="chat")
    with pytest.raises(ConfigError, match=r"plan.toml: the history has channel 'chat' but the staffing config has no \[channel.chat\]"):
        pipeline.requirements_stage(chat, targets, interval_minutes=30, source="plan.toml")


def test_the_capacity_plan_calls_the_pipeline_stages():
    assert planner.capacity_plan.forecast_stage is pipeline.forecast_stage
    assert planner.capacity_plan.requirements_stage is pipeline.requirements_stage
    assert not hasattr(planner.capacity_plan, "forecast_frame") and not hasattr(planner.capacity_plan, "requirements")

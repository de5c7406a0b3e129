"""The family benchmark's soft-coverage ceiling (benchmarks/schedule_family.py, issue 11's
target: with soft coverage, simulated service no more than target + 0.05 unless the rules
force it), on a real family week's requirements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scheduling.coverage import DEFERRED_CHANNELS, channel_demands, week_grid
from tests.family_benchmark import family

SOFT_SEED = 7  # a soft-coverage week of the family: 46 agents, voice and chat


def _staffing(inst, extra_agents: int) -> pd.DataFrame:
    """Coverage of the week's immediate channels: each interval's requirement rounded up to
    whole agents, plus ``extra_agents`` where the channel is open."""
    rules = family().RuleSet.from_mapping(inst.rules)
    grid = week_grid(inst.requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    parts = []
    for channel, demand in channel_demands(inst.requirements, grid).items():
        if channel in DEFERRED_CHANNELS:
            continue
        required = np.asarray(demand.required, dtype=float)
        scheduled = np.ceil(required - 1e-6) + np.where(required > 0, extra_agents, 0)
        parts.append(pd.DataFrame({"interval_start": grid.times(), "channel": channel, "required": required,
                                   "scheduled": scheduled}))
    return pd.concat(parts, ignore_index=True)


def _row(inst, coverage: pd.DataFrame) -> dict:
    """A benchmark row for a plan with this coverage, measured as run_ours measures a plan."""
    fam = family()
    targets = {c: t for c, t in inst.targets.items() if c not in DEFERRED_CHANNELS}
    service = fam.service_check(coverage, inst.requirements, targets, interval_minutes=inst.interval_minutes,
                                replications=5, seed=inst.seed)
    return {"seed": inst.seed, "coverage": inst.rules["coverage"], "ours_status": "Optimal", "ours_ratio": 1.0,
            "sl": {c: (r["sim_service_level"], r["target_sl"]) for c, r in service["per_channel"].items()},
            "req_sl": fam.requirement_service(coverage, inst)}


def test_a_plan_staffing_exactly_the_requirement_is_never_above_the_ceiling():
    inst = family().instance(SOFT_SEED)
    assert inst.rules["coverage"] == "soft"
    row = _row(inst, _staffing(inst, 0))
    assert set(row["sl"]) == set(row["req_sl"]) == {"voice", "chat"}
    for channel, (level, _target) in row["sl"].items():  # the same staffing, the same simulation
        assert row["req_sl"][channel] == pytest.approx(level)
    assert family().sl_above_ceiling(row) == []


def test_staffing_above_the_requirement_raises_service_and_is_flagged():
    fam = family()
    inst = fam.instance(SOFT_SEED)
    exact, more = _row(inst, _staffing(inst, 0)), _row(inst, _staffing(inst, 3))
    # the requirement's level does not move with the plan's staffing (the column it rounds up is 'required')
    assert more["req_sl"] == pytest.approx(exact["req_sl"])
    for channel, (level, target) in more["sl"].items():
        assert level > exact["sl"][channel][0]
    flagged = fam.sl_above_ceiling(more)
    assert flagged == [c for c, (v, t) in more["sl"].items()
                       if v > max(t, more["req_sl"][c]) + fam.SL_CEILING_MARGIN + 1e-9]
    assert flagged, "3 more agents in every open interval of a 46-agent week lift service by more than 0.05"
    text = fam.ceiling_line([exact, more], [(more, flagged)])
    assert f"on {len(flagged)} channel(s) in 1 week(s): seed {SOFT_SEED}" in text


def test_a_hard_week_is_never_measured_against_the_ceiling():
    fam = family()
    inst = fam.instance(SOFT_SEED)
    row = {**_row(inst, _staffing(inst, 3)), "coverage": "hard"}
    assert fam.sl_above_ceiling(row) == []

"""Capacity arithmetic (attrition, training, ramp) on a hand-worked case, and the hiring
integer program against brute force, infeasibility explained, unavoidable early gaps."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from scheduling.capacity import (HiringClass, HiringInfeasibleError, HiringRules, monthly_cost, plan_hiring,
                                 productivity, project, weekly_survival)

# a monthly attrition whose weekly survival is exactly 0.9, so the hand numbers are decimals
ATTRITION_S09 = 1 - 0.9 ** (52 / 12)


def weeks(n: int, start: str = "2025-06-02") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="7D")


def required_frame(values, channel: str = "voice", start: str = "2025-06-02") -> pd.DataFrame:
    return pd.DataFrame({"week_start": weeks(len(values), start), "channel": channel,
                         "required_fte": np.asarray(values, dtype=float)})


def test_weekly_survival_compounds_to_the_monthly_rate():
    assert weekly_survival(ATTRITION_S09) == pytest.approx(0.9, abs=1e-12)
    assert weekly_survival(0.02) ** (52 / 12) == pytest.approx(0.98, abs=1e-12)
    assert weekly_survival(0.0) == 1.0


def test_productivity_ramps_linearly_after_training():
    got = productivity(np.arange(-2, 9), training_weeks=2, ramp_weeks=3)
    assert got.tolist() == [0, 0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 1]
    assert productivity(np.arange(0, 3), training_weeks=0, ramp_weeks=0).tolist() == [1, 1, 1]


def test_hand_worked_attrition_training_and_ramp():
    """100 FTE, weekly survival 0.9, a class of 10 in week 1 with 2 training and 3 ramp weeks.

    headcount_t = 100 * 0.9^t + 10 * 0.9^(t-1) (t >= 1); the class is productive at
    0.25, 0.5, 0.75 in weeks 3..5 and fully from week 6.
    """
    rules = {"voice": HiringRules(attrition_per_month=ATTRITION_S09, training_weeks=2, ramp_weeks=3,
                                  hourly_cost=20.0, paid_hours_per_fte_week=40.0, hire_cost=1000.0)}
    req = required_frame([95, 95, 85, 75, 70, 64, 60])
    cls = [HiringClass(start=pd.Timestamp("2025-06-11"), channel="voice", size=10)]  # a Wednesday: week 1
    weekly = project(req, rules=rules, starting_fte={"voice": 100.0}, classes=cls)
    assert weekly["headcount_fte"].to_numpy() == pytest.approx([100, 100, 90, 81, 72.9, 65.61, 59.049])
    assert weekly["available_fte"].to_numpy() == pytest.approx(
        [100, 90, 81, 72.9 + 2.025, 65.61 + 3.645, 59.049 + 4.92075, 53.1441 + 5.9049])
    assert weekly["in_training"].to_numpy() == pytest.approx([0, 10, 9, 0, 0, 0, 0])
    assert weekly["ramping"].to_numpy() == pytest.approx([0, 0, 0, 8.1, 7.29, 6.561, 0])
    assert weekly["hires_starting"].tolist() == [0, 10, 0, 0, 0, 0, 0]
    assert weekly["gap_fte"].to_numpy() == pytest.approx(weekly["available_fte"] - req["required_fte"])

    month = monthly_cost(weekly, rules=rules, classes=cls).set_index("month")
    pay = 20.0 * 40.0  # per FTE-week
    june_staff = (100 + 90 + 81 + 81) * pay + 72.9 * pay / 7  # week of 30 June: 1 day in June
    july_staff = (72.9 * 6 / 7 + 65.61 + 59.049) * pay
    assert month.loc["2025-06", "trainee_cost"] == pytest.approx((10 + 9) * pay)
    assert month.loc["2025-06", "staff_cost"] == pytest.approx(june_staff)
    assert month.loc["2025-06", "hiring_cost"] == pytest.approx(10_000)
    assert month.loc["2025-07", "staff_cost"] == pytest.approx(july_staff)
    assert month.loc["2025-07", "trainee_cost"] == 0
    assert month["total_cost"].sum() == pytest.approx(weekly["headcount_fte"].sum() * pay + 10_000)


def test_class_started_before_the_horizon_is_already_ramping():
    rules = {"voice": HiringRules(training_weeks=2, ramp_weeks=1)}
    cls = [HiringClass(start=pd.Timestamp("2025-05-19"), channel="voice", size=8)]  # 2 weeks before
    weekly = project(required_frame([0, 0, 0]), rules=rules, starting_fte={"voice": 0.0}, classes=cls)
    assert weekly["available_fte"].tolist() == [4.0, 8.0, 8.0]
    assert weekly["ramping"].tolist() == [8.0, 0.0, 0.0]
    assert weekly["hires_starting"].sum() == 0


def _brute_force(req, rules: HiringRules, start_fte: float):
    """Every combination of class sizes (0 or min..max) at the allowed start weeks; among
    those covering every week from lead + training + ramp, the least shortfall in the
    ramp-up weeks, then the least cost (costed from the projected table)."""
    W = len(req)
    starts = list(range(rules.lead_time_weeks, W - rules.training_weeks, rules.class_every_weeks))
    options = [0] + list(range(max(rules.min_class_size, 1), rules.max_class_size + 1))
    frame = required_frame(req)
    pay = rules.hourly_cost * rules.paid_hours_per_fte_week
    baseline = project(frame, rules={"voice": rules}, starting_fte={"voice": start_fte})["headcount_fte"].sum() * pay
    reach = rules.lead_time_weeks + rules.training_weeks
    hard = np.arange(W) >= reach + rules.ramp_weeks
    soft = (np.arange(W) >= reach) & ~hard
    best = None
    for sizes in itertools.product(options, repeat=len(starts)):
        classes = [HiringClass(start=weeks(W)[j], channel="voice", size=n, fixed=False)
                   for j, n in zip(starts, sizes) if n]
        weekly = project(frame, rules={"voice": rules}, starting_fte={"voice": start_fte}, classes=classes)
        gap = weekly["gap_fte"].to_numpy()
        if (gap[hard] < -1e-9).any():
            continue
        short = float(np.clip(-gap[soft], 0, None).sum())
        cost = (weekly["headcount_fte"].sum() * pay - baseline
                + sum(n * rules.hire_cost + rules.class_cost for n in sizes if n))
        key = (round(short, 9), cost)
        if best is None or key[0] < best[0][0] - 1e-9 or (abs(key[0] - best[0][0]) <= 1e-9 and cost < best[0][1] - 1e-9):
            best = (key, sizes)
    return (None if best is None else (best[0][1], best[1], best[0][0])), starts


@pytest.mark.parametrize("seed, growth", [(0, 1.1), (1, 1.1), (2, 1.1), (3, 1.1), (4, 1.1), (1, 1.6)])
def test_hiring_ip_matches_brute_force(seed, growth):
    """Same optimum as enumeration when a plan exists; infeasible exactly when none does."""
    rng = np.random.default_rng(seed)
    rules = HiringRules(attrition_per_month=0.03, training_weeks=1, ramp_weeks=1, hourly_cost=20.0,
                        paid_hours_per_fte_week=40.0, hire_cost=float(rng.integers(0, 3000)),
                        class_cost=float(rng.integers(0, 2000)), min_class_size=2, max_class_size=5,
                        lead_time_weeks=1, class_every_weeks=2)
    req = 10 + np.cumsum(rng.uniform(0, growth, size=8))
    best, starts = _brute_force(req, rules, 10.0)
    if best is None:
        with pytest.raises(HiringInfeasibleError):
            plan_hiring(required_frame(req), rules={"voice": rules}, starting_fte={"voice": 10.0})
        return
    plan = plan_hiring(required_frame(req), rules={"voice": rules}, starting_fte={"voice": 10.0})
    assert plan.status == "Optimal"
    assert plan.objective == pytest.approx(best[0], rel=1e-6)
    # the plan it returns covers every reachable week and respects the class rules
    reach = plan.weekly["hiring_can_close"].to_numpy()
    assert (plan.weekly["gap_fte"].to_numpy()[reach] >= -1e-6).all()
    assert plan.unavoidable["short_fte"].sum() == pytest.approx(
        best[2] + float(np.clip(-plan.weekly["gap_fte"].to_numpy()[:rules.lead_time_weeks + rules.training_weeks],
                                0, None).sum()), abs=1e-6)
    assert plan.hiring["size"].between(2, 5).all()
    allowed = {weeks(8)[j] for j in starts}
    assert set(plan.hiring["start_week"]) <= allowed


def test_infeasible_plan_names_the_weeks_short():
    rules = {"voice": HiringRules(training_weeks=2, ramp_weeks=0, max_class_size=5, lead_time_weeks=1)}
    req = required_frame([10, 10, 10, 10, 30, 30])
    with pytest.raises(HiringInfeasibleError) as info:
        plan_hiring(req, rules=rules, starting_fte={"voice": 10.0})
    short = info.value.shortfall
    # best possible: classes of 5 in weeks 1, 2, 3 -> productive 5, 10, 15 in weeks 3, 4, 5
    assert short["week_start"].tolist() == [pd.Timestamp("2025-06-30"), pd.Timestamp("2025-07-07")]
    assert short["short_fte"].tolist() == pytest.approx([10.0, 5.0])
    message = str(info.value)
    assert "2025-06-30 short 10.0 FTE" in message and "2025-07-07 short 5.0 FTE" in message
    assert "max_class_size = 5" in message


def test_gap_before_a_class_can_help_is_reported_not_fatal():
    rules = {"voice": HiringRules(training_weeks=2, ramp_weeks=0, max_class_size=20, lead_time_weeks=2)}
    req = required_frame([12, 12, 12, 12, 12, 12, 12])
    plan = plan_hiring(req, rules=rules, starting_fte={"voice": 10.0})
    assert plan.unavoidable["week_start"].tolist() == list(weeks(4))
    assert plan.unavoidable["short_fte"].tolist() == pytest.approx([2, 2, 2, 2])
    assert plan.hiring[["start_week", "size"]].values.tolist() == [[pd.Timestamp("2025-06-16"), 2]]
    assert (plan.weekly["gap_fte"].iloc[4:] >= 0).all()


def test_hiring_is_as_late_as_possible_when_salary_costs():
    """Salary makes an early class dearer: the plan starts the class just in time."""
    rules = {"voice": HiringRules(training_weeks=1, ramp_weeks=0, hourly_cost=20, max_class_size=10)}
    req = required_frame([5, 5, 5, 5, 5, 8, 8])
    plan = plan_hiring(req, rules=rules, starting_fte={"voice": 5.0})
    assert plan.hiring[["start_week", "size"]].values.tolist() == [[pd.Timestamp("2025-06-30"), 3]]


def test_rules_are_validated_with_names():
    with pytest.raises(ValueError, match=r"attrition_per_month = 1.5"):
        HiringRules(attrition_per_month=1.5)
    with pytest.raises(ValueError, match=r"min_class_size = 8: must not exceed max_class_size = 5"):
        HiringRules(min_class_size=8, max_class_size=5)
    with pytest.raises(ValueError, match="training_weeks = -1"):
        HiringRules(training_weeks=-1)
    with pytest.raises(ValueError, match="consecutive weeks"):
        project(pd.DataFrame({"week_start": ["2025-06-02", "2025-06-16"], "channel": "voice", "required_fte": 1.0}),
                rules={"voice": HiringRules()}, starting_fte={"voice": 1})
    with pytest.raises(ValueError, match="no starting headcount for channel 'chat'"):
        project(required_frame([1], channel="chat"), rules={"chat": HiringRules()}, starting_fte={"voice": 1})

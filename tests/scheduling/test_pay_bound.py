"""The LP bound rounded up to whole agents' pay (scheduling/shifts/pay_bound.py, issue 11):
known answers and the exhaustive optimum of tiny weeks."""

from __future__ import annotations

import random
import time
import warnings

import pytest

from scheduling.coverage import channel_demands, week_grid
from scheduling.shifts import HeadcountCaps, ShiftModel, plan_shifts
from scheduling.shifts.pay_bound import pay_unit, rounded_pay_bound

from tests.scheduling.test_improve import _exhaustive_daily, _hourly, _rules


def _lp_model(need: list[float], rules):
    requirements = _hourly(lambda d, h: need[h])
    grid = week_grid(requirements, interval_minutes=60, wrap=rules.wrap_week, first_weekday=rules.week_start)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=True,
                       integer_activities=False)
    status, objective, _ = model.solve(mip=False)
    assert status == "Optimal"
    return model, objective


def test_pay_unit_is_the_common_divisor_in_cents():
    assert pay_unit([960.0, 480.0, 288.0]) == 96.0
    assert pay_unit([28.0]) == 28.0
    assert pay_unit([10.5, 7.0]) == 3.5
    assert pay_unit([960.005]) is None  # not whole cents: no rounding


def test_known_answer_two_and_a_half_agents_round_up_to_three():
    # 4-hour shifts starting 08:00-10:00 with a paid 1-hour break at hour 1-2, every day; 1, 1.5,
    # 1, 1.5 agents needed 10:00-13:00 (hard: 1, 2, 1, 2). The LP staffs 2.5 agents (70 = 2.5 x
    # 28, the pay of 7 days x 4 h at 1/h); any plan needs 3 agents (84), which exhaustive search
    # confirms is the optimum
    need = [0.0] * 24
    need[10:14] = [1.0, 1.5, 1.0, 1.5]
    rules = _rules(length_h=4, first_h=8, n_starts=3, with_break=True)
    model, lp = _lp_model(need, rules)
    assert lp == pytest.approx(70.0)
    bound = rounded_pay_bound(model, lp_objective=lp, deadline=time.perf_counter() + 10)
    assert bound is not None
    assert bound.bound == pytest.approx(84.0)
    assert bound.groups[0][:2] == ("voice", 28.0) and bound.groups[0][2] == pytest.approx(70.0)
    assert _exhaustive_daily(need, length_h=4, first_h=8, n_starts=3, with_break=True) == pytest.approx(84.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = plan_shifts(_hourly(lambda d, h: need[h]), rules)
    assert plan.bound == pytest.approx(84.0)  # the plan's proven bound is the rounded one
    assert plan.lower_bound == pytest.approx(70.0)  # the LP's, reported apart
    assert plan.objective == pytest.approx(84.0) and plan.gap == pytest.approx(0.0, abs=1e-12)
    assert plan.status == "Optimal"


def test_never_above_the_exhaustive_optimum_on_random_tiny_weeks():
    rnd = random.Random(7)
    lifted = 0
    for _ in range(24):
        length_h, n_starts, first_h = rnd.choice([3, 4]), rnd.randint(2, 3), rnd.randint(6, 10)
        with_break = length_h == 4 and rnd.random() < 0.5
        need = [0.0] * 24
        for h in range(first_h, first_h + length_h + n_starts - 1):
            need[h] = rnd.choice([0.0, 0.4, 1.0, 1.5, 2.0, 2.7, 3.0])
        if not any(need):
            continue
        rules = _rules(length_h=length_h, first_h=first_h, n_starts=n_starts, with_break=with_break)
        try:
            model, lp = _lp_model(need, rules)
        except AssertionError:  # the windows cannot cover it (LP infeasible)
            continue
        optimum = _exhaustive_daily(need, length_h=length_h, first_h=first_h, n_starts=n_starts,
                                    with_break=with_break)
        bound = rounded_pay_bound(model, lp_objective=lp, deadline=time.perf_counter() + 10)
        if bound is None:
            continue
        assert bound.bound <= optimum + 1e-6
        unit = 7.0 * length_h  # every tour's pay: 7 days x length_h hours at 1/h
        assert bound.bound / unit == pytest.approx(round(bound.bound / unit))
        lifted += bound.bound > lp + 1e-6
    assert lifted >= 1  # the rounding moved the bound on some of them


def test_no_time_no_bound():
    need = [0.0] * 24
    need[10:14] = [1.0, 1.5, 1.0, 1.5]
    model, lp = _lp_model(need, _rules(length_h=4, first_h=8, n_starts=3, with_break=True))
    assert rounded_pay_bound(model, lp_objective=lp, deadline=time.perf_counter() - 1.0) is None

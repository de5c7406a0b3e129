"""Shift plan MIP: each constraint family on a tiny instance with a known optimum."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scheduling.rules import RuleSet
from scheduling.coverage import channel_demands, week_grid
from scheduling.shifts import HeadcountCaps, InfeasibleError, ShiftModel, SolveError, heuristics, plan_shifts
from scheduling.shifts.heuristics import (SPREAD_LP_TIME_NEEDED, coverage_target, dive, drop_redundant, drop_surplus,
                                         greedy_plan, greedy_tours, headcount_matrix, rounded_up_plan, spread_dive,
                                         tour_coverage, uses_spread_dive)

MONDAY = pd.Timestamp("2024-01-01")


def _rules(**overrides) -> RuleSet:
    base = {
        "interval_minutes": 60, "coverage": "hard", "over_penalty": 0.0,
        "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 1.0}],
        "shift": [{"name": "s", "contract": "ft", "channels": ["voice"], "length_minutes": 60,
                   "earliest_start": "00:00"}],
    }
    base.update(overrides)
    return RuleSet.from_mapping(base)


def _hourly(values_by_day_hour, channel: str = "voice") -> pd.DataFrame:
    rows = [
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "queue": "main", "channel": channel,
         "volume": 0.0, "aht_s": 0.0, "required_agents": float(values_by_day_hour(d, h))}
        for d in range(7) for h in range(24)
    ]
    return pd.DataFrame(rows)


def test_winston_post_office_lp_and_integer_optimum(keeps_rules):
    # Winston, Operations Research, post office: 5 consecutive days on, minimise employees
    need = [17, 13, 15, 19, 14, 16, 11]
    rules = _rules()
    plan = plan_shifts(_hourly(lambda d, h: need[d] if h == 0 else 0), rules)
    keeps_rules(plan, rules)
    assert plan.lower_bound == pytest.approx(5 * 67 / 3, abs=1e-6)  # LP 22.33 employees x 5 h
    assert plan.tours["agents"].sum() == 23
    assert plan.cost == pytest.approx(115.0)
    assert plan.status == "Optimal"
    for pattern in plan.tours["pattern"]:  # two consecutive days off (cyclic)
        assert ".." in pattern + pattern
    daily = plan.coverage[plan.coverage["interval_start"].dt.hour == 0]["scheduled"].to_numpy()
    assert (daily >= need).all()


def test_cyclic_24_hour_centre_with_8_hour_shifts_needs_55(keeps_rules):
    need = [6, 6, 6, 6, 6, 8, 9, 12, 18, 22, 25, 21, 21, 20, 18, 21, 21, 24, 24, 18, 18, 18, 12, 8]
    rules = _rules(
        min_rest_hours=0, max_consecutive_days=7,
        contract=[{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}],
        shift=[{"name": "eight", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
                "earliest_start": "00:00", "latest_start": "23:00", "start_step_minutes": 60}],
    )
    plan = plan_shifts(_hourly(lambda d, h: need[h]), rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 55
    assert plan.coverage["scheduled"].min() >= 6


def test_night_shift_hours_land_on_the_next_day_and_wrap_the_week(keeps_rules):
    # only 02:00-04:00 needs one agent; the only template starts at 22:00 for 6 h
    rules = _rules(
        contract=[{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}], max_consecutive_days=7,
        min_rest_hours=8,
        shift=[{"name": "night", "contract": "ft", "channels": ["voice"], "length_minutes": 360,
                "earliest_start": "22:00"}],
    )
    plan = plan_shifts(_hourly(lambda d, h: 1 if 2 <= h < 4 else 0), rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 1
    cov = plan.coverage.set_index("interval_start")["scheduled"]
    assert cov[MONDAY + pd.Timedelta(hours=2)] == 1  # Sunday's night shift, wrapped to Monday
    assert cov[MONDAY + pd.Timedelta(hours=23)] == 1
    assert cov[MONDAY + pd.Timedelta(days=1, hours=3)] == 1
    assert cov[MONDAY + pd.Timedelta(hours=12)] == 0


def test_without_wrap_monday_early_hours_cannot_be_covered():
    rules = _rules(
        wrap_week=False, contract=[{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}],
        max_consecutive_days=7, min_rest_hours=8,
        shift=[{"name": "night", "contract": "ft", "channels": ["voice"], "length_minutes": 360,
                "earliest_start": "22:00"}],
    )
    with pytest.raises(InfeasibleError, match="Mon 02:00-04:00") as info:
        plan_shifts(_hourly(lambda d, h: 1 if 2 <= h < 4 else 0), rules)
    assert any("template windows" in b for b in info.value.explanation["binding"])


def test_break_is_placed_inside_its_window_and_coverage_is_net_of_it(keeps_rules):
    # 15-min grid: 2 agents needed 08:00-12:00 except none at 10:00-10:15 -> 2 shifts, both breaks at 10:00
    rows = []
    for i in range(7 * 96):
        t = MONDAY + pd.Timedelta(minutes=15 * i)
        minute = t.hour * 60 + t.minute
        need = 2 if 480 <= minute < 720 and minute != 600 else 0
        rows.append({"interval_start": t, "channel": "voice", "required_agents": float(need)})
    rules = RuleSet.from_mapping({
        "interval_minutes": 15, "coverage": "hard", "over_penalty": 0.01, "max_consecutive_days": 7,
        "contract": [{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}],
        "shift": [{"name": "am", "contract": "ft", "channels": ["voice"], "length_minutes": 240,
                   "earliest_start": "08:00",
                   "activity": [{"kind": "break", "length_minutes": 15, "earliest_after_start": 60,
                                 "latest_after_start": 180}]}],
    })
    plan = plan_shifts(pd.DataFrame(rows), rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 2
    assert set(plan.activities["offset_minutes"]) == {120}  # 10:00, the only interval with slack
    assert (plan.activities["offset_minutes"].between(60, 180)).all()
    cov = plan.coverage.set_index("interval_start")["scheduled"]
    assert cov[MONDAY + pd.Timedelta(hours=10)] == 0  # both on break
    assert cov[MONDAY + pd.Timedelta(hours=9)] == 2


def test_days_off_are_consecutive(keeps_rules):
    need = [3, 3, 3, 3, 3, 0, 0]
    rules = _rules(shift=[{"name": "s", "contract": "ft", "channels": ["voice"], "length_minutes": 60,
                           "earliest_start": "12:00"}])
    plan = plan_shifts(_hourly(lambda d, h: need[d] if h == 12 else 0), rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 3
    assert set(plan.tours["pattern"]) == {"MTWTF.."}


def test_headcount_cap_makes_hard_coverage_infeasible_and_is_named():
    rules = _rules(contract=[{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2,
                              "hourly_cost": 1.0, "max_agents": 2}])
    with pytest.raises(InfeasibleError) as info:
        plan_shifts(_hourly(lambda d, h: 3 if h == 0 else 0), rules)
    message = str(info.value)
    assert "voice short" in message and "max_agents=2" in message
    assert info.value.explanation["shortfalls"][0]["channel"] == "voice"


def test_soft_coverage_reports_under_coverage_instead_of_failing(keeps_rules):
    rules = _rules(coverage="soft", under_penalty=100.0,
                   contract=[{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2,
                              "hourly_cost": 1.0, "max_agents": 2}])
    plan = plan_shifts(_hourly(lambda d, h: 3 if h == 0 else 0), rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 2
    # 7 days x 3 needed = 21 agent-hours; 2 agents x 5 days = 10 covered
    assert plan.under_agent_hours == pytest.approx(11.0)


def _voice_valley_and_email():
    """Voice needs 2 agents 08-12 and 14-18 but 0 at 12-14; e-mail: 4 agent-hours arriving at 08:00,
    due within the day. One 10-hour shift 08-18 serves voice or e-mail. (requirements, rules)"""
    voice = lambda d, h: 2 if (8 <= h < 12 or 14 <= h < 18) else 0  # noqa: E731
    email_rows = [
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "channel": "email",
         "required_agents": 4.0 if h == 8 else 0.0, "workload_minutes": 240.0 if h == 8 else 0.0,
         "due_minutes": 600.0}
        for d in range(7) for h in range(24)
    ]
    requirements = pd.concat([_hourly(voice), pd.DataFrame(email_rows)], ignore_index=True)
    rules = _rules(
        contract=[{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}], max_consecutive_days=7,
        shift=[{"name": "day", "contract": "ft", "channels": ["voice", "email"], "length_minutes": 600,
                "earliest_start": "08:00"}],
        min_rest_hours=12,
    )
    return requirements, rules


def test_deferred_channel_fills_the_valley_of_voice(keeps_rules):
    # voice needs 2 agents 08-12 and 14-18 but 0 at 12-14; email: 4 agent-hours arriving at 08:00
    # due within the day. Two 10-hour shifts 08-18 serve voice or email; email must be worked 12-14.
    requirements, rules = _voice_valley_and_email()
    plan = plan_shifts(requirements, rules)
    keeps_rules(plan, rules)
    tours = plan.tours.groupby("channel")["agents"].sum().to_dict()
    assert tours == {"voice": 2}  # voice agents work email in the valley, no email-only shift
    assert plan.late_work_minutes == 0


def test_blended_coverage_target_puts_deferred_work_on_the_agents_who_blend_into_it():
    # the quick plans' top-up with blending agents (issue 11, family seed 12: its LP has no
    # e-mail tours): the e-mail workload where it arrives moves onto voice, whose agents may
    # work e-mail; e-mail's own rows then need nothing
    requirements, rules = _voice_valley_and_email()
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    demands = channel_demands(requirements, grid)
    model = ShiftModel(rules, grid, demands, HeadcountCaps(), hard=True, integer_activities=False)
    channels = list(demands)
    n = grid.n_intervals
    plain, immediate = coverage_target(model, channels)
    moved, immediate_too = coverage_target(model, channels, blended=True)
    assert (immediate == immediate_too).all()
    e, v = channels.index("email"), channels.index("voice")
    email_required = np.asarray(demands["email"].required, dtype=float)
    voice_required = np.asarray(demands["voice"].required, dtype=float)
    assert email_required.sum() > 0
    assert plain[e * n:(e + 1) * n] == pytest.approx(email_required)
    assert plain[v * n:(v + 1) * n] == pytest.approx(np.ceil(voice_required - 1e-9))
    assert moved[e * n:(e + 1) * n] == pytest.approx(np.zeros(n))
    assert moved[v * n:(v + 1) * n] == pytest.approx(np.ceil(voice_required + email_required - 1e-9))
    # the greedy on the moved target: no e-mail tours, voice tours cover voice and e-mail work
    tours = greedy_tours(model, blended=True)
    matrix, _ = tour_coverage(model)
    assert all(tours[j] == 0 for j, t in enumerate(model.tours) if t.channel == "email")
    assert (matrix @ tours >= moved - 1e-9)[immediate].all()


def _email_only(coverage: str) -> tuple[pd.DataFrame, RuleSet]:
    # 600 minutes of e-mail at 09:00 Monday-Friday (3,000 a week), due within the week so no
    # lateness is priced; one agent at most, on an 8-hour e-mail shift five days a week: 2,400
    # minutes of capacity
    rows = [{"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "channel": "email",
             "required_agents": 0.0, "workload_minutes": 600.0 if (h == 9 and d < 5) else 0.0,
             "due_minutes": 7 * 1440.0}
            for d in range(7) for h in range(24)]
    rules = _rules(coverage=coverage,
                   contract=[{"name": "ft", "days_per_week": 5, "hourly_cost": 1.0, "max_agents": 1}],
                   shift=[{"name": "e", "contract": "ft", "channels": ["email"], "length_minutes": 480,
                           "earliest_start": "08:00", "latest_start": "08:00"}])
    return pd.DataFrame(rows), rules


def test_soft_plan_leaves_work_undone_when_the_week_has_no_capacity_for_it(keeps_rules):
    requirements, rules = _email_only("soft")
    plan = plan_shifts(requirements, rules)
    keeps_rules(plan, rules)
    assert plan.tours["agents"].sum() == 1
    assert plan.undone_work_minutes == pytest.approx(600.0)  # 3,000 of work, 2,400 of capacity
    assert plan.late_work_minutes == pytest.approx(0.0)


def test_hard_plan_without_capacity_for_the_work_says_how_much():
    requirements, rules = _email_only("hard")
    with pytest.raises(InfeasibleError, match="email: 600 minutes of work the week has no capacity for"):
        plan_shifts(requirements, rules)


def test_unknown_channel_is_named():
    with pytest.raises(ValueError, match="channel 'chat' is not served"):
        plan_shifts(_hourly(lambda d, h: 1, channel="chat"), _rules())


def _breaks_dive_instance() -> tuple[pd.DataFrame, RuleSet]:
    """Two days of the sample week (voice, chat, email) with 30/60-minute start steps."""
    requirements = pd.read_csv(Path(__file__).parent / "breaks_dive_requirements.csv")
    day = {"contract": "full_time", "length_minutes": 510, "paid_minutes": 480, "start_step_minutes": 30,
           "activity": [
               {"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180,
                "latest_after_start": 300},
               {"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90,
                "latest_after_start": 150}]}
    rules = RuleSet.from_mapping({
        "interval_minutes": 15, "min_rest_hours": 11, "max_consecutive_days": 6, "time_limit_s": 4.0,
        "contract": [
            {"name": "full_time", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0,
             "max_agents": 400},
            {"name": "part_time", "days_per_week": [3, 5], "consecutive_days_off": 2, "hourly_cost": 21.0,
             "max_agents": 120}],
        "shift": [
            {**day, "name": "early", "channels": ["voice", "chat", "email"], "earliest_start": "06:00",
             "latest_start": "10:00"},
            {**day, "name": "late", "channels": ["voice", "chat"], "earliest_start": "11:00",
             "latest_start": "15:00"},
            {**day, "name": "night", "channels": ["voice"], "earliest_start": "21:00", "latest_start": "23:00"},
            {"name": "part_day", "contract": "part_time", "channels": ["voice", "chat", "email"],
             "length_minutes": 240, "paid_minutes": 240, "earliest_start": "08:00", "latest_start": "17:00",
             "start_step_minutes": 60,
             "activity": [{"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90,
                           "latest_after_start": 150}]}],
    })
    return requirements, rules


def test_breaks_dive_instance_is_not_left_far_above_the_lp_bound(keeps_rules):
    # regression: the dive and a time-limited break-placement MIP used to end with a poor plan
    # (gap >= 0.20, and on a loaded machine a from-scratch MIP plan with gap 0.97). Tours now
    # come from the spread-break model (dive and drop) and are completed in the full model:
    # gap 0.077 on this instance (the drop is time-bounded, hence the margin).
    # time_limit_s is now the whole plan_shifts (issue 11): the instance's 4 s used to be the
    # LP's alone (the dive and drop had no limit); at load 16 the model build and the LP took
    # 10.4 s, so this rounding test gets 20 s for all of it (the assertion is unchanged)
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, time_limit_s=20.0)
    plan = plan_shifts(requirements, rules)
    keeps_rules(plan, rules)
    assert plan.status in ("Optimal", "Feasible")
    assert plan.gap < 0.10, (plan.gap, plan.objective, plan.lower_bound)
    assert plan.under_agent_hours < 3.0


def test_no_spread_dive_when_its_lp_would_not_end_before_the_dive_deadline():
    # issue 11: on the sample at load 12-15 the exact LP took 34.5 s of 60 and the spread LP
    # 14.6 s more, leaving the dive no time; with less than SPREAD_LP_TIME_NEEDED x the exact
    # LP's seconds left the spread dive stops at once (SolveError: the quick plans take over)
    requirements, rules = _breaks_dive_instance()
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=False,
                       integer_activities=False)
    assert uses_spread_dive(model)
    model.seconds = 30.0  # as if the exact LP had taken 30 s
    model.dive_deadline = time.perf_counter() + SPREAD_LP_TIME_NEEDED * 30.0 - 1.0
    started = time.perf_counter()
    with pytest.raises(SolveError, match="no time for the spread-break LP"):
        spread_dive(model, progress=lambda _s: None)
    assert time.perf_counter() - started < 1.0


#: these two tests check properties of LP solutions, not the time-limited plan: the instance's
#: 4 s limit (meant for plan_shifts) ran out on a loaded 2-core machine and failed them
LP_PROPERTY_LIMIT_S = 120.0


def test_spread_breaks_are_a_restriction_of_placed_breaks():
    """Taking each break in equal shares over its window is one of the placements the full
    model may choose: its LP is never below the full LP (which stays the bound), and with the
    same tours fixed the full model does at least as well."""
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, time_limit_s=LP_PROPERTY_LIMIT_S)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    demands = channel_demands(requirements, grid)
    full = ShiftModel(rules, grid, demands, HeadcountCaps(), hard=False, integer_activities=False)
    spread = ShiftModel(rules, grid, demands, HeadcountCaps(), hard=False, integer_activities=False,
                        spread_activities=True)
    full_lp, spread_lp = full.solve(mip=False)[1], spread.solve(mip=False)[1]
    assert full_lp <= spread_lp + 1e-6
    assert spread_lp <= 1.06 * full_lp  # 5.0 % here (two small days); 0.5 % on the bundled sample week
    assert not any(name.startswith("a_") for name in spread.prob.variablesDict())  # no placement columns
    tours = drop_redundant(spread, dive(spread, progress=lambda _m: None), keep_share=0.5, seconds=60.0,
                           progress=lambda _m: None)
    assert np.array_equal(tours, np.round(tours)) and tours.sum() > 0
    for model in (spread, full):
        h = model.prob.solverModel
        idx = model.tour_columns()
        h.changeColsBounds(len(idx), idx, tours, tours)
        h.run()
    spread_value = spread.prob.solverModel.getInfo().objective_function_value
    full_value = full.prob.solverModel.getInfo().objective_function_value
    assert full_value <= spread_value + 1e-6


def test_a_drop_keeps_shifts_whose_removal_saves_less_than_the_share():
    """After the drop, taking out any one more shift saves less than half its cost."""
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, time_limit_s=LP_PROPERTY_LIMIT_S)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    spread = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=False,
                        integer_activities=False, spread_activities=True)
    spread.solve(mip=False)
    tours = drop_redundant(spread, dive(spread, progress=lambda _m: None), keep_share=0.5, seconds=60.0,
                           progress=lambda _m: None)
    h, idx = spread.prob.solverModel, spread.tour_columns()
    h.run()
    kept = h.getInfo().objective_function_value
    cost = [spread.prob.objective.get(t.var, 0.0) for t in spread.tours]
    checked = 0
    for j in np.flatnonzero(tours > 0):
        h.changeColBounds(int(idx[j]), tours[j] - 1, tours[j] - 1)
        h.run()
        assert h.getInfo().objective_function_value > kept - 0.5 * cost[j] - 1e-6
        h.changeColBounds(int(idx[j]), tours[j], tours[j])
        checked += 1
    assert checked >= 5


def test_intervals_no_shift_reaches_are_reported_apart_and_left_out_of_the_gap(keeps_rules):
    """Soft coverage, a day shift 08:00-16:00 and a requirement that also runs 20:00-22:00: those
    two hours a day are short whatever the plan. They count in ``under_agent_hours`` and are named
    in a warning, but the objective, the bound and the gap are those of the week without them
    (pricing a shortfall nobody can avoid only added a constant to both and shrank the gap)."""
    rules = _rules(coverage="soft", under_penalty=50.0, min_rest_hours=0,
                   shift=[{"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
                           "earliest_start": "08:00", "latest_start": "08:00"}])
    reachable = lambda d, h: 3 if 8 <= h < 16 else 0  # noqa: E731
    with pytest.warns(UserWarning, match=r"no \[\[shift\]\] serving voice is on duty in 14 interval\(s\).*"
                                         r"Mon 20:00-22:00.*28.0 agent-hours stay uncovered"):
        plan = plan_shifts(_hourly(lambda d, h: reachable(d, h) or (2 if 20 <= h < 22 else 0)), rules)
    alone = plan_shifts(_hourly(reachable), rules)
    keeps_rules(plan, rules)
    assert plan.unreachable == {"voice": tuple(d * 24 + h for d in range(7) for h in (20, 21))}
    assert plan.unreachable_agent_hours == pytest.approx(28.0)
    assert plan.under_agent_hours == pytest.approx(alone.under_agent_hours + 28.0)
    assert plan.objective == pytest.approx(alone.objective) and plan.bound == pytest.approx(alone.bound)
    assert plan.gap == pytest.approx(alone.gap)


def test_a_time_limit_too_short_for_the_lp_still_returns_a_rule_abiding_plan_with_an_honest_gap(keeps_rules):
    # issue 11: time_limit_s is the whole plan_shifts; a limit the LP cannot finish in ends
    # with the greedy plan (no "no plan" error), its bound is a proven one and the warning says so
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, time_limit_s=0.001)
    with pytest.warns(UserWarning, match="time_limit_s=0.001"):
        plan = plan_shifts(requirements, rules)
    keeps_rules(plan, rules)
    assert plan.status in ("Optimal", "Feasible")
    assert plan.tours["agents"].sum() > 0
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=rules.coverage == "hard",
                       integer_activities=False)
    status, lp, _ = model.solve(mip=False, time_limit_s=LP_PROPERTY_LIMIT_S)
    assert status == "Optimal"
    # honest: the bound reported is no higher than the LP relaxation's (0 when the LP did not
    # finish), the plan no cheaper than it, and the gap is measured against that bound
    assert plan.bound <= lp + 1e-6 * abs(lp)
    assert plan.objective >= lp - 1e-6 * abs(lp)
    assert plan.gap == pytest.approx((plan.objective - plan.bound) / plan.objective)
    assert plan.improvements and plan.improvements[0].objective >= plan.objective - 1e-6


@pytest.mark.parametrize("coverage, limits", [("hard", {}), ("soft", {"full_time": 60, "part_time": 12})])
def test_the_greedy_plan_keeps_every_rule_and_the_headcount_caps(keeps_rules, coverage, limits):
    # the plan of last resort, without the LP: integer tours within the caps (binding here:
    # the soft plan wants more agents), completed with breaks, lunches and blending; hard
    # coverage fully covered
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, coverage=coverage)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    caps = HeadcountCaps(by_contract=limits)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), caps, hard=coverage == "hard",
                       integer_activities=False)
    model.solve(mip=False, time_limit_s=LP_PROPERTY_LIMIT_S)
    model.lp_objective = pulp_lp = model.prob.solverModel.getInfo().objective_function_value
    first = greedy_plan(model, progress=lambda _s: None)
    assert first is not None
    x, objective = first
    assert objective >= pulp_lp - 1e-6 * abs(pulp_lp)
    tours = np.round(x[model.tour_columns()])
    assert np.allclose(x[model.tour_columns()], tours)
    by_contract = {c: sum(tours[j] for j, t in enumerate(model.tours) if t.contract == c) for c in ("full_time", "part_time")}
    assert all(by_contract[c] <= limit for c, limit in limits.items())
    plan = model.result("Feasible", objective, pulp_lp, None)
    keeps_rules(plan, rules)
    if coverage == "hard":
        assert plan.under_agent_hours == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("coverage", ["hard", "soft"])
def test_the_rounded_up_lp_plan_keeps_every_rule(keeps_rules, coverage):
    # the quick plan when the dive runs out of time: the LP's tours rounded up, completed;
    # at least as many agents of every tour as the LP, so hard coverage holds
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, coverage=coverage)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=coverage == "hard",
                       integer_activities=False)
    status, lp, _ = model.solve(mip=False, time_limit_s=LP_PROPERTY_LIMIT_S)
    assert status == "Optimal"
    model.lp_objective = lp
    lp_tours = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()].copy()
    first = rounded_up_plan(model, lp_tours, progress=lambda _s: None)
    assert first is not None
    x, objective = first
    assert objective >= lp - 1e-6 * abs(lp)
    assert (np.round(x[model.tour_columns()]) >= np.floor(lp_tours + 1e-6)).all()
    plan = model.result("Feasible", objective, lp, None)
    keeps_rules(plan, rules)
    if coverage == "hard":
        assert plan.under_agent_hours == pytest.approx(0.0, abs=1e-9)


# measured on this instance (load 11): the LP's tours rounded up and repaired end 1.0498 x the LP
# (soft), 1.1007 (hard), 1.0109 (soft, binding caps: before the repair, no plan at all)
ROUNDED_UP_WITHIN = {("soft", False): 1.06, ("hard", False): 1.11, ("soft", True): 1.02}


@pytest.mark.parametrize("coverage, capped", [("soft", False), ("hard", False), ("soft", True)])
def test_the_quick_plan_when_time_runs_short_is_near_the_lp_and_keeps_the_caps(keeps_rules, coverage, capped):
    # issue 11: when the dive runs out of time the LP's tours are rounded (up; down and topped
    # up), the surplus dropped and broken headcount rows mended: a rule-abiding plan close to the
    # LP, where the LP's tours rounded up alone broke the binding caps (no plan)
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, coverage=coverage)
    limits = {"full_time": 60, "part_time": 12} if capped else {}
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(by_contract=limits),
                       hard=coverage == "hard", integer_activities=False)
    status, lp, _ = model.solve(mip=False, time_limit_s=LP_PROPERTY_LIMIT_S)
    assert status == "Optimal"
    model.lp_objective = lp
    lp_tours = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()].copy()
    cap_t, cap_limits = headcount_matrix(model)
    if capped:
        assert (cap_t.T @ np.ceil(lp_tours - 1e-4) > cap_limits + 0.5).any()  # rounding up alone breaks a cap
    first = rounded_up_plan(model, lp_tours, progress=lambda _s: None)
    assert first is not None
    x, objective = first
    assert lp - 1e-6 * abs(lp) <= objective <= ROUNDED_UP_WITHIN[(coverage, capped)] * lp
    tours = np.round(x[model.tour_columns()])
    assert (cap_t.T @ tours <= cap_limits + 1e-9).all()
    plan = model.result("Feasible", objective, lp, None)
    keeps_rules(plan, rules)
    if coverage == "hard":
        assert plan.under_agent_hours == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("coverage", ["hard", "soft"])
def test_drop_surplus_removes_only_what_the_coverage_does_not_need(coverage):
    # the repair after a greedy or a rounding up: from a plan with every tour doubled, the
    # drop removes agents, never adds, never goes below what it must keep; hard coverage stays
    # at its target on the spread coverage, and soft coverage's estimated cost never rises
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, coverage=coverage)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=coverage == "hard",
                       integer_activities=False)
    greedy = greedy_tours(model)
    doubled = 2 * greedy
    keep = np.floor(greedy / 2)
    dropped = drop_surplus(model, doubled, keep=keep)
    assert (dropped <= doubled).all() and (dropped >= np.minimum(keep, doubled)).all()
    assert dropped.sum() < doubled.sum()
    matrix, channels = tour_coverage(model)
    target, immediate = coverage_target(model, channels)
    if coverage == "hard":
        before = matrix @ doubled >= target - 1e-9
        assert (matrix @ dropped >= target - 1e-9)[before & immediate].all()
    else:
        cost = np.array([t.cost for t in model.tours])
        price = (rules.under_penalty + rules.over_penalty) * rules.interval_minutes / 60

        def estimate(tours):
            return cost @ tours + price * np.maximum(target - matrix @ tours, 0.0)[immediate].sum()

        assert estimate(dropped) < estimate(doubled)


def _solved_breaks_dive_model(rules: RuleSet) -> ShiftModel:
    """The breaks-dive instance's exact model with its LP relaxation solved (as plan_shifts has it
    before the rounding)."""
    requirements, _rules = _breaks_dive_instance()
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=False,
                       integer_activities=False)
    status, objective, _ = model.solve(mip=False, time_limit_s=120.0)
    assert status == "Optimal"
    model.lp_objective = objective
    return model


def _values_with_tours(rules: RuleSet, candidates: list[np.ndarray]) -> list[float]:
    """The LP of a fresh exact model with each candidate's tours fixed: the reference they are
    priced by."""
    model = _solved_breaks_dive_model(rules)
    h = model.prob.solverModel
    idx = model.tour_columns()
    values = []
    for tours in candidates:
        h.changeColsBounds(len(idx), idx, tours, tours)
        h.clearSolver()
        h.run()
        values.append(h.getInfo().objective_function_value + model.prob.objective.constant)
    return values


def test_the_spread_dives_from_other_vertices_are_the_same_plans_on_every_run(monkeypatch):
    # issue 11: on the bundled sample the spread dive's plan is a lottery of its LP's vertex (six
    # vertices: 102,193-109,360 against the LP's 99,727); up to SPREAD_DIVES dives, each vertex
    # reached by seeded tie-breaking costs, so a run is repeatable
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, gap_rel=0.0)  # no dive is close enough to stop the others
    monkeypatch.setattr(heuristics, "SPREAD_DIVES", 3)
    first = spread_dive(_solved_breaks_dive_model(rules), progress=lambda _s: None)
    again = spread_dive(_solved_breaks_dive_model(rules), progress=lambda _s: None)
    assert len(first) == 3
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[0], first[2])  # other vertices, other tours
    for tours, same in zip(first, again):
        assert np.array_equal(tours, same)
        assert np.allclose(tours, np.round(tours)) and (tours >= 0).all()
    monkeypatch.setattr(heuristics, "SPREAD_DIVES", 1)
    alone = spread_dive(_solved_breaks_dive_model(rules), progress=lambda _s: None)
    assert len(alone) == 1 and np.array_equal(alone[0], first[0])  # the LP's own vertex first


@pytest.mark.slow
def test_the_rounding_keeps_the_candidate_tours_cheapest_in_the_exact_model(monkeypatch, keeps_rules):
    requirements, rules = _breaks_dive_instance()
    rules = dataclasses.replace(rules, gap_rel=0.0)
    monkeypatch.setattr(heuristics, "SPREAD_DIVES", 3)
    model = _solved_breaks_dive_model(rules)
    lp_tours = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()]
    # the dives' tours and the LP's rounded up (dearer: over-coverage everywhere)
    candidates = spread_dive(model, progress=lambda _s: None) + [np.ceil(lp_tours - 1e-6)]
    values = _values_with_tours(rules, candidates)
    assert max(values) > min(values) + 1.0  # the rounded-up LP's is dearer (here the dives tie: 55,036.6)
    for order in (candidates, candidates[::-1]):
        model = _solved_breaks_dive_model(rules)
        messages: list[str] = []
        _status, objective, _ = heuristics.round_lp(model, progress=messages.append, candidates=order)
        kept = np.round(model.incumbent[model.tour_columns()])
        assert any(np.array_equal(kept, tours) for tours in order), messages
        assert _values_with_tours(rules, [kept])[0] == pytest.approx(min(values), rel=1e-9), messages
        keeps_rules(model.result("Feasible", objective, model.lp_objective, None), rules)

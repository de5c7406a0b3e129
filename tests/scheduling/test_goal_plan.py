"""The interval-goal plan as a candidate of a goal plan (scheduling.shifts.goal_plan) and the goal
rows in the improvement's sub-MIPs.

The goals are checked by the exact Erlang C formula at the plan's productive agents
(tests.scheduling.test_goal_repair._erlang_answered), not by the repair's own arithmetic.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from planner.service import expected_service, goal_check
from scheduling.shifts import goal_plan, heuristics, improve
from scheduling.shifts.solve import plan_shifts

from tests.scheduling.test_goal_repair import SHRINKAGE, _erlang_answered, _model
from tests.scheduling.test_service_goal import _requirements, _rules, _target, _week_volumes


def _goal_holds_on_spread(model, goal, tours) -> None:
    matrix, _channels = heuristics.tour_coverage(model)
    n = model.grid.n_intervals
    staffed = (matrix @ tours)[:n]
    exact = _erlang_answered(goal.volume, np.floor(np.maximum((1 - SHRINKAGE) * staffed, 0) + 1e-6))
    for _label, idx in goal.periods(model.grid):
        assert exact[idx].sum() >= goal.target_sl * goal.volume[idx].sum() - 1e-6
    floor_sched = np.ceil(goal.floor_agents / (1 - SHRINKAGE) - 1e-9)
    assert (staffed[goal.volume > 0] >= floor_sched[goal.volume > 0] - 1e-9).all()


def test_interval_plan_tours_in_the_goal_model_thinned_floors_held_and_paid_hours_capped():
    from scheduling.shifts.warm import WarmStart, start_tours

    model, goal = _model("weekly")
    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = model.rules
    status, lp, _ = model.solve(mip=False)
    assert status == "Optimal"
    model.lp_objective = lp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interval = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
    tours, lost = start_tours(model, WarmStart.of(interval.tours))
    assert lost == 0 and tours.sum() == interval.tours["agents"].sum()
    paid = goal_plan.paid_hours_per_tour(model)
    assert paid @ tours == pytest.approx(interval.paid_hours)
    # the interval plan covers every requirement (each interval at 0.8 >= the 0.6 floor): nothing to add
    held, staffed = goal_plan.goal_start(model, tours, cap=True, progress=lambda _s: None)
    assert np.array_equal(held, tours) and staffed is None
    best = heuristics.first_plan(model, goal_plan.goal_candidates(model, held, label="interval"),
                                 progress=lambda _s: None, placement_mip=False, best_of=True)
    assert best is not None
    chosen = np.round(best[0][model.tour_columns()])
    assert (chosen <= tours).all() and chosen.sum() < tours.sum()  # thinned, never an agent added
    assert paid @ chosen <= interval.paid_hours + 1e-9
    _goal_holds_on_spread(model, goal, chosen)
    # the thinning may start from the interval plan's placed coverage (breaks where its plan put them)
    n = model.grid.n_intervals
    cov = interval.coverage[interval.coverage["channel"] == "voice"]
    placed = tuple(zip(cov["channel"], model.grid.index_of(cov["interval_start"]).tolist(), cov["scheduled"].tolist()))
    _same, staffed = goal_plan.goal_start(model, tours, cap=False, placed=placed, progress=lambda _s: None)
    on_duty = np.zeros(n)
    on_duty[model.grid.index_of(cov["interval_start"])] = cov["scheduled"].to_numpy(dtype=float)
    assert np.allclose(staffed[:n], on_duty)
    from_placed = next(iter(goal_plan.goal_candidates(model, tours, label="interval", staffed=staffed)))[1]
    assert (from_placed <= tours).all()
    # the cap row: twice the interval plan's agents no longer completes in this model
    assert heuristics.first_plan(model, [("doubled", 2 * tours, False)], progress=lambda _s: None,
                                 placement_mip=False) is None


def test_goal_plan_pays_no_more_than_the_interval_plan():
    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        weekly = plan_shifts(req, rules, targets=_target("weekly", shrinkage=SHRINKAGE))
        interval = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
    assert weekly.paid_hours <= interval.paid_hours + 1e-9
    assert weekly.service_goals["short_contacts"].max() <= 1e-6


def test_sub_mip_frees_goal_net_agents_only_where_its_shifts_work():
    model, goal = _model("weekly")
    assert model.solve(mip=False)[0] == "Optimal"  # the columns' HiGHS indexes
    cols = improve.integer_columns(model)
    assert not len(cols.always_free)
    hood = improve.neighbourhoods(model, width_minutes=60)[0]
    free = set(improve.freed_columns(cols, hood).tolist())
    covered = {int(i) for j in hood.tours for g in cols.group_of_tour[j] for i in cols.group_intervals[g]}
    nets = model.goal_rows["voice"].net
    for i, net in enumerate(nets):
        if net is not None:
            assert (net.index in free) == (i in covered), i
    assert covered and any(net is not None and i not in covered for i, net in enumerate(nets))


def test_improvement_on_a_goal_model_keeps_the_goal():
    model, goal = _model("weekly")
    status, lp, _ = model.solve(mip=False)
    model.lp_objective = lp
    lp_tours = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()]
    # a poor start: the LP's tours rounded up, completed (goal-aware drop skipped)
    start = heuristics.first_plan(model, [("up", np.ceil(lp_tours - 1e-4), False)], progress=lambda _s: None,
                                  placement_mip=False)
    assert start is not None
    import time

    t0 = time.perf_counter()
    x, objective, bound = improve.improve(model, start[0], start[1], bound=lp, deadline_s=10.0, started=t0,
                                          progress=lambda _s: None, log=[])
    assert objective <= start[1] + 1e-6 and bound <= objective + 1e-6
    for var in model.prob.variables():
        var.varValue = float(x[var.index])
    tours = np.round(x[model.tour_columns()])
    _goal_holds_on_spread(model, goal, tours)
    from scheduling.shifts.formulation.service_goal import goal_levels

    levels = goal_levels(model.goal_rows)
    assert (levels["service_level"] >= levels["target_sl"] - 1e-9).all()


def test_a_plans_tours_map_onto_every_tour_of_a_blended_model():
    import tomllib

    import pandas as pd

    from scheduling.coverage import channel_demands, validate_requirements, week_grid
    from scheduling.rules import RuleSet
    from scheduling.shifts.model import ShiftModel
    from scheduling.shifts.records import HeadcountCaps
    from tests.planner.test_cli_schedule import RULES

    times = pd.date_range("2024-01-01", periods=7 * 24, freq="60min")
    hour, weekday = np.asarray(times.hour), np.asarray(times.day_of_week) < 5
    voice = np.where((hour >= 8) & (hour < 18) & weekday, 3.0 + (hour == 12), 0.0)
    email = np.where((hour >= 9) & (hour < 16) & weekday, 60.0, 0.0)
    req = validate_requirements(pd.concat([
        pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "required_agents": voice}),
        pd.DataFrame({"interval_start": times, "queue": "main", "channel": "email", "required_agents": email / 60,
                      "workload_minutes": email, "due_minutes": 480.0})]))
    rules = RuleSet.from_mapping(tomllib.loads(RULES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = plan_shifts(req, rules)
    assert plan.tours["blends"].any()  # the case that matters: tours whose agents blend into e-mail
    grid = week_grid(req, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week, first_weekday=rules.week_start)
    model = ShiftModel(rules, grid, channel_demands(req, grid), HeadcountCaps(), hard=True, integer_activities=False)
    from scheduling.shifts.warm import WarmStart, start_tours

    tours, lost = start_tours(model, WarmStart.of(plan.tours))
    assert lost == 0 and tours.sum() == plan.tours["agents"].sum()
    paid = sum(tours[j] * len(t.days) * t.template.paid_minutes / 60 for j, t in enumerate(model.tours))
    assert paid == pytest.approx(plan.paid_hours)
    assert goal_plan.paid_hours_per_tour(model) @ tours == pytest.approx(plan.paid_hours)


def test_interval_plan_of_a_goal_with_risk_drops_the_goal_keys():
    from dataclasses import replace

    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
    targets = {c: replace(t, risk=0.9) for c, t in _target("weekly", shrinkage=SHRINKAGE).items()}
    plan = goal_plan.interval_plan(req, rules, caps=None, targets=targets, seconds=10, progress=lambda _s: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        alone = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
    assert plan is not None and plan.service_goals is None
    assert plan.paid_hours == pytest.approx(alone.paid_hours, rel=0.02)


def test_goal_stage_takes_as_long_as_the_interval_plan_or_the_rest_of_the_limit_and_stops_within_gap_rel():
    import dataclasses

    assert goal_plan.goal_stage_s(30.0, 30.0) == pytest.approx((goal_plan.TIME_RATIO - 1) * 30.0)
    assert goal_plan.goal_stage_s(50.0, 60.0) == pytest.approx((goal_plan.TIME_RATIO - 1) * 50.0)
    # an interval plan that ended early leaves the goal stage the rest of the user's time_limit_s
    assert goal_plan.goal_stage_s(0.1, 60.0) == pytest.approx(59.9)
    assert goal_plan.goal_stage_s(20.0, 60.0) == pytest.approx(40.0)
    assert goal_plan.goal_stage_s(0.1, 3.0) == goal_plan.GOAL_MIN_S  # a short limit: the floor
    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=40)
    rules = dataclasses.replace(rules, gap_rel=0.01)
    said = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = plan_shifts(req, rules, targets=_target("weekly", shrinkage=SHRINKAGE),
                           progress=lambda text, share=None: said.append(text))
    # the interval-goal plan first (its own progress, prefixed), then the goal stage with its own limit
    stage = [t for t in said if t.startswith(goal_plan.INTERVAL_LABEL + ":") and "for at most" in t]
    assert len(stage) == 1, said
    first = said.index(stage[0])
    assert first > 0 and all(t.startswith("interval-goal plan: ") for t in said[:first])
    interval_s = float(stage[0].split(" in ")[-1].split(" s;")[0])
    stage_s = float(stage[0].split("for at most ")[1].split(" s")[0])
    assert stage_s == pytest.approx(goal_plan.goal_stage_s(interval_s, rules.time_limit_s), abs=0.06)
    assert any(t.startswith("warm start from the interval-goal plan") for t in said[first:])
    assert any(t.startswith("paid hours capped at") for t in said[first:])
    assert plan.gap <= rules.gap_rel + 1e-9 and plan.status == "Optimal"
    first_plan = plan.improvements[0]
    if (first_plan.objective - first_plan.bound) / first_plan.objective <= rules.gap_rel:
        # a first plan within gap_rel stops there: no improvement, whatever time is left
        assert not any(t.startswith("improving the plan") for t in said), said
    assert plan.improvements[0].seconds >= interval_s - 0.05  # the log counts from the call's start
    assert plan.solve_seconds < rules.time_limit_s / 2  # the 40 s were not spent (a loose functional check)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weekly_plan_never_pays_more_than_the_interval_plan_on_random_weeks(seed):
    """Hard coverage, random volumes on weekdays 08:00-16:00, two-hour shifts: the weekly plan's
    paid hours never above the interval-goal plan's (both proven optimal: gap_rel 0)."""
    rng = np.random.default_rng(seed)
    volumes = {(d, h): float(rng.integers(20, 160)) for d in range(5) for h in range(8, 16)}
    req = _requirements(volumes)
    rules = _rules(earliest="08:00", latest="14:00", hours=2, days=5, weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"],
                   time_limit_s=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interval = plan_shifts(req, rules, targets=_target("interval"))
        weekly = plan_shifts(req, rules, targets=_target("weekly", floor=0.5))
    assert interval.status == "Optimal"
    assert weekly.paid_hours <= interval.paid_hours + 1e-9
    service = expected_service(weekly.coverage, req, _target("weekly", floor=0.5), interval_minutes=60)
    open_ = service[service["volume"] > 0]
    assert (open_["service_level"] >= 0.5 - 1e-9).all()
    assert goal_check(open_, _target("weekly", floor=0.5)["voice"])["met"]


def test_floors_held_where_the_interval_plan_leaves_intervals_short():
    """Soft coverage whose shortfall price (0.3 per agent-hour) is below an agent's pay (1.0): the
    interval-goal plan leaves intervals below the 0.6 floor (priced); the weekly plan holds the
    floor in every open interval (Erlang C at floor(scheduled x 0.7) agents) and says what it cost."""
    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    base = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                  weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
    import dataclasses

    rules = dataclasses.replace(base, under_penalty=0.3)
    targets = _target("weekly", floor=0.6, shrinkage=SHRINKAGE)
    said = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interval = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
        weekly = plan_shifts(req, rules, targets=targets, progress=lambda text, share=None: said.append(text))
    before = expected_service(interval.coverage, req, targets, interval_minutes=60)
    before = before[before["volume"] > 0]
    assert (before["service_level"] < 0.6).any()  # the case: the interval plan leaves floors short
    after = expected_service(weekly.coverage, req, targets, interval_minutes=60)
    after = after[after["volume"] > 0]
    assert (after["service_level"] >= 0.6 - 1e-9).all(), after[after["service_level"] < 0.6]
    assert any(t.startswith("min_interval_sl held:") and "paid hours over the start's" in t for t in said), said
    assert not any("not held" in str(w.message) for w in caught)


def test_hold_floors_adds_the_cheapest_cover_and_names_what_the_caps_leave_short():
    from scheduling.shifts.goal_repair import floor_rows, hold_floors

    model, goal = _model("weekly")
    matrix, channels = heuristics.tour_coverage(model)
    need = floor_rows(model, channels)
    repair = hold_floors(model, np.zeros(len(model.tours)))
    assert repair.short == {} and repair.added_agents == repair.tours.sum() > 0
    assert (matrix @ repair.tours >= need - 1e-9).all()
    paid = goal_plan.paid_hours_per_tour(model)
    assert repair.added_paid_hours == pytest.approx(paid @ repair.tours)
    # headcount caps of 3 agents: the floors (10+ agents at the peaks) cannot be held, and the
    # intervals left short are named
    from scheduling.coverage import channel_demands, validate_requirements, week_grid
    from scheduling.shifts.formulation.service_goal import service_goals
    from scheduling.shifts.model import ShiftModel
    from scheduling.shifts.records import HeadcountCaps

    req = validate_requirements(_requirements(_week_volumes(), shrinkage=SHRINKAGE))
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15, max_agents=3)
    grid = week_grid(req, interval_minutes=60, wrap=rules.wrap_week, first_weekday=rules.week_start)
    goals = service_goals(req, _target("weekly", shrinkage=SHRINKAGE), grid)
    capped = ShiftModel(rules, grid, channel_demands(req, grid), HeadcountCaps(), hard=False,
                        integer_activities=False, goals=goals)
    short = hold_floors(capped, np.zeros(len(capped.tours)))
    assert short.added_agents == 3 and set(short.short) == {"voice"}
    staffed = (heuristics.tour_coverage(capped)[0] @ short.tours)[:grid.n_intervals]
    floor = floor_rows(capped, heuristics.tour_coverage(capped)[1])[:grid.n_intervals]
    assert set(short.short["voice"]) == set(np.flatnonzero(staffed < floor - 1e-9).tolist())


def test_floor_misses_names_channel_intervals_and_rule():
    import dataclasses

    from scheduling.coverage import validate_requirements, week_grid
    from scheduling.shifts.formulation.service_goal import service_goals

    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
    targets = _target("weekly", floor=0.6, shrinkage=SHRINKAGE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = plan_shifts(req, rules, targets=targets)
    grid = week_grid(validate_requirements(req), interval_minutes=60, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    assert goal_plan.floor_misses(plan, service_goals(validate_requirements(req), targets, grid), grid) == {}
    # the same plan judged on a 0.79 floor: the intervals below it by Erlang, named, and why
    higher = {"voice": dataclasses.replace(targets["voice"], min_interval_sl=0.79)}
    misses = goal_plan.floor_misses(plan, service_goals(validate_requirements(req), higher, grid), grid)
    service = expected_service(plan.coverage, req, higher, interval_minutes=60)
    below = service[(service["volume"] > 0) & (service["service_level"] < 0.79 - 1e-9)]
    below_idx = set(grid.index_of(below["interval_start"]).tolist())
    assert set(misses) == {"voice"} and below_idx and below_idx <= set(misses["voice"][0])
    assert "breaks and lunches" in misses["voice"][1] or "headcount caps" in misses["voice"][1]


def _break_toy():
    """Monday 09:00-13:00 at 100 contacts an hour (floor 0.5: 7 agents an hour); a four-hour shift
    from 09:00 whose paid one-hour break is at 10:00, and two-hour shifts starting 09:00-11:00."""
    from scheduling.coverage import channel_demands, validate_requirements, week_grid
    from scheduling.rules import RuleSet
    from scheduling.shifts.formulation.service_goal import service_goals
    from scheduling.shifts.model import ShiftModel
    from scheduling.shifts.records import HeadcountCaps

    from tests.scheduling.test_service_goal import _requirements as requirements

    req = validate_requirements(requirements({(0, h): 100.0 for h in range(9, 13)}))
    brk = {"kind": "break", "length_minutes": 60, "paid": True, "earliest_after_start": 60, "latest_after_start": 60}
    day = {"contract": "c", "channels": ["voice"], "start_step_minutes": 60, "days": ["Mon"], "earliest_start": "09:00"}
    rules = RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": "soft", "under_penalty": 0.1, "over_penalty": 0.0, "min_rest_hours": 8,
        "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 10,
        "contract": [{"name": "c", "days_per_week": 1, "hourly_cost": 1.0}],
        "shift": [{**day, "name": "long", "length_minutes": 240, "latest_start": "09:00", "activity": [brk]},
                  {**day, "name": "short", "length_minutes": 120, "latest_start": "11:00"}]})
    grid = week_grid(req, interval_minutes=60, wrap=rules.wrap_week, first_weekday=rules.week_start)
    goals = service_goals(req, _target("weekly", floor=0.5), grid)
    return ShiftModel(rules, grid, channel_demands(req, grid), HeadcountCaps(), hard=False, integer_activities=False,
                      goals=goals)


def test_floor_the_completions_break_breaks_is_held_again_at_the_least_paid_hours():
    model = _break_toy()
    assert model.solve(mip=False)[0] == "Optimal"
    assert [(t.template.name, t.start_minute) for t in model.tours] == [("long", 540), ("short", 540), ("short", 600),
                                                                         ("short", 660)]
    from scheduling.shifts.goal_repair import floor_rows

    floor = floor_rows(model, ["voice"])[:model.grid.n_intervals]
    assert floor[9:13].tolist() == [7, 7, 7, 7]
    # seven four-hour agents hold every hour but 10:00, where the completion puts all their breaks
    goal_plan.cap_paid_hours(model, 28.0)
    start = np.array([7.0, 0.0, 0.0, 0.0])
    first = heuristics.first_plan(model, [("long", start, False)], progress=lambda _s: None, placement_mip=False)
    assert goal_plan.placed_floor_short(model, first[0]) == {("voice", 10): 7.0}  # grid interval 10: Mon 10:00
    said = []
    repaired = goal_plan.repair_floors(model, first, progress=said.append)
    assert goal_plan.placed_floor_short(model, repaired[0]) == {}
    tours = np.round(repaired[0][model.tour_columns()])
    assert tours[0] == 7 and tours[1] + tours[2] >= 7  # 10:00 held by two-hour shifts over it
    paid = goal_plan.paid_hours_per_tour(model)
    # the fewest paid hours that hold 10:00 on top of the seven (brute force over the two-hour shifts)
    fewest = min(2.0 * (a + b + c) for a in range(9) for b in range(9) for c in range(9) if a + b >= 7)
    assert paid @ (tours - start) == fewest == 14.0
    assert model.paid_cap[1] == pytest.approx(28.0 + fewest)  # the cap moved by what the repair cost
    assert any(t.startswith("min_interval_sl: 1 floor(s) the completion broke held again") for t in said), said


def test_the_margin_written_before_the_solve_gives_the_lp_of_the_re_solve_with_it():
    # heuristics.spread_dive solves its spread-break LP once with the rounding margin in the
    # goal_net rows (margin_before_solve); before, it solved the LP and re-solved with the margin
    # (rounding_margin): the same LP, so the same optimum, and every net row keeps the margin
    from scheduling.shifts.formulation.service_goal import ROUNDING_MARGIN, margin_before_solve, rounding_margin

    model_a, _goal = _model("weekly")
    status, plain, _ = model_a.solve(mip=False)
    assert status == "Optimal"
    h = model_a.prob.solverModel
    with rounding_margin(model_a):
        re_solved = h.getInfo().objective_function_value
        assert h.getModelStatus().name == "kOptimal"
    model_b, _goal = _model("weekly")
    margin_before_solve(model_b)
    status, once, _ = model_b.solve(mip=False)
    assert status == "Optimal"
    assert once == pytest.approx(re_solved, rel=1e-7)
    assert once >= plain - 1e-6  # holding agents back never makes the LP cheaper
    rows = [row for name, row in model_b.prob.constraints.items() if name.startswith("goal_net_")]
    assert rows and min(row.value() - row.constant for row in rows) >= ROUNDING_MARGIN - 1e-6

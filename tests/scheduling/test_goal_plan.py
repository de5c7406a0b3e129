"""The interval-goal plan as a candidate of a goal plan (scheduling.shifts.goal_plan) and the goal
rows in the improvement's sub-MIPs.

The goals are checked by the exact Erlang C formula at the plan's productive agents
(tests.scheduling.test_goal_repair._erlang_answered), not by the repair's own arithmetic.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

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


def test_interval_plan_offered_to_the_goal_model_is_never_worse():
    model, goal = _model("weekly")
    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = model.rules
    status, lp, _ = model.solve(mip=False)
    assert status == "Optimal"
    model.lp_objective = lp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interval = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
    tours = goal_plan.tours_in_model(interval, model)
    assert tours is not None and tours.sum() == interval.tours["agents"].sum()
    # a goal-model plan far worse than the interval plan: twice the interval plan's agents
    worse = heuristics.first_plan(model, [("doubled", 2 * tours, False)], progress=lambda _s: None,
                                  placement_mip=False)
    assert worse is not None
    x, objective, won = goal_plan.offer_interval_plan(model, worse[0], worse[1], tours, progress=lambda _s: None)
    assert won and objective < worse[1]
    chosen = np.round(x[model.tour_columns()])
    assert chosen.sum() <= tours.sum()  # the drop while the goals hold never adds agents
    paid = sum(chosen[j] * len(t.days) * t.template.paid_minutes / 60 for j, t in enumerate(model.tours))
    assert paid <= interval.paid_hours + 1e-9
    _goal_holds_on_spread(model, goal, chosen)
    # and a better goal-model plan is kept as it is
    x2, objective2, won2 = goal_plan.offer_interval_plan(model, x, objective - 1.0, 2 * tours,
                                                         progress=lambda _s: None)
    assert not won2 and objective2 == objective - 1.0 and np.array_equal(x2, x)
    assert np.array_equal(model.incumbent, x)


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


def test_tours_in_model_maps_every_tour_of_a_blended_plan():
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
    tours = goal_plan.tours_in_model(plan, model)
    assert tours is not None and tours.sum() == plan.tours["agents"].sum()
    paid = sum(tours[j] * len(t.days) * t.template.paid_minutes / 60 for j, t in enumerate(model.tours))
    assert paid == pytest.approx(plan.paid_hours)


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


def test_goal_plan_improvement_stops_at_twice_an_interval_plan_that_reached_its_gap():
    import dataclasses

    req = _requirements(_week_volumes(), shrinkage=SHRINKAGE)
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=40)
    rules = dataclasses.replace(rules, gap_rel=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interval = plan_shifts(req, rules, targets=_target("interval", shrinkage=SHRINKAGE))
    assert interval.gap <= rules.gap_rel  # stopped on its gap: the budget is 2 x its seconds
    assert goal_plan.goal_deadline_s(interval, 4.0, rules) == pytest.approx(goal_plan.TIME_RATIO * 4.0)
    assert goal_plan.goal_deadline_s(interval, 0.1, rules) == goal_plan.GOAL_MIN_S  # a sub-second plan: the floor
    assert goal_plan.goal_deadline_s(interval, 30.0, rules) == rules.time_limit_s  # never above the limit
    # an interval plan that ran out of its share (above gap_rel), or none: the whole limit
    assert goal_plan.goal_deadline_s(dataclasses.replace(interval, gap=0.05), 1.5, rules) == rules.time_limit_s
    assert goal_plan.goal_deadline_s(None, 1.5, rules) == rules.time_limit_s
    # a weekly plan whose first plan is within gap_rel stops there: no improvement, whatever time is left
    said = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan = plan_shifts(req, rules, targets=_target("weekly", shrinkage=SHRINKAGE),
                           progress=lambda text, share=None: said.append(text))
    assert plan.gap <= rules.gap_rel + 1e-9 and plan.status == "Optimal"
    assert not any(t.startswith("improving the plan") for t in said), said
    assert plan.solve_seconds < rules.time_limit_s / 2  # the 40 s were not spent (a loose functional check)

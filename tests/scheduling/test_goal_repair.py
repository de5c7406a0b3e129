"""The drop of a rounded-up plan's surplus under daily/weekly goals (scheduling.shifts.goal_repair).

Checked against the exact Erlang C formula (an independent computation of the answered
contacts), not against the repair's own piecewise-linear arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

from scheduling import erlang
from scheduling.coverage import channel_demands, validate_requirements, week_grid
from scheduling.shifts import heuristics
from scheduling.shifts.formulation.service_goal import service_goals
from scheduling.shifts.goal_repair import answered_at, drop_goal_surplus, hold_goals
from scheduling.shifts.model import ShiftModel
from scheduling.shifts.records import HeadcountCaps

from tests.scheduling.test_service_goal import AHT_S, ANSWER_S, _requirements, _rules, _target, _week_volumes

SHRINKAGE = 0.3


def _model(goal: str):
    req = validate_requirements(_requirements(_week_volumes(), shrinkage=SHRINKAGE))
    rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="soft", days=5,
                   weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
    grid = week_grid(req, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week, first_weekday=rules.week_start)
    goals = service_goals(req, _target(goal, shrinkage=SHRINKAGE), grid)
    return ShiftModel(rules, grid, channel_demands(req, grid), HeadcountCaps(), hard=False, integer_activities=False,
                      goals=goals), goals["voice"]


def _erlang_answered(volume: np.ndarray, net: np.ndarray) -> np.ndarray:
    out = np.zeros(volume.size)
    open_ = volume > 0
    m = erlang.metrics(volume[open_], 3600.0, np.full(open_.sum(), AHT_S), net[open_].astype(float), ANSWER_S)
    out[open_] = volume[open_] * np.nan_to_num(np.asarray(m["service_level"], dtype=float))
    return out


def test_answered_at_is_erlang_at_whole_agents_and_never_above_it():
    _model_, goal = _model("weekly")
    open_ = np.flatnonzero(goal.volume > 0)
    for agents in range(0, 40, 3):
        net = np.full(open_.size, float(agents))
        ours = answered_at(goal, open_, net)
        exact = _erlang_answered(goal.volume[open_], net)
        on = net >= goal.curves.min_agents[open_]
        assert (ours[on] <= exact[on] + 1e-6).all()  # from the curve's start on, never above the queue
        # below it (the model's floor keeps plans there short and priced): the first piece extended, under its start
        start = answered_at(goal, open_, goal.curves.min_agents[open_].astype(float))
        assert (ours[~on] < start[~on]).all()
        at_curve = on & (exact < goal.volume[open_] * (1 - 1e-3))
        assert np.allclose(ours[at_curve], exact[at_curve], rtol=1e-9, atol=1e-9)  # breakpoints: the Erlang value
        assert (ours <= goal.volume[open_] + 1e-9).all()


@pytest.mark.parametrize("goal_name", ["weekly", "daily"])
def test_drop_keeps_every_goal_by_erlang_and_removes_the_rounding_surplus(goal_name):
    model, goal = _model(goal_name)
    status, _objective, _ = model.solve(mip=False)
    assert status == "Optimal"
    lp = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()]
    up = np.ceil(lp - 1e-4)
    matrix, channels = heuristics.tour_coverage(model)
    target, immediate = heuristics.coverage_target(model, channels)
    dropped = drop_goal_surplus(model, up, matrix=matrix, channels=channels, target=target, immediate=immediate,
                                keep=np.floor(lp + 1e-4))
    assert (dropped <= up).all() and (dropped >= np.floor(lp + 1e-4)).all()
    assert dropped.sum() < up.sum()  # the rounding up left surplus, and the drop found it
    # the rounded-up and greedy plans' repair drops it (it kept a goal model's tours as rounded)
    assert np.array_equal(heuristics.drop_surplus(model, up, keep=np.floor(lp + 1e-4)), dropped)
    # independently: productive agents on the spread coverage, answered within T by Erlang C
    n = model.grid.n_intervals
    staffed = (matrix @ dropped)[:n]
    net = np.floor(np.maximum((1 - SHRINKAGE) * staffed, 0) + 1e-6)
    exact = _erlang_answered(goal.volume, net)
    for _label, idx in goal.periods(model.grid):
        assert exact[idx].sum() >= goal.target_sl * goal.volume[idx].sum() - 1e-6
    floor_sched = np.ceil(goal.floor_agents / (1 - SHRINKAGE) - 1e-9)
    assert (staffed[goal.volume > 0] >= floor_sched[goal.volume > 0] - 1e-9).all()
    # one agent fewer on any tour would break a goal or a floor, or go below the LP rounded down
    for j in np.flatnonzero(dropped > np.floor(lp + 1e-4) + 0.5)[:20]:
        fewer = dropped.copy()
        fewer[j] -= 1
        s = (matrix @ fewer)[:n]
        a = answered_at(goal, np.arange(n), np.floor(np.maximum((1 - SHRINKAGE) * s, 0) + 1e-6))
        short = any(a[idx].sum() < goal.target_sl * goal.volume[idx].sum() - 1e-6 for _l, idx in goal.periods(model.grid))
        assert short or (s[goal.volume > 0] < floor_sched[goal.volume > 0] - 1e-9).any()


@pytest.mark.parametrize("coverage", ["soft", "hard"])
def test_staffed_column_gives_the_lp_of_the_expression_written_into_each_row(coverage):
    """The goal rows read one ``goal_staffed`` column per interval (its own row carries the
    coverage expression): the LP optimum is the one of the formulation that writes the expression
    into the net and floor rows (built here independently with PuLP, the column substituted out)."""
    import pulp

    model, goal = _model("weekly")
    if coverage == "hard":
        req = validate_requirements(_requirements(_week_volumes(), shrinkage=SHRINKAGE))
        rules = _rules(earliest="08:00", latest="14:00", hours=4, coverage="hard", days=5,
                       weekdays=["Mon", "Tue", "Wed", "Thu", "Fri"], time_limit_s=15)
        grid = week_grid(req, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                         first_weekday=rules.week_start)
        goals = service_goals(req, _target("weekly", shrinkage=SHRINKAGE), grid)
        model = ShiftModel(rules, grid, channel_demands(req, grid), HeadcountCaps(), hard=True,
                           integer_activities=False, goals=goals)
    status, ours, _ = model.solve(mip=False)
    assert status == "Optimal"
    staffed = {f"goal_staffed_voice_{i}": expr for i, expr in enumerate(model.goal_rows["voice"].staffed)
               if expr is not None}
    assert staffed  # the column is there, once per reachable goal interval
    dense = pulp.LpProblem("dense", pulp.LpMinimize)
    dense += model.prob.objective
    for name, row in model.prob.constraints.items():
        if name.startswith("goal_staffed_"):
            continue  # the column's own row: gone with the column
        expr = pulp.LpAffineExpression()
        for var, coef in row.items():
            expr += coef * staffed[var.name] if var.name in staffed else coef * var
        dense.addConstraint(pulp.LpConstraint(expr, row.sense, rhs=-row.constant), name)
    assert not any(v.name.startswith("goal_staffed_") for v in dense.variables())
    for v in dense.variables():
        v.cat = pulp.LpContinuous  # the relaxation
    dense.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[dense.status] == "Optimal"
    assert pulp.value(dense.objective) == pytest.approx(ours, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("goal_name", ["daily", "weekly"])
def test_hold_goals_adds_agents_until_erlang_meets_every_goal_and_no_agent_is_wasted(goal_name):
    # the LP's tours rounded down, and agents taken off until a goal is short; the repair adds
    # agents, counted from those tours' own coverage, until every period's goal holds by the exact Erlang C formula at
    # whole productive agents; it adds nothing to tours that meet the goals already
    model, goal = _model(goal_name)
    assert model.solve(mip=False)[0] == "Optimal"
    lp = np.asarray(model.prob.solverModel.getSolution().col_value)[model.tour_columns()]
    down = np.floor(lp + 1e-4)
    matrix, _channels = heuristics.tour_coverage(model)
    n = model.grid.n_intervals

    def answered(tours):
        staffed = (matrix @ tours)[:n]
        return _erlang_answered(goal.volume, np.floor(np.maximum((1 - SHRINKAGE) * staffed, 0) + 1e-6))

    def short(tours):
        exact = answered(tours)
        return [label for label, idx in goal.periods(model.grid)
                if exact[idx].sum() < goal.target_sl * goal.volume[idx].sum() - 1e-6]

    while not short(down):  # agents taken off the largest tour until a goal is short
        down[int(np.argmax(down))] -= 1
    repair = hold_goals(model, down, on_duty=matrix @ down)
    assert (repair.tours >= down).all() and repair.added_agents == int((repair.tours - down).sum()) > 0
    assert repair.short_periods == 0 and short(repair.tours) == []
    paid = np.array([len(t.days) * t.template.paid_minutes / 60 for t in model.tours])
    assert repair.added_paid_hours == pytest.approx(paid @ (repair.tours - down))
    again = hold_goals(model, repair.tours, on_duty=matrix @ repair.tours)
    assert again.added_agents == 0 and np.array_equal(again.tours, repair.tours)

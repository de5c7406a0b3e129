"""The short intervals' neighbourhoods (issue 11): breaks moved off a short interval, every
rule kept, the cost never raised."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp
import pytest

from scheduling.coverage import channel_demands, week_grid
from scheduling.rules import RuleSet
from scheduling.shifts import HeadcountCaps, ShiftModel
from scheduling.shifts.heuristics import round_lp
from scheduling.shifts.improve import checked_plan, improve, integer_columns
from scheduling.shifts.shortfall_hoods import (channel_hood, improve_short_days, recompleted, round_order, short_days,
                                              shortfall_hoods, solve_hood)

MONDAY = pd.Timestamp("2024-01-01")


def _hourly(need) -> pd.DataFrame:
    return pd.DataFrame([
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "queue": "main", "channel": "voice",
         "volume": 0.0, "aht_s": 0.0, "required_agents": float(need(d, h))}
        for d in range(7) for h in range(24)])


def _solved(need, rules):
    requirements = _hourly(need)
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=False,
                       integer_activities=False)
    status, lp, _ = model.solve(mip=False)
    assert status == "Optimal"
    model.lp_objective = lp
    _status, objective, _ = round_lp(model, progress=lambda _s: None)
    return model, lp, objective


# Two 4-hour shifts a day, paid 1 an hour, at 08:00 and 09:00 (the only starts), each with a
# one-hour paid break 1-2 hours after its start; half an agent needed 08:00-13:00 every day,
# 1,000 an agent-hour short. Two agents a day are needed (one covers at most 3 of the 5 hours),
# and they must be the 08:00 and the 09:00 shift (two at 08:00 leave 12:00 empty, two at 09:00
# leave 08:00). Their breaks may be at 09:00 or 10:00 (first) and 10:00 or 11:00 (second):
# every hour is covered unless both break at 10:00. Optimum: 2 x 4 x 7 = 56, no shortfall.
BREAK_RULES = {
    "interval_minutes": 60, "coverage": "soft", "under_penalty": 1000.0, "over_penalty": 0.0,
    "min_rest_hours": 8, "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 20,
    "contract": [{"name": "c", "days_per_week": 7, "hourly_cost": 1.0}],
    "shift": [{"name": "s", "contract": "c", "channels": ["voice"], "length_minutes": 240,
               "earliest_start": "08:00", "latest_start": "09:00", "start_step_minutes": 60,
               "activity": [{"kind": "break", "length_minutes": 60, "paid": True, "earliest_after_start": 60,
                             "latest_after_start": 120}]}],
}


def _both_break_at_ten_on_monday(model):
    """The optimum's columns with Monday's two breaks moved to 10:00 (the tours as they are):
    (columns, objective with the constant), every other decision re-solved with them fixed."""
    h = model.prob.solverModel
    cols = integer_columns(model)
    x = model.incumbent.copy()
    assert [round(x[t.var.index]) for t in model.tours] == [1, 1]  # the 08:00 and the 09:00 tour
    for p in model.placements:
        if p.group.day == 0 and p.var is not None:
            x[p.var.index] = 1.0 if p.group.start_minute + p.offset_minutes == 600 else 0.0
    columns, objective = checked_plan(h, cols, x)
    return cols, columns, objective + float(model.prob.objective.constant)


def _every_row_holds(model, x, objective):
    for var in model.prob.variables():
        var.varValue = float(x[var.index])
    broken = [name for name, row in model.prob.constraints.items() if not row.valid(1e-6)]
    assert not broken, broken[:5]
    assert objective == pytest.approx(pulp.value(model.prob.objective), rel=1e-9, abs=1e-6)
    assert all(abs(v.varValue - round(v.varValue)) < 1e-9 for v in model.prob.variables() if v.cat == pulp.LpInteger)


def test_moving_a_break_off_the_short_interval_reaches_the_known_optimum():
    rules = RuleSet.from_mapping(BREAK_RULES)
    model, lp, _first = _solved(lambda d, h: 0.5 if 8 <= h < 13 else 0.0, rules)
    assert lp == pytest.approx(56.0)  # the LP is exact here (the coverage rows' integer rounding)
    cols, x, bad = _both_break_at_ten_on_monday(model)
    assert bad == pytest.approx(56.0 + 500.0)  # half an agent short at Monday 10:00, 1,000 an agent-hour
    short = short_days(model, x)
    assert [(s.channel, s.day, s.intervals, s.short) for s in short] == [("voice", 0, (10,), (0.5,))]
    assert short[0].cost == pytest.approx(500.0)
    kinds = [hood.kind for hood in shortfall_hoods(model, cols, short[0])]
    assert kinds == ["breaks", "cover"]
    log = []
    started = time.perf_counter()
    polished, objective = improve_short_days(model, cols, x, bad, bound=lp, stop_at=started + 30, started=started,
                                           in_child=False, progress=lambda _s: None, log=log)
    assert objective == pytest.approx(56.0)
    # one gain, by the first neighbourhood a round tries (round_order: the cover ones first)
    assert [i.method for i in log] == ["neighbourhood: c shifts covering the short intervals, voice Mon"]
    tours = [round(polished[t.var.index]) for t in model.tours]
    assert tours == [1, 1]  # the tours as they were (the only optimal ones): the breaks moved
    # and the breaks neighbourhood alone (tours fixed) reaches the same optimum: the breaks suffice
    breaks = next(hood for hood in shortfall_hoods(model, cols, short[0]) if hood.kind == "breaks")
    h = model.prob.solverModel
    result, _worker = solve_hood(h, cols, breaks.columns, x, None, limit_s=20, stop_at=time.perf_counter() + 20,
                             progress=lambda _s: None)
    alone = checked_plan(h, cols, result.col_value)
    assert alone is not None and alone[1] + model.prob.objective.constant == pytest.approx(56.0)
    assert [round(alone[0][t.var.index]) for t in model.tours] == [1, 1]
    monday = {p.group.start_minute + p.offset_minutes: round(polished[p.var.index])
              for p in model.placements if p.group.day == 0 and p.var is not None and polished[p.var.index] > 0.5}
    assert sum(monday.values()) == 2 and monday.get(600, 0) <= 1  # two breaks, at most one at 10:00
    assert short_days(model, polished) == []
    _every_row_holds(model, polished, objective)


def test_the_improvement_tries_the_short_intervals_first():
    rules = RuleSet.from_mapping(BREAK_RULES)  # gap_rel 0: the optimum (the LP's 56) ends the search
    model, lp, _first = _solved(lambda d, h: 0.5 if 8 <= h < 13 else 0.0, rules)
    _cols, x, bad = _both_break_at_ten_on_monday(model)
    log = []
    columns, objective, bound = improve(model, x, bad, bound=lp, deadline_s=60, started=time.perf_counter(),
                                        progress=lambda _s: None, log=log)
    assert objective == pytest.approx(56.0)
    assert log[0].method == "neighbourhood: c shifts covering the short intervals, voice Mon"
    _every_row_holds(model, columns, objective)


def _random_profile(seed: int) -> np.ndarray:
    """A random requirement per weekday and hour (0-3.4 agents, none before 07:00 or from 21:00)."""
    profile = np.random.default_rng(seed).choice([0.0, 0.3, 0.6, 1.2, 2.5, 3.4], size=(7, 24))
    profile[:, :7] = 0.0
    profile[:, 21:] = 0.0
    return profile


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_the_shortfall_neighbourhoods_never_raise_the_cost_and_keep_every_rule(seed):
    profile = _random_profile(seed)
    rules = RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": "soft", "under_penalty": 60.0, "over_penalty": 0.5, "min_rest_hours": 11,
        "max_consecutive_days": 6, "gap_rel": 0.0, "time_limit_s": 20,
        "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0},
                     {"name": "pt", "days_per_week": [3, 4], "hourly_cost": 21.0}],
        "shift": [
            {"name": "long", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
             "earliest_start": "07:00", "latest_start": "13:00", "start_step_minutes": 60,
             "activity": [{"kind": "break", "length_minutes": 60, "paid": False, "earliest_after_start": 120,
                           "latest_after_start": 300}]},
            {"name": "short", "contract": "pt", "channels": ["voice"], "length_minutes": 240,
             "earliest_start": "08:00", "latest_start": "17:00", "start_step_minutes": 60,
             "activity": [{"kind": "break", "length_minutes": 60, "paid": True, "earliest_after_start": 60,
                           "latest_after_start": 120}]}],
    })
    model, lp, first = _solved(lambda d, h: profile[d, h], rules)
    cols = integer_columns(model)
    log = []
    started = time.perf_counter()
    x, objective = improve_short_days(model, cols, model.incumbent.copy(), first, bound=lp, stop_at=started + 20,
                                    started=started, in_child=False, progress=lambda _s: None, log=log)
    assert lp - 1e-6 <= objective <= first + 1e-6
    assert [i.objective for i in log] == sorted((i.objective for i in log), reverse=True)
    assert all(i.objective < first for i in log)
    _every_row_holds(model, x, objective)


def test_a_round_tries_every_short_days_cover_neighbourhoods_first_the_smallest_first():
    rules = RuleSet.from_mapping(BREAK_RULES)
    model, _lp, _first = _solved(lambda d, h: 0.5 if 8 <= h < 13 else 0.0, rules)
    cols = integer_columns(model)
    x = model.incumbent.copy()
    for p in model.placements:  # Monday's and Thursday's breaks both at 10:00: two short days
        if p.group.day in (0, 3) and p.var is not None:
            x[p.var.index] = 1.0 if p.group.start_minute + p.offset_minutes == 600 else 0.0
    x, _objective = checked_plan(model.prob.solverModel, cols, x)
    shorts = short_days(model, x)
    assert [(s.channel, s.day) for s in shorts] == [("voice", 0), ("voice", 3)]
    hoods = round_order(model, cols, shorts)
    assert [h.kind for h in hoods] == ["cover", "cover", "breaks", "breaks"]
    assert [h.columns.size for h in hoods[:2]] == sorted(h.columns.size for h in hoods[:2])
    assert [h.label for h in hoods[2:]] == ["breaks on duty, voice Mon", "breaks on duty, voice Thu"]
    every = {h.label for s in shorts for h in shortfall_hoods(model, cols, s)}
    assert {h.label for h in hoods} == every and len(hoods) == len(every)


def test_completing_the_tours_again_places_the_breaks_off_the_short_interval_and_keeps_every_rule():
    rules = RuleSet.from_mapping(BREAK_RULES)
    model, _lp, _first = _solved(lambda d, h: 0.5 if 8 <= h < 13 else 0.0, rules)
    cols, x, bad = _both_break_at_ten_on_monday(model)
    assert bad == pytest.approx(556.0)
    again, objective = recompleted(model, cols, x)
    assert objective == pytest.approx(56.0)  # the known optimum: the same tours, the breaks apart
    assert [round(again[t.var.index]) for t in model.tours] == [1, 1]
    _every_row_holds(model, again, objective)


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_completing_the_tours_again_keeps_the_tours_and_every_rule(seed):
    profile = _random_profile(seed)
    rules = RuleSet.from_mapping(BREAK_RULES | {"under_penalty": 60.0, "over_penalty": 0.5,
                                                "contract": [{"name": "c", "days_per_week": [3, 5], "hourly_cost": 1.0}]})
    model, lp, first = _solved(lambda d, h: profile[d, h], rules)
    cols = integer_columns(model)
    x = model.incumbent.copy()
    again, objective = recompleted(model, cols, x)
    assert objective >= lp - 1e-6
    assert [round(again[t.var.index]) for t in model.tours] == [round(x[t.var.index]) for t in model.tours]
    _every_row_holds(model, again, objective)


# Two channels, hourly, every shift 4 hours on all 7 days at 1 an hour, 1,000 an agent-hour short:
# voice needs 1 agent 08:00-12:00 (one 08:00 shift); chat 0.3 agents 08:00-12:00 and 0.6 agents
# 12:00-16:00, and its contract allows one agent (max_agents 1), starting at 08:00 or 12:00. The
# chat agent at 08:00 leaves 0.6 x 4 h x 7 = 16.8 agent-hours short, at 12:00 8.4: the optimum is
# 28 + 28 + 8,400 = 8,456. From the 08:00 plan no cover neighbourhood gains (it frees the 12:00
# tour, but the cap holds while the 08:00 tour stays fixed); the chat channel's does.
SWAP_RULES = {
    "interval_minutes": 60, "coverage": "soft", "under_penalty": 1000.0, "over_penalty": 0.0,
    "min_rest_hours": 8, "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 20,
    "contract": [{"name": "v", "days_per_week": 7, "hourly_cost": 1.0},
                 {"name": "c", "days_per_week": 7, "hourly_cost": 1.0, "max_agents": 1}],
    "shift": [{"name": "phones", "contract": "v", "channels": ["voice"], "length_minutes": 240,
               "earliest_start": "08:00", "latest_start": "08:00", "start_step_minutes": 60},
              {"name": "chats", "contract": "c", "channels": ["chat"], "length_minutes": 240,
               "earliest_start": "08:00", "latest_start": "12:00", "start_step_minutes": 240}],
}


def _swap_week(under_penalty: float = 1000.0):
    """The model of SWAP_RULES' week (LP solved) and the plan with the chat agent at 08:00:
    (model, LP bound, its integer columns, the plan, its objective with the constant)."""
    rules = RuleSet.from_mapping(SWAP_RULES | {"under_penalty": under_penalty})
    need = {"voice": lambda h: 1.0 if 8 <= h < 12 else 0.0,
            "chat": lambda h: 0.3 if 8 <= h < 12 else 0.6 if 12 <= h < 16 else 0.0}
    requirements = pd.DataFrame([
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "queue": channel, "channel": channel,
         "volume": 0.0, "aht_s": 0.0, "required_agents": need[channel](h)}
        for channel in need for d in range(7) for h in range(24)])
    grid = week_grid(requirements, interval_minutes=60, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=False,
                       integer_activities=False)
    status, lp, _ = model.solve(mip=False)
    assert status == "Optimal"
    cols = integer_columns(model)
    assert sorted((t.channel, t.start_minute) for t in model.tours) == [("chat", 480), ("chat", 720), ("voice", 480)]
    values = np.zeros(model.prob.solverModel.getNumCol())
    for tour in model.tours:
        values[tour.var.index] = 1.0 if tour.start_minute == 480 else 0.0
    x, objective = checked_plan(model.prob.solverModel, cols, values)
    return model, lp, cols, x, objective + float(model.prob.objective.constant)


def test_a_round_tries_each_short_channels_neighbourhood_once_after_the_covers():
    model, _lp, cols, x, objective = _swap_week()
    assert objective == pytest.approx(28 + 28 + 16_800)
    shorts = short_days(model, x)
    assert [(s.channel, s.day) for s in shorts] == [("chat", d) for d in range(7)]
    hoods = round_order(model, cols, shorts)
    assert [h.kind for h in hoods] == ["cover"] * 7 + ["channel"]
    chat_tours = [t.var.index for t in model.tours if t.channel == "chat"]
    assert hoods[-1].label == "every chat shift" and sorted(hoods[-1].columns) == sorted(chat_tours)
    assert all(hood.columns.tolist() == [t.var.index for t in model.tours if t.start_minute == 720]
               for hood in hoods[:-1])


@pytest.mark.parametrize("in_child", [False, True])
def test_the_channels_neighbourhood_moves_a_capped_shift_to_the_known_optimum(in_child):
    model, lp, cols, x, objective = _swap_week()
    log = []
    started = time.perf_counter()
    better, best = improve_short_days(model, cols, x, objective, bound=lp, stop_at=started + 30, started=started,
                                      in_child=in_child, progress=lambda _s: None, log=log)
    assert best == pytest.approx(28 + 28 + 8_400)
    assert [i.method for i in log] == ["neighbourhood: every chat shift"]
    assert {(t.channel, t.start_minute) for t in model.tours if round(better[t.var.index]) == 1} == {
        ("voice", 480), ("chat", 720)}
    assert model.prob.solverModel.getOptionValue("mip_heuristic_run_rens")[1] is True  # the caller's option back
    _every_row_holds(model, better, best)


@pytest.mark.parametrize(("under_penalty", "hood"), [(0.2, False), (0.25, True), (1000.0, True)])
def test_a_channels_neighbourhood_only_when_its_shortfall_costs_more_than_its_cheapest_shift(under_penalty, hood):
    # chat short 0.6 agents 12:00-16:00 every day: 16.8 agent-hours (3.36 and 4.2 at the first two
    # prices); its one shift costs 4
    model, _lp, cols, x, _objective = _swap_week(under_penalty)
    shorts = short_days(model, x)
    assert sum(s.cost for s in shorts) == pytest.approx(16.8 * under_penalty)
    assert (channel_hood(model, cols, "chat", shorts) is not None) is hood
    assert [h.kind for h in round_order(model, cols, shorts)] == ["cover"] * 7 + ["channel"] * hood

"""Each constraint family of the shift model (scheduling.shifts.formulation) on a tiny instance
with a known optimum: worked out by hand in the docstring, or by brute force over every
agent's choices, against the model solved as a MIP (HiGHS branch and bound to optimality)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from scheduling.coverage import channel_demands, week_grid
from scheduling.rules import RuleSet
from scheduling.shifts import AgentPool, HeadcountCaps, ShiftModel
from scheduling.shifts.formulation import (add_activities, add_backlog, add_blending, add_coverage, add_headcount,
                                           add_shift_groups, add_tours)
from scheduling.shifts.formulation.context import ROWS_LATER, Build
from scheduling.solvers import lp_solver

MONDAY = pd.Timestamp("2024-01-01")


def _requirements(need: dict[str, list[float]] | list[float], *, days: range = range(7)) -> pd.DataFrame:
    """60-minute grid; ``need[channel][hour]`` agents on each day in ``days`` (a list: voice)."""
    need = need if isinstance(need, dict) else {"voice": need}
    rows = []
    for channel, hours in need.items():
        for d in range(7):
            for h in range(24):
                value = float(hours[h]) if d in days and h < len(hours) else 0.0
                rows.append({"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "queue": channel,
                             "channel": channel, "volume": 0.0, "aht_s": 0.0, "required_agents": value})
    return pd.DataFrame(rows)


def _hours(**need: float) -> list[float]:
    """``_hours(h8=2, h9=1)``: a 24-hour list with those hours set."""
    out = [0.0] * 24
    for key, value in need.items():
        out[int(key[1:])] = value
    return out


def _rules(shifts: list[dict], *, contract: dict | None = None, coverage: str = "hard",
           under_penalty: float = 1000.0, extra: dict | None = None) -> RuleSet:
    return RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": coverage, "under_penalty": under_penalty, "over_penalty": 0.0,
        "min_rest_hours": 8, "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 30,
        "contract": [contract or {"name": "c", "days_per_week": 7, "hourly_cost": 1.0}],
        "shift": shifts, **(extra or {}),
    })


def _shift(*, start: str, latest: str | None = None, hours: int, channels=("voice",), activity=None) -> dict:
    out = {"name": "s", "contract": "c", "channels": list(channels), "length_minutes": 60 * hours,
           "earliest_start": start, "latest_start": latest or start, "start_step_minutes": 60}
    if activity:
        out["activity"] = activity
    return out


def _model(rules: RuleSet, requirements: pd.DataFrame, caps: HeadcountCaps | None = None) -> ShiftModel:
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    return ShiftModel(rules, grid, channel_demands(requirements, grid), caps or HeadcountCaps(),
                      hard=rules.coverage == "hard", integer_activities=True)


def _optimum(model: ShiftModel) -> tuple[float, float]:
    """(LP relaxation, MIP optimum) of the model."""
    status, lp, _ = model.solve(mip=False)
    assert status == "Optimal"
    model.set_activities_integer()
    status, mip, _ = model.solve(mip=True)
    assert status == "Optimal"
    return lp, mip


def _rows(model: ShiftModel, prefix: str) -> list[str]:
    return [row.name for row in model.prob.constraints() if row.name.startswith(prefix)]


# ----------------------------------------------------------------------------- tours


def test_tours_known_optimum():
    """4-hour shifts starting 08, 09 or 10, every day. Need 1 agent 08-10, 2 agents 10-12,
    1 agent 12-14: one tour at 08 and one at 10 cover it exactly, so the optimum is 2 agents x
    7 days x 4 h = 56, and the LP can do no better (every hour 08-14 needs its agent-hours)."""
    rules = _rules([_shift(start="08:00", latest="10:00", hours=4)])
    model = _model(rules, _requirements(_hours(h8=1, h9=1, h10=2, h11=2, h12=1, h13=1)))
    assert [t.start_minute for t in model.tours] == [480, 540, 600]
    assert all(t.days == tuple(range(7)) and t.cost == pytest.approx(28.0) for t in model.tours)
    lp, mip = _optimum(model)
    assert lp == pytest.approx(56.0) and mip == pytest.approx(56.0)
    chosen = {t.start_minute: round(t.var.varValue) for t in model.tours}
    assert chosen == {480: 1, 540: 0, 600: 1}


def test_a_random_seed_reaches_highs_and_leaves_the_optimum_as_it_is():
    # benchmarks/schedule_family.py --draws: HiGHS alone with random_seed 0, 1, 2 on the same week
    rules = _rules([_shift(start="08:00", latest="10:00", hours=4)])
    for seed in (3, 7):
        model = _model(rules, _requirements(_hours(h8=1, h9=1, h10=2, h11=2, h12=1, h13=1)))
        status, mip, _ = model.solve(mip=True, random_seed=seed)
        assert status == "Optimal" and mip == pytest.approx(56.0)
        assert model.prob.solverModel.getOptionValue("random_seed")[1] == seed


# ----------------------------------------------------------------------------- day patterns


def test_day_patterns_and_days_off_known_optimum():
    """One agent at 09:00 every day, 1-hour shifts, contracts of 5 days with 2 consecutive days
    off (wrapping the week). Seven agent-days: the LP takes 7/5 agents (7.0); whole agents need 2
    (e.g. Mon-Fri and Wed-Sun), 10 paid hours. Every pattern offered has 5 days and a run of two
    days off, and the day rows tie each day's shifts to the tours working it."""
    contract = {"name": "c", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 1.0}
    rules = _rules([_shift(start="09:00", hours=1)], contract=contract)
    model = _model(rules, _requirements(_hours(h9=1)))
    patterns = {t.pattern for t in model.tours}
    assert len(patterns) == 7  # the seven placements of two consecutive days off, wrapping
    for p in patterns:
        assert sum(p) == 5 and any(not p[d] and not p[(d + 1) % 7] for d in range(7))
    assert len(_rows(model, "day_")) == 7 and len(model.groups) == 7
    lp, mip = _optimum(model)
    assert lp == pytest.approx(7.0) and mip == pytest.approx(10.0)
    for g in model.groups:
        assert g.count.varValue == pytest.approx(sum(t.var.varValue for t in model.tours if t.pattern[g.day]))
        assert g.count.varValue >= 1 - 1e-9


# ----------------------------------------------------------------------------- activities


def _brute_force_breaks(need: list[float], *, offsets_a: list[int], offsets_b: list[int], start_h: int,
                        length_h: int, max_agents: int = 6) -> int:
    """Fewest agents on one 1-day shift with two 1-hour breaks, A then B (B after A has ended),
    that cover ``need`` (hours of the day) in every hour that needs someone."""
    pairs = [(a, b) for a in offsets_a for b in offsets_b if b >= a + 1]
    for n in range(1, max_agents + 1):
        for choice in itertools.combinations_with_replacement(pairs, n):
            cover = np.zeros(24)
            cover[start_h:start_h + length_h] += n
            for a, b in choice:
                cover[start_h + a] -= 1
                cover[start_h + b] -= 1
            if all(cover[h] >= need[h] for h in range(24) if need[h] > 0):
                return n
    raise AssertionError("no plan within max_agents")


def test_activities_and_ordering_rows_known_optimum():
    """A 4-hour shift at 08:00 with break A (1 h, 1-2 h after the start) then break B (1 h,
    1-3 h after, so from 2 h: it follows A). Need 2 agents at 08, 09 and 11 and none at 10.
    Placement rows alone would let every agent take both breaks at 10 (2 agents, 56); but no
    agent can take two breaks in one hour: B must start after A has ended, which the ordering
    rows say as "B started by s <= A ended by s" (B at 10 <= A at 09). B at 11 then leaves
    fewer than 2 agents there unless 2 agents take B at 10, so 2 take A at 09, and 09 needs 2
    more: 4 agents (112), which brute force over every agent's breaks confirms; the LP is exact."""
    brk_a = {"kind": "break", "length_minutes": 60, "paid": True, "earliest_after_start": 60,
             "latest_after_start": 120}
    brk_b = {**brk_a, "latest_after_start": 180}
    rules = _rules([_shift(start="08:00", hours=4, activity=[brk_a, brk_b])])
    need = _hours(h8=2, h9=2, h11=2)
    model = _model(rules, _requirements(need))
    assert {(p.activity_index, p.offset_minutes) for p in model.placements} == {(0, 60), (0, 120), (1, 120), (1, 180)}
    assert len(_rows(model, "place_")) == 14 and len(_rows(model, "order_")) == 7  # per day: 2 and 1
    lp, mip = _optimum(model)
    n = _brute_force_breaks(need, offsets_a=[1, 2], offsets_b=[1, 2, 3], start_h=8, length_h=4)
    assert n == 4
    assert mip == pytest.approx(7 * 4 * n)
    assert lp == pytest.approx(mip)
    placed = {(p.group.day, p.activity_index, p.offset_minutes): p.var.varValue for p in model.placements}
    for d in range(7):
        assert placed[(d, 1, 120)] <= placed[(d, 0, 60)] + 1e-9  # the ordering row holds


def test_single_offset_activity_takes_no_column():
    """A lunch with one allowed offset has no placement column: every shift takes it there."""
    lunch = {"kind": "lunch", "length_minutes": 60, "paid": False, "earliest_after_start": 120,
             "latest_after_start": 120}
    rules = _rules([_shift(start="08:00", hours=4, activity=[lunch])])
    model = _model(rules, _requirements(_hours(h8=1, h9=1, h11=1)))
    assert all(p.var is None and p.count is p.group.count for p in model.placements)
    lp, mip = _optimum(model)
    # paid 3 h a day (the unpaid lunch), 1 agent covers 08, 09 and 11
    assert mip == pytest.approx(7 * 3.0) and lp == pytest.approx(mip)


# ----------------------------------------------------------------------------- coverage


def test_coverage_hard_rounds_the_requirement_up():
    """Hard coverage of 1.3 agents needs 2 whole agents (the row reads >= ceil(1.3)), so the LP
    is already 2 x 7 x 1 = 14."""
    rules = _rules([_shift(start="09:00", hours=1)])
    model = _model(rules, _requirements(_hours(h9=1.3)))
    assert set(model.coverage.staffed) == {"voice"} and len(model.coverage.staffed["voice"]) == 7 * 24
    lp, mip = _optimum(model)
    assert lp == pytest.approx(14.0) and mip == pytest.approx(14.0)


@pytest.mark.parametrize("under_penalty, agents", [(0.5, 0), (2.0, 1), (5.0, 2)])
def test_soft_coverage_prices_the_shortfall_and_its_rounding(under_penalty, agents):
    """Soft coverage of 1.3 agents at 09:00 with 1-hour shifts costing 1 a day; each agent-hour
    short costs under_penalty. A day costs k + (1.3 - k) x penalty with k agents (k <= 1) or k:
    at 0.5 nobody (0.65 a day), at 2 one agent (1.6), at 5 two (2). The rounding row
    (staffed + u / 0.3 >= 2) makes the LP exact: a fraction of an agent cannot beat its cost."""
    rules = _rules([_shift(start="09:00", hours=1)], coverage="soft", under_penalty=under_penalty)
    model = _model(rules, _requirements(_hours(h9=1.3)))
    assert len(_rows(model, "cover_mir_")) == 7
    lp, mip = _optimum(model)
    expected = 7 * (agents + max(0.0, 1.3 - agents) * under_penalty)
    assert mip == pytest.approx(expected)
    assert lp == pytest.approx(expected)
    assert sum(round(t.var.varValue) for t in model.tours) == agents


def test_staffed_expression_is_what_a_later_family_builds_on():
    """A later builder writes its rows on Coverage.staffed: a row asking for 3 agents at 09:00
    on Monday (beyond the requirement of 1) raises the optimum by exactly 2 agent-hours (the
    contract allows one-day tours)."""
    rules = _rules([_shift(start="09:00", hours=1)],
                   contract={"name": "c", "days_per_week": [1, 7], "hourly_cost": 1.0})
    requirements = _requirements(_hours(h9=1))
    grid = week_grid(requirements, interval_minutes=60, wrap=True)
    demands = channel_demands(requirements, grid)
    base = ShiftModel(rules, grid, demands, HeadcountCaps(), hard=True)
    assert _optimum(base)[1] == pytest.approx(7.0)

    build = Build(rules=rules, grid=grid, demands=demands, caps=HeadcountCaps(), hard=True)
    tours = add_tours(build)
    add_activities(build, add_shift_groups(build, tours))
    add_blending(build)
    coverage = add_coverage(build)
    add_backlog(build, coverage)
    add_headcount(build, tours)
    build.add_row(coverage.staffed["voice"][9] >= 3, "goal_voice_9", order=(ROWS_LATER,))
    prob = build.finish()
    assert prob.constraints()[-1].name == "goal_voice_9"
    prob.solve(lp_solver(time_limit_s=30, gap_rel=0.0, mip=True))
    assert prob.objective.value() == pytest.approx(9.0)


# ----------------------------------------------------------------------------- blending and backlog


def test_blending_and_backlog_known_optimum():
    """Voice needs 1 agent 09-11 (2 h); 60 agent-minutes of e-mail arrive at 09:00, due within
    4 h. A 3-hour voice shift at 09:00 that also serves e-mail can blend it into its idle hour
    (11:00): one shift a day (3 h) does both. Without blending an e-mail shift of 1 h would be
    needed as well (4 h). Brute force: 3 x 7 = 21."""
    shifts = [_shift(start="09:00", hours=3, channels=("voice", "email")),
              {**_shift(start="09:00", latest="12:00", hours=1, channels=("email",)), "name": "e"}]
    requirements = _requirements({"voice": _hours(h9=1, h10=1), "email": _hours()})
    email = (requirements["channel"] == "email") & (requirements["interval_start"].dt.hour == 9)
    requirements["workload_minutes"] = np.where(email, 60.0, 0.0)  # one agent-hour of work at 09:00
    requirements["due_minutes"] = np.where(requirements["channel"] == "email", 240.0, np.nan)
    requirements.loc[email, "required_agents"] = 1.0
    rules = _rules(shifts)
    model = _model(rules, requirements)
    assert model.blends and all(b.channel == "voice" and b.work_channel == "email" for b in model.blends)
    assert _rows(model, "blend_") and _rows(model, "flow_email_") and _rows(model, "due_email_")
    lp, mip = _optimum(model)
    assert mip == pytest.approx(21.0 + sum(1e-4 * round(b.var.varValue) for b in model.blends))
    assert sum(round(b.var.varValue) for b in model.blends) == 7  # one blended hour a day
    assert all(v.varValue == pytest.approx(0.0) for v in model.backlog.late["email"] if v is not None)


# ----------------------------------------------------------------------------- headcount


def test_headcount_cap_known_optimum():
    """Two templates serve 09:00: a 1-hour shift at cost 1 and a 2-hour one at cost 2 (08-10).
    Need 2 agents at 09:00 every day; with at most 1 agent on the cheap contract, the second
    must be a 2-hour one: 7 x (1 + 2) = 21 instead of 14."""
    cheap = {"name": "c", "days_per_week": 7, "hourly_cost": 1.0, "max_agents": 1}
    dear = {"name": "d", "days_per_week": 7, "hourly_cost": 1.0}
    rules = RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": "hard", "over_penalty": 0.0, "min_rest_hours": 8,
        "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 30, "contract": [cheap, dear],
        "shift": [_shift(start="09:00", hours=1), {**_shift(start="08:00", hours=2), "name": "l", "contract": "d"}],
    })
    model = _model(rules, _requirements(_hours(h9=2)))
    assert [c.limit for c in model.cap_rows] == [1] and _rows(model, "cap_c")
    lp, mip = _optimum(model)
    assert mip == pytest.approx(21.0) and lp == pytest.approx(21.0)


def test_hall_rows_known_optimum():
    """Named agents: 1 voice-only agent and 1 agent with voice and chat; voice and chat each
    need 1 agent at 09:00 every day (1-hour shifts). Per-skill counts (2 voice, 1 chat) would
    allow 2 voice tours and 1 chat tour; Hall's rows ({chat agent} takes chat tours: <= 1; both
    agents: <= 2) allow exactly 1 + 1, optimum 14. A chat need of 2 is then infeasible."""
    shift = _shift(start="09:00", hours=1, channels=("voice", "chat"))
    rules = _rules([shift])
    pools = (AgentPool("c", frozenset({"voice"}), frozenset(range(7)), 1),
             AgentPool("c", frozenset({"voice", "chat"}), frozenset(range(7)), 1))
    caps = HeadcountCaps(pools=pools)
    model = _model(rules, _requirements({"voice": _hours(h9=1), "chat": _hours(h9=1)}), caps)
    assert {t.takers for t in model.tours} == {frozenset({0, 1}), frozenset({1})}
    assert sorted(c.limit for c in model.cap_rows) == [1, 2]
    lp, mip = _optimum(model)
    assert mip == pytest.approx(14.0) and lp == pytest.approx(14.0)
    model = _model(rules, _requirements({"voice": _hours(h9=0), "chat": _hours(h9=2)}), caps)
    assert model.solve(mip=False)[0] == "Infeasible"

"""Warm-started shift plans (issue 11, budget scenarios): another plan's tours, repaired.

Known optima by exhaustive search on tiny weeks (tests.scheduling.test_improve's helpers), the
warm plan equal to the cold one there, every rule kept, and never worse than the repaired
start the plan began from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scheduling.coverage import channel_demands, week_grid
from scheduling.rules import RuleSet
from scheduling.shifts import HeadcountCaps, ShiftModel, plan_shifts
from scheduling.shifts.solve import plan_shifts_from
from scheduling.shifts.warm import WarmStart, start_tours
from tests.scheduling.test_improve import _exhaustive_daily, _hourly, _rules

BASE_NEED = [0.0] * 7 + [1.0, 2.0, 2.7, 3.0, 2.0] + [0.0] * 12  # hours 7-11: the shifts (06:00-08:00 starts, 4 h) reach them


def _from_start(method: str) -> bool:
    """The first plan came from the warm start, or from the LP rounding tried because the
    repaired start was far from the bound."""
    return "warm start from the base plan" in method or "the warm start was worse" in method


def _scaled(factor: float) -> list[float]:
    return [factor * v for v in BASE_NEED]


@pytest.mark.parametrize("under_penalty", [None, 3.0], ids=["hard", "soft"])
@pytest.mark.parametrize("factor", [1.0, 1.3, 0.7], ids=["same", "volume+30%", "volume-30%"])
def test_warm_plan_equals_the_cold_plan_at_the_known_optimum(keeps_rules, under_penalty, factor):
    """Solved to optimality both ways (gap_rel 0 on a tiny week): the warm plan's cost is the
    cold plan's and the exhaustive optimum, and it keeps every rule. For the base's own
    requirements it began from the base's tours; for other requirements from the LP rounding."""
    kwargs = dict(length_h=4, first_h=6, n_starts=3, with_break=True)
    rules = _rules(**kwargs, gap_rel=0.0, under_penalty=under_penalty)
    base_requirements = _hourly(lambda d, h: BASE_NEED[h])
    base = plan_shifts(base_requirements, rules)
    need = _scaled(factor)
    optimum = _exhaustive_daily(need, **kwargs, under_penalty=under_penalty)
    cold = plan_shifts(_hourly(lambda d, h: need[h]), rules)
    start = WarmStart.of(base.tours, requirements=base_requirements)
    warm = plan_shifts_from(_hourly(lambda d, h: need[h]), rules, start)
    assert cold.status == warm.status == "Optimal"
    assert warm.objective == pytest.approx(cold.objective, abs=1e-6)
    assert warm.objective == pytest.approx(optimum, abs=1e-6)
    assert warm.bound <= warm.objective + 1e-9 and warm.gap <= 1e-9
    method = warm.improvements[0].method
    assert ("warm start from the base plan" in method) == (factor == 1.0), method
    objectives = [i.objective for i in warm.improvements]
    assert all(b < a for a, b in zip(objectives, objectives[1:]))
    keeps_rules(warm, rules)


def test_a_price_change_keeps_the_optimal_tours_and_reprices_them(keeps_rules):
    """Pay 8 % dearer for everyone: the base's optimal tours stay optimal, and the warm plan is
    the base plan repriced (its first plan already, at the known optimum)."""
    rules = _rules(length_h=4, first_h=6, n_starts=3, with_break=True, gap_rel=0.0)
    mapping = {
        "interval_minutes": 60, "coverage": "hard", "under_penalty": 1000.0, "over_penalty": 0.0,
        "min_rest_hours": 8, "max_consecutive_days": 7, "gap_rel": 0.0, "time_limit_s": 20.0,
        "contract": [{"name": "c", "days_per_week": 7, "hourly_cost": 1.08}],
        "shift": [{"name": "s", "contract": "c", "channels": ["voice"], "length_minutes": 240,
                   "earliest_start": "06:00", "latest_start": "08:00", "start_step_minutes": 60,
                   "activity": [{"kind": "break", "length_minutes": 60, "paid": True, "earliest_after_start": 60,
                                 "latest_after_start": 120}]}]}
    dearer = RuleSet.from_mapping(mapping)
    assert RuleSet.from_mapping({**mapping, "contract": [{**mapping["contract"][0], "hourly_cost": 1.0}]}) == rules
    requirements = _hourly(lambda d, h: BASE_NEED[h])
    base = plan_shifts(requirements, rules)
    warm = plan_shifts_from(requirements, dearer, WarmStart.of(base.tours, requirements=requirements))
    assert "warm start from the base plan" in warm.improvements[0].method
    assert warm.status == "Optimal"
    assert warm.objective == pytest.approx(1.08 * base.objective, rel=1e-9)
    assert warm.improvements[0].objective == pytest.approx(warm.objective, rel=1e-9)
    assert warm.tours["agents"].sum() == base.tours["agents"].sum()
    keeps_rules(warm, dearer)


def _two_contract_rules(*, time_limit_s: float, gap_rel: float = 0.0, coverage: str = "hard",
                        full_time_cost: float = 24.0) -> RuleSet:
    return RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": coverage, "under_penalty": 200.0, "over_penalty": 0.01,
        "min_rest_hours": 11, "max_consecutive_days": 6, "gap_rel": gap_rel, "time_limit_s": time_limit_s,
        "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": full_time_cost},
                     {"name": "pt", "days_per_week": [3, 4], "hourly_cost": 21.0}],
        "shift": [
            {"name": "long", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
             "earliest_start": "06:00", "latest_start": "14:00", "start_step_minutes": 60,
             "activity": [{"kind": "break", "length_minutes": 60, "paid": False, "earliest_after_start": 180,
                           "latest_after_start": 300}]},
            {"name": "short", "contract": "pt", "channels": ["voice"], "length_minutes": 240,
             "earliest_start": "08:00", "latest_start": "18:00", "start_step_minutes": 60}],
    })


@pytest.mark.parametrize("seed", [3, 17])
@pytest.mark.parametrize("coverage", ["hard", "soft"])
def test_warm_plan_keeps_every_rule_and_is_never_worse_than_its_repaired_start(keeps_rules, seed, coverage):
    """A week with two contracts, days off and breaks; the scenario makes full-time pay dearer
    and (soft coverage; part-time shifts cannot cover hard nights) caps full-time agents 2
    below the base plan's: the start breaks the cap, and is mended and topped up. The warm
    plan's first plan is the repaired start (or the LP rounding when
    that was cheaper), every later plan is cheaper, the cap holds and the roster keeps every
    rule."""
    rng = np.random.default_rng(seed)
    profile = rng.choice([0.0, 0.6, 1.0, 2.2, 3.0, 4.5], size=(7, 24))
    profile[:, :6] = 0.0
    profile[:, 22:] = 0.0
    requirements = _hourly(lambda d, h: profile[d, h])
    rules = _two_contract_rules(time_limit_s=4.0, coverage=coverage)
    base = plan_shifts(requirements, rules)
    full_time = int(base.tours.loc[base.tours["contract"] == "ft", "agents"].sum())
    assert full_time >= 3
    cap = full_time - 2 if coverage == "soft" else full_time
    caps = HeadcountCaps(by_contract={"ft": cap})
    dearer = _two_contract_rules(time_limit_s=4.0, coverage=coverage, full_time_cost=27.0)
    start = WarmStart.of(base.tours, requirements=requirements)
    warm = plan_shifts_from(requirements, dearer, start, caps=caps)
    first = warm.improvements[0]
    assert _from_start(first.method), first.method
    assert warm.objective <= first.objective + 1e-6
    assert [i.objective for i in warm.improvements] == sorted((i.objective for i in warm.improvements), reverse=True)
    assert warm.bound <= warm.objective + 1e-6
    assert warm.tours.loc[warm.tours["contract"] == "ft", "agents"].sum() <= cap
    if coverage == "hard":
        cov = warm.coverage
        assert (cov["scheduled"] >= np.ceil(cov["required"] - 1e-6)).all()
    keeps_rules(warm, dearer)


def test_the_start_maps_onto_the_model_tour_by_tour():
    """``WarmStart.of(plan.tours)`` lands on the same tour columns of a model of the same week;
    a tour the model does not offer is left out and counted."""
    rules = _two_contract_rules(time_limit_s=6.0)
    requirements = _hourly(lambda d, h: 2.0 if 8 <= h < 18 else 0.0)
    plan = plan_shifts(requirements, rules)
    grid = week_grid(requirements, interval_minutes=60, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), HeadcountCaps(), hard=True,
                       integer_activities=False)
    start = WarmStart.of(plan.tours)
    counts, lost = start_tours(model, start)
    assert lost == 0 and counts.sum() == plan.tours["agents"].sum() == start.agents()
    mapped = {(t.template.name, t.start_minute, t.pattern): n for t, n in zip(model.tours, counts) if n}
    assert sum(mapped.values()) == plan.tours["agents"].sum()
    extra = pd.concat([plan.tours, plan.tours.iloc[:1].assign(template="gone", agents=3)], ignore_index=True)
    counts, lost = start_tours(model, WarmStart.of(extra))
    assert lost == 3 and counts.sum() == plan.tours["agents"].sum()

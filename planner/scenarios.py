"""Budget questions: what service level costs, and what a budget buys.

- :func:`frontier`: the cost of reaching each service-level target (70 %...95 % by default)
  on every immediate channel, each a full plan (requirements -> shift plan -> roster), the
  plans run as Dask tasks (:mod:`execution`). A plan that meets a higher target also meets every lower one, so the frontier
  reports, for each target, the cheapest plan found that reaches at least that target: cost
  is non-decreasing in the target by construction, and the plan behind each row is named.
- :func:`budget_service`: the best expected service level a weekly budget buys, found by
  optimising the scheduling model itself (a Lagrangian search on the price of a short
  agent-hour; each step is a full shift plan with the plan's rules), not by guessing targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd

from execution import Executor
from planner.pipeline import BASE, Outcome, run_scenarios
from planner.plan_config import PlanConfig, Scenario
from scheduling.channels import IMMEDIATE_CHANNELS

DEFAULT_LEVELS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)


def target_scenario(config: PlanConfig, level: float) -> Scenario:
    """A scenario setting ``target_sl = level`` on every immediate channel of the staffing config."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"service-level target {level!r} must be between 0 and 1")
    channels = [c for c in config.staffing.get("channel", {}) if c in IMMEDIATE_CHANNELS]
    return Scenario(f"target {level:.0%}", {f"channel.{c}.target_sl": level for c in channels})


def frontier(
    config: PlanConfig,
    forecast: pd.DataFrame,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    workers: int | None = None,
    executor: Executor | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, Outcome]]:
    """Cost of reaching each target; returns (table, outcomes by scenario name).

    Table columns: ``target, cost, fte, paid_hours, service_level, plan`` where ``plan`` names
    the scenario whose plan gives that row (the target's own, or a higher target's when that
    one came out cheaper within the solver's gap) and ``own_cost`` is the target's own plan cost.
    The plans run on ``executor`` (default a local cluster of ``workers`` processes for the call);
    ``on_done(outcome)`` is called as each target's plan finishes.
    """
    levels = sorted(float(level) for level in levels)
    scenarios = tuple(target_scenario(config, level) for level in levels)
    outcomes = run_scenarios(config, forecast, scenarios, workers=workers, executor=executor, on_done=on_done)
    rows = [dict(outcomes[s.name].row, target=level) for s, level in zip(scenarios, levels)]
    table = pd.DataFrame(rows)
    best_cost, best_index = np.inf, None
    chosen = [0] * len(table)
    for i in range(len(table) - 1, -1, -1):  # cheapest plan reaching at least each target
        if table.loc[i, "cost"] < best_cost:
            best_cost, best_index = table.loc[i, "cost"], i
        chosen[i] = best_index
    result = pd.DataFrame(
        {
            "target": table["target"],
            "cost": [table.loc[j, "cost"] for j in chosen],
            "fte": [table.loc[j, "fte"] for j in chosen],
            "paid_hours": [table.loc[j, "paid_hours"] for j in chosen],
            "service_level": [table.loc[j, "service_level"] for j in chosen],
            "plan": [table.loc[j, "name"] for j in chosen],
            "own_cost": table["cost"],
        }
    )
    return result, outcomes


def budget_service(
    config: PlanConfig,
    forecast: pd.DataFrame,
    *,
    budget: float,
    scenario: Scenario = BASE,
    iterations: int = 7,
    max_price: float = 1000.0,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """The best expected service level ``budget`` (money per week) buys, with its plan.

    Lagrangian search over the scheduling model: the soft-coverage shift plan minimises
    ``paid cost + price x agent-hours short of requirement``; as the price of a short
    agent-hour rises the plan buys more coverage and costs more. The search (bisection on
    the price, in log space) finds the highest price whose plan fits the budget, i.e. the
    plan that covers the requirement best for that money; its service level is then
    evaluated exactly (Erlang) on the coverage it chose. Every plan found within budget is
    kept and the one with the best service level is returned.

    The solves run on ``executor`` (default: a local cluster for the call). On a cluster the top
    price and the first bisection step are solved side by side (the second kept only when the
    top plan is over budget, as the sequential search would); the rest one after another.

    Returns the tidy plan row plus ``budget``, ``price_per_short_agent_hour``, ``plans_tried``
    and the plan's ``roster``, ``activities`` and ``coverage`` frames.
    """
    if not budget > 0:
        raise ValueError(f"budget {budget!r} must be a positive amount per week")
    from planner.pipeline import scenario_task

    tried: list[tuple[float, Outcome]] = []

    def at(price: float) -> Scenario:
        overrides = {**scenario.overrides, "rules.under_penalty": price, "rules.coverage": "soft"}
        return Scenario(f"{scenario.name} at {price:.4g}/short agent-hour", overrides)

    def solve(*prices: float) -> list[Outcome]:
        return ex.map(scenario_task, [at(p) for p in prices], common=(config, forecast),
                      labels=[f"budget search, price {p:.4g}" for p in prices])

    with ExitStack() as stack:
        ex = executor or stack.enter_context(Executor())
        low, high = np.log(1e-3), np.log(max_price)
        middle = 0.5 * (low + high)
        # the top price and the first bisection step are independent: solved side by side; the
        # second is used only when the top plan is over budget, as a sequential search would
        if ex.spreads(2):
            top, first = solve(max_price, float(np.exp(middle)))
        else:  # in this process: no solve that may go unused
            top, first = solve(max_price)[0], None
        tried.append((max_price, top))
        if top.row["cost"] > budget:
            for step in range(iterations):
                if step == 0 and first is not None:
                    outcome = first
                else:
                    middle = 0.5 * (low + high)
                    outcome = solve(float(np.exp(middle)))[0]
                tried.append((float(np.exp(middle)), outcome))
                if outcome.row["cost"] <= budget:
                    low = middle
                else:
                    high = middle
    within = [(price, outcome) for price, outcome in tried if outcome.row["cost"] <= budget + 1e-6]
    if not within:
        raise ValueError(f"budget {budget:,.2f}: no plan fits it (the cheapest tried costs {min(o.row['cost'] for _, o in tried):,.2f})")
    price, best = max(within, key=lambda pair: (np.nan_to_num(pair[1].row["service_level"]), -pair[1].row["cost"]))
    row = dict(best.row, name=f"budget {budget:,.0f}")
    return {"budget": float(budget), **row, "price_per_short_agent_hour": price, "plans_tried": len(tried),
            "roster": best.roster, "activities": best.activities, "coverage": best.coverage}

"""Budget questions: what service level costs, and what a budget buys.

- :func:`frontier`: the cost of reaching each service-level target (70 %...95 % by default)
  on every immediate channel, each a full plan (requirements -> shift plan -> roster) run in
  parallel. A plan that meets a higher target also meets every lower one, so the frontier
  reports, for each target, the cheapest plan found that reaches at least that target: cost
  is non-decreasing in the target by construction, and the plan behind each row is named.
- :func:`budget_service`: the best expected service level a weekly budget buys, found by the
  scheduling model itself (:func:`scheduling.budget.max_service_for_budget`): it maximises
  the expected contacts answered within T over the week subject to paid cost <= budget,
  with the same shift, break and tour rules as the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.pipeline import BASE, Outcome, run_scenarios, scenario_requirements
from planner.plan_config import PlanConfig, Scenario
from planner.service import channel_summary, expected_service, plan_row
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
) -> tuple[pd.DataFrame, dict[str, Outcome]]:
    """Cost of reaching each target; returns (table, outcomes by scenario name).

    Table columns: ``target, cost, fte, paid_hours, service_level, plan`` where ``plan`` names
    the scenario whose plan gives that row (the target's own, or a higher target's when that
    one came out cheaper within the solver's gap) and ``own_cost`` is the target's own plan cost.
    """
    levels = sorted(float(level) for level in levels)
    scenarios = tuple(target_scenario(config, level) for level in levels)
    outcomes = run_scenarios(config, forecast, scenarios, workers=workers)
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


def budget_service(config: PlanConfig, forecast: pd.DataFrame, *, budget: float, scenario: Scenario = BASE) -> dict[str, Any]:
    """The best expected service level ``budget`` (money per week) buys, with its plan.

    Returns the tidy plan row (cost, fte, paid_hours, service_level and per channel, ...)
    plus ``budget`` and the plan's ``roster``, ``activities`` and ``coverage`` frames. The
    service level is evaluated exactly (Erlang) on the coverage the optimisation chose.
    """
    if not budget > 0:
        raise ValueError(f"budget {budget!r} must be a positive amount per week")
    from planner.rostering import schedule_for_budget

    requirements, targets, rules = scenario_requirements(config, forecast, scenario)
    schedule = schedule_for_budget(requirements, rules, budget=float(budget), targets=targets, agents=config.agents,
                                   source=str(config.source))
    service = expected_service(schedule["coverage"], requirements, targets, interval_minutes=config.interval_minutes)
    channels = channel_summary(service, schedule["deferred_on_time"])
    row = plan_row(name=f"budget {budget:,.0f}", service=service, channels=channels, coverage=schedule["coverage"],
                   requirements=requirements, paid_hours=schedule["paid_hours"], cost=schedule["cost"],
                   fte_hours_per_week=config.fte_hours_per_week)
    return {"budget": float(budget), **row, "solver_status": schedule["solver"].get("status"),
            "roster": schedule["roster"], "activities": schedule["activities"], "coverage": schedule["coverage"]}

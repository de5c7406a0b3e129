"""Shift plans that meet a daily or weekly service goal in a share ``risk`` of forecast scenarios.

``risk`` (staffing.toml, a channel with ``service_goal = "daily"`` or ``"weekly"``) asks that
the goal holds in at least that share of the forecast's arrival scenarios, not only at the point
forecast. :func:`plan_for_risk` plans for it by a volume quantile, verified and tightened by
simulation (a cheaper equivalent of a sample-average approximation with one indicator per
scenario, which multiplies the goal rows by the number of scenarios):

1. draw ``scenarios`` (>= 50) arrival paths for the week from the forecast's spread
   (:func:`forecasting.scenarios.sample_scenarios`: a day factor shared by the day's intervals
   times interval noise), the paths :func:`planner.uncertainty.roster_under_uncertainty` judges;
2. plan on the point forecast (:func:`scheduling.shifts.plan_shifts`) and simulate the roster's
   coverage over the paths; a channel whose P(goal met) is already >= ``risk`` is left as is;
3. else plan the goal at the channel's volume times a multiplier ``m``: first the ``risk``
   quantile over the paths of the period volume's ratio to the point forecast (the week's for a
   weekly goal, the highest day's for a daily one: every day must hold), then, while the
   simulated P(goal met) stays below ``risk``, ``m <- 1 + TIGHTEN x (m - 1) + TIGHTEN_STEP``;
   once a multiplier meets it, the bracket between the highest that missed and the lowest that
   met is halved (down to ``BISECT_TOL``) for a cheaper plan. At most ``max_rounds`` plans
   after the point one; the cheapest plan that met every risk is kept. Only the goal's volume is scaled: the floor
   ``min_interval_sl`` and the caps are planned at the scaled volume too (they are stricter
   there), the requirements' ``required_agents`` are left as they are.

The verdict is the simulation's (Poisson arrivals at each path's rates, FIFO, patience and
concurrency as configured; productive agents = floor(scheduled x (1 - shrinkage))), the same
one the plan reports, so a plan that returns ``met`` reports P(goal met) >= risk. What risk
costs is the plan's paid hours and cost over the point-forecast plan's (the first plan).

Units: volume in contacts per interval, paid hours in hours, cost in the rules' currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.scenarios import MIN_SCENARIOS, sample_scenarios
from planner.uncertainty import roster_under_uncertainty
from scheduling.coverage import DEFERRED_CHANNELS
from scheduling.requirements import ServiceTarget
from scheduling.rules import RuleSet
from scheduling.shifts import HeadcountCaps, ShiftPlan, plan_shifts
from wfm_errors import InputError
from wfm_progress import Progress, quiet

__all__ = ["RiskRound", "RiskPlan", "plan_for_risk", "risk_channels", "scenario_volumes", "volume_multipliers",
           "risk_text", "MAX_ROUNDS", "TIGHTEN", "TIGHTEN_STEP", "BISECT_TOL"]

MAX_ROUNDS = 5  # plans at raised volume after the point plan, at most
TIGHTEN = 1.5  # a multiplier short of the risk grows its excess over 1 by half ...
TIGHTEN_STEP = 0.01  # ... and by this (so a multiplier of 1, no rate error, still moves)
BISECT_TOL = 0.02  # once a multiplier met the risk, the bracket below it is halved down to this width


@dataclass(frozen=True)
class RiskRound:
    """One plan of the search: the volume ``multipliers`` per risk channel it was planned at
    (1 = the point forecast), its ``paid_hours`` (h) and ``cost`` (rules' currency), and the
    simulated P(goal met) per risk channel (``p_goal``) over the scenarios."""

    multipliers: Mapping[str, float]
    paid_hours: float
    cost: float
    p_goal: Mapping[str, float]

    def to_summary(self) -> dict[str, Any]:
        return {"multipliers": dict(self.multipliers), "paid_hours": self.paid_hours, "cost": self.cost,
                "p_goal": dict(self.p_goal)}


@dataclass(frozen=True)
class RiskPlan:
    """What :func:`plan_for_risk` chose: ``plan`` (the shift plan), the ``requirements`` it was
    planned on (risk channels' volume scaled by its round's ``multipliers``; the point
    forecast's when they are all 1), the ``risk`` per channel, the plans tried (``rounds``: the
    first is the point-forecast plan; ``chosen_round`` the plan's: the cheapest that met every
    risk, else the last) and ``met`` (every risk channel's simulated P(goal met) >= its risk)."""

    plan: ShiftPlan
    requirements: pd.DataFrame
    risk: Mapping[str, float]
    rounds: tuple[RiskRound, ...]
    chosen_round: int
    met: bool
    scenarios: int
    seed: int

    @property
    def chosen(self) -> RiskRound:
        return self.rounds[self.chosen_round]

    @property
    def point(self) -> RiskRound:
        return self.rounds[0]

    @property
    def extra_paid_hours(self) -> float:
        """Paid hours (h) the risk costs over the point-forecast plan."""
        return self.chosen.paid_hours - self.point.paid_hours

    def to_summary(self) -> dict[str, Any]:
        point, chosen = self.point, self.chosen
        return {
            "definition": "the daily/weekly goal planned at the point forecast's volume times a multiplier per channel "
                          "(first the risk quantile of the scenarios' period-volume ratio, raised while the simulated "
                          "P(goal met) over the forecast scenarios is below risk); cost of risk = this plan over the "
                          "point-forecast plan",
            "risk": dict(self.risk), "met": self.met, "scenarios": self.scenarios, "seed": self.seed,
            "multipliers": dict(chosen.multipliers), "p_goal": dict(chosen.p_goal),
            "point_plan": {"paid_hours": point.paid_hours, "cost": point.cost, "p_goal": dict(point.p_goal)},
            "extra_paid_hours": self.extra_paid_hours,
            "extra_paid_share": (self.extra_paid_hours / point.paid_hours if point.paid_hours > 0 else 0.0),
            "extra_cost": chosen.cost - point.cost,
            "rounds": [r.to_summary() for r in self.rounds],
        }


def risk_channels(requirements: pd.DataFrame, targets: Mapping[str, ServiceTarget] | None) -> dict[str, float]:
    """channel -> risk for the immediate channels of ``requirements`` with a daily/weekly goal and a risk."""
    present = set(requirements["channel"])
    return {c: float(t.risk) for c, t in sorted((targets or {}).items())
            if getattr(t, "risk", None) is not None and t.service_goal != "interval" and c not in DEFERRED_CHANNELS
            and c in present}


def scenario_volumes(requirements: pd.DataFrame, targets: Mapping[str, ServiceTarget], *, spread: pd.DataFrame | None,
                     scenarios: int, seed: int) -> pd.DataFrame:
    """The arrival paths (:data:`forecasting.scenarios.SCENARIO_COLUMNS`) of the immediate
    channels of ``targets`` in ``requirements``, drawn as
    :func:`planner.uncertainty.roster_under_uncertainty` draws them (same seed, same paths)."""
    immediate = {c for c in targets if c not in DEFERRED_CHANNELS}
    expected = requirements[requirements["channel"].isin(immediate)]
    expected = expected[["interval_start", "queue", "channel", "volume"]].rename(columns={"volume": "forecast"})
    spread = pd.DataFrame(columns=["queue", "channel", "day_cv", "interval_cv", "source"]) if spread is None else spread
    return sample_scenarios(expected, spread, scenarios=int(scenarios), seed=seed)


def volume_multipliers(requirements: pd.DataFrame, volumes: pd.DataFrame, goals: Mapping[str, str],
                       risk: Mapping[str, float]) -> dict[str, float]:
    """Per channel the ``risk`` quantile over the paths of the period volume's ratio to the
    point forecast: the week's total for goal "weekly", the highest of the days' for "daily"
    (at least 1: the point forecast is the least a goal is planned at)."""
    out = {}
    for channel, level in risk.items():
        point = requirements[requirements["channel"] == channel]
        day = pd.to_datetime(point["interval_start"]).dt.normalize()
        point_days = point.groupby(day.to_numpy())["volume"].sum()
        paths = volumes[volumes["channel"] == channel]
        if not len(paths) or point_days.sum() <= 0:
            out[channel] = 1.0
            continue
        by_day = paths.groupby(["scenario", pd.to_datetime(paths["interval_start"]).dt.normalize().to_numpy()])[
            "volume"].sum().unstack()
        by_day = by_day.reindex(columns=point_days.index).fillna(0.0)
        if goals[channel] == "daily":
            open_days = point_days[point_days > 0]
            ratio = (by_day[open_days.index] / open_days).max(axis=1)
        else:
            ratio = by_day.sum(axis=1) / point_days.sum()
        out[channel] = max(1.0, float(np.quantile(ratio.to_numpy(dtype=float), level)))
    return out


def _scaled(requirements: pd.DataFrame, multipliers: Mapping[str, float]) -> pd.DataFrame:
    if all(m == 1.0 for m in multipliers.values()):
        return requirements
    factor = requirements["channel"].map(dict(multipliers)).fillna(1.0).to_numpy(dtype=float)
    return requirements.assign(volume=requirements["volume"].to_numpy(dtype=float) * factor)


def plan_for_risk(
    requirements: pd.DataFrame,
    rules: RuleSet,
    *,
    targets: Mapping[str, ServiceTarget],
    spread: pd.DataFrame | None,
    interval_minutes: int,
    caps: HeadcountCaps | None = None,
    scenarios: int = MIN_SCENARIOS,
    seed: int = 0,
    max_rounds: int = MAX_ROUNDS,
    progress: Progress | None = None,
    processes: int = 1,
) -> RiskPlan:
    """Plan the week so every risk channel's goal holds in >= ``risk`` of the forecast scenarios.

    ``requirements``: the Requirements frame (point-forecast ``volume`` and ``aht_s`` per
    interval); ``targets``: channel -> :class:`ServiceTarget` (channels with ``risk`` and a
    daily/weekly goal are planned for it); ``spread``: the forecast's spread
    (:func:`forecasting.scenarios.forecast_spread`; None: Poisson noise only);
    ``interval_minutes``: the requirements' grid; ``scenarios`` (>= 50) and ``seed``: the paths;
    ``max_rounds``: plans at raised volume after the point plan, at most; ``processes``: each
    plan's (:func:`scheduling.shifts.plan_shifts`: 2 when it is solved alone on two cores or
    more, :func:`planner.week_schedule.plan_processes`). Returns a
    :class:`RiskPlan` (``met`` False when the last of them still misses: the caller warns).
    """
    say = progress or quiet
    if int(scenarios) != scenarios or scenarios < MIN_SCENARIOS:
        raise InputError(f"scenarios = {scenarios!r}: at least {MIN_SCENARIOS} forecast scenarios are drawn")
    risk = risk_channels(requirements, targets)
    volumes = scenario_volumes(requirements, targets, spread=spread, scenarios=scenarios, seed=seed)

    def attempt(multipliers: dict[str, float]) -> tuple[ShiftPlan, pd.DataFrame, RiskRound]:
        return _plan_and_simulate(requirements, multipliers, rules=rules, caps=caps, targets=targets, risk=risk,
                                  interval_minutes=interval_minutes, spread=spread, volumes=volumes, seed=seed,
                                  progress=say, processes=processes)

    say("planning on the point forecast (risk)")
    shift_plan, planned_on, first = attempt({c: 1.0 for c in risk})
    rounds = [first]
    missing = _short(first, risk)
    best = None if missing else (shift_plan, planned_on, 0)
    bracket = _Bracket.start(risk, missing)
    multipliers = _first_multipliers(requirements, volumes, targets, risk, missing)
    for k in range(max_rounds if missing else 0):
        say(f"planning for risk: volume x {', '.join(f'{c} {multipliers[c]:.3f}' for c in risk)} (round {k + 1})")
        shift_plan, planned_on, this = attempt(multipliers)
        rounds.append(this)
        missing = _short(this, risk)
        if not missing and (best is None or this.cost < rounds[best[2]].cost - 1e-9):
            best = (shift_plan, planned_on, len(rounds) - 1)
        bracket.record(multipliers, missing)
        if best is not None and bracket.converged():
            break
        multipliers = bracket.next_multipliers(multipliers)
    if best is None:  # never met: the last plan (the highest volume) is the nearest
        best = (shift_plan, planned_on, len(rounds) - 1)
    return RiskPlan(plan=best[0], requirements=best[1], risk=risk, rounds=tuple(rounds), chosen_round=best[2],
                    met=best is not None and not _short(rounds[best[2]], risk), scenarios=int(scenarios), seed=seed)


def _plan_and_simulate(requirements: pd.DataFrame, multipliers: Mapping[str, float], *, rules: RuleSet,
                       caps: HeadcountCaps | None, targets: Mapping[str, ServiceTarget], risk: Mapping[str, float],
                       interval_minutes: int, spread: pd.DataFrame | None, volumes: pd.DataFrame, seed: int,
                       progress: Progress, processes: int = 1) -> tuple[ShiftPlan, pd.DataFrame, RiskRound]:
    """One plan of the search: the week planned at the risk channels' volume x ``multipliers``
    and its roster simulated over the point forecast's ``volumes`` (paths); returns the shift
    plan, the requirements it was planned on and its :class:`RiskRound`."""
    planned_on = _scaled(requirements, multipliers)
    shift_plan = plan_shifts(planned_on, rules, caps=caps, progress=progress, targets=targets, processes=processes)
    report = roster_under_uncertainty(shift_plan.coverage, requirements, targets, interval_minutes=interval_minutes,
                                      spread=spread, volumes=volumes, seed=seed)
    p = report.per_channel.set_index("channel")["p_goal"]
    p_goal = {c: float(p.get(c, 1.0)) for c in risk}
    return shift_plan, planned_on, RiskRound(dict(multipliers), float(shift_plan.paid_hours), float(shift_plan.cost),
                                             p_goal)


def _short(r: RiskRound, risk: Mapping[str, float]) -> list[str]:
    """The risk channels whose simulated P(goal met) in round ``r`` is below their risk."""
    return [c for c in risk if r.p_goal[c] < risk[c] - 1e-12]


def _first_multipliers(requirements: pd.DataFrame, volumes: pd.DataFrame, targets: Mapping[str, ServiceTarget],
                       risk: Mapping[str, float], missing: list[str]) -> dict[str, float]:
    """The first raised plan's multipliers: 1 where the point plan met the risk; for a channel
    ``missing`` it, the risk quantile of the period-volume ratio (:func:`volume_multipliers`),
    or ``1 + TIGHTEN_STEP`` when that quantile is 1."""
    multipliers = {c: 1.0 for c in risk}
    if missing:
        goals = {c: targets[c].service_goal for c in risk}
        quantile = volume_multipliers(requirements, volumes, goals, {c: risk[c] for c in missing})
        for c in missing:
            multipliers[c] = quantile[c] if quantile[c] > 1.0 else 1.0 + TIGHTEN_STEP
    return multipliers


@dataclass
class _Bracket:
    """Per risk channel the highest multiplier known to miss its risk (``below``) and the lowest
    known to meet it (``above``, None while none has)."""

    below: dict[str, float]
    above: dict[str, float | None]

    @classmethod
    def start(cls, risk: Mapping[str, float], missing: list[str]) -> _Bracket:
        """The bracket after the point plan (multiplier 1): missed or met per channel."""
        return cls(below={c: (1.0 if c in missing else 0.0) for c in risk},
                   above={c: (None if c in missing else 1.0) for c in risk})

    def record(self, multipliers: Mapping[str, float], missing: list[str]) -> None:
        """Narrow the bracket by a plan at ``multipliers`` that missed the risk of ``missing``."""
        for c, m in multipliers.items():
            if c in missing:
                self.below[c] = max(self.below[c], m)
                if self.above[c] is not None and self.above[c] <= m:  # met lower down: the plans are not monotone here
                    self.above[c] = None
            else:
                self.above[c] = m if self.above[c] is None else min(self.above[c], m)

    def converged(self) -> bool:
        """Every channel met at a multiplier within ``BISECT_TOL`` of one that missed."""
        return all(self.above[c] is not None and self.above[c] - self.below[c] <= BISECT_TOL for c in self.below)

    def next_multipliers(self, multipliers: Mapping[str, float]) -> dict[str, float]:
        """Grow until met, then halve the bracket (a met plan in hand, a cheaper one sought)."""
        out = dict(multipliers)
        for c in self.below:
            above, below = self.above[c], self.below[c]
            if above is None:
                out[c] = 1.0 + TIGHTEN * (max(multipliers[c], below) - 1.0) + TIGHTEN_STEP
            elif above - below <= BISECT_TOL:
                out[c] = above
            else:
                out[c] = 0.5 * (below + above)
        return out


def risk_text(result: RiskPlan) -> str:
    """One line: what the risk costs over the point-forecast plan, and whether it was met."""
    point, chosen = result.point, result.chosen
    share = result.extra_paid_hours / point.paid_hours if point.paid_hours > 0 else 0.0
    probs = ", ".join(f"{c} P={chosen.p_goal[c]:.2f} (risk {result.risk[c]:g}; point plan {point.p_goal[c]:.2f})"
                      for c in result.risk)
    if result.chosen_round == 0 and result.met:
        return f"risk met by the point-forecast plan: {probs}"
    verdict = "met" if result.met else f"NOT met after {len(result.rounds) - 1} raised plan(s)"
    return (f"risk {verdict}: {probs}; {result.extra_paid_hours:+,.1f} paid hours ({share:+.1%}) over the "
            "point-forecast plan")

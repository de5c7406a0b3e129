"""A proven lower bound from the whole agents each channel needs: the LP bound rounded up by pay.

The LP relaxation lets a week be staffed by fractional agents. Every tour's pay
(``paid_hours * hourly_cost``) is a whole multiple of a unit ``g`` per channel (the greatest
common divisor of its tours' pay, in cents), so in any integer plan the pay of channel ``c``'s
tours, ``T_c``, is a multiple of ``g_c`` and at least ``L_c``, the least pay of ``c``'s tours over
the LP relaxation's feasible region; hence ``T_c >= g_c * ceil(L_c / g_c)``. Every other term
of the objective (the tours' over-coverage price, shortfall, late and undone work, goal slack)
has a non-negative coefficient on a non-negative column, so

    cost of any plan >= constant + sum over channels of g_c * ceil(L_c / g_c)

is a proven lower bound, besides the LP's own value (both are kept: the higher is the bound).
The same holds for all tours together (one unit ``g``), which can be higher still.

Where the week is small and its requirement thin, this is what the LP misses: family seed 24
(40 agents' requirement, 24/7 voice and chat on a 15-minute grid, hard coverage) has an LP of
71.47 agents (68,636) while the channels need at least 52 voice and 21 chat agents whatever
the plan: 73 agents, 70,080. HiGHS's branch and bound, 400 s on the same model, found a plan
of 73 agents (70,108) and left its dual bound at the LP's.

Each ``L_c`` is one LP re-solve with the objective replaced by channel ``c``'s pay, warm-started
from the relaxation's optimal basis (primal feasible: phase 2 only; 0.04-0.1 s on seed 24),
on a copy of the model: the model's own HiGHS instance is left as it was.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

try:
    import highspy
except ImportError:  # CBC fallback: no rounded bound
    highspy = None

COUNT_TOLERANCE = 1e-4  # L / g is rounded up only past this much above a whole number (LP tolerances)
WORTH_SHARE = 0.25  # computed only when rounding could lift the bound by this share of gap_rel (or more)


@dataclass(frozen=True)
class PayBound:
    """The rounded bound (``bound``, in the objective's currency, with its constant) and, per
    group of tours (``channel`` names, or ``"all tours"``), its pay unit ``unit`` and least pay
    ``least_pay`` over the LP relaxation; ``seconds`` spent."""

    bound: float
    groups: tuple[tuple[str, float, float], ...]  # (group, unit, least_pay)
    seconds: float


def pay_unit(pays: np.ndarray) -> float | None:
    """The largest amount every pay in ``pays`` is a whole multiple of (to the cent), or None
    when a pay is not a whole number of cents (no rounding then)."""
    cents = np.asarray(pays, dtype=float) * 100.0
    whole = np.round(cents)
    if len(cents) == 0 or np.abs(cents - whole).max() > 1e-6 or (whole <= 0).any():
        return None
    g = 0
    for value in np.unique(whole.astype(np.int64)):
        g = math.gcd(g, int(value))
    return g / 100.0


def rounded_pay_bound(model, *, lp_objective: float, deadline: float) -> PayBound | None:
    """The bound of the module docstring for ``model`` whose LP relaxation was just solved in
    ``model.prob.solverModel`` (optimal, with a basis), or None when it cannot be had: no HiGHS,
    no basis, a column outside the argument (negative price or column), a pay not in whole
    cents, rounding unable to lift ``lp_objective`` by ``WORTH_SHARE * gap_rel``, or a re-solve
    not optimal by ``deadline`` (a ``time.perf_counter()`` value)."""
    if highspy is None or not model.tours:
        return None
    started = time.perf_counter()
    pay = np.array([t.paid_hours * model.rules.contract(t.contract).hourly_cost for t in model.tours], dtype=float)
    channels = np.array([t.channel for t in model.tours])
    groups = [(str(c), channels == c) for c in sorted(set(channels))]
    if len(groups) > 1:
        groups.append(("all tours", np.ones(len(pay), dtype=bool)))
    units = {name: pay_unit(pay[members]) for name, members in groups}
    if any(u is None for u in units.values()):
        return None
    lift = sum(units[name] for name, _ in groups if name != "all tours")
    if lift < WORTH_SHARE * model.rules.gap_rel * max(abs(lp_objective), 1e-9):
        return None  # whole agents cannot move the bound enough to matter (checked before copying the model)
    h = model.prob.solverModel
    basis = h.getBasis()
    if not basis.valid:
        return None
    lp = h.getLp()
    n = lp.num_col_
    cost = np.asarray(lp.col_cost_, dtype=float)
    lower = np.asarray(lp.col_lower_, dtype=float)
    columns = np.array([t.var.index for t in model.tours], dtype=np.int64)
    rest = cost.copy()
    rest[columns] -= pay
    if (rest < -1e-9).any() or (lower[np.abs(rest) > 0] < 0).any() or (lower[columns] < 0).any():
        return None  # the terms besides the pay are not all >= 0
    if abs(float(lp.offset_)) > 0:
        return None  # the model's constant is PuLP's (model.prob.objective.constant), not HiGHS's
    copy = highspy.Highs()
    copy.setOptionValue("output_flag", False)
    copy.setOptionValue("solver", "simplex")
    lp.integrality_ = []
    copy.passModel(lp)
    everything = np.arange(n, dtype=np.int32)
    least: dict[str, float] = {}
    for name, members in groups:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        objective = np.zeros(n)
        objective[columns[members]] = pay[members]
        copy.changeColsCost(n, everything, objective)
        copy.setBasis(basis)
        copy.setOptionValue("time_limit", left)
        copy.run()
        if copy.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        least[name] = float(copy.getInfo().objective_function_value)
    constant = float(model.prob.objective.constant or 0.0)

    def rounded(name: str) -> float:
        unit = units[name]
        count = least[name] / unit
        return unit * math.ceil(count - COUNT_TOLERANCE)

    by_channel = sum(rounded(name) for name, _ in groups if name != "all tours")
    total = max(by_channel, rounded("all tours")) if "all tours" in least else by_channel
    return PayBound(bound=constant + total,
                    groups=tuple((name, units[name], least[name]) for name, _ in groups),
                    seconds=time.perf_counter() - started)


__all__ = ["PayBound", "pay_unit", "rounded_pay_bound"]

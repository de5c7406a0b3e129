"""Budget questions: what a service level costs, and what a budget buys - answers that are exact
about the plans they name and monotone by construction.

Both questions are answered over one family of full plans (requirements -> shift plan ->
roster -> expected service), indexed by a **staffing level** ``x``: the plan whose requirement
is staffed for ``target_sl = x`` on every immediate channel (voice, chat, messaging). Each
plan is solved once and kept (:class:`PlanSearch`: in memory, and in a JSON file per plan
config and forecast under :func:`cache_dir`, so the app's jobs and the CLI share them), with its
cost and its **expected service level** - the volume-weighted share of offered contacts
answered within T that the Scenarios, Schedule and Overview pages show
(:func:`planner.service.plan_row`).

- :meth:`PlanSearch.frontier` (and :func:`frontier`): for each target ``t``, the cheapest
  solved plan whose expected service level is at least ``t``. A target that no plan reaches
  yet is re-solved at a higher level (extrapolated from the plans solved so far, always
  ending at :data:`LEVEL_MAX`) until one reaches it; when even the plan at ``LEVEL_MAX``
  misses it the row says so (``reached = False``) with the best level reached.
- :meth:`PlanSearch.budget` (and :func:`budget_service`): the solved plan with the highest
  expected service level whose cost is within the budget, after narrowing the staffing level
  between the highest level known to fit and the lowest level above it known not to; the
  levels solved are placed by a guide (:meth:`PlanSearch.aimed_level`: the requirement's
  agent-hours priced like the plans known), which decides where to look, never the answer.

Why the answers are monotone (with ``P`` the plans solved so far, each with cost ``c`` and
service level ``s``): the frontier answer for ``t`` is ``min{c(p): p in P, s(p) >= t}`` - the
sets shrink as ``t`` grows, so cost never falls as the target rises, and every point reaches its
target because it is a plan whose evaluated ``s >= t``, not a level assumed to deliver it. The
budget answer for ``B`` is ``max{s(p): p in P, c(p) <= B}`` - the sets grow with ``B``, so a
larger budget never buys less, and it is never below a frontier point that costs no more,
because frontier plans are members of ``P``. ``P`` only grows, so an answer given later from
the same cache is never worse than an earlier one for the same or a smaller budget. The
bisection works on the monotone envelope ``C(x) = min{c(p): level(p) >= x}`` (the cheapest
known plan at level ``x`` or above), which is non-decreasing even where single solves are not
(a time-limited solver may price a higher level lower).

What is *not* guaranteed: that no plan outside the family is cheaper for the same service
(that is one optimisation, min cost s.t. SL >= target, once the scheduler has a global
service-level goal); "cheapest" and "best" are over the plans solved, which the search places
where the answer changes.

Level plans are not simulated over forecast scenarios (:func:`level_task`): the answers need
cost and expected service only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import ConfigError
from wfm_progress import Progress, quiet
from execution import Executor
from planner.pipeline import BASE, evaluate, scenario_requirements
from planner.plan_config import PlanConfig, Scenario
from planner.writers import json_ready
from scheduling.channels import IMMEDIATE_CHANNELS
from scheduling.shifts import InfeasibleError, SolveError

DEFAULT_LEVELS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
LEVEL_MIN = 0.05  # the lowest staffing level the budget search asks for (target_sl on every immediate channel)
LEVEL_MAX = 0.99  # the highest: a target that its plan misses is reported unreachable
LEVEL_DIGITS = 3  # levels are rounded to 0.1 % so that a level is solved once
CACHE_VERSION = 1  # bump when a cached row's meaning changes
ROW_COLUMNS = ("name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "occupancy", "abandon_rate",
               "understaffed_intervals", "coverage_limit")



def target_scenario(config: PlanConfig, level: float, *, base: Scenario = BASE) -> Scenario:
    """``base`` with ``target_sl = level`` on every immediate channel of the staffing config."""
    if not 0.0 < level < 1.0:
        raise ConfigError(f"service-level target {level!r} must be between 0 and 1")
    channels = [c for c in config.staffing.get("channel", {}) if c in IMMEDIATE_CHANNELS]
    overrides = {**base.overrides, **{f"channel.{c}.target_sl": level for c in channels}}
    return Scenario(level_name(level), overrides)


def level_name(level: float) -> str:
    return f"staffing level {level:.1%}"


def common_target(config: PlanConfig) -> float | None:
    """The ``target_sl`` every immediate channel of the config shares, or None (then the plan
    itself is not a point of the staffing-level family)."""
    channels = config.staffing.get("channel", {})
    values = {float(v.get("target_sl", 0.8)) for c, v in channels.items() if c in IMMEDIATE_CHANNELS}
    return values.pop() if len(values) == 1 else None


def parse_targets(text: str) -> tuple[float, ...]:
    """``"0.7,0.8,0.9"`` -> ``(0.7, 0.8, 0.9)``; each in (0, 1), else a ``ValueError`` naming it."""
    values = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part.rstrip("%")) / (100.0 if part.endswith("%") else 1.0)
        except ValueError:
            raise ConfigError(f"--targets: {part!r} is not a number (write shares like 0.8 or 80%)") from None
        if not 0.0 < value < 1.0 or not math.isfinite(value):
            raise ConfigError(f"--targets: {part!r} must be a service level between 0 and 1 (exclusive), e.g. 0.8")
        values.append(value)
    if not values:
        raise ConfigError("--targets: give at least one service level, e.g. 0.7,0.8,0.9")
    return tuple(sorted(set(values)))


def check_budget(budget: Any) -> float:
    """The budget as a positive finite amount per week, else a ``ValueError`` naming it."""
    try:
        value = float(budget)
    except (TypeError, ValueError):
        raise ConfigError(f"budget {budget!r} is not a number (money per week)") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"budget {budget!r} must be a positive amount per week")
    return value


def cache_dir() -> Path:
    """Where solved plans are kept between calls: ``PLANNER_CACHE_DIR/finance`` or a per-user
    temp folder (the same root as the app's background jobs)."""
    root = Path(os.environ.get("PLANNER_CACHE_DIR") or Path(tempfile.gettempdir()) / f"wfm-planner-jobs-{os.getuid()}")
    return root / "finance"


def level_task(config: PlanConfig, forecast: pd.DataFrame, scenario: Scenario) -> dict[str, Any]:
    """One staffing level's plan (a Dask task): its tidy row, JSON-ready. The roster is not
    simulated over forecast scenarios (``p_meets_target``): the answers use cost and expected
    service only, and the simulation took about as long as the shift plan.

    A level the scheduler finds no plan for (:class:`SolveError`: no plan within ``time_limit_s``;
    :class:`InfeasibleError`: hard coverage the rules can't reach at this level, e.g. a capped
    agent pool) is ``{"failed": reason}``: the search goes on without it instead of the whole
    question failing, and the answers say which levels could not be made and why."""
    try:
        return json_ready(evaluate(config, forecast, scenario, uncertainty=False).row)
    except (SolveError, InfeasibleError) as exc:
        return {"failed": str(exc)}


@dataclass(frozen=True)
class LevelPlan:
    """One solved plan of the family: its staffing ``level`` and its tidy plan row."""

    level: float
    row: Mapping[str, Any]

    @property
    def cost(self) -> float:
        return float(self.row["cost"])

    @property
    def service_level(self) -> float:
        value = self.row.get("service_level")
        return float(value) if value is not None and math.isfinite(float(value)) else 0.0

    @property
    def limited_by_pool(self) -> bool:
        return str(self.row.get("coverage_limit") or "").startswith("limited by the agent pool")


@dataclass(frozen=True)
class BudgetAnswer:
    """What a weekly budget buys: ``plan`` (the best plan within it) and ``next_plan`` (the
    cheapest known plan with a higher service level, which costs more than the budget; None
    when no solved plan serves better). ``solved``: plans solved for this answer; ``known``:
    plans the answer chose from."""

    budget: float
    plan: LevelPlan
    next_plan: LevelPlan | None
    solved: int
    known: int

    @property
    def unspent(self) -> float:
        return self.budget - self.plan.cost

    def text(self) -> str:
        """The answer in one paragraph (CLI)."""
        row = self.plan.row
        head = (f"budget {self.budget:,.0f} a week buys {row['service_level']:.1%} expected service level: "
                f"cost {self.plan.cost:,.0f}, {row['fte']:,.1f} FTE ({self.unspent:,.0f} unspent)")
        return f"{head}; {self.next_text()}"

    def next_text(self) -> str:
        """What money beyond the plan would buy next."""
        if self.next_plan is None:
            limit = self.plan.row.get("coverage_limit") or ""
            return ("no solved plan serves better: more money buys no more service"
                    + (f" ({limit})" if limit else f" (the highest staffing level, {LEVEL_MAX:.0%}, is within the budget)"
                       if self.plan.level >= LEVEL_MAX else ""))
        more = self.next_plan.cost - self.plan.cost
        return (f"{more:,.0f} more ({self.next_plan.cost - self.budget:,.0f} above the budget) buys "
                f"{self.next_plan.service_level:.1%}")

    def to_frame(self) -> pd.DataFrame:
        """One row: the scenario row columns of the plan, then the budget's own."""
        row = {c: self.plan.row.get(c) for c in ROW_COLUMNS}
        row.update(budget=self.budget, unspent=self.unspent, level=self.plan.level,
                   next_cost=self.next_plan.cost if self.next_plan else None,
                   next_service_level=self.next_plan.service_level if self.next_plan else None,
                   plans_solved=self.solved, plans_known=self.known)
        return pd.DataFrame([row])


@dataclass
class PlanSearch:
    """The staffing-level family of one plan config and forecast: plans solved on demand, kept.

    ``base``: the scenario the family varies (its other overrides hold for every level);
    ``executor``: where plans run (:class:`execution.Executor`; several levels of one round run
    side by side when it spreads); ``cache``: the JSON file that keeps solved plans across calls
    (default one under :func:`cache_dir` named by a hash of the config and forecast; ``False``:
    memory only); ``progress(text, share)`` is called as each plan is solved.

    Example::

        >>> search = PlanSearch(config, forecast, executor=Executor(in_process=True))  # doctest: +SKIP
        >>> search.frontier((0.8, 0.9))[["target", "reached", "cost", "service_level"]]  # doctest: +SKIP
        >>> search.budget(90_000).plan.row["service_level"]                             # doctest: +SKIP
    """

    config: PlanConfig
    forecast: pd.DataFrame
    executor: Executor
    base: Scenario = BASE
    cache: Path | bool | None = None
    progress: Progress | None = None
    _plans: dict[float, LevelPlan] = field(default_factory=dict, init=False, repr=False)
    _hours: dict[float, float] = field(default_factory=dict, init=False, repr=False)
    failed: dict[float, str] = field(default_factory=dict, init=False)  # levels with no plan in the time limit: why
    solved: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.cache is None or self.cache is True:
            self.cache = cache_dir() / f"{self.key()}.json"
        self._load()

    # -- the family --------------------------------------------------------------------------
    def key(self) -> str:
        """A hash of everything a level's plan depends on (config, agents file, forecast, base)."""
        c = self.config
        agents = hashlib.sha256(Path(c.agents).read_bytes()).hexdigest() if c.agents and Path(c.agents).is_file() else None
        facts = json_ready({"version": CACHE_VERSION, "staffing": c.staffing, "rules": c.rules, "agents": agents,
                            "interval_minutes": c.interval_minutes, "fte_hours_per_week": c.fte_hours_per_week,
                            "base": self.base.overrides})
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode())
        frame = self.forecast.sort_values(["interval_start", "queue", "channel"]).reset_index(drop=True)
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()[:32]

    @property
    def plans(self) -> list[LevelPlan]:
        """Every plan solved so far, by level."""
        return [self._plans[level] for level in sorted(self._plans)]

    def add(self, level: float, row: Mapping[str, Any]) -> None:
        """A plan solved elsewhere (e.g. the stored plan, when it is this family's plan at ``level``)."""
        self._plans[round(float(level), LEVEL_DIGITS)] = LevelPlan(round(float(level), LEVEL_DIGITS), dict(row))

    def solve(self, levels: Iterable[float], *, share: tuple[float, float] = (0.0, 1.0)) -> list[LevelPlan]:
        """The plans at ``levels`` (rounded to 0.1 %), solving those not known yet side by side;
        a level that got no plan (time limit, or rules it cannot meet) is left out (and kept in :attr:`failed`
        for this search, not in the cache: it is not tried again by this search)."""
        wanted = sorted({round(float(x), LEVEL_DIGITS) for x in levels})
        new = [x for x in wanted if x not in self._plans and x not in self.failed]
        if new:
            say = self.progress or quiet
            scenarios = [target_scenario(self.config, x, base=self.base) for x in new]
            done: list[float] = []

            def finished(index: int, row: dict[str, Any]) -> None:
                done.append(new[index])
                at = share[0] + (share[1] - share[0]) * len(done) / len(new)
                if "failed" in row:
                    self.failed[new[index]] = str(row["failed"])
                    say(f"staffing level {new[index]:.1%}: no plan, left out ({row['failed']})", at)
                    return
                self._plans[new[index]] = LevelPlan(new[index], dict(row, name=level_name(new[index])))
                say(f"planned staffing level {new[index]:.1%}: cost {row['cost']:,.0f}, service level "
                    f"{row['service_level']:.1%} ({self.solved + len(done)} plans solved)", at)

            say(f"planning {len(new)} staffing level(s): {', '.join(f'{x:.1%}' for x in new)}", share[0])
            self.executor.map(level_task, scenarios, common=(self.config, self.forecast),
                              labels=[f"plan at staffing level {x:.1%}" for x in new], on_result=finished,
                              warm=("planner.scenarios",))  # the workers import the planner once, before the first plan
            self.solved += len(new)
            self._save()
        return [self._plans[x] for x in wanted if x in self._plans]

    def width(self) -> int:
        """Levels solved side by side per round: the workers when the executor spreads, else 1."""
        return max(1, min(4, self.executor.workers)) if self.executor.spreads(2) else 1

    def required_hours(self, level: float) -> float:
        """The agent-hours the requirement staffed for ``level`` asks for (queueing model only, no
        shift plan: a fraction of a second) - the budget search's guide to where a plan's cost
        will land. Non-decreasing in ``level``."""
        key = round(float(level), LEVEL_DIGITS)
        if key not in self._hours:
            requirements, _targets, _rules = scenario_requirements(self.config, self.forecast,
                                                                   target_scenario(self.config, key, base=self.base))
            self._hours[key] = float(requirements["required_agents"].sum()) * self.config.interval_minutes / 60.0
        return self._hours[key]

    def aimed_level(self, budget: float, lo: float | None = None, hi: float | None = None) -> float:
        """The staffing level whose plan the guide expects to cost ``budget``, inside ``[lo, hi]``.

        The guide: a plan's cost against the agent-hours its requirement asks for
        (:meth:`required_hours`), interpolated through the solved plans (their costs made
        non-decreasing in hours, as the envelope is), proportional beyond them. Used only to
        place the levels to solve; the answer is always a solved plan."""
        known = sorted(((self.required_hours(p.level), p.cost) for p in self._plans.values()), key=lambda t: t[0])
        hours = np.array([h for h, _c in known], dtype=float)
        costs = np.minimum.accumulate(np.array([c for _h, c in known], dtype=float)[::-1])[::-1]
        if budget <= costs[0]:
            wanted = hours[0] * budget / costs[0]
        elif budget >= costs[-1]:
            wanted = hours[-1] * budget / costs[-1]
        else:
            wanted = float(np.interp(budget, costs, hours))
        a, b = (lo if lo is not None else LEVEL_MIN), (hi if hi is not None else LEVEL_MAX)
        if self.required_hours(a) >= wanted:
            return a
        if self.required_hours(b) <= wanted:
            return b
        while b - a > 10 ** -LEVEL_DIGITS:  # hours are non-decreasing in the level: bisect
            middle = round((a + b) / 2, LEVEL_DIGITS + 1)
            a, b = (middle, b) if self.required_hours(middle) < wanted else (a, middle)
        return round(b, LEVEL_DIGITS)

    # -- the answers ---------------------------------------------------------------------------
    def reaching(self, target: float) -> LevelPlan | None:
        """The cheapest known plan whose service level is at least ``target`` (higher SL on a tie)."""
        hits = [p for p in self._plans.values() if p.service_level >= target]
        return min(hits, key=lambda p: (p.cost, -p.service_level)) if hits else None

    def best_within(self, budget: float) -> LevelPlan | None:
        """The known plan with the highest service level costing at most ``budget`` (cheaper on a tie)."""
        fits = [p for p in self._plans.values() if p.cost <= budget + 1e-6]
        return max(fits, key=lambda p: (p.service_level, -p.cost)) if fits else None

    def frontier(self, targets: Sequence[float], *, max_rounds: int = 4) -> pd.DataFrame:
        """For each target, the cheapest plan reaching it, or the best reachable when none can.

        Round 0 solves every target's own level; each later round re-solves the targets not
        reached yet one level higher (extrapolated from the two highest plans, or straight to
        :data:`LEVEL_MAX` when the highest plan is limited by the agent pool; the last round
        always asks for ``LEVEL_MAX``). Returns one row per target: ``target, reached, level``,
        the scenario row columns (:data:`ROW_COLUMNS`) and ``note``.
        """
        targets = sorted({float(t) for t in targets})
        for t in targets:
            if not 0.0 < t < 1.0:
                raise ConfigError(f"service-level target {t!r} must be between 0 and 1")
        rounds = max(2, int(max_rounds))
        self.solve([min(t, LEVEL_MAX) for t in targets], share=(0.0, 1.0 / rounds))
        for number in range(1, rounds):
            pending = [t for t in targets if self.reaching(t) is None]
            if not pending or LEVEL_MAX in self._plans or LEVEL_MAX in self.failed:
                break
            last = number == rounds - 1
            self.solve({self._next_level(t, last=last) for t in pending},
                       share=(number / rounds, (number + 1) / rounds))
        if any(self.reaching(t) is None for t in targets) and LEVEL_MAX not in self._plans:
            self.solve([LEVEL_MAX])  # unreachable is said only after the highest level was tried
        if not self._plans:
            level, reason = min(self.failed.items())
            raise SolveError(f"no plan of this week could be made at the staffing levels tried "
                             f"({', '.join(f'{x:.1%}' for x in sorted(self.failed))}): {reason}")
        rows = []
        best = max(self._plans.values(), key=lambda p: (p.service_level, -p.cost))
        for t in targets:
            plan = self.reaching(t)
            if plan is not None:
                note = "" if abs(plan.level - t) < 1e-9 else f"the plan staffed for {plan.level:.1%} is the cheapest reaching it"
                rows.append(self._frontier_row(t, True, plan, note))
                continue
            if LEVEL_MAX in self.failed:  # not shown unreachable: the highest level was not planned
                note = (f"not reached by the plans made: the best reaches {best.service_level:.1%}; the plan staffed for "
                        f"{LEVEL_MAX:.0%} could not be made ({self.failed[LEVEL_MAX]})")
            else:
                limit = best.row.get("coverage_limit") or ""
                note = (f"unreachable: the best plan reaches {best.service_level:.1%}"
                        + (f" ({limit})" if limit else f" (even staffing every interval for {LEVEL_MAX:.0%})"))
            rows.append(self._frontier_row(t, False, best, note))
        return pd.DataFrame(rows)

    def budget(self, budget: float, *, tolerance: float = 0.01, max_solves: int = 8) -> BudgetAnswer:
        """The plan with the highest expected service level whose cost is within ``budget``.

        A bracket search on the staffing level: ``lo`` is the highest known level whose plan
        fits, ``hi`` the lowest known level above it (its plan, and by the choice of ``lo`` every
        plan above, costs more); each round solves ``width()`` levels inside ``(lo, hi)`` until
        ``hi - lo <= tolerance`` or ``max_solves`` plans were solved for it (0: answer from the
        plans known). Where: the first round solves the two levels ``tolerance / 2`` either side
        of the level the guide expects to cost the budget (:meth:`aimed_level`: cost against the
        requirement's agent-hours, from the plans known), so one round usually closes the
        bracket; later rounds solve the guide's level and the middle of ``(lo, hi)`` (the bracket
        at least halves) - or :data:`LEVEL_MAX` / :data:`LEVEL_MIN` while no known plan is above /
        below the budget, so that flat costs (a pool used up) don't make it creep towards them. With no plan known the first round is :data:`LEVEL_MIN`, :data:`LEVEL_MAX` and
        levels evenly between. The guide only places the solves: the answer is the best solved
        plan within the budget, so the guarantees in the module docstring hold whatever it says.
        Raises ``ValueError`` when even the plan at :data:`LEVEL_MIN` costs more than the budget,
        or when no plan is known and ``max_solves`` is 0; :class:`scheduling.shifts.SolveError`
        when no level tried got a plan within the time limit.
        """
        budget = check_budget(budget)
        solved_before = self.solved
        rounds = 0
        while self.solved - solved_before < max_solves:
            lo, hi = self._bracket(budget)
            if lo is None and (LEVEL_MIN in self._plans or LEVEL_MIN in self.failed):
                break  # nothing fits (or the lowest level could not be planned: the error says which)
            if lo is not None and hi is None and lo >= LEVEL_MAX:
                break  # the highest level fits
            if lo is not None and hi is not None and hi - lo <= tolerance + 1e-9:  # levels are rounded: 0.447 - 0.427 > 0.02 in floats
                break
            probes = (self.guided_probes(budget, lo, hi, tolerance, round_number=rounds) if self._plans
                      else self._probes(lo, hi, tolerance))
            rounds += 1
            if not probes:
                break
            spent = (self.solved - solved_before) / max_solves
            self.solve(probes, share=(spent, min(1.0, spent + len(probes) / max_solves)))
        plan = self.best_within(budget)
        if plan is None and not self._plans and self.failed:
            raise SolveError(f"budget {budget:,.2f} a week: no plan of this week could be made at the staffing levels "
                             f"tried ({', '.join(f'{x:.1%}' for x in sorted(self.failed))}): {min(self.failed.items())[1]}")
        if plan is None and not self._plans:
            raise ConfigError(f"budget {budget:,.2f} a week: no plan of this week is known yet (max_solves=0)")
        if plan is None:
            cheapest = min(self._plans.values(), key=lambda p: p.cost)
            raise ConfigError(f"budget {budget:,.2f} a week: no plan fits it; the cheapest plan found (staffing level "
                             f"{cheapest.level:.1%}, service level {cheapest.service_level:.1%}) costs {cheapest.cost:,.2f}")
        better = [p for p in self._plans.values() if p.service_level > plan.service_level + 1e-12]
        next_plan = min(better, key=lambda p: (p.cost, -p.service_level)) if better else None
        return BudgetAnswer(budget, plan, next_plan, self.solved - solved_before, len(self._plans))

    # -- helpers -------------------------------------------------------------------------------
    def _frontier_row(self, target: float, reached: bool, plan: LevelPlan, note: str) -> dict[str, Any]:
        return {"target": target, "reached": reached, "level": plan.level,
                **{c: plan.row.get(c) for c in ROW_COLUMNS}, "note": note}

    def _next_level(self, target: float, *, last: bool) -> float:
        """The next level to try for a target no known plan reaches (all known plans miss it)."""
        known = self.plans
        if not known:  # every level tried so far had no plan in the time limit
            return LEVEL_MAX
        top = known[-1]
        if last or top.limited_by_pool or top.level >= LEVEL_MAX:
            return LEVEL_MAX
        slope = 1.0
        if len(known) >= 2:
            below = known[-2]
            rise = (top.service_level - below.service_level) / (top.level - below.level)
            slope = rise if rise > 0.05 else slope
        step = (target - top.service_level) / slope + 0.005
        return round(min(LEVEL_MAX, max(top.level + 0.01, top.level + step)), LEVEL_DIGITS)

    def _bracket(self, budget: float) -> tuple[float | None, float | None]:
        fits = [p.level for p in self._plans.values() if p.cost <= budget + 1e-6]
        lo = max(fits) if fits else None
        above = [level for level in self._plans if lo is None or level > lo]
        return lo, (min(above) if above else None)

    def guided_probes(self, budget: float, lo: float | None, hi: float | None, tolerance: float, *,
                       round_number: int) -> list[float]:
        """The levels to solve next for ``budget`` inside the bracket ``(lo, hi)`` (see :meth:`budget`)."""
        step = 10.0 ** -LEVEL_DIGITS
        aim = self.aimed_level(budget, lo, hi)
        a = lo if lo is not None else LEVEL_MIN
        b = hi if hi is not None else LEVEL_MAX
        # the other end of the bracket: its middle, or the end of the levels while that side is still open
        # (creeping towards it would cost a round each time the costs there are flat, e.g. a pool used up)
        split = LEVEL_MAX if hi is None else (LEVEL_MIN if lo is None else (a + b) / 2)
        if round_number == 0:
            wanted = [aim - tolerance / 2, aim + tolerance / 2] if self.width() >= 2 else [aim]
        else:
            wanted = [aim, split] if self.width() >= 2 else [aim if round_number % 2 else split]
        low = a + step if lo is not None else LEVEL_MIN  # strictly inside a known end, else the end itself
        high = b - step if hi is not None else LEVEL_MAX
        chosen = {round(min(high, max(low, x)), LEVEL_DIGITS) for x in wanted}
        return sorted(x for x in chosen if x not in self._plans and x not in self.failed
                      and low - 1e-12 <= x <= high + 1e-12)

    def _probes(self, lo: float | None, hi: float | None, tolerance: float) -> list[float]:
        probes = []
        if lo is None:
            probes.append(LEVEL_MIN)
        if hi is None:
            probes.append(LEVEL_MAX)
        a = lo if lo is not None else LEVEL_MIN
        b = hi if hi is not None else LEVEL_MAX
        room = self.width() - len(probes)
        if room > 0 and b - a > tolerance:
            probes += [a + (b - a) * k / (room + 1) for k in range(1, room + 1)]
        rounded = {round(x, LEVEL_DIGITS) for x in probes}
        return sorted(x for x in rounded if x not in self._plans and x not in self.failed
                      and (lo is None or x > lo - 1e-12))

    def _load(self) -> None:
        if not self.cache:
            return
        try:
            data = json.loads(Path(self.cache).read_text())
        except (OSError, ValueError):
            return
        for item in data.get("plans", []) if isinstance(data, dict) else []:
            try:
                level, row = float(item["level"]), dict(item["row"])
                float(row["cost"])
            except (KeyError, TypeError, ValueError):
                continue  # a damaged entry is solved again
            self._plans.setdefault(round(level, LEVEL_DIGITS), LevelPlan(round(level, LEVEL_DIGITS), row))

    def _save(self) -> None:
        if not self.cache:
            return
        from planner.writers import write_text

        path = Path(self.cache)
        merged = dict(self._plans)
        keep = PlanSearch.__new__(PlanSearch)  # re-read: another job may have added plans meanwhile
        keep.cache, keep._plans = path, {}
        keep._load()
        for level, plan in keep._plans.items():
            merged.setdefault(level, plan)
        payload = {"version": CACHE_VERSION, "plans": [{"level": p.level, "row": json_ready(dict(p.row))}
                                                       for p in (merged[x] for x in sorted(merged))]}
        try:
            write_text(json.dumps(payload), path)
        except OSError:
            pass  # the cache is an optimisation: a read-only folder only costs solves


def _search(config: PlanConfig, forecast: pd.DataFrame, stack: ExitStack, *, executor: Executor | None,
            workers: int | None, scenario: Scenario, cache: Path | bool | None, progress: Progress | None,
            known: Mapping[float, Mapping[str, Any]] | None) -> PlanSearch:
    ex = executor or stack.enter_context(Executor(workers=workers))
    search = PlanSearch(config, forecast, ex, base=scenario, cache=cache, progress=progress)
    for level, row in (known or {}).items():
        if round(float(level), LEVEL_DIGITS) not in {p.level for p in search.plans}:
            search.add(level, dict(row, name=level_name(float(level))))
    return search


def frontier(
    config: PlanConfig,
    forecast: pd.DataFrame,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    workers: int | None = None,
    executor: Executor | None = None,
    scenario: Scenario = BASE,
    cache: Path | bool | None = None,
    progress: Progress | None = None,
    known: Mapping[float, Mapping[str, Any]] | None = None,
    max_rounds: int = 4,
) -> pd.DataFrame:
    """The cheapest plan reaching each service-level target in ``levels`` (:meth:`PlanSearch.frontier`).

    ``executor``: where the plans run (default a local cluster of ``workers`` processes for the
    call); ``cache``: see :class:`PlanSearch`; ``known``: plans already solved, by staffing level
    (their tidy rows: e.g. the stored plan when its targets are one level); ``progress(text,
    share)`` as plans finish.
    """
    with ExitStack() as stack:
        search = _search(config, forecast, stack, executor=executor, workers=workers, scenario=scenario, cache=cache,
                         progress=progress, known=known)
        return search.frontier(levels, max_rounds=max_rounds)


def budget_service(
    config: PlanConfig,
    forecast: pd.DataFrame,
    *,
    budget: float,
    scenario: Scenario = BASE,
    workers: int | None = None,
    executor: Executor | None = None,
    cache: Path | bool | None = None,
    progress: Progress | None = None,
    known: Mapping[float, Mapping[str, Any]] | None = None,
    tolerance: float = 0.01,
    max_solves: int = 8,
) -> BudgetAnswer:
    """What ``budget`` (money per week) buys: the plan with the highest expected service level
    within it (:meth:`PlanSearch.budget`); options as :func:`frontier`."""
    budget = check_budget(budget)
    with ExitStack() as stack:
        search = _search(config, forecast, stack, executor=executor, workers=workers, scenario=scenario, cache=cache,
                         progress=progress, known=known)
        return search.budget(budget, tolerance=tolerance, max_solves=max_solves)


def stored_plan_levels(config: PlanConfig, rows: pd.DataFrame) -> dict[float, dict[str, Any]]:
    """The stored plan as a known member of its family: ``{level: base row}`` when every immediate
    channel shares one ``target_sl`` and the scenario table has the base row; else ``{}``."""
    level = common_target(config)
    if level is None or rows is None or rows.empty or "name" not in rows or not (rows["name"] == "base").any():
        return {}
    row = rows[rows["name"] == "base"].iloc[0].to_dict()
    if not isinstance(row.get("coverage_limit"), str) or not np.isfinite(float(row.get("cost", np.nan))):
        return {}  # a plan stored before the coverage limit was recorded: solve the level again
    return {level: {k: v for k, v in row.items() if not isinstance(v, (dict, list))}}

"""``plan()``: history -> forecast -> requirements -> shift plan -> roster -> cost, in one place.

This module owns the stages (docs/architecture.md section 2): :func:`forecast_stage`,
:func:`requirements_stage`, :func:`schedule_stage` and :func:`evaluate`; other chains (the capacity
plan) call them instead of chaining forecasting and scheduling themselves. A plan is built for
the base config and for each ``[[scenario]]``; scenarios are independent Dask tasks (on the
:class:`execution.Executor` the caller gives, or a local cluster started for the call). The base plan's tables, its scenarios and the forecast snapshot it used
are saved in the store in one transaction each, and written to the output folder:

``forecast.csv, requirements.csv, roster.csv, activities.csv, coverage.csv, summary.json,
scenarios.csv, roster.xlsx, ics/AGENT.ics``

Example::

    >>> from planner.plan_config import load_plan_config
    >>> result = plan(load_plan_config("data/sample/plan.toml"), out="out/")   # doctest: +SKIP
    >>> result.scenarios[["name", "fte", "cost", "service_level"]]             # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wfm_errors import ConfigError
from wfm_progress import Progress, quiet, within
from execution import Executor, TaskFailed
from forecasting import ForecastResult, forecast_frame, read_special_days
from forecasting.scenarios import forecast_spread
from planner.io import load_history
from planner.plan_config import PlanConfig, Scenario, apply_overrides
from planner.service import channel_summary, expected_service, plan_row
from planner.staffing import staffing_from_mapping
from planner.store import Store
from planner.writers import json_ready
from planner.uncertainty import UncertaintyReport, roster_under_uncertainty, spread_of, with_spread
from planner.week_schedule import ScheduleChecks, SolverReport, WeekSchedule, plan_processes, schedule_week
from scheduling.requirements import requirements as build_requirements
from scheduling.shifts.warm import WarmStart, requirements_digest

BASE = Scenario("base")
STAGES = ("history", "forecast", "plans", "outputs", "store")
#: forecast scenarios each plan's roster is simulated over (planner.uncertainty)
UNCERTAINTY_SCENARIOS = 50


@dataclass(frozen=True)
class Outcome:
    """One scenario's plan: its frames, solver facts and the tidy result row."""

    scenario: Scenario
    requirements: pd.DataFrame
    roster: pd.DataFrame
    activities: pd.DataFrame
    coverage: pd.DataFrame
    tours: pd.DataFrame
    service: pd.DataFrame
    channels: pd.DataFrame
    solver: SolverReport
    row: dict[str, Any]
    checks: ScheduleChecks  # the schedule's checks: simulation, rule check, fairness, coverage limit
    uncertainty: UncertaintyReport | None = None  # the roster over the forecast scenarios
    warnings: tuple[str, ...] = ()  # what planning this scenario warned about (in the worker that ran it), in order


@dataclass(frozen=True)
class PlanResult:
    """The base plan and the scenario comparison (``scenarios``: one tidy row per scenario)."""

    config: PlanConfig
    forecast: pd.DataFrame
    selection: pd.DataFrame
    backtest: pd.DataFrame
    base: Outcome
    scenarios: pd.DataFrame
    summary: dict[str, Any]
    plan_id: int | None = None
    forecast_id: int | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def requirements(self) -> pd.DataFrame:
        return self.base.requirements

    @property
    def roster(self) -> pd.DataFrame:
        return self.base.roster

    @property
    def activities(self) -> pd.DataFrame:
        return self.base.activities

    @property
    def coverage(self) -> pd.DataFrame:
        return self.base.coverage


# -- stages --------------------------------------------------------------------------------
def load_plan_history(config: PlanConfig, store: Store | None = None) -> pd.DataFrame:
    """The history the plan trains on: the file, or the stored dataset."""
    if config.history is not None:
        return load_history(config.history, timezone=config.timezone, **config.history_options)
    return (store or Store.open()).dataset(config.dataset)


def forecast_stage(history: pd.DataFrame, *, start: Any, days: int, interval_minutes: int,
                   country: str | None = None, subdivision: str | None = None, method: str = "auto",
                   special_days: Any = None, opening_hours: str | None = None, backtest_windows: int = 6,
                   progress: Progress | None = None,
                   executor: Executor | None = None) -> ForecastResult:
    """The forecast stage: the Forecast frame (docs/architecture.md section 3) of ``days`` days
    from ``start`` on the ``interval_minutes`` grid, trained on the history before ``start``;
    the series run on ``executor`` (default: a local cluster for the call). ``backtest_windows=0``
    with a fixed ``method`` skips model selection (the capacity plan's months)."""
    return forecast_frame(history, start=start, days=days, interval_minutes=interval_minutes, country=country,
                          subdivision=subdivision, method=method, special_days=special_days,
                          opening_hours=opening_hours, backtest_windows=backtest_windows, progress=progress,
                          executor=executor)


def requirements_stage(forecast: pd.DataFrame, targets: dict, *, interval_minutes: int, source: str) -> pd.DataFrame:
    """The requirements stage: the Requirements frame (agents per interval, queue and channel, after
    shrinkage) for a Forecast frame and the service targets by channel; a forecast channel
    without a target is a :class:`wfm_errors.ConfigError` naming ``source`` and the channel."""
    missing = sorted(set(forecast["channel"]) - set(targets))
    if missing:
        raise ConfigError(f"{source}: the history has channel {missing[0]!r} but the staffing config has no [channel.{missing[0]}]")
    return build_requirements(forecast, targets, interval_minutes=interval_minutes)


def schedule_stage(requirements: pd.DataFrame, rules_mapping: dict[str, Any], *, agents: Any = None, source: str,
                   targets: dict | None = None, spread: pd.DataFrame | None = None,
                   start: WarmStart | None = None, processes: int = 1) -> WeekSchedule:
    """The schedule stage: shift plan, roster, activities, coverage and checks for a Requirements
    frame under the rules (:func:`planner.week_schedule.schedule_week`); ``spread`` (the
    forecast's) plans the targets' ``risk`` for the forecast scenarios; ``start``: tours to
    warm-start the shift plan from; ``processes``: what the shift plan may keep busy (1 beside
    other plans, :func:`planner.week_schedule.plan_processes` alone)."""
    return schedule_week(requirements, rules_mapping, agents=agents, source=source, targets=targets, spread=spread,
                         start=start, processes=processes)


def build_forecast(config: PlanConfig, history: pd.DataFrame, *, progress: Progress | None = None,
                   executor: Executor | None = None) -> ForecastResult:
    """The plan's forecast stage: the plan's days (trains only on history before ``config.start``)."""
    special = read_special_days(config.special_days) if config.special_days else None
    return forecast_stage(history, start=config.start, days=config.days, interval_minutes=config.interval_minutes,
                          country=config.country, subdivision=config.subdivision, method=config.method,
                          special_days=special, opening_hours=config.opening_hours,
                          backtest_windows=config.backtest_windows, progress=progress, executor=executor)


def scenario_forecast(forecast: pd.DataFrame, scenario: Scenario, targets) -> pd.DataFrame:
    """The forecast scaled by the scenario's volume and handle-time factors."""
    frame = forecast.copy()
    for column in ("forecast", "lo", "hi"):
        frame[column] = frame[column] * scenario.volume_factor
    if "aht_s" not in frame:
        frame["aht_s"] = frame["channel"].map({name: t.aht_s for name, t in targets.items()})
    frame["aht_s"] = frame["aht_s"] * scenario.aht_factor
    return frame


def scenario_requirements(config: PlanConfig, forecast: pd.DataFrame, scenario: Scenario) -> tuple[pd.DataFrame, dict, dict[str, Any]]:
    """The scenario's Requirements frame, its service targets and its rules mapping."""
    staffing, rules = apply_overrides(config.staffing, config.rules, scenario)
    targets = staffing_from_mapping(staffing, source=f"{config.source} (scenario {scenario.name!r})")
    frame = scenario_forecast(forecast, scenario, targets)
    return requirements_stage(frame, targets, interval_minutes=config.interval_minutes,
                              source=str(config.source)), targets, rules


def evaluate(config: PlanConfig, forecast: pd.DataFrame, scenario: Scenario, *, uncertainty: bool = True,
             start: WarmStart | None = None, processes: int = 1) -> Outcome:
    """Requirements, shift plan, roster and service for one scenario (runs in a worker).

    What the stages warn about (a time limit spent above the bound, intervals no shift reaches,
    tours no agent could take, ...) is kept in ``Outcome.warnings``: a worker's warnings would
    otherwise stay in its own log. ``uncertainty=False`` skips simulating the roster over the
    forecast scenarios (``Outcome.uncertainty`` None, no ``p_meets_target`` in the row): for
    callers that only need cost and expected service (:mod:`planner.scenarios`). ``start``: the
    shift plan begins from these tours (the base plan's, :func:`run_scenarios`) instead of the
    LP rounding (:func:`scheduling.shifts.solve.plan_shifts_from`). ``processes``: what the
    shift plan may keep busy (default 1: scenarios are planned side by side)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _evaluate(config, forecast, scenario, uncertainty=uncertainty, start=start, processes=processes)
    said = tuple(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
    return dataclasses.replace(outcome, warnings=said)


def _evaluate(config: PlanConfig, forecast: pd.DataFrame, scenario: Scenario, *, uncertainty: bool,
              start: WarmStart | None = None, processes: int = 1) -> Outcome:
    requirements, targets, rules = scenario_requirements(config, forecast, scenario)
    risky = any(getattr(t, "risk", None) is not None for t in targets.values())
    schedule = schedule_stage(requirements, rules, agents=config.agents, source=str(config.source), targets=targets,
                              spread=spread_of(forecast) if risky else None, start=start, processes=processes)
    service = expected_service(schedule.coverage, requirements, targets, interval_minutes=config.interval_minutes)
    channels = channel_summary(service, schedule.checks.deferred_on_time)
    row = plan_row(
        name=scenario.name,
        service=service,
        channels=channels,
        coverage=schedule.coverage,
        requirements=requirements,
        paid_hours=schedule.paid_hours,
        cost=schedule.cost,
        fte_hours_per_week=config.fte_hours_per_week,
    )
    report = None
    if uncertainty:  # the roster over forecast scenarios drawn from the forecast's spread (carried by the frame, see _plan)
        report = roster_under_uncertainty(schedule.coverage, requirements, targets,
                                          interval_minutes=config.interval_minutes, spread=spread_of(forecast),
                                          scenarios=UNCERTAINTY_SCENARIOS, seed=0)
        row.update(report.row_fields())
    row["solver_status"] = schedule.solver.status
    row["gap"] = schedule.solver.gap
    # the wall a scenario hits, in words ("limited by the agent pool: ..."), or "" (planner.week_schedule.CoverageLimit)
    row["coverage_limit"] = schedule.checks.coverage_limit.text()
    return Outcome(
        scenario=scenario,
        requirements=requirements,
        roster=schedule.roster,
        activities=schedule.activities,
        coverage=schedule.coverage,
        tours=schedule.tours,
        service=service,
        channels=channels,
        solver=schedule.solver,
        row=row,
        checks=schedule.checks,
        uncertainty=report,
    )


def scenario_task(config: PlanConfig, forecast: pd.DataFrame, start: WarmStart | None, alone: bool,
                  scenario: Scenario) -> Outcome:
    """One scenario's plan (a Dask task; ``config``, ``forecast``, the warm ``start`` and
    ``alone`` are shared by the batch). ``alone``: the batch is this one plan, so it may keep
    the cores of the process it runs in busy (:func:`planner.week_schedule.plan_processes`,
    read where it runs); else 1 process, beside the batch's other plans."""
    return evaluate(config, forecast, scenario, start=start, processes=plan_processes() if alone else 1)


def shown_error(exc: BaseException) -> BaseException:
    """What to tell the user about a failed plan: a scenario task's own error when it is one of
    the user-facing ones (no rule-abiding roster, or no shift or hiring plan within the time
    limit), else ``exc`` itself (the task wrapper names the scenario and the cause's type)."""
    from scheduling.capacity import SolveError as HiringSolveError
    from scheduling.checks import RuleViolationError
    from scheduling.shifts import SolveError

    cause = exc.__cause__ if isinstance(exc, TaskFailed) else None
    return cause if isinstance(cause, (RuleViolationError, SolveError, HiringSolveError)) else exc


#: what a scenario task imports (a cluster's workers import it once, before the first plan)
SCENARIO_MODULES = ("planner.pipeline",)


def run_scenarios(
    config: PlanConfig,
    forecast: pd.DataFrame,
    scenarios: tuple[Scenario, ...],
    *,
    workers: int | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    executor: Executor | None = None,
) -> dict[str, Outcome]:
    """Evaluate scenarios as Dask tasks; results keyed by scenario name, in input order.

    With the base scenario (:data:`BASE`) among several, a scenario whose requirements are the
    base's (it changes prices, caps or templates) is warm-started from the base plan's tours
    (:func:`scheduling.shifts.solve.plan_shifts_from`), so it runs after the base; the others
    are planned from their own LP, in the base's batch while workers are free (the base and
    ``workers - 1`` of them), then with the warm ones. Each result depends on its inputs and
    the base plan only, never on the order or the number of workers (but for what a time
    limit cuts short). A batch of one plan (the base alone) lets it keep the cores of its
    process busy (``processes``, :func:`scheduling.shifts.plan_shifts`'s portfolio); plans in a
    batch of several run side by side, one process each.

    ``executor``: where they run (default: a local cluster of ``workers`` processes, default
    the cores, started for the call; one scenario runs in this process). ``on_done(outcome)``
    is called as each finishes. A failing scenario raises :class:`execution.TaskFailed` naming
    the scenario and the cause.
    """
    on_result = None if on_done is None else (lambda _index, outcome: on_done(outcome))
    outcomes: dict[str, Outcome] = {}
    with ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(Executor(workers=workers))
        batches: list[tuple[Scenario, ...]] = [tuple(scenarios)]
        if len(scenarios) > 1 and any(s.name == BASE.name for s in scenarios):
            base_digest = _digest(config, forecast, BASE)
            others = [s for s in scenarios if s.name != BASE.name]
            warm_started = [s for s in others if base_digest is not None and _digest(config, forecast, s) == base_digest]
            cold = [s for s in others if s not in warm_started]
            alongside = cold[:max(0, executor.workers - 1)] if executor.spreads(1 + len(cold)) else []
            batches = [(BASE, *alongside), tuple(s for s in cold if s not in alongside) + tuple(warm_started)]
        start = None
        for batch in batches:
            if not batch:
                continue
            results = executor.map(scenario_task, batch, common=(config, forecast, start, len(batch) == 1),
                                   labels=[f"scenario {s.name!r}" for s in batch], on_result=on_result,
                                   warm=SCENARIO_MODULES)
            outcomes.update({s.name: outcome for s, outcome in zip(batch, results)})
            if BASE.name in outcomes and start is None:
                base = outcomes[BASE.name]
                start = WarmStart.of(base.tours, requirements=base.requirements)
    return {s.name: outcomes[s.name] for s in scenarios}


def _digest(config: PlanConfig, forecast: pd.DataFrame, scenario: Scenario) -> str | None:
    """The scenario's requirements digest, or None when its requirements fail (its own task then
    raises the error, named with the scenario)."""
    try:
        return requirements_digest(scenario_requirements(config, forecast, scenario)[0])
    except Exception:  # noqa: BLE001 - reported by the scenario's task
        return None


def scenario_table(outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """One tidy row per scenario (docs/architecture.md section 3: name, fte, paid_hours, cost, cost_per_contact,
    service_level, occupancy, ...), with differences to the base."""
    table = pd.DataFrame([o.row for o in outcomes.values()])
    if "base" in outcomes and len(table) > 1:
        base = outcomes["base"].row
        table["cost_vs_base"] = table["cost"] - base["cost"]
        table["fte_vs_base"] = table["fte"] - base["fte"]
    return table


def check_scenarios(config: PlanConfig) -> None:
    """Validate the base and every scenario's staffing and rules before any work is done."""
    from scheduling.rules import RuleSet

    for scenario in (BASE, *config.scenarios):
        staffing, rules = apply_overrides(config.staffing, config.rules, scenario)
        where = f"{config.source} (scenario {scenario.name!r})"
        staffing_from_mapping(staffing, source=where)
        RuleSet.from_mapping(rules, source=where)


# -- the whole chain -----------------------------------------------------------------------
def plan(
    config: PlanConfig,
    *,
    out: str | Path | None = None,
    store: Store | None = None,
    save: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
    forecast: ForecastResult | None = None,
    executor: Executor | None = None,
) -> PlanResult:
    """Build the plan and its scenarios; save to the store and write ``out`` when given.

    ``forecast``: a forecast already made for this config (e.g. by the Forecast page); the
    history is then not read again and the forecast stage is skipped. ``executor``: where the
    series forecasts and the scenario plans run (:class:`execution.Executor`; default one
    local cluster of ``workers`` processes, default the cores, for the whole call).
    """
    check_scenarios(config)
    with ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(Executor(workers=workers))
        return _plan(config, out=out, store=store, save=save, progress=progress, forecast=forecast, executor=executor)


def _plan(config: PlanConfig, *, out, store, save, progress, forecast, executor: Executor) -> PlanResult:
    say = progress or quiet
    store = store or (Store.open() if save or config.history is None else None)
    started = time.perf_counter()
    if forecast is None:
        say("reading history", 0.0)
        history = load_plan_history(config, store)
        say("forecasting", 0.05)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forecast = build_forecast(config, history, executor=executor,
                                      progress=within(say, 0.05, 0.30, prefix="forecasting "))
        forecast_warnings = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
    else:
        forecast_warnings = []
    scenarios = (BASE, *config.scenarios)
    done: list[str] = []

    def scenario_done(outcome: Outcome) -> None:
        done.append(outcome.scenario.name)
        say(f"planned scenario {outcome.scenario.name!r} ({len(done)}/{len(scenarios)})", 0.3 + 0.6 * len(done) / len(scenarios))

    say(f"planning {len(scenarios)} scenario(s)", 0.3)
    # each plan's roster is simulated over scenarios drawn from the forecast's backtested spread
    spread = forecast_spread(forecast.frame, forecast.selection, forecast.backtest)
    outcomes = run_scenarios(config, with_spread(forecast.frame, spread), scenarios, on_done=scenario_done,
                             executor=executor)
    base = outcomes["base"]
    table = scenario_table(outcomes)
    summary = _summary(config, forecast, base, table, seconds=time.perf_counter() - started)
    summary["warnings"] = plan_warnings(forecast_warnings, outcomes)
    for message in summary["warnings"]:  # shown by the CLI (planner: warning: ...) as before, wherever it ran
        warnings.warn(message, UserWarning, stacklevel=2)
    result = PlanResult(config=config, forecast=forecast.frame, selection=forecast.selection, backtest=forecast.backtest,
                        base=base, scenarios=table, summary=summary, outcomes=outcomes)
    if out is not None:
        say("writing outputs", 0.92)
        write_plan_outputs(result, Path(out))
    if save:
        say("saving to the store", 0.96)
        result = _save(result, store)
    say("done", 1.0)
    return result


def plan_warnings(forecast_warnings: list[str], outcomes: dict[str, Outcome]) -> list[str]:
    """What a plan build warned about, for summary.json ``warnings`` and the pages: the forecast's
    warnings, the base plan's, then each other scenario's prefixed with its name."""
    said = list(forecast_warnings)
    for name, outcome in outcomes.items():
        said += [m if name == BASE.name else f"scenario {name!r}: {m}" for m in outcome.warnings]
    return list(dict.fromkeys(said))


def _summary(config: PlanConfig, forecast: ForecastResult, base: Outcome, table: pd.DataFrame, *, seconds: float) -> dict[str, Any]:
    row = base.row
    checks = base.checks.to_summary()
    return {
        "name": config.name,
        "week_start": f"{config.start:%Y-%m-%d}",
        "days": config.days,
        "interval_minutes": config.interval_minutes,
        "channels": sorted(base.requirements["channel"].unique().tolist()),
        "forecast_contacts": float(forecast.frame["forecast"].sum()),
        "forecast_models": forecast.selection[["queue", "channel", "model", "wape"]].to_dict("records"),
        "fte": row["fte"],
        "paid_hours": row["paid_hours"],
        "cost": row["cost"],
        "cost_per_contact": row["cost_per_contact"],
        "service_level": row["service_level"],
        "occupancy": row["occupancy"],
        "abandon_rate": row["abandon_rate"],
        "understaffed_intervals": row["understaffed_intervals"],
        "service_by_channel": base.channels.to_dict("records"),
        "p_meets_target": row.get("p_meets_target"),
        "uncertainty": base.uncertainty.to_summary() if base.uncertainty is not None else None,
        "solver": base.solver.to_summary(),
        "coverage_limit": checks["coverage_limit"],
        # risk planned for (planner.risk): the plans tried and what the risk costs over the point-forecast plan
        "risk": checks["risk"],
        "schedule_checks": {key: checks[key] for key in (
            "service_check", "rule_check", "fairness", "unfilled_tours", "roster_short_of_plan_agent_hours",
            "under_coverage_agent_hours", "deferred_undone_minutes", "deferred_on_time", "agents_by_contract", "idle_agents")},
        "scenarios": table["name"].tolist(),
        "seconds": seconds,
        "definitions": {
            "service_level": "share of offered contacts answered within the channel's answer_s (abandons count "
            "against), Erlang C or Erlang A (patience_s), from scheduled agents net of breaks x (1 - shrinkage); "
            "deferred channels: share of work done before due; overall: volume-weighted over voice/chat/messaging",
            "shrinkage": "required = net / (1 - shrinkage), per channel from the staffing config",
            "fte": f"paid hours / {config.fte_hours_per_week:g} h",
            "cost": "paid hours x contract hourly cost (agent pay only)",
            "cost_per_contact": "cost / forecast contacts of the week",
        },
    }


def write_plan_outputs(result: PlanResult, folder: Path) -> None:
    """Every output file of docs/architecture.md section 3, built in a temp folder and swapped in."""
    from planner.exports import write_ics, write_roster_xlsx
    from planner.writers import write_csv, write_outputs, write_text

    base = result.base
    summary = json.dumps(json_ready(result.summary), indent=2)

    def ics(folder_path: Path) -> None:
        folder_path.mkdir(parents=True, exist_ok=True)
        write_ics(base.roster, base.activities, folder_path, timezone=result.config.timezone or None, calendar_name=result.config.name)

    write_outputs(
        folder,
        {
            "forecast.csv": lambda p: write_csv(result.forecast, p),
            "requirements.csv": lambda p: write_csv(base.requirements, p),
            "roster.csv": lambda p: write_csv(base.roster, p),
            "activities.csv": lambda p: write_csv(base.activities, p),
            "coverage.csv": lambda p: write_csv(base.coverage, p),
            "summary.json": lambda p: write_text(summary, p),
            "scenarios.csv": lambda p: write_csv(result.scenarios, p),
            "roster.xlsx": lambda p: write_roster_xlsx(base.roster, base.activities, base.coverage, p, week_start=result.config.start),
            "ics": ics,
        },
    )


def _save(result: PlanResult, store: Store) -> PlanResult:
    config = result.config
    forecast_id = store.save_forecast(
        result.forecast,
        dataset=config.dataset or (config.history.name if config.history else None),
        method=config.method,
        params={"country": config.country, "interval_minutes": config.interval_minutes, "selection": result.selection.to_dict("records")},
        backtest=result.backtest,
        train_end=f"{config.start:%Y-%m-%dT%H:%M:%S}",
        created_by="plan",
    )
    base = result.base
    stored_config = json_ready(config.to_record())
    tables = {
        "forecast": result.forecast,
        "requirements": base.requirements,
        "roster": base.roster,
        "activities": base.activities,
        "coverage": base.coverage,
        "tours": base.tours,
        "service": base.service,
        "scenarios": result.scenarios,
        "backtest": result.backtest,
        "selection": result.selection,
    }
    scenario_rows = [(o.scenario.name, o.scenario.overrides, json_ready(o.row)) for o in result.outcomes.values()]
    plan_id = store.save_plan(config.name, config=stored_config, summary=json_ready(result.summary), tables=tables,
                              forecast_id=forecast_id, scenario_rows=scenario_rows)
    return dataclasses.replace(result, plan_id=plan_id, forecast_id=forecast_id)

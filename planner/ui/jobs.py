"""The app's long jobs: each a plain function taking ``progress(text, share 0..1)`` (a
:class:`wfm_progress.Progress`, the same calls the ``planner`` command's bar reads).

Pages run them in background callbacks (separate processes) and show the progress; tests
call them directly. Every job works through :mod:`planner` (import, forecast, plan,
scenarios) and raises ``ValueError``/``OSError`` with a message for the user.

Example:
    >>> from planner.store import Store
    >>> load_demo(Store.open("sqlite://"), build_plan=False)  # doctest: +SKIP
    'Imported 3 sample datasets: sample_centre, us_bank_2003, anonymous_bank_1999.'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wfm_errors import InputError, StoreError
from wfm_progress import Progress, quiet, within
from planner.store import Store
from planner.ui.views import PlanView

BACKTEST_WINDOWS = 3  # weekly origins scored per model, as a plan.toml does by default
BUDGET_TOLERANCE = 0.02  # the app's budget search stops when the levels that fit and do not fit are this close
BUDGET_MAX_SOLVES = 6  # or when it planned this many new plans


def load_demo(store: Store, *, progress: Progress | None = None, build_plan: bool = True) -> str:
    """Import the bundled samples and build the example plan (what ``planner demo`` does)."""
    from planner.demo import SAMPLE_FILES, data_dir, import_samples

    say = progress or quiet
    done: list[str] = []

    def on_file(sample) -> None:
        done.append(sample.dataset)
        say(f"imported {sample.dataset}", 0.3 * len(done) / len(SAMPLE_FILES))

    say("importing the sample data", 0.0)
    import_samples(store, on_file=on_file)
    message = f"Imported {len(done)} sample datasets: {', '.join(done)}."
    if not build_plan:
        return message
    from planner.pipeline import plan
    from planner.plan_config import load_plan_config

    config = load_plan_config(data_dir() / "sample" / "plan.toml")
    result = plan(config, store=store, progress=within(say, 0.3, 1.0))
    return f"{message} Example plan stored as plan {result.plan_id}."


def plan_config(plan_view: PlanView):
    """The :class:`planner.plan_config.PlanConfig` a stored plan was built from, rebuilt from the
    config the store keeps (files it named are used when they still exist)."""
    from planner.plan_config import PlanConfig, Scenario

    stored = plan_view.store.scenarios(plan_view.plan_id)
    scenarios = tuple(Scenario(str(r["name"]), dict(r["overrides"] or {})) for r in stored.to_dict("records")
                      if r["name"] != "base") if len(stored) else ()
    config = PlanConfig.from_record(plan_view.config, name=plan_view.name, source=f"plan {plan_view.plan_id}",
                                    scenarios=scenarios)
    if config.history is None and not config.dataset:
        from planner.ui.views import plan_history_dataset

        dataset = plan_history_dataset(plan_view.store, plan_view)
        if not dataset:
            raise InputError(f"plan {plan_view.plan_id}: its history {plan_view.config.get('history')!r} is neither a "
                             "file nor a stored dataset")
        config = dataclasses.replace(config, dataset=dataset)
    return config


def rebuild_plan(store: Store, plan_view: PlanView, *, progress: Progress | None = None) -> int:
    """Build the stored plan again (forecast, schedule, scenarios); the new plan id."""
    from planner.pipeline import plan

    say = progress or quiet
    result = plan(plan_config(plan_view), store=store, progress=say)
    return int(result.plan_id)


def plan_dataset(
    store: Store,
    *,
    dataset: str,
    start: str,
    interval_minutes: int,
    country: str | None = None,
    staffing: Mapping[str, Any] | None = None,
    rules: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    forecast_snapshot: int | None = None,
) -> int:
    """Plan the week from ``start`` for a stored dataset: forecast, requirements, shift plan,
    roster. Service goals and shift rules default to the bundled ``data/sample`` files (the
    rules' ``interval_minutes`` follows the plan's). Returns the stored plan's id.

    ``forecast_snapshot``: plan the first week of that stored snapshot (e.g. one made on the
    Forecast page) instead of forecasting again; its dataset, first day, interval and country
    then replace ``dataset``, ``start``, ``interval_minutes`` and ``country``."""
    forecast = None
    if forecast_snapshot is not None:
        dataset, start, interval_minutes, country, forecast = _snapshot_week(store, int(forecast_snapshot),
                                                                              country=country)
    import copy

    from planner.toml_files import read_toml
    from planner.demo import data_dir
    from planner.pipeline import plan
    from planner.plan_config import PLANNING_GRIDS_MINUTES, PlanConfig
    from planner.week_schedule import grid_choices

    if int(interval_minutes) not in PLANNING_GRIDS_MINUTES:
        raise InputError(f"interval_minutes: {interval_minutes!r} must be {', '.join(map(str, PLANNING_GRIDS_MINUTES[:-1]))} "
                         f"or {PLANNING_GRIDS_MINUTES[-1]} for a schedule")
    try:
        week = pd.Timestamp(str(start))
    except ValueError:
        raise InputError(f"start: {start!r} is not a date (YYYY-MM-DD)") from None
    if week != week.normalize():
        raise InputError(f"start: {start!r} must be a date (plans cover whole days)")
    info = store.dataset_info(dataset)  # ValueError naming the dataset when it is not stored
    folder = data_dir() / "sample"
    staffing = copy.deepcopy(dict(staffing)) if staffing else read_toml(folder / "staffing.toml")
    rules = copy.deepcopy(dict(rules)) if rules else read_toml(folder / "rules.toml")
    chosen = {c.minutes: c for c in grid_choices(rules, history_interval_minutes=info.get("interval_minutes"))}
    if int(interval_minutes) in chosen and not chosen[int(interval_minutes)].usable:
        raise InputError(f"a {int(interval_minutes)}-minute plan isn't possible: {chosen[int(interval_minutes)].why_not}")
    rules["interval_minutes"] = int(interval_minutes)
    config = PlanConfig(name=f"{dataset}, week of {week:%Y-%m-%d}", source=Path(f"app: dataset {dataset}"), start=week,
                        days=7, interval_minutes=int(interval_minutes), staffing=staffing, rules=rules, dataset=dataset,
                        country=country or None)
    say = progress or quiet
    result = plan(config, store=store, progress=say, forecast=forecast)
    return int(result.plan_id)


def _snapshot_week(store: Store, snapshot_id: int, *, country: str | None):
    """(dataset, start, interval, country, ForecastResult) of the first week of a stored
    forecast snapshot; ``ValueError`` in words when it can't make a week's schedule."""
    from forecasting import ForecastResult
    from planner.ui.views import snapshot_choice

    choice = snapshot_choice(store, snapshot_id)
    if choice is None:
        raise InputError(f"forecast snapshot {snapshot_id} has no rows")
    if choice.days < 7:
        raise InputError(f"forecast snapshot {snapshot_id} covers {choice.days} day(s) from {choice.first_day:%Y-%m-%d}; "
                         "a schedule needs a week: run the forecast again with 7 days or more")
    if not choice.dataset:
        raise InputError(f"forecast snapshot {snapshot_id} does not name the dataset it was made from")
    info = store.forecast_info(snapshot_id)
    frame = store.forecast(snapshot_id)
    week = choice.first_day
    frame = frame[(frame["interval_start"] >= week) & (frame["interval_start"] < week + pd.Timedelta(days=7))]
    selection = pd.DataFrame(info["params"].get("selection") or [])
    result = ForecastResult(frame.reset_index(drop=True), selection, store.forecast_backtest(snapshot_id))
    return (choice.dataset, f"{week:%Y-%m-%d}", choice.interval_minutes, info["params"].get("country") or country,
            result)


def special_days_from_rows(rows: Sequence[Mapping[str, Any]]) -> tuple:
    """Special days from table rows ``date, label, effect`` (``closed`` or a multiplier);
    blank rows are skipped; a bad row raises ``ValueError`` naming the row and the value."""
    from forecasting import SpecialDay

    days = []
    for number, row in enumerate(rows, start=1):
        date_text = str(row.get("date") or "").strip()
        effect = str(row.get("effect") or "").strip().lower()
        if not date_text and not effect:
            continue
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise InputError(f"special days row {number}: date {date_text!r} is not YYYY-MM-DD") from None
        label = str(row.get("label") or "")
        if effect == "closed":
            days.append(SpecialDay(date, label, closed=True, multiplier=0.0))
            continue
        try:
            multiplier = float(effect)
        except ValueError:
            raise InputError(f"special days row {number}: effect {effect!r} is not 'closed' or a number") from None
        if not multiplier >= 0:
            raise InputError(f"special days row {number}: effect {effect!r} must be >= 0")
        days.append(SpecialDay(date, label, multiplier=multiplier))
    return tuple(days)


def forecast_dataset(
    store: Store,
    *,
    dataset: str,
    start: str,
    days: int,
    interval_minutes: int,
    country: str | None = None,
    special_days: Sequence[Mapping[str, Any]] = (),
    progress: Progress | None = None,
) -> int:
    """Forecast a stored dataset from ``start`` for ``days`` days; store the snapshot; its id.

    What the forecast warned about (a holiday with no past example, too short a history, a
    long gap between the history and the start) is kept with the snapshot, in its
    ``params["warnings"]``, for the page to show."""
    import warnings

    from planner.pipeline import forecast_stage
    from planner.forecast_runs import start_gap_warning

    say = progress or quiet
    say(f"reading {dataset}", 0.02)
    history = store.dataset(dataset)
    special = special_days_from_rows(special_days)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = forecast_stage(
            history, start=start, days=int(days), interval_minutes=int(interval_minutes), country=country or None,
            special_days=special, backtest_windows=BACKTEST_WINDOWS,
            progress=within(say, 0.05, 0.95),
        )
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    gap = start_gap_warning(store, dataset, start)
    said = ([gap] if gap else []) + list(dict.fromkeys(said))
    say("saving the snapshot", 0.97)
    params = {"start": str(start), "days": int(days), "interval_minutes": int(interval_minutes), "country": country,
              "special_days": [dict(r) for r in special_days if r.get("date")],
              "selection": result.selection.to_dict("records"), "warnings": said}
    return store.save_forecast(result.frame, dataset=dataset, method="auto", params=params, backtest=result.backtest,
                               train_end=str(pd.Timestamp(start)), created_by="app")


def scenario_overrides(*, volume_factor: float | None = None, aht_factor: float | None = None,
                       target_sl: float | None = None, channels: Sequence[str] = (), hourly_cost: Mapping[str, float] | None = None,
                       service_goal: str | None = None) -> dict[str, Any]:
    """Flat scenario overrides (plan.toml ``[[scenario]]`` keys) from the scenario form; ``service_goal``
    (``interval``, ``daily``, ``weekly``) is set on every immediate channel in ``channels``."""
    overrides: dict[str, Any] = {}
    if service_goal not in (None, ""):
        for channel in channels:
            overrides[f"channel.{channel}.service_goal"] = str(service_goal)
    if volume_factor not in (None, ""):
        overrides["volume_factor"] = float(volume_factor)
    if aht_factor not in (None, ""):
        overrides["aht_factor"] = float(aht_factor)
    if target_sl not in (None, ""):
        for channel in channels:
            overrides[f"channel.{channel}.target_sl"] = float(target_sl)
    for contract, cost in (hourly_cost or {}).items():
        if cost not in (None, ""):
            overrides[f"contract.{contract}.hourly_cost"] = float(cost)
    return overrides


def run_scenario(store: Store, plan_view: PlanView, *, name: str, overrides: Mapping[str, Any],
                 progress: Progress | None = None) -> dict[str, Any]:
    """Plan one scenario over the stored plan's forecast; its tidy row (JSON-ready)."""
    from planner.pipeline import run_scenarios
    from planner.writers import json_ready
    from planner.plan_config import Scenario

    if not str(name).strip():
        raise InputError("scenario name: must not be empty")
    say = progress or quiet
    say(f"planning scenario {name!r}", 0.05)
    from forecasting.scenarios import forecast_spread
    from planner.uncertainty import with_spread

    config = plan_config(plan_view)
    forecast = plan_view.table("forecast")
    spread = forecast_spread(forecast, plan_view.table("selection"), plan_view.table("backtest"))
    outcomes = run_scenarios(config, with_spread(forecast, spread), (Scenario(str(name), dict(overrides)),), workers=1)
    say("done", 1.0)
    row = json_ready(outcomes[str(name)].row)
    row["overrides"] = dict(overrides)
    return row


def run_frontier(store: Store, plan_view: PlanView, *, levels: Sequence[float], progress: Progress | None = None) -> pd.DataFrame:
    """The service-level vs cost frontier of the stored plan (:func:`planner.scenarios.frontier`):
    one row per target, ``reached`` False (with a ``note``) where no plan reaches it."""
    from planner.scenarios import frontier

    say = progress or quiet
    config, forecast, known = finance_inputs(plan_view)
    table = frontier(config, forecast, levels=levels, known=known, progress=say)
    say("done", 1.0)
    return table


def budget_buys(store: Store, plan_view: PlanView, *, budget: float, tolerance: float = BUDGET_TOLERANCE,
                max_solves: int = BUDGET_MAX_SOLVES, progress: Progress | None = None):
    """What a weekly budget buys (:func:`planner.scenarios.budget_service`): a
    :class:`planner.scenarios.BudgetAnswer`. ``ValueError`` naming the budget when it is not a
    positive amount or no plan fits it. The app's defaults answer within a few rounds of plans
    (each a full week's shift plan): levels 2 points apart at most, 6 new plans at most."""
    from planner.scenarios import budget_service, check_budget

    say = progress or quiet
    amount = check_budget(budget)
    config, forecast, known = finance_inputs(plan_view)
    answer = budget_service(config, forecast, budget=amount, known=known, tolerance=tolerance, max_solves=max_solves,
                            progress=say)
    say("done", 1.0)
    return answer


def capacity_sample(*, progress: Progress | None = None):
    """The capacity plan of the bundled ``data/sample/capacity.toml`` (weeks of required vs
    available FTE, hiring classes, cost per month): :func:`planner.capacity_plan.capacity_plan`."""
    from planner.capacity_plan import capacity_plan, load_capacity_config
    from planner.demo import data_dir

    say = progress or quiet
    config = load_capacity_config(data_dir() / "sample" / "capacity.toml")
    return capacity_plan(config, progress=say)


def finance_inputs(plan_view: PlanView) -> tuple[Any, pd.DataFrame, dict[float, dict[str, Any]]]:
    """What the finance search of a stored plan needs: its config, its forecast and the plan
    itself as a known member of the staffing-level family (:func:`planner.scenarios.stored_plan_levels`)."""
    from planner.scenarios import stored_plan_levels

    config = plan_config(plan_view)
    same_agents = (config.agents is not None) == bool(plan_view.config.get("agents"))  # else the stored plan is another model
    known = stored_plan_levels(config, plan_view.store.scenarios(plan_view.plan_id)) if same_agents else {}
    return config, plan_view.table("forecast"), known


def plan_view(store: Store, plan_id: int | None) -> PlanView:
    """The stored plan ``plan_id`` (the newest when None); ``ValueError`` naming it when it is not there."""
    from planner.ui.views import PlanView as View

    if plan_id is None:
        plan_id = store.latest_plan_id()
        if plan_id is None:
            raise StoreError("no plan in the store: build one first (planner plan, or planner demo)")
    info = store.plan(int(plan_id))  # ValueError "plan N: not in the store"
    return View(store, int(plan_id), info.name, info.config, info.summary, info.tables)


def fit_intraday_models(store: Store, plan_id: int) -> str | None:
    """Fit and keep the intraday models of plan ``plan_id`` (a minute or more of CPU on a real
    history) so that the Intraday page, in any process, reads them instead of fitting them on a
    team lead's first view. Returns the line saying what happened; None when the plan has no
    forecast (nothing to fit). A history that can't be read is said, not raised: the page then
    fits on first use and shows the error there."""
    import time

    from planner.intraday import learn_models

    if "forecast" not in store.plan(plan_id).tables:
        return None
    started = time.perf_counter()
    try:
        notes = learn_models(store, plan_id)
    except (ValueError, OSError, KeyError) as exc:
        return f"intraday models of plan {plan_id}: not fitted ({exc}); the Intraday page fits them on first use"
    return (f"intraday models of plan {plan_id} fitted in {time.perf_counter() - started:.1f} s"
            + (f" ({'; '.join(notes)})" if notes else ""))


def fit_intraday_models_in_background(store: Store, plan_id: int) -> threading.Thread:
    """:func:`fit_intraday_models` on a daemon thread of this server process, started when a plan
    is published (the plan team leads open next); its line goes to the server's log."""
    def fit() -> None:
        line = fit_intraday_models(store, plan_id)
        if line:
            print(line, flush=True)

    thread = threading.Thread(target=fit, name=f"intraday-models-plan-{plan_id}", daemon=True)
    thread.start()
    return thread

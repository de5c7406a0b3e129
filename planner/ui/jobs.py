"""The app's long jobs: each a plain function taking ``progress(share 0..1, text)``.

Pages run them in background callbacks (separate processes) and show the progress; tests
call them directly. Every job works through :mod:`planner` (import, forecast, plan,
scenarios) and raises ``ValueError``/``OSError`` with a message for the user.

Example:
    >>> from planner.store import Store
    >>> load_demo(Store.open("sqlite://"), build_plan=False)  # doctest: +SKIP
    'Imported 3 sample datasets: sample_centre, us_bank_2003, anonymous_bank_1999.'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from planner.store import Store
from planner.ui.views import PlanView

Progress = Callable[[float, str], None]


def _quiet(_share: float, _text: str) -> None:
    return None


def load_demo(store: Store, *, progress: Progress | None = None, build_plan: bool = True) -> str:
    """Import the bundled samples and build the example plan (what ``planner demo`` does)."""
    from planner.demo import SAMPLE_FILES, data_dir, import_samples

    say = progress or _quiet
    done: list[str] = []

    def on_file(sample) -> None:
        done.append(sample.dataset)
        say(0.3 * len(done) / len(SAMPLE_FILES), f"imported {sample.dataset}")

    say(0.0, "importing the sample data")
    import_samples(store, on_file=on_file)
    message = f"Imported {len(done)} sample datasets: {', '.join(done)}."
    if not build_plan:
        return message
    from planner.pipeline import plan
    from planner.plan_config import load_plan_config

    config = load_plan_config(data_dir() / "sample" / "plan.toml")
    result = plan(config, store=store, progress=lambda stage, share: say(0.3 + 0.7 * share, stage))
    return f"{message} Example plan stored as plan {result.plan_id}."


def rebuild_plan(store: Store, plan_view: PlanView, *, progress: Progress | None = None) -> int:
    """Build the plan again from its config file (forecast, schedule, scenarios); the new plan id."""
    from planner.pipeline import plan
    from planner.plan_config import load_plan_config

    source = plan_view.config.get("source")
    if not source or not Path(source).is_file():
        raise ValueError(f"plan {plan_view.plan_id}: its config file {source!r} is not available to rebuild from")
    say = progress or _quiet
    result = plan(load_plan_config(source), store=store, progress=lambda stage, share: say(share, stage))
    return int(result.plan_id)


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
            raise ValueError(f"special days row {number}: date {date_text!r} is not YYYY-MM-DD") from None
        label = str(row.get("label") or "")
        if effect == "closed":
            days.append(SpecialDay(date, label, closed=True, multiplier=0.0))
            continue
        try:
            multiplier = float(effect)
        except ValueError:
            raise ValueError(f"special days row {number}: effect {effect!r} is not 'closed' or a number") from None
        if not multiplier >= 0:
            raise ValueError(f"special days row {number}: effect {effect!r} must be >= 0")
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
    """Forecast a stored dataset from ``start`` for ``days`` days; store the snapshot; its id."""
    from forecasting import forecast_frame

    say = progress or _quiet
    say(0.02, f"reading {dataset}")
    history = store.dataset(dataset)
    special = special_days_from_rows(special_days)
    result = forecast_frame(
        history, start=start, days=int(days), interval_minutes=int(interval_minutes), country=country or None,
        special_days=special, progress=lambda done, total: say(0.05 + 0.9 * done / total, f"series {done}/{total}"),
    )
    say(0.97, "saving the snapshot")
    params = {"start": str(start), "days": int(days), "interval_minutes": int(interval_minutes), "country": country,
              "special_days": [dict(r) for r in special_days if r.get("date")],
              "selection": result.selection.to_dict("records")}
    return store.save_forecast(result.frame, dataset=dataset, method="auto", params=params, backtest=result.backtest,
                               train_end=str(pd.Timestamp(start)), created_by="app")


def scenario_overrides(*, volume_factor: float | None = None, aht_factor: float | None = None,
                       target_sl: float | None = None, channels: Sequence[str] = (), hourly_cost: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Flat scenario overrides (plan.toml ``[[scenario]]`` keys) from the scenario form."""
    overrides: dict[str, Any] = {}
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
    from planner.pipeline import _json_ready, run_scenarios
    from planner.plan_config import Scenario, load_plan_config

    if not str(name).strip():
        raise ValueError("scenario name: must not be empty")
    source = plan_view.config.get("source")
    if not source or not Path(source).is_file():
        raise ValueError(f"plan {plan_view.plan_id}: its config file {source!r} is not available")
    say = progress or _quiet
    say(0.05, f"planning scenario {name!r}")
    config = load_plan_config(source)
    outcomes = run_scenarios(config, plan_view.table("forecast"), (Scenario(str(name), dict(overrides)),), workers=1)
    say(1.0, "done")
    row = _json_ready(outcomes[str(name)].row)
    row["overrides"] = dict(overrides)
    return row


def run_frontier(store: Store, plan_view: PlanView, *, levels: Sequence[float], progress: Progress | None = None) -> pd.DataFrame:
    """The service-level vs cost frontier of the stored plan (:func:`planner.scenarios.frontier`)."""
    from planner.plan_config import load_plan_config
    from planner.scenarios import frontier

    source = plan_view.config.get("source")
    if not source or not Path(source).is_file():
        raise ValueError(f"plan {plan_view.plan_id}: its config file {source!r} is not available")
    say = progress or _quiet
    say(0.05, f"planning {len(levels)} targets")
    table, _outcomes = frontier(load_plan_config(source), plan_view.table("forecast"), levels=levels)
    say(1.0, "done")
    return table


def budget_buys(store: Store, plan_view: PlanView, *, budget: float) -> dict[str, Any]:
    """What a weekly budget buys (:func:`planner.scenarios.budget_service`)."""
    from planner.plan_config import load_plan_config
    from planner.scenarios import budget_service

    source = plan_view.config.get("source")
    if not source or not Path(source).is_file():
        raise ValueError(f"plan {plan_view.plan_id}: its config file {source!r} is not available")
    return budget_service(load_plan_config(source), plan_view.table("forecast"), budget=float(budget))

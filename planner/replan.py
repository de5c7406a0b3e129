"""Intraday re-plan of the rest of a day, and accepting it as a new version of the plan.

:func:`propose` takes the day's re-forecast (:func:`planner.intraday.intraday`) and the stored
plan's roster and asks :func:`scheduling.intraday.replan_day` for changes (breaks and lunches
moved within their windows, blended agents switched between channels, overtime, voluntary
time off). :func:`accept` applies all or some of them (by ``change_id``: one change = one
agent's edits, so a partly accepted proposal still keeps every rule) and stores the result as
a new plan with the same config and forecast - it becomes "the plan" for that week (the
newest covering the date), so intraday, exports and iCal follow it.

Example:
    >>> proposal = propose("2025-06-03", store=store)
    >>> proposal.result.changes, proposal.result.projection
    >>> new_plan_id = accept(proposal, store=store, change_ids=[1, 4])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import InputError
from planner.intraday import IntradayResult, intraday
from planner.staffing import staffing_from_mapping
from planner.store import Store
from scheduling.intraday import (ReplanOptions, ReplanResult, apply_changes, check_day, count_on_duty,
                                 replan_day)
from scheduling.rules import RuleSet


@dataclass(frozen=True)
class Proposal:
    """A re-plan proposal for one day of a stored plan."""

    plan_id: int
    date: pd.Timestamp
    now: pd.Timestamp
    result: ReplanResult
    reforecast: IntradayResult


def _rules(config: dict[str, Any]) -> RuleSet:
    return RuleSet.from_mapping(config["rules"], source=f"{config.get('source', 'plan')} rules")


def _agent_maps(config: dict[str, Any], rules: RuleSet) -> tuple[dict[str, tuple[str, ...]] | None, dict[str, str] | None]:
    """Skills and contracts per agent from the plan's agents file (None when it has none)."""
    path = config.get("agents")
    if not path or not Path(path).exists():
        return None, None
    from planner.week_schedule import read_agents_csv

    agents = read_agents_csv(path, rules)
    return {a.agent_id: tuple(a.channels) for a in agents}, {a.agent_id: a.contract for a in agents}


def _demand(result: IntradayResult, forecast: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Re-forecast volume (and the plan's AHT) per remaining interval and channel."""
    rest = result.intervals[result.intervals["interval_start"] >= now]
    demand = rest[["interval_start", "channel"]].assign(volume=rest["reforecast"].clip(lower=0.0).to_numpy())
    if "aht_s" in forecast:
        f = forecast.assign(_w=forecast["forecast"] * forecast["aht_s"].fillna(0.0))
        aht = f.groupby(["interval_start", "channel"]).agg(w=("_w", "sum"), v=("forecast", "sum"))
        aht["aht_s"] = np.where(aht["v"] > 0, aht["w"] / aht["v"].where(aht["v"] > 0, 1.0), np.nan)
        demand = demand.merge(aht["aht_s"].reset_index(), on=["interval_start", "channel"], how="left")
    return demand


def propose(date: str | pd.Timestamp, *, store: Store | None = None, plan_id: int | None = None,
            actuals_dataset: str | None = None, now: str | pd.Timestamp | None = None,
            options: ReplanOptions = ReplanOptions()) -> Proposal:
    """Re-plan the rest of ``date`` from ``now`` (default: the end of the last complete interval
    with actuals; without actuals, the start of the day) under the re-forecast."""
    store = store or Store.open()
    result = intraday(date, store=store, plan_id=plan_id, actuals_dataset=actuals_dataset)
    info = store.plan(result.plan_id)
    config = info.config
    if now is not None:
        text = str(now)
        moment = pd.Timestamp(f"{result.date:%Y-%m-%d} {text}") if len(text) <= 5 and ":" in text else pd.Timestamp(text)
        if moment.normalize() != result.date:
            raise InputError(f"--now {text!r}: not on {result.date:%Y-%m-%d}")
    else:
        moment = result.now if result.now is not None else result.date
    rules = _rules(config)
    targets = staffing_from_mapping(config["staffing"], source=f"plan {result.plan_id} staffing")
    skills, contracts = _agent_maps(config, rules)
    forecast = store.plan_table(result.plan_id, "forecast")
    forecast["interval_start"] = pd.to_datetime(forecast["interval_start"])
    roster = store.plan_table(result.plan_id, "roster")
    activities = store.plan_table(result.plan_id, "activities")
    proposal = replan_day(roster, activities, _demand(result, forecast, moment), targets, rules, now=moment,
                          skills=skills, contracts=contracts, options=options)
    return Proposal(plan_id=result.plan_id, date=result.date, now=proposal.now, result=proposal, reforecast=result)


def accept(proposal: Proposal, *, store: Store | None = None, change_ids: list[int] | None = None) -> int:
    """Store the plan with the accepted changes (all when ``change_ids`` is None) as a new plan;
    returns its id. Raises ``ValueError`` when a change id is unknown or a rule would break."""
    return accept_edits(proposal.plan_id, proposal.date, proposal.now, proposal.result.edits, proposal.result.changes,
                        store=store, change_ids=change_ids)


def accept_edits(plan_id: int, date: pd.Timestamp, now: pd.Timestamp, edits: pd.DataFrame, changes: pd.DataFrame, *,
                 store: Store | None = None, change_ids: list[int] | None = None) -> int:
    """:func:`accept` from a proposal's ``edits`` and ``changes`` tables (e.g. kept by the web page)."""
    store = store or Store.open()
    date = pd.Timestamp(date)
    now = pd.Timestamp(now)
    info = store.plan(plan_id)
    config = info.config
    rules = _rules(config)
    roster = store.plan_table(plan_id, "roster")
    activities = store.plan_table(plan_id, "activities")
    edits = edits.assign(**{c: pd.to_datetime(edits[c]) for c in ("old_start", "old_end", "new_start", "new_end")})
    if "activity_row" in edits:
        edits["activity_row"] = edits["activity_row"].astype("Int64")
    new_roster, new_activities = apply_changes(roster, activities, edits, accept=change_ids)
    day_rows = pd.to_datetime(new_roster["date"]).dt.normalize() == date
    problems = check_day(new_roster[day_rows], new_activities, rules)
    if problems:
        raise InputError("the accepted changes break rules: " + "; ".join(problems[:3]))
    coverage = store.plan_table(plan_id, "coverage")
    coverage = _recount(coverage, roster, activities, new_roster, new_activities, date, rules.interval_minutes)
    tables = {name: store.plan_table(plan_id, name) for name in info.tables}
    tables.update(roster=new_roster, activities=new_activities, coverage=coverage)
    accepted = changes if change_ids is None else changes[changes["change_id"].isin([int(c) for c in change_ids])]
    summary = dict(info.summary)
    summary["intraday_replan"] = {
        "of_plan": plan_id, "date": f"{date:%Y-%m-%d}", "from": f"{now:%H:%M}",
        "accepted_changes": [int(c) for c in accepted["change_id"]],
        "extra_cost": float(accepted["extra_cost"].sum()),
        "overtime_minutes": float(accepted["overtime_minutes"].sum()),
        "vto_minutes": float(accepted["vto_minutes"].sum()),
    }
    base_name = str(info.name).split(" - re-plan ")[0]
    name = f"{base_name} - re-plan {date:%Y-%m-%d} {now:%H:%M}"
    return store.save_plan(name, config=config, summary=json.loads(json.dumps(summary, default=str)), tables=tables,
                           forecast_id=info.forecast_id)


def _recount(coverage: pd.DataFrame, roster, activities, new_roster, new_activities, date: pd.Timestamp,
             interval_minutes: int) -> pd.DataFrame:
    """The coverage table with ``scheduled`` recounted where the changes moved people (the day
    and the night after it)."""
    coverage = coverage.copy()
    times = pd.to_datetime(coverage["interval_start"])
    channels = sorted(coverage["channel"].unique())
    start, end = date, date + pd.Timedelta(days=2)
    before = count_on_duty(roster, activities, start=start, end=end, interval_minutes=interval_minutes, channels=channels)
    after = count_on_duty(new_roster, new_activities, start=start, end=end, interval_minutes=interval_minutes, channels=channels)
    delta = before.merge(after, on=["interval_start", "channel"], suffixes=("_b", "_a"))
    delta["d"] = delta["scheduled_a"] - delta["scheduled_b"]
    key = pd.MultiIndex.from_arrays([times, coverage["channel"]])
    change = delta.set_index(["interval_start", "channel"])["d"].reindex(key).fillna(0.0).to_numpy()
    coverage["scheduled"] = coverage["scheduled"].to_numpy(dtype=float) + change
    return coverage


def proposal_summary(proposal: Proposal) -> dict[str, Any]:
    """JSON-ready totals of a proposal."""
    r = proposal.result
    return {
        "plan_id": proposal.plan_id, "date": f"{proposal.date:%Y-%m-%d}", "from": f"{proposal.now:%H:%M}",
        "status": r.status, "seconds": round(r.seconds, 2), "changes": int(len(r.changes)),
        "shortfall_before": r.shortfall_before, "shortfall_after": r.shortfall_after,
        "answered_within_t_before": r.answered_before, "answered_within_t_after": r.answered_after,
        "extra_cost": r.extra_cost, "extra_paid_hours": r.extra_paid_hours, "notes": list(r.notes),
        "definitions": {
            "shortfall": "contacts answered within T short of target_sl x re-forecast volume, summed over the "
            "remaining intervals of the immediate channels",
            "extra_cost": "overtime hours x hourly cost x overtime rate - VTO hours x hourly cost",
        },
    }

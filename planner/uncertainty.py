"""The probability that a roster meets its service targets when the forecast itself is uncertain.

For a plan's roster (its coverage: scheduled agents net of breaks and lunches, x (1 -
shrinkage) rounded down, as in :mod:`planner.service`), :func:`roster_under_uncertainty`

1. draws ``scenarios`` (>= 50) arrival-rate paths for the week from the forecast's spread
   (:func:`forecasting.scenarios.sample_scenarios`: a day-level factor shared by a day's
   intervals and interval noise, calibrated from the forecast's backtest);
2. simulates the roster over every path with the discrete-event simulation of
   :mod:`scheduling.simulation` (Poisson arrivals at the path's rates, FIFO, patience when the
   channel has ``patience_s``, chat and messaging with their concurrency), one run per path;
3. reports per immediate channel P10/P50/P90 of the weekly service level and of each day's,
   P(weekly service level >= target), P(every day >= target), and P(the channel's goal is met):
   the week for goals "weekly" and "interval" (an interval goal is judged in the same weekly
   terms here: no week meets every interval's target under noise), every day for "daily";
   ``p_meets_target`` is the share of paths in which every channel meets its goal at once;
   with ``risk`` in staffing.toml, ``meets_risk`` says whether P(goal met) >= risk.
   Beside the simulation, ``erlang_p_goal`` gives the same probability with each path's
   service taken as the queueing model's expectation at that path's rates (no Poisson noise).

Service level = answered within ``answer_s`` / offered (abandons count against), summed over
the day or the week, per path. A path with no contacts for a channel counts as meeting it.

Example::

    >>> report = roster_under_uncertainty(coverage, requirements, targets, interval_minutes=15,
    ...                                   spread=forecast_spread(forecast, selection, backtest))  # doctest: +SKIP
    >>> report.per_channel[["channel", "weekly_p10", "weekly_p90", "p_goal"]]                     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import InputError
from forecasting.scenarios import MIN_SCENARIOS, SCENARIO_COLUMNS, forecast_spread, sample_scenarios
from planner.service import expected_service
from scheduling import erlang
from scheduling.channels import DEFERRED_CHANNELS, chat_metrics
from scheduling.requirements import ServiceTarget
from scheduling.simulation import simulate_paths

__all__ = ["UncertaintyReport", "roster_under_uncertainty", "with_spread", "spread_of", "CHANNEL_COLUMNS",
           "DAY_COLUMNS"]

CHANNEL_COLUMNS = ("channel", "service_goal", "target_sl", "weekly_p10", "weekly_p50", "weekly_p90", "p_weekly",
                   "p_all_days", "p_goal", "erlang_p_goal", "risk", "meets_risk", "scenarios")
DAY_COLUMNS = ("date", "channel", "p10", "p50", "p90", "p_target")
#: the Forecast-frame columns that carry the spread to the scenario tasks (see :func:`with_spread`)
_SPREAD_CARRIED = ("day_cv", "interval_cv", "spread_source")


@dataclass(frozen=True)
class UncertaintyReport:
    """What a roster's service level may be over the forecast scenarios.

    ``per_channel`` (:data:`CHANNEL_COLUMNS`), ``per_day`` (:data:`DAY_COLUMNS`, P10/P50/P90
    of the day's service level and P(>= target)), ``p_meets_target`` (every channel meets its
    goal in the same path), ``scenarios``, ``seed`` and the ``spread`` used (per series:
    ``day_cv``, ``interval_cv``, ``source``).
    """

    per_channel: pd.DataFrame
    per_day: pd.DataFrame
    p_meets_target: float
    scenarios: int
    seed: int
    spread: pd.DataFrame

    def row_fields(self) -> dict[str, float]:
        """The scenario row's columns: ``p_meets_target`` and ``p_target_CHANNEL``."""
        out = {"p_meets_target": self.p_meets_target}
        for record in self.per_channel.to_dict("records"):
            out[f"p_target_{record['channel']}"] = record["p_goal"]
        return out

    def to_summary(self) -> dict[str, Any]:
        """The summary.json section (plain values)."""
        return {
            "definition": "forecast scenarios: a day-level factor shared by the day's intervals times interval noise "
                          "(lognormal, mean 1, calibrated from the forecast's backtest), each simulated once with "
                          "the roster's coverage (net of breaks and lunches, x (1 - shrinkage), rounded down); service "
                          "level = answered within answer_s / offered over the day or the week; p_goal = share of "
                          "scenarios meeting the channel's goal (week for goals weekly and interval, every day for "
                          "daily); p_meets_target = every channel at once",
            "scenarios": self.scenarios,
            "seed": self.seed,
            "p_meets_target": self.p_meets_target,
            "per_channel": self.per_channel.to_dict("records"),
            "per_day": self.per_day.to_dict("records"),
            "spread": self.spread.to_dict("records"),
        }


def with_spread(forecast: pd.DataFrame, spread: pd.DataFrame) -> pd.DataFrame:
    """The Forecast frame with each series' ``day_cv, interval_cv, spread_source`` beside it, so a
    scenario task that gets only the forecast also gets its spread (:func:`spread_of`)."""
    carried = spread.rename(columns={"source": "spread_source"})[["queue", "channel", *_SPREAD_CARRIED]]
    frame = forecast.drop(columns=[c for c in _SPREAD_CARRIED if c in forecast.columns])
    return frame.merge(carried, on=["queue", "channel"], how="left")


def spread_of(forecast: pd.DataFrame) -> pd.DataFrame:
    """The spread carried by :func:`with_spread`, else calibrated from the frame's ``lo``/``hi``."""
    if set(_SPREAD_CARRIED) <= set(forecast.columns):
        first = forecast.groupby(["queue", "channel"], sort=True, as_index=False)[list(_SPREAD_CARRIED)].first()
        return first.rename(columns={"spread_source": "source"})
    return forecast_spread(forecast)


def _tie(target: float) -> float:
    return target * (1.0 - erlang.TIE_RTOL)


def _meets(within: np.ndarray, offered: np.ndarray, target: float) -> np.ndarray:
    """Per row: answered within / offered >= target (no contacts: met)."""
    return (offered <= 0) | (within >= _tie(target) * offered)


def _levels(within: np.ndarray, offered: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(offered > 0, within / np.where(offered > 0, offered, 1.0), np.nan)


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    values = values[np.isfinite(values)]
    if not values.size:
        return (float("nan"),) * 3
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return float(p10), float(p50), float(p90)


def _scenario_volumes(requirements: pd.DataFrame, present: list[str], *, spread: pd.DataFrame | None,
                      volumes: pd.DataFrame | None, scenarios: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scenario paths (:data:`forecasting.scenarios.SCENARIO_COLUMNS`) of the ``present``
    channels - the given ``volumes``, else ``scenarios`` paths sampled around the requirements'
    expected volume with ``spread`` - and the spread used (empty: Poisson noise only)."""
    if volumes is None:
        if int(scenarios) != scenarios or scenarios < MIN_SCENARIOS:
            raise InputError(f"scenarios = {scenarios!r}: at least {MIN_SCENARIOS} forecast scenarios are drawn")
        expected = requirements[requirements["channel"].isin(present)]
        expected = expected[["interval_start", "queue", "channel", "volume"]].rename(columns={"volume": "forecast"})
        no_spread = pd.DataFrame(columns=["queue", "channel", "day_cv", "interval_cv", "source"])
        spread = no_spread if spread is None else spread
        return sample_scenarios(expected, spread, scenarios=int(scenarios), seed=seed), spread
    missing = [c for c in SCENARIO_COLUMNS if c not in volumes.columns]
    if missing:
        raise ValueError(f"volumes: missing column(s) {', '.join(missing)}")
    spread = pd.DataFrame(columns=["queue", "channel", "day_cv", "interval_cv", "source"]) if spread is None else spread
    return volumes, spread


def roster_under_uncertainty(
    coverage: pd.DataFrame,
    requirements: pd.DataFrame,
    targets: Mapping[str, ServiceTarget],
    *,
    interval_minutes: int,
    spread: pd.DataFrame | None = None,
    volumes: pd.DataFrame | None = None,
    scenarios: int = MIN_SCENARIOS,
    seed: int = 0,
) -> UncertaintyReport:
    """Simulate the roster over forecast scenarios; see the module docstring.

    ``coverage``: ``interval_start, channel, scheduled`` (the roster's); ``requirements``: the
    Requirements frame the roster was planned for (its ``volume`` is the expected contacts);
    ``spread``: :func:`forecasting.scenarios.forecast_spread`'s frame (None: no rate error,
    Poisson noise only); ``volumes``: scenario paths to use instead of sampling them
    (:data:`forecasting.scenarios.SCENARIO_COLUMNS`); ``scenarios`` (>= 50 when sampled) and
    ``seed`` make the run repeatable.
    """
    immediate = {c: t for c, t in targets.items() if c not in DEFERRED_CHANNELS}
    present = sorted(set(coverage["channel"]) & set(immediate) & set(requirements["channel"]))
    volumes, spread = _scenario_volumes(requirements, present, spread=spread, volumes=volumes, scenarios=scenarios,
                                        seed=seed)
    n_paths = int(volumes["scenario"].nunique())
    service = expected_service(coverage[coverage["channel"].isin(present)], requirements,
                               {c: immediate[c] for c in present}, interval_minutes=interval_minutes)
    volumes = volumes.assign(interval_start=pd.to_datetime(volumes["interval_start"]))
    pooled = volumes.groupby(["channel", "scenario", "interval_start"], sort=True)["volume"].sum()
    interval_s = interval_minutes * 60.0
    meets_all = np.ones(n_paths, dtype=bool)
    channel_rows, day_rows = [], []
    for k, channel in enumerate(present):
        rows = service[service["channel"] == channel].sort_values("interval_start")
        row, days, goal_ok = _channel_over_paths(channel, immediate[channel], rows, pooled, n_paths=n_paths,
                                                 interval_s=interval_s, seed=seed + 7919 * (k + 1))
        channel_rows.append(row)
        day_rows += days
        meets_all &= goal_ok
    return UncertaintyReport(
        per_channel=pd.DataFrame(channel_rows, columns=list(CHANNEL_COLUMNS)),
        per_day=pd.DataFrame(day_rows, columns=list(DAY_COLUMNS)),
        p_meets_target=float(meets_all.mean()) if present else float("nan"),
        scenarios=n_paths, seed=seed, spread=spread.reset_index(drop=True),
    )


def _channel_over_paths(channel: str, target: ServiceTarget, rows: pd.DataFrame, pooled: pd.Series, *,
                        n_paths: int, interval_s: float, seed: int) -> tuple[dict, list[dict], np.ndarray]:
    """One immediate channel's roster simulated over every path: its :data:`CHANNEL_COLUMNS`
    row, its :data:`DAY_COLUMNS` rows (one per day) and, per path, whether its goal was met.
    ``rows``: the channel's expected service per interval (``productive_agents``, ``aht_s``);
    ``pooled``: contacts per (channel, scenario, interval_start); ``interval_s`` in seconds."""
    times = pd.to_datetime(rows["interval_start"]).to_numpy()
    calls = (pooled.loc[channel].unstack("interval_start").reindex(columns=times).fillna(0.0).to_numpy(dtype=float)
             if channel in pooled.index.get_level_values(0) else np.zeros((n_paths, times.size)))
    agents = rows["productive_agents"].to_numpy(dtype=float)
    aht = rows["aht_s"].to_numpy(dtype=float)
    aht = np.where(np.isfinite(aht) & (aht > 0), aht, target.aht_s or 1.0)
    counts = simulate_paths(calls, agents, interval_s=interval_s, aht_s=aht, answer_s=target.answer_s,
                            patience_s=target.patience_s, concurrency=int(target.concurrency or 1), seed=seed)
    week_ok = _meets(counts.within.sum(1), counts.offered.sum(1), target.target_sl)
    day_of = pd.DatetimeIndex(times).normalize()
    days = sorted(set(day_of))
    days_ok = np.ones(n_paths, dtype=bool)
    day_rows = []
    for day in days:
        cols = np.asarray(day_of == day)
        within, offered = counts.within[:, cols].sum(1), counts.offered[:, cols].sum(1)
        ok = _meets(within, offered, target.target_sl)
        days_ok &= ok
        p10, p50, p90 = _quantiles(_levels(within, offered))
        day_rows.append({"date": day.date().isoformat(), "channel": channel, "p10": p10, "p50": p50, "p90": p90,
                         "p_target": float(ok.mean())})
    goal_ok = days_ok if target.service_goal == "daily" else week_ok
    erlang_ok = _erlang_goal_met(calls, agents, aht, target, interval_s, day_of=day_of, days=days)
    p10, p50, p90 = _quantiles(_levels(counts.within.sum(1), counts.offered.sum(1)))
    row = {"channel": channel, "service_goal": target.service_goal, "target_sl": target.target_sl,
           "weekly_p10": p10, "weekly_p50": p50, "weekly_p90": p90,
           "p_weekly": float(week_ok.mean()), "p_all_days": float(days_ok.mean()),
           "p_goal": float(goal_ok.mean()), "erlang_p_goal": float(erlang_ok.mean()),
           "risk": target.risk,
           "meets_risk": None if target.risk is None else bool(goal_ok.mean() >= target.risk),
           "scenarios": n_paths}
    return row, day_rows, goal_ok


def _erlang_goal_met(calls: np.ndarray, agents: np.ndarray, aht: np.ndarray, target: ServiceTarget,
                     interval_s: float, *, day_of: pd.DatetimeIndex, days: list) -> np.ndarray:
    """Per path, whether the goal is met when each path is judged by the queueing model's
    expectation at the path's rates (no Poisson noise): every day for a daily goal, else the week."""
    expected_within = _expected_within(calls, agents, aht, target, interval_s)
    if target.service_goal != "daily":
        return _meets(expected_within.sum(1), calls.sum(1), target.target_sl)
    erlang_ok = np.ones(calls.shape[0], dtype=bool)
    for day in days:
        cols = np.asarray(day_of == day)
        erlang_ok &= _meets(expected_within[:, cols].sum(1), calls[:, cols].sum(1), target.target_sl)
    return erlang_ok


def _expected_within(calls: np.ndarray, agents: np.ndarray, aht: np.ndarray, target: ServiceTarget,
                     interval_s: float) -> np.ndarray:
    """Expected answered-within-T contacts per path and interval by the queueing model."""
    n = np.broadcast_to(agents, calls.shape)
    h = np.broadcast_to(aht, calls.shape)
    if target.concurrency and target.concurrency > 1:
        m = chat_metrics(calls, interval_s, h, n, target.answer_s, concurrency=int(target.concurrency),
                         patience_s=target.patience_s)
    else:
        m = erlang.metrics(calls, interval_s, h, n, target.answer_s, patience_s=target.patience_s)
    return calls * np.asarray(m["service_level"], dtype=float)

"""What a schedule buys: expected service per interval and channel, and the tidy plan row.

Definitions (shown wherever these numbers are):

- **Productive agents** in an interval = scheduled agents net of breaks and lunches (the
  coverage frame's ``scheduled``) x (1 - shrinkage), rounded down to whole agents. The
  shrinkage is the channel's from staffing.toml, the same one the requirement was grossed up
  with (required = net / (1 - shrinkage)), so a plan that covers its requirement exactly
  gets back the net agents the queueing model asked for.
- **Service level** (voice, chat, messaging): share of *offered* contacts answered within the
  channel's ``answer_s`` (abandons count against), by Erlang C, or Erlang A when the channel
  has ``patience_s``; chat and messaging with their concurrency model. All queues of a channel
  are pooled (agents serve the channel). For deferred channels (email, social, back office) it
  is the share of the week's work done before its due time, from the scheduler's backlog.
- **Weekly figures** are volume-weighted over intervals; the overall service level is
  volume-weighted over the immediate channels (deferred work has its own on-time share).
- **FTE** = paid hours / ``fte_hours_per_week``. **Cost** = paid hours x the contract's hourly
  cost (agent pay only: no overheads, licences or facilities). **Cost per contact** = cost /
  forecast contacts of the week.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scheduling import erlang
from scheduling.channels import DEFERRED_CHANNELS, chat_metrics
from scheduling.requirements import ServiceTarget

SERVICE_COLUMNS = (
    "interval_start", "channel", "volume", "aht_s", "required", "scheduled", "productive_agents",
    "service_level", "asa_s", "occupancy", "p_abandon",
)


def channel_volumes(requirements: pd.DataFrame) -> pd.DataFrame:
    """Requirements pooled per channel and interval: volume and volume-weighted AHT (seconds)."""
    frame = requirements.assign(_work=requirements["volume"] * requirements["aht_s"])
    pooled = frame.groupby(["interval_start", "channel"], as_index=False).agg(volume=("volume", "sum"), work=("_work", "sum"))
    pooled["aht_s"] = np.where(pooled["volume"] > 0, pooled["work"] / pooled["volume"].where(pooled["volume"] > 0, 1), np.nan)
    return pooled.drop(columns="work")


def expected_service(
    coverage: pd.DataFrame,
    requirements: pd.DataFrame,
    targets: Mapping[str, ServiceTarget],
    *,
    interval_minutes: int,
) -> pd.DataFrame:
    """Per interval and immediate channel: what the scheduled coverage is expected to deliver.

    ``coverage``: ``interval_start, channel, required, scheduled``; ``requirements``: the
    Requirements frame the schedule was built for. Returns :data:`SERVICE_COLUMNS`.
    """
    pooled = channel_volumes(requirements)
    frame = coverage.merge(pooled, on=["interval_start", "channel"], how="left")
    frame["volume"] = frame["volume"].fillna(0.0)
    parts = []
    for channel, rows in frame.groupby("channel", sort=True):
        if channel in DEFERRED_CHANNELS:
            continue
        target = targets[channel]
        rows = rows.copy()
        aht = rows["aht_s"].fillna(target.aht_s).to_numpy(dtype=float)
        productive = np.floor(rows["scheduled"].to_numpy(dtype=float) * (1.0 - target.shrinkage) + 1e-9)
        calls = rows["volume"].to_numpy(dtype=float)
        kwargs: dict[str, Any] = {"patience_s": target.patience_s}
        if target.concurrency and target.concurrency > 1:
            result = chat_metrics(calls, interval_minutes * 60.0, aht, productive, target.answer_s,
                                  concurrency=int(target.concurrency), **kwargs)
        else:
            result = erlang.metrics(calls, interval_minutes * 60.0, aht, productive, target.answer_s, **kwargs)
        rows["aht_s"] = aht
        rows["productive_agents"] = productive
        for key in ("service_level", "asa_s", "occupancy", "p_abandon"):
            rows[key] = np.asarray(result[key], dtype=float)
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=list(SERVICE_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(SERVICE_COLUMNS)]


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    finite = np.isfinite(values.to_numpy(dtype=float))
    w = weights.to_numpy(dtype=float)[finite]
    return float(np.sum(values.to_numpy(dtype=float)[finite] * w) / w.sum()) if w.sum() > 0 else float("nan")


def channel_summary(service: pd.DataFrame, deferred_on_time: Mapping[str, float]) -> pd.DataFrame:
    """One row per channel: volume, service level, ASA, occupancy, abandon rate (volume-weighted)."""
    rows = []
    for channel, part in service.groupby("channel", sort=True):
        answered = part["volume"] * (1.0 - part["p_abandon"])
        rows.append(
            {
                "channel": channel,
                "volume": float(part["volume"].sum()),
                "service_level": _weighted(part["service_level"], part["volume"]),
                "asa_s": _weighted(part["asa_s"], answered),
                "occupancy": _weighted(part["occupancy"], part["productive_agents"]),
                "abandon_rate": _weighted(part["p_abandon"], part["volume"]),
            }
        )
    for channel, on_time in deferred_on_time.items():
        rows.append({"channel": channel, "volume": np.nan, "service_level": on_time, "asa_s": np.nan,
                     "occupancy": np.nan, "abandon_rate": 0.0})
    return pd.DataFrame(rows)


def plan_row(
    *,
    name: str,
    service: pd.DataFrame,
    channels: pd.DataFrame,
    coverage: pd.DataFrame,
    requirements: pd.DataFrame,
    paid_hours: float,
    cost: float,
    fte_hours_per_week: float,
) -> dict[str, Any]:
    """The tidy scenario row of docs/architecture.md section 3 (scenarios.csv), plus per-channel service levels."""
    contacts = float(requirements["volume"].sum())
    short = coverage["scheduled"].to_numpy(dtype=float) + 1e-6 < coverage["required"].to_numpy(dtype=float)
    row: dict[str, Any] = {
        "name": name,
        "fte": paid_hours / fte_hours_per_week,
        "paid_hours": paid_hours,
        "cost": cost,
        "contacts": contacts,
        "cost_per_contact": cost / contacts if contacts > 0 else float("nan"),
        "service_level": _weighted(service["service_level"], service["volume"]) if len(service) else float("nan"),
        "occupancy": _weighted(service["occupancy"], service["productive_agents"]) if len(service) else float("nan"),
        "abandon_rate": _weighted(service["p_abandon"], service["volume"]) if len(service) else float("nan"),
        "understaffed_intervals": int(short.sum()),
    }
    for record in channels.to_dict("records"):
        row[f"service_level_{record['channel']}"] = record["service_level"]
    return row


def goal_check(service: pd.DataFrame, target: ServiceTarget) -> dict[str, Any]:
    """How one channel's expected service meets its goal (``target.service_goal``).

    ``service``: the channel's rows of :func:`expected_service` (``interval_start, volume,
    service_level``). Service levels are volume-weighted over the day or the week (answered
    within T / offered). Returns ``service_goal, target_sl, min_interval_sl`` (the floor),
    ``weekly_service_level``, ``days`` (date, volume, service level, meets), the open
    intervals below the target and below the floor, and ``met``: the week (goal "weekly"),
    every day ("daily") or every open interval ("interval") at or above ``target_sl``, and for
    daily and weekly goals also no open interval below the floor.

    Example:
        >>> rows = pd.DataFrame({"interval_start": pd.to_datetime(["2025-06-02 09:00", "2025-06-02 09:30"]),
        ...                      "volume": [100.0, 100.0], "service_level": [0.7, 0.95]})
        >>> goal_check(rows, ServiceTarget(target_sl=0.8, service_goal="weekly"))["met"]
        True
    """
    rows = service[service["volume"] > 0]
    volume = rows["volume"].to_numpy(dtype=float)
    level = rows["service_level"].to_numpy(dtype=float)
    target_sl = float(target.target_sl)
    floor = float(target.interval_floor_sl)
    tie = 1.0 - erlang.TIE_RTOL
    days = []
    for day, part in rows.groupby(pd.to_datetime(rows["interval_start"]).dt.date, sort=True):
        sl = _weighted(part["service_level"], part["volume"])
        days.append({"date": day.isoformat(), "volume": float(part["volume"].sum()), "service_level": sl,
                     "meets_target": bool(sl >= target_sl * tie)})
    weekly = float(np.sum(volume * level) / volume.sum()) if volume.sum() > 0 else float("nan")
    below_target = int(np.sum(level < target_sl * tie))
    below_floor = int(np.sum(level < floor * tie))
    goal = target.service_goal
    if goal == "weekly":
        met = bool(not volume.sum() or weekly >= target_sl * tie) and below_floor == 0
    elif goal == "daily":
        met = all(d["meets_target"] for d in days) and below_floor == 0
    else:
        met = below_target == 0
    return {
        "service_goal": goal, "target_sl": target_sl, "min_interval_sl": floor,
        "weekly_service_level": weekly, "days": days, "open_intervals": int(volume.size),
        "intervals_below_target": below_target, "intervals_below_floor": below_floor, "met": met,
    }


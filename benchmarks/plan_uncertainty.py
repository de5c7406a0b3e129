"""Does the forecast-scenario band hold the week that really came? US bank weeks, issue 12 item 3.

For each week: ``planner plan`` (in this process, no store) on data/sample/us_bank_plan.toml with
the week's start, then the base roster is judged three ways:

* **baseline** (today's check before issue 12): Poisson noise at the point forecast only,
  50 simulation replications (:func:`scheduling.simulation.simulate`), P10-P90 of the weekly SL;
* **ours**: 50 forecast scenarios drawn from the forecast's backtested spread and simulated
  (:func:`planner.uncertainty.roster_under_uncertainty`), P10-P90 of the weekly SL and P(SL >= 0.8);
* **what happened**: the same roster simulated over the week's real volumes (50 runs, Poisson
  noise around the real counts: handle times and arrival times are not in the data), median.

A band "holds" the real week when the real median lies inside its P10-P90. Also the seconds of
each simulation (the load average is recorded: the machine is shared). Appends to
benchmarks/RESULTS.md (section ``plan_uncertainty``).

Usage: .venv/bin/python benchmarks/plan_uncertainty.py [--weeks 2003-10-20,2003-10-13] [--no-record]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import append_section  # noqa: E402

from execution import Executor  # noqa: E402
from planner.io import load_history  # noqa: E402
from planner.pipeline import plan  # noqa: E402
from planner.plan_config import load_plan_config  # noqa: E402
from planner.staffing import staffing_from_mapping  # noqa: E402
from planner.service import expected_service  # noqa: E402
from planner.uncertainty import roster_under_uncertainty  # noqa: E402
from scheduling.simulation import simulate  # noqa: E402

CONFIG = ROOT / "data/sample/us_bank_plan.toml"
WEEKS = ("2003-10-20", "2003-10-13", "2003-10-06", "2003-09-29")
RUNS = 50


def one_week(start: str, history: pd.DataFrame) -> dict:
    config = dataclasses.replace(load_plan_config(CONFIG), start=pd.Timestamp(start), scenarios=())
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Executor(in_process=True) as ex:
            result = plan(config, save=False, executor=ex)
    plan_s = time.perf_counter() - started
    base = result.base
    targets = staffing_from_mapping(config.staffing)
    voice = targets["voice"]
    minutes = config.interval_minutes
    service = expected_service(base.coverage, base.requirements, targets, interval_minutes=minutes)
    service = service[service["channel"] == "voice"].sort_values("interval_start")
    agents = service["productive_agents"].to_numpy(dtype=float)
    times = pd.to_datetime(service["interval_start"]).to_numpy()
    # baseline: Poisson noise at the point forecast
    t0 = time.perf_counter()
    sim = simulate(service["volume"].to_numpy(dtype=float), agents, interval_s=minutes * 60.0, aht_s=voice.aht_s,
                   answer_s=voice.answer_s, replications=RUNS, seed=0)
    base_s = time.perf_counter() - t0
    # ours: forecast scenarios (the report planner plan stores, recomputed here to time it)
    t0 = time.perf_counter()
    ours = roster_under_uncertainty(base.coverage, base.requirements, targets, interval_minutes=minutes,
                                    spread=base.uncertainty.spread, scenarios=RUNS, seed=0)
    ours_s = time.perf_counter() - t0
    row = ours.per_channel.iloc[0]
    # what happened: the real week's counts on the same roster
    week = history[(history["interval_start"] >= pd.Timestamp(start))
                   & (history["interval_start"] < pd.Timestamp(start) + pd.Timedelta(days=7))]
    actual = (week.assign(interval_start=week["interval_start"].dt.floor(f"{minutes}min"))
              .groupby("interval_start")["offered"].sum().reindex(times).fillna(0.0).to_numpy(dtype=float))
    real = pd.DataFrame({"scenario": np.repeat(np.arange(RUNS), times.size), "interval_start": np.tile(times, RUNS),
                         "queue": "main", "channel": "voice", "volume": np.tile(actual, RUNS)})
    happened = roster_under_uncertainty(base.coverage, base.requirements, targets, interval_minutes=minutes,
                                        volumes=real, seed=1).per_channel.iloc[0]
    real_sl = float(happened["weekly_p50"])
    return {
        "week": start, "plan_s": plan_s, "paid_hours": base.row["paid_hours"],
        "forecast": float(service["volume"].sum()), "actual": float(actual.sum()),
        "spread": ours.spread.iloc[0].to_dict(),
        "base_p10": float(sim.overall["service_level_p10"]), "base_p90": float(sim.overall["service_level_p90"]),
        "base_s": base_s,
        "ours_p10": float(row["weekly_p10"]), "ours_p50": float(row["weekly_p50"]), "ours_p90": float(row["weekly_p90"]),
        "p_goal": float(row["p_goal"]), "ours_s": ours_s, "real_sl": real_sl,
        "base_holds": bool(sim.overall["service_level_p10"] <= real_sl <= sim.overall["service_level_p90"]),
        "ours_holds": bool(row["weekly_p10"] <= real_sl <= row["weekly_p90"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", default=",".join(WEEKS), help="plan weeks (Mondays), comma-separated")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    config = load_plan_config(CONFIG)
    history = load_history(config.history)
    history = history[history["channel"].astype(str) == "voice"] if "channel" in history else history
    load = os.getloadavg()[0]
    rows = []
    for week in args.weeks.split(","):
        r = one_week(week.strip(), history)
        rows.append(r)
        print(f"{r['week']}: plan {r['plan_s']:.0f} s; forecast {r['forecast']:,.0f} vs actual {r['actual']:,.0f} calls; "
              f"baseline P10-P90 {r['base_p10']:.3f}-{r['base_p90']:.3f} ({r['base_s']:.1f} s), scenarios "
              f"{r['ours_p10']:.3f}-{r['ours_p90']:.3f} P(>=0.8) {r['p_goal']:.2f} ({r['ours_s']:.1f} s); "
              f"real week {r['real_sl']:.3f}", flush=True)
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end", "",
             f"Command: `.venv/bin/python benchmarks/plan_uncertainty.py --weeks {args.weeks}`", "",
             "| week | forecast calls | actual calls | day_cv / interval_cv | baseline P10-P90 (Poisson at the point "
             "forecast) | scenarios P10-P50-P90 | P(weekly SL >= 0.8) | real week's SL | baseline holds | scenarios "
             "hold | sim s baseline / scenarios |",
             "|---|---:|---:|---|---|---|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['week']} | {r['forecast']:,.0f} | {r['actual']:,.0f} | {r['spread']['day_cv']:.3f} / "
                     f"{r['spread']['interval_cv']:.3f} | {r['base_p10']:.3f}-{r['base_p90']:.3f} | "
                     f"{r['ours_p10']:.3f}-{r['ours_p50']:.3f}-{r['ours_p90']:.3f} | {r['p_goal']:.2f} | "
                     f"{r['real_sl']:.3f} | {'yes' if r['base_holds'] else 'no'} | {'yes' if r['ours_holds'] else 'no'} | "
                     f"{r['base_s']:.1f} / {r['ours_s']:.1f} |")
    held_base = sum(r["base_holds"] for r in rows)
    held_ours = sum(r["ours_holds"] for r in rows)
    lines += ["", f"The real week lies inside the baseline's P10-P90 in {held_base} of {len(rows)} weeks and inside "
              f"the forecast-scenario P10-P90 in {held_ours} of {len(rows)} (an 80 % band should hold about 80 % of "
              "weeks; few weeks, so this is an indication, not a calibration test). Spread source: "
              f"{rows[0]['spread']['source']}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        append_section("plan_uncertainty", text, intro=(
            "Issue 12 item 3: the US bank roster's weekly service level over 50 forecast scenarios (day-level x "
            "interval rate error from the forecast's backtest) vs Poisson noise at the point forecast, and the week "
            "that really came (its real volumes on the same roster)."))


if __name__ == "__main__":
    main()

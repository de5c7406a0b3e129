"""Intraday re-plan on the bundled sample (issue 13): how much of the projected shortfall the
proposal recovers, at what extra paid hours, in how many seconds.

The plan is the bundled sample's (``planner plan --config data/sample/plan.toml``, scenarios
left out), from ``--store URL`` when given (its newest plan) or built into a temporary store.
For each weekday of the plan week after Monday and each "heat" factor the re-plan runs from
12:00 twice: with moves only (breaks, lunches, channel switches: no paid hours change) and with
every lever (plus overtime and voluntary time off). Reported: the projected shortfall
(answered-within-T contacts short of target) before and after, the share recovered, extra paid
hours and cost, the solver status and seconds per proposal.

Two ways to make the day busy (``--mode``):

* ``short`` (default): the re-forecast of the rest of the day is ``heat`` x the plan's forecast
  (per interval and channel, the plan's AHT), handed to ``scheduling.intraday.replan_day`` with
  the plan's roster, rules, skills and contracts as ``planner.replan.propose`` does: a day where
  the re-forecast really is short. (Through the learned re-forecast the sample's afternoon hardly
  moves: on the sample the backtest keeps the plan's forecast for voice and email, since its
  days differ from the forecast by little more than Poisson noise.)
* ``reforecast``: the day's actuals until 12:00 are Poisson(heat x the plan's forecast), seeded,
  and ``planner.replan.propose`` re-forecasts and re-plans (the whole chain, as ``planner
  intraday --replan``).

Run:  .venv/bin/python benchmarks/intraday_replan.py [--store sqlite:////path/planner.db] [--mode short|reforecast]
Appends to benchmarks/RESULTS.md under ``## intraday_replan``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

from results import append_section

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.replan import _agent_maps, _rules, propose  # noqa: E402
from planner.staffing import staffing_from_mapping  # noqa: E402
from planner.store import Store  # noqa: E402
from scheduling.intraday import ReplanOptions, replan_day  # noqa: E402

DAYS = ("2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06")
FACTORS = (1.1, 1.2)


def build_plan(url: str) -> None:
    from planner.pipeline import plan
    from planner.plan_config import load_plan_config

    config = load_plan_config(ROOT / "data" / "sample" / "plan.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan(dataclasses.replace(config, scenarios=()), store=Store.open(url), save=True)


def short_demand(forecast: pd.DataFrame, now: pd.Timestamp, heat: float) -> pd.DataFrame:
    """``interval_start, channel, volume, aht_s`` from ``now`` to midnight: ``heat`` x the plan's
    forecast per interval and channel, with the plan's volume-weighted AHT."""
    rest = forecast[(forecast["interval_start"] >= now) & (forecast["interval_start"] < now.normalize() + pd.Timedelta(days=1))]
    rest = rest.assign(_w=rest["forecast"] * rest["aht_s"].fillna(0.0))
    g = rest.groupby(["interval_start", "channel"], as_index=False).agg(v=("forecast", "sum"), w=("_w", "sum"))
    aht = np.where(g["v"] > 0, g["w"] / g["v"].where(g["v"] > 0, 1.0), np.nan)
    return pd.DataFrame({"interval_start": g["interval_start"], "channel": g["channel"], "volume": g["v"] * heat, "aht_s": aht})


def _markdown(table: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:,.2f}"
        return str(v)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", help="store URL holding the sample plan (default: build one in a temp folder)")
    parser.add_argument("--time-limit-s", type=float, default=ReplanOptions().time_limit_s,
                        help="the re-plan's time budget, seconds (default: ReplanOptions.time_limit_s)")
    parser.add_argument("--mode", choices=("short", "reforecast"), default="short",
                        help="short: the re-forecast is heat x the plan's forecast; reforecast: Poisson morning "
                             "actuals through the learned re-forecast (default short)")
    args = parser.parse_args()
    url = args.store
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='replan-bench-')) / 'planner.db'}"
        print("building the sample plan ...", flush=True)
        build_plan(url)
    store = Store.open(url)
    plan_id = store.latest_plan_id()
    forecast = store.plan_table(plan_id, "forecast")
    forecast["interval_start"] = pd.to_datetime(forecast["interval_start"])
    config = store.plan(plan_id).config
    rules = _rules(config)
    targets = staffing_from_mapping(config["staffing"], source=f"plan {plan_id} staffing")
    skills, contracts = _agent_maps(config, rules)
    roster, activities = store.plan_table(plan_id, "roster"), store.plan_table(plan_id, "activities")
    rows = []
    for factor in FACTORS:
        for day in DAYS:
            start = pd.Timestamp(day)
            if args.mode == "reforecast":
                morning = forecast[(forecast["interval_start"] >= start) & (forecast["interval_start"] < start + pd.Timedelta(hours=12))]
                rng = np.random.default_rng(int(start.strftime("%d")) * 10 + int(factor * 10))
                actual = morning.assign(offered=rng.poisson(morning["forecast"].to_numpy() * factor))
                store.save_dataset(f"bench_{day}_{factor}", actual[["interval_start", "queue", "channel", "offered"]], raw=b"",
                                   source_name="bench.csv", kind="actuals")
            for label, options in (("moves only", ReplanOptions(overtime=False, vto=False, time_limit_s=args.time_limit_s)),
                                   ("all levers", ReplanOptions(time_limit_s=args.time_limit_s))):
                started = time.perf_counter()
                if args.mode == "reforecast":
                    r = propose(day, store=store, plan_id=plan_id, actuals_dataset=f"bench_{day}_{factor}", options=options).result
                else:
                    r = replan_day(roster, activities, short_demand(forecast, start + pd.Timedelta(hours=12), factor), targets,
                                   rules, now=start + pd.Timedelta(hours=12), skills=skills, contracts=contracts, options=options)
                wall = time.perf_counter() - started
                rows.append({"day": day, "heat": factor, "levers": label, "short_before": r.shortfall_before,
                             "short_after": r.shortfall_after,
                             "recovered": (r.shortfall_before - r.shortfall_after) / r.shortfall_before if r.shortfall_before > 0 else np.nan,
                             "extra_paid_hours": r.extra_paid_hours, "extra_cost": r.extra_cost, "agents_changed": len(r.changes),
                             "status": r.status, "mip_s": r.seconds, "wall_s": wall})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    short = table[table["short_before"] > 0]
    moves = short[short["levers"] == "moves only"]
    every = short[short["levers"] == "all levers"]
    pair = moves.merge(every, on=["day", "heat"], suffixes=("_moves", "_every"))
    worse = pair[pair["short_after_every"] > pair["short_after_moves"] + 1e-6]
    text = (f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f}\n\nCommand: `.venv/bin/python benchmarks/intraday_replan.py"
            f"{' --store ' + args.store if args.store else ''} --time-limit-s {args.time_limit_s:g} --mode {args.mode}` (sample plan {plan_id}; "
            "re-plan from 12:00; "
            + ("actuals until 12:00 = Poisson(heat x plan forecast), re-forecast by the plan's learned model; "
               if args.mode == "reforecast" else "re-forecast of the rest of the day = heat x the plan's forecast; ")
            + "mip_s = both MIP stages, wall_s = the whole proposal"
            + (" with the re-forecast" if args.mode == "reforecast" else "") + ")\n\n"
            + _markdown(table) + "\n\n"
            f"Moves only, days with a projected shortfall: recovered {moves['recovered'].min():.0%} (worst) .. "
            f"{moves['recovered'].max():.0%}, median {moves['recovered'].median():.0%}, extra paid hours "
            f"{moves['extra_paid_hours'].max():g}; target >= 50 % without paid hours: "
            f"{'met' if len(moves) and (moves['recovered'] >= 0.5).all() and (moves['extra_paid_hours'] <= 0).all() else 'NOT met'}. "
            f"All levers recovered {every['recovered'].min():.0%} (worst) .. {every['recovered'].max():.0%}; worse than moves only "
            f"on {len(worse)} of {len(pair)} days" + (f" ({', '.join(f'{r.day} x{r.heat:g}' for r in worse.itertuples())})"
                                                       if len(worse) else "") + ". "
            f"Slowest proposal {table['mip_s'].max():.1f} s MIP, {table['wall_s'].max():.1f} s wall (target <= 30 s: "
            f"{'met' if table['wall_s'].max() <= 30 else 'NOT met'}, at this load).\n")
    print(text)
    append_section("intraday_replan", text, intro="The intraday re-plan's recovery of the projected shortfall on the "
                   "bundled sample (issue 13); written by benchmarks/intraday_replan.py.")


if __name__ == "__main__":
    main()

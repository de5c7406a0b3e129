"""Benchmark: weekly service goal vs interval goal in the shift plan (issue 12, item 1).

Per week, the same requirements, rules and ``time_limit_s`` planned twice with
:func:`scheduling.shifts.plan_shifts`: once with every immediate channel's goal "interval"
(every interval's requirement covered: the plan of before) and once with goal "weekly"
(``min_interval_sl`` default 0.5 unless ``--floor``). Reported per week: paid hours of each and
their ratio, the LP-relaxation bound of each (the weekly bound's paid-hours saving is what the
formulation allows before any rounding), the simulated weekly service level per channel
(:func:`planner.week_schedule.service_check`, 5 replications, productive agents =
floor(scheduled x (1 - shrinkage))) vs its target, the lowest interval service level by Erlang
vs the floor, and the solve-time ratio in wall seconds and in CPU seconds (the process's threads
and its finished sub-MIP children: on a shared machine the wall ratio measures the load). Targets (issue 12): weekly >= 4 % fewer paid hours on
average and never more, simulated weekly SL >= target - 0.005 on every channel, solve time
<= 2 x.

Weeks: the scheduler's benchmark family (``benchmarks/schedule_family.py``, seeds 0-3 by
default, the first four: not picked), the bundled sample (data/sample/plan.toml) and the US
bank week (data/sample/us_bank_plan.toml), whose requirements come from the plan's own
forecast (in-process, no store).

Run: ``.venv/bin/python benchmarks/service_goal.py`` (``--seeds 0-3 --time-limit 30``,
``--no-sample``, ``--risk 0.9`` to also plan the plan.toml weeks for risk, ``--no-record`` to only print). Appends to benchmarks/RESULTS.md
(section ``service_goal``).
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from results import append_section  # noqa: E402

from planner.week_schedule import service_check  # noqa: E402
from planner.service import expected_service  # noqa: E402
from scheduling.coverage import DEFERRED_CHANNELS  # noqa: E402
from scheduling.rules import RuleSet  # noqa: E402
from scheduling.shifts import InfeasibleError, SolveError, plan_shifts  # noqa: E402


PLANS = ("plan.toml", "us_bank_plan.toml")


def _weeks(seeds: tuple[int, ...], *, plans: tuple[str, ...], time_limit_s: float) -> list[dict]:
    import schedule_family

    out = []
    for seed in seeds:
        inst = schedule_family.instance(seed, time_limit_s=time_limit_s)
        rules = RuleSet.from_mapping(inst.rules, source=f"family seed {seed}")
        out.append({"week": f"family seed {seed} ({inst.label})", "requirements": inst.requirements, "rules": rules,
                    "caps": schedule_family._caps(inst, rules), "targets": inst.targets,
                    "interval_minutes": inst.interval_minutes})
    for name in plans:
        out.append(_plan_week(ROOT / "data/sample" / name, time_limit_s=time_limit_s))
    return out


def _plan_week(path: Path, *, time_limit_s: float) -> dict:
    """The base scenario's requirements, rules and targets of a plan.toml (its own forecast)."""
    from execution import Executor
    from planner.plan_config import Scenario, load_plan_config
    from planner.pipeline import build_forecast, load_plan_history, scenario_requirements

    config = load_plan_config(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = load_plan_history(config)
        with Executor(in_process=True) as ex:
            forecast = build_forecast(config, history, executor=ex)
    from forecasting.scenarios import forecast_spread

    frame = forecast.frame if hasattr(forecast, "frame") else forecast
    requirements, targets, rules = scenario_requirements(config, frame, Scenario(name="base"))
    rule_set = RuleSet.from_mapping({**rules, "time_limit_s": time_limit_s}, source=str(path))
    spread = forecast_spread(frame, getattr(forecast, "selection", None), getattr(forecast, "backtest", None))
    return {"week": f"{path.name} week of {config.start.date()}", "requirements": requirements, "rules": rule_set,
            "caps": None, "targets": targets, "interval_minutes": config.interval_minutes, "spread": spread}


def _risk(week: dict, risk: float, *, floor: float | None) -> dict:
    """The weekly goal planned for ``risk`` over the forecast's scenarios (planner.risk.plan_for_risk,
    50 paths, seed 0), and P(goal met) out of sample (200 other paths, seed 1)."""
    from planner.risk import plan_for_risk
    from planner.uncertainty import roster_under_uncertainty

    targets = {c: dataclasses.replace(t, service_goal="weekly", min_interval_sl=floor, risk=risk)
               for c, t in week["targets"].items() if c not in DEFERRED_CHANNELS}
    targets.update({c: t for c, t in week["targets"].items() if c in DEFERRED_CHANNELS})
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = plan_for_risk(week["requirements"], week["rules"], targets=targets, spread=week["spread"],
                                   interval_minutes=week["interval_minutes"], caps=week["caps"], seed=0)
    except (SolveError, InfeasibleError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "seconds": time.perf_counter() - started}
    seconds = time.perf_counter() - started
    outside = roster_under_uncertainty(result.plan.coverage, week["requirements"], targets,
                                       interval_minutes=week["interval_minutes"], spread=week["spread"],
                                       scenarios=200, seed=1).per_channel.set_index("channel")["p_goal"]
    spread = week["spread"].set_index("channel")
    return {"result": result, "seconds": seconds, "outside": {c: float(outside[c]) for c in result.risk},
            "cv": {c: (float(spread.loc[c, "day_cv"]), float(spread.loc[c, "interval_cv"])) for c in result.risk
                   if c in spread.index}}


def _solve(week: dict, goal: str, *, floor: float | None) -> dict:
    targets = {c: (dataclasses.replace(t, service_goal=goal, min_interval_sl=floor) if goal != "interval"
                   and c not in DEFERRED_CHANNELS else t) for c, t in week["targets"].items()}
    started, cpu = time.perf_counter(), _cpu_s()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            plan = plan_shifts(week["requirements"], week["rules"], caps=week["caps"], targets=targets)
    except (SolveError, InfeasibleError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "seconds": time.perf_counter() - started}
    seconds, cpu_s = time.perf_counter() - started, _cpu_s() - cpu
    immediate = {c: t for c, t in targets.items() if c not in DEFERRED_CHANNELS}
    service = service_check(plan.coverage, week["requirements"], immediate, interval_minutes=week["interval_minutes"],
                            replications=5, seed=0)
    erlang = expected_service(plan.coverage, week["requirements"], immediate, interval_minutes=week["interval_minutes"])
    open_ = erlang[erlang["volume"] > 0]
    lowest = {c: float(rows["service_level"].min()) for c, rows in open_.groupby("channel")}
    weekly_erlang = {c: float((rows["volume"] * rows["service_level"]).sum() / rows["volume"].sum())
                     for c, rows in open_.groupby("channel")}
    return {"paid_hours": plan.paid_hours, "lp_bound": plan.lower_bound, "objective": plan.objective,
            "seconds": seconds, "cpu_s": cpu_s, "status": plan.status, "gap": plan.gap,
            "sl": {c: (row["sim_service_level"], row["target_sl"]) for c, row in service["per_channel"].items()},
            "lowest": lowest, "erlang": weekly_erlang, "floor": {c: t.interval_floor_sl for c, t in immediate.items()}}


def _cpu_s() -> float:
    """CPU seconds of this process (all its threads) and of its finished children (the
    improvement's sub-MIP processes once closed)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-3", help='family seeds, e.g. 0-3; "none" for the plan.toml weeks only')
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--floor", type=float, default=None, help="min_interval_sl (default: 0.5 capped at target)")
    parser.add_argument("--no-sample", action="store_true", help="family weeks only")
    parser.add_argument("--plans", default=",".join(PLANS),
                        help=f"the plan.toml weeks of data/sample to add, comma-separated (default {','.join(PLANS)})")
    parser.add_argument("--risk", type=float, default=None,
                        help="also plan the plan.toml weeks' weekly goal for this risk (e.g. 0.9) over their forecast's "
                             "scenarios and report what it costs over the point-forecast plan")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    seeds = () if args.seeds in ("", "none") else tuple(range(int(lo), int(hi or lo) + 1))
    started = time.perf_counter()
    rows = []
    plans = () if args.no_sample else tuple(p for p in args.plans.split(",") if p)
    for week in _weeks(seeds, plans=plans, time_limit_s=args.time_limit):
        a = _solve(week, "interval", floor=args.floor)
        b = _solve(week, "weekly", floor=args.floor)
        row = {"week": week["week"], "interval": a, "weekly": b}
        if args.risk is not None and week.get("spread") is not None:
            row["risk"] = _risk(week, args.risk, floor=args.floor)
            print(_risk_line(row, args.risk), flush=True)
        rows.append(row)
        print(_line(row), flush=True)
    text = _report(rows, args=args, wall_s=time.perf_counter() - started)
    print(text)
    if not args.no_record:
        append_section("service_goal", text, intro="Issue 12 item 1: paid hours with goal \"weekly\" vs \"interval\" "
                       "(same week, rules and time_limit_s), benchmarks/service_goal.py.")
    return 0


def _line(row: dict) -> str:
    a, b = row["interval"], row["weekly"]
    if "error" in a or "error" in b:
        return f"| {row['week']} | no plan: interval {a.get('error', 'ok')}; weekly {b.get('error', 'ok')} |"
    sl = ", ".join(f"{c} {s:.3f} ({b['erlang'][c]:.3f}; interval plan {a['sl'][c][0]:.3f} ({a['erlang'][c]:.3f}))/{t:g}"
                   for c, (s, t) in b["sl"].items())
    low = ", ".join(f"{c} {v:.3f}>={b['floor'][c]:g}" for c, v in b["lowest"].items())
    return (f"| {row['week']} | {a['paid_hours']:,.1f} | {b['paid_hours']:,.1f} | {b['paid_hours'] / a['paid_hours'] - 1:+.2%} "
            f"| {a['lp_bound']:,.0f} | {b['lp_bound']:,.0f} | {_change(b['lp_bound'], a['lp_bound'])} | {sl} | {low} "
            f"| {a['seconds']:.0f} / {b['seconds']:.0f} ({b['seconds'] / a['seconds']:.2f}x) "
            f"| {a['cpu_s']:.1f} / {b['cpu_s']:.1f} ({b['cpu_s'] / max(a['cpu_s'], 1e-9):.2f}x) | {a['gap']:.2%} / {b['gap']:.2%} |")


def _change(new: float, old: float) -> str:
    """``new / old - 1`` as a signed percentage, or a note when ``old`` is 0 (an LP that did not
    finish: its proven bound is 0)."""
    return f"{new / old - 1:+.2%}" if old > 0 else "n/a (interval LP unfinished, bound 0)"


def _risk_line(row: dict, risk: float) -> str:
    r = row["risk"]
    if "error" in r:
        return f"| {row['week']} | no plan: {r['error']} |"
    res = r["result"]
    point, chosen = res.point, res.chosen
    probs = "; ".join(f"{c} {point.p_goal[c]:.2f} -> {chosen.p_goal[c]:.2f} (other 200 paths: {r['outside'][c]:.2f}; "
                      f"day_cv {r['cv'][c][0]:.3f}, interval_cv {r['cv'][c][1]:.3f})" for c in res.risk)
    mult = ", ".join(f"{c} x{chosen.multipliers[c]:.3f}" for c in res.risk)
    return (f"| {row['week']} | {risk:g} | {point.paid_hours:,.1f} | {chosen.paid_hours:,.1f} "
            f"| {res.extra_paid_hours / point.paid_hours:+.2%} | {probs} | {mult} | {len(res.rounds)} "
            f"| {'yes' if res.met else 'NO'} | {r['seconds']:.0f} |")


def _report(rows: list[dict], *, args, wall_s: float) -> str:
    load = os.getloadavg()
    failed = [r["week"] for r in rows if "error" in r["interval"] or "error" in r["weekly"]]
    rows = [r for r in rows if r["week"] not in failed]
    if not rows:
        return f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: no week planned both ways ({', '.join(failed)})"
    saving = [1 - r["weekly"]["paid_hours"] / r["interval"]["paid_hours"] for r in rows]
    ok_sl = all(s >= t - 0.005 for r in rows for s, t in r["weekly"]["sl"].values())
    ok_floor = all(v >= r["weekly"]["floor"][c] - 1e-9 for r in rows for c, v in r["weekly"]["lowest"].items())
    ratio = [r["weekly"]["seconds"] / r["interval"]["seconds"] for r in rows]
    cpu_ratio = [r["weekly"]["cpu_s"] / max(r["interval"]["cpu_s"], 1e-9) for r in rows]
    head = (f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()} ({os.cpu_count()} CPUs, "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end; shared machine)\n\n"
            f"Command: `.venv/bin/python benchmarks/service_goal.py --seeds {args.seeds} --time-limit {args.time_limit:g}"
            f"{' --no-sample' if args.no_sample else ''}{f' --risk {args.risk:g}' if args.risk is not None else ''}"
            f"{f' --plans {args.plans}' if not args.no_sample and args.plans != ','.join(PLANS) else ''}{f' --floor {args.floor:g}' if args.floor is not None else ''}` "
            f"({wall_s / 60:.1f} min). Floor min_interval_sl: {args.floor if args.floor is not None else 'default 0.5'}.\n\n"
            "| week | paid h interval | paid h weekly | change | LP bound interval | LP bound weekly | bound change "
            "| weekly plan: simulated weekly SL (Erlang; interval plan's simulated (Erlang)) / target | weekly: lowest interval SL (Erlang) >= floor "
            "| solve s interval / weekly | CPU s interval / weekly | gap interval / weekly |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|")
    body = "\n".join(_line(r) for r in rows) + "".join(f"\n| {w} | no plan (see the log line) |" for w in failed)
    verdict = (f"\n\nMean paid-hours saving {np.mean(saving):.2%} (target >= 4 %: "
               f"{'met' if np.mean(saving) >= 0.04 else 'NOT met'}); never more on any week: "
               f"{'yes' if all(s >= -1e-9 for s in saving) else 'NO'}; simulated weekly SL >= target - 0.005 on every "
               f"channel: {'yes' if ok_sl else 'NO'}; floor held in every open interval: {'yes' if ok_floor else 'NO'}; "
               f"solve time ratio max {max(ratio):.2f}x (target <= 2x: {'met' if max(ratio) <= 2 else 'NOT met'}; "
               f"CPU seconds ratio max {max(cpu_ratio):.2f}x). "
               "LP bounds are of the objective (pay plus priced shortfall and over-coverage), in money.")
    risky = [r for r in rows if "risk" in r]
    if risky:
        verdict += (f"\n\nRisk {args.risk:g} (planner.risk.plan_for_risk: the weekly goal at the point forecast, then at "
                    "its volume x the risk quantile of the scenarios' weekly-volume ratio, raised while simulated "
                    "P(weekly SL >= target) over 50 forecast scenarios (seed 0) < risk, then the bracket halved; the "
                    "spread from the forecast's backtest). P out of sample: the chosen roster over 200 other paths "
                    "(seed 1).\n\n| week | risk | paid h point plan | paid h risk plan | cost of risk | P(weekly SL >= "
                    "target): point plan -> risk plan | volume multiplier | plans | met | seconds |\n"
                    "|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(_risk_line(r, args.risk) for r in risky))
    return head + "\n" + body + verdict


if __name__ == "__main__":
    raise SystemExit(main())

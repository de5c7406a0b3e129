"""Benchmark: one week's shift plan and roster, ours vs pyworkforce's MinRequiredResources.

Work: a 24/7 voice queue, daytime chat (08:00-20:00, 2 sessions per agent) and e-mail
(08:00-20:00 arrivals, due within 8 hours), 15-minute grid, one week; requirements from
seeded Poisson-shaped volumes (seed 2003) through our Erlang C / chat / deferred staffing
with 30% shrinkage, scaled to need about 300 agents. Rules: full-time 8.5 h shifts (8 h paid,
a 30-minute unpaid lunch and a 15-minute paid break), early/day/late/night templates, 5 days
with 2 consecutive days off; part-time 4 h shifts, 3-4 days; hard coverage.

Reported: solve seconds, cost vs the LP lower bound, under-coverage, rule-check violations,
simulated weekly service level per channel (20 replications) against its target, and paid
hours vs pyworkforce's ``MinRequiredResources`` on the same requirements as far as it can
express them: per day (a shift cannot cross midnight, so night shifts are cut at 24:00), no
breaks, no days-off rules, one pooled skill (voice + chat + e-mail requirements added up),
8 h paid per 8.5 h on duty as ours; a night shift's hours after midnight are a separate
00:00 shift of the next day (pyworkforce cannot link them), paid pro rata.

Run: ``.venv/bin/python benchmarks/schedule_week.py`` (appends to benchmarks/RESULTS.md
under ``## schedule_week``; ``--no-record`` to only print).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.week_schedule import schedule_week, service_check  # noqa: E402
from scheduling.channels import chat_required_agents  # noqa: E402
from scheduling.erlang import required_agents  # noqa: E402
from scheduling.requirements import ServiceTarget  # noqa: E402

SEED = 2003
WEEK = pd.Timestamp("2024-03-04")  # a Monday
SHRINKAGE = 0.30
TARGETS = {
    "voice": ServiceTarget(channel="voice", aht_s=300.0, target_sl=0.80, answer_s=20.0, shrinkage=SHRINKAGE),
    "chat": ServiceTarget(channel="chat", aht_s=600.0, target_sl=0.80, answer_s=60.0, shrinkage=SHRINKAGE,
                          concurrency=2),
    "email": ServiceTarget(channel="email", aht_s=360.0, due_minutes=480.0, shrinkage=SHRINKAGE),
}


def _activities() -> list[dict]:
    return [
        {"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90, "latest_after_start": 150},
        {"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 210, "latest_after_start": 300},
    ]


RULES = {
    "interval_minutes": 15, "min_rest_hours": 11, "max_consecutive_days": 6, "coverage": "hard",
    "time_limit_s": 60, "gap_rel": 0.01, "over_penalty": 0.01,
    "contract": [
        {"name": "full_time", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0, "max_agents": 400},
        {"name": "part_time", "days_per_week": [3, 4], "consecutive_days_off": 2, "hourly_cost": 21.0,
         "max_agents": 80},
    ],
    "shift": [
        {"name": "early", "contract": "full_time", "channels": ["voice", "chat", "email"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "06:00", "latest_start": "09:30", "start_step_minutes": 30,
         "activity": _activities()},
        {"name": "day", "contract": "full_time", "channels": ["voice", "chat", "email"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "10:00", "latest_start": "12:30", "start_step_minutes": 30,
         "activity": _activities()},
        {"name": "late", "contract": "full_time", "channels": ["voice", "chat"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "13:00", "latest_start": "16:00", "start_step_minutes": 30,
         "activity": _activities()},
        {"name": "night", "contract": "full_time", "channels": ["voice"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "21:00", "latest_start": "23:30", "start_step_minutes": 30,
         "activity": _activities()},
        {"name": "part", "contract": "part_time", "channels": ["voice", "chat"], "length_minutes": 240,
         "earliest_start": "08:00", "latest_start": "19:00", "start_step_minutes": 60,
         "activity": [{"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90,
                       "latest_after_start": 150}]},
    ],
}


def requirements() -> pd.DataFrame:
    """The benchmark's Requirements frame (seeded)."""
    rng = np.random.default_rng(SEED)
    times = pd.date_range(WEEK, periods=7 * 96, freq="15min")
    hour = np.asarray(times.hour + times.minute / 60)
    weekday = np.asarray(times.day_of_week)
    day_factor = np.select([weekday < 5, weekday == 5], [1.0, 0.7], 0.55)
    voice_shape = 0.06 + np.exp(-((hour - 10.5) / 2.6) ** 2) + 0.75 * np.exp(-((hour - 15.5) / 2.8) ** 2)
    voice = rng.poisson(215 * voice_shape * day_factor).astype(float)
    chat_open = (hour >= 8) & (hour < 20)
    chat = np.where(chat_open, rng.poisson(80 * np.exp(-((hour - 13) / 4) ** 2) * day_factor), 0).astype(float)
    email = np.where(chat_open, rng.poisson(32 * day_factor), 0).astype(float)
    interval_s = 900.0
    voice_req = required_agents(voice, interval_s, 300.0, 20.0, 0.8) / (1 - SHRINKAGE)
    chat_req = np.where(chat > 0, chat_required_agents(chat, interval_s, 600.0, 60.0, 0.8, concurrency=2), 0)
    chat_req = chat_req / (1 - SHRINKAGE)
    email_work = email * 360.0 / 60
    iso = times
    return pd.concat([
        pd.DataFrame({"interval_start": iso, "queue": "main", "channel": "voice", "volume": voice, "aht_s": 300.0,
                      "required_agents": voice_req}),
        pd.DataFrame({"interval_start": iso, "queue": "main", "channel": "chat", "volume": chat, "aht_s": 600.0,
                      "required_agents": chat_req}),
        pd.DataFrame({"interval_start": iso, "queue": "main", "channel": "email", "volume": email, "aht_s": 360.0,
                      "required_agents": email_work / 15 / (1 - SHRINKAGE), "workload_minutes": email_work,
                      "due_minutes": 480.0}),
    ], ignore_index=True)


def named_agents(count: int) -> pd.DataFrame:
    """A seeded agents.csv frame: 84% full-time (a third voice-only), the rest part-time."""
    full = int(count * 0.84)
    rows = []
    for k in range(full):
        rows.append({"agent_id": f"F{k:03d}", "contract": "full_time",
                     "channels": "voice|chat|email" if k % 3 else "voice",
                     "unavailable": ["", "Sun", "Sat", "2024-03-06"][k % 4] if k % 5 == 0 else "",
                     "preferred_shift": ["", "early", "late", "night"][k % 4],
                     "weekend_days_worked": float(k % 4)})
    for k in range(count - full):
        rows.append({"agent_id": f"P{k:03d}", "contract": "part_time", "channels": "voice|chat",
                     "unavailable": "", "preferred_shift": "", "weekend_days_worked": 0.0})
    return pd.DataFrame(rows)


def run_pyworkforce(req: pd.DataFrame, time_limit_s: float) -> dict:
    """MinRequiredResources per day on the pooled requirement (no breaks, no crossing midnight)."""
    from pyworkforce.scheduling import MinRequiredResources

    pooled = req.groupby("interval_start")["required_agents"].sum().to_numpy()
    need = np.ceil(pooled - 1e-6).astype(int).reshape(7, 96)
    shifts, costs = {}, {}
    for template in RULES["shift"]:
        if template["contract"] != "full_time":
            continue
        hh, mm = map(int, template["earliest_start"].split(":"))
        lh, lm = map(int, template["latest_start"].split(":"))
        for start in range(hh * 60 + mm, lh * 60 + lm + 1, template["start_step_minutes"]):
            end = start + template["length_minutes"]
            pieces = [(start, min(end, 1440), "")]
            if end > 1440:  # a night shift cannot cross midnight: its tail becomes a 00:00 shift
                pieces.append((0, end - 1440, "_tail"))
            for begin, finish, suffix in pieces:
                cover = np.zeros(96, dtype=int)
                cover[begin // 15: finish // 15] = 1
                name = f"{template['name']}_{start // 60:02d}{start % 60:02d}{suffix}"
                shifts[name] = cover.tolist()
                costs[name] = int(cover.sum())  # quarter-hours on duty
    started = time.perf_counter()
    solver = MinRequiredResources(num_days=7, periods=96, shifts_coverage=shifts, required_resources=need.tolist(),
                                  max_period_concurrency=int(need.max() * 3), max_shift_concurrency=int(need.max() * 3),
                                  cost_dict=costs, max_search_time=time_limit_s, num_search_workers=2)
    solution = solver.solve()
    seconds = time.perf_counter() - started
    rows = solution.get("resources_shifts", [])
    quarter_hours = sum(r["resources"] * costs[r["shift"]] for r in rows)
    paid_hours = quarter_hours * 0.25 * 480 / 510  # 8 h paid per 8.5 h on duty, as ours
    shifts_total = sum(r["resources"] for r in rows if not r["shift"].endswith("_tail"))
    return {"status": solution.get("status"), "seconds": seconds, "shifts": int(shifts_total),
            "paid_hours": paid_hours, "cost": 24.0 * paid_hours}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args(argv)

    req = requirements()
    load = os.getloadavg()
    started = time.perf_counter()
    result = schedule_week(req, RULES, targets=None)
    wall = time.perf_counter() - started
    summary = result.to_summary()
    solver = summary["solver"]
    service = service_check(result.coverage, req, TARGETS, interval_minutes=15, replications=args.replications)
    cov = result.coverage
    immediate = cov[cov["channel"].isin(["voice", "chat"])]
    under = np.clip(np.ceil(immediate["required"] - 1e-6) - immediate["scheduled"], 0, None).sum() * 0.25
    pw = run_pyworkforce(req, 60.0)
    started = time.perf_counter()
    named = schedule_week(req, RULES, agents=named_agents(500))
    named_wall = time.perf_counter() - started

    ratio = solver["objective"] / solver["lower_bound"]
    agents = sum(summary["agents_by_contract"].values())
    lines = [
        f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "",
        f"Command: `.venv/bin/python benchmarks/schedule_week.py`. Week of {WEEK.date()}, 15-min grid, "
        f"{agents} agents ({summary['agents_by_contract']}), hard coverage.",
        "",
        "| | ours (tours + breaks, LP rounding) | pyworkforce MinRequiredResources (per day, no breaks) |",
        "|---|---:|---:|",
        f"| solver status | {solver['status']} | {pw['status']} |",
        f"| solve seconds | {solver['solve_seconds']:.1f} (whole run {wall:.1f}) | {pw['seconds']:.1f} |",
        f"| paid hours | {summary['paid_hours']:,.0f} | {pw['paid_hours']:,.0f} |",
        f"| cost | {summary['cost']:,.0f} | {pw['cost']:,.0f} (all at 24.0/h) |",
        f"| objective / LP lower bound | {solver['objective']:,.1f} / {solver['lower_bound']:,.1f} = "
        f"**{ratio:.4f}** (target <= 1.03) | - |",
        f"| under-coverage, agent-hours (voice+chat) | {under:.2f} | 0 by construction, but without breaks |",
        f"| rule-check violations | {summary['rule_check']['violations']} | not checked |",
        f"| e-mail done before due | {summary['deferred_on_time'].get('email', float('nan')):.3f} | - |",
    ]
    for channel, row in service["per_channel"].items():
        lines.append(f"| simulated weekly SL {channel} ({args.replications} reps; P10-P90) | "
                     f"{row['sim_service_level']:.3f} ({row['sim_p10']:.3f}-{row['sim_p90']:.3f}), "
                     f"Erlang {row['erlang_service_level']:.3f}, target {row['target_sl']:.2f} | - |")
    ns = named.to_summary()
    lines += [
        "",
        f"Named roster from a 500-agent agents.csv (420 full-time, a third voice-only, some unavailable days, "
        f"preferred shifts; 80 part-time): whole run {named_wall:.1f} s (solve {ns['solver']['solve_seconds']:.1f} s), "
        f"objective / LP bound {ns['solver']['objective'] / ns['solver']['lower_bound']:.4f}, {len(ns['unfilled_tours'])} unfilled "
        f"tours, {len(ns['idle_agents'])} agents without shifts, rule-check violations "
        f"{ns['rule_check']['violations']}, roster short of plan {ns['roster_short_of_plan_agent_hours']:.2f} "
        "agent-hours.",
    ]
    lines += [
        "",
        "pyworkforce's plan is not a roster: it has no breaks or lunches, no night shift past midnight "
        "(the tail is a separate 00:00 shift), no days-off or weekly rules, one pooled skill, only the "
        "full-time shapes (its model has one shift set), and e-mail counted when it arrives (it cannot "
        "defer work into the valleys); ours is a full roster of named agents that passed the independent "
        "rule check.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        _record(text)
    return 0


def _record(text: str) -> None:
    path = ROOT / "benchmarks" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    heading = "## schedule_week"
    intro = (f"{heading}\n\n`.venv/bin/python benchmarks/schedule_week.py`: one week's shift plan and roster "
             "vs pyworkforce MinRequiredResources (see the script's docstring).\n\n")
    if heading not in current:
        current = current.rstrip("\n") + "\n\n" + intro
        current += text + "\n"
    else:
        start = current.index(heading)
        nxt = current.find("\n## ", start + len(heading))
        section = current[start:] if nxt < 0 else current[start:nxt + 1]
        section = section.rstrip("\n") + "\n\n" + text + "\n"
        current = current[:start] + section + ("" if nxt < 0 else current[nxt + 1:])
    path.write_text(current)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the shift scheduler on a seeded family of weeks it was not tuned on (issue 11).

The family is a generator: ``instance(seed)`` builds one week (requirements, rules, optional
named agents, service targets) from its seed alone, so a seed is the same week on every run
and machine. Seeds 0..31 span what contact centres run, by fixed rotations of the seed:

* opening: 24/7 (early, day, late and night shifts; nights cross midnight, and Sunday's
  night wraps to Monday) or daytime-only (opening hours drawn per seed, Sunday closed);
* channels: 1 to 4 of voice, chat (2 sessions per agent), e-mail (deferred, blended into
  voice shifts' idle intervals, due in 4-24 h) and messaging (3 sessions per agent);
* grid 15 or 30 minutes; start steps of one interval, two intervals or an hour;
* activities: a paid break and an unpaid lunch, a lunch only, or a paid break only;
* part-time day patterns (4-5 h shifts on 3-4 or 3-5 days, some with two consecutive
  days off, some without) on most seeds;
* headcount caps on the contracts (part-time capped low enough to bind) on a third of the
  seeds, and named agents (skills, unavailable weekdays, preferred shifts, hour limits
  for part of them) on a quarter, soft coverage there;
* 40 to 800 agents (log-spaced over the seeds).

Requirements come from the project's own staffing maths on seeded synthetic arrival
profiles (two daily peaks, weekday factors, Poisson noise): Erlang C for voice,
:func:`scheduling.channels.chat_required_agents` for chat and messaging, and workload with
a due time for e-mail; 30 % shrinkage. Volumes are scaled so the required agent-hours
match the seed's size. Seeds 0..23 are weeks starting on a Monday. Seeds 24..31 (added after
the first 24, which they leave unchanged) are Sunday-to-Saturday weeks (rules
``week_start = "Sun"``), as Israeli and Gulf centres work them: the busiest day is Sunday,
Friday is the short day and Saturday the closed one (the Monday weeks' pattern moved back a
day); nights of a 24/7 seed cross midnight and the week's wrap (Saturday night into Sunday).

Per instance, ours (:func:`scheduling.shifts.plan_shifts`) and HiGHS branch and bound on the
same model (activities and blending integer, one MIP solve) with the same ``time_limit_s``:
objective / bound, where the bound is the highest proven one (the LP relaxation, our MIP
dual bound, HiGHS's MIP dual bound); seconds to our first complete plan and in all; the
simulated weekly service level per immediate channel vs its target
(:func:`planner.week_schedule.service_check`, 5 replications); over-coverage (agent-intervals above
the requirement / required agent-intervals, immediate channels); on soft-coverage weeks the service
ceiling (target + 0.05, :func:`sl_above_ceiling`) and whether the rules force a plan above it (its
agent-hours above the requirement against the LP relaxation's, :func:`rules_force`). Then median, P90 and worst of
the ratios, appended to benchmarks/RESULTS.md (section ``schedule_family``).

Run: ``.venv/bin/python benchmarks/schedule_family.py`` (all 24 seeds, ``time_limit_s=60``, one
process: about 50 CPU-minutes); ``--seeds 0-5,9 --time-limit 20 --jobs 2`` for a subset;
``--no-highs`` to skip the baseline; ``--no-record`` to only print; ``--csv path`` for the
per-instance table. ``--no-ours --csv base.csv`` runs only the HiGHS baseline and keeps it;
``--highs-csv base.csv`` then takes the baseline from it (the same seeds, limit and model)
instead of solving it again, and the recorded command says so. ``--draws 3`` solves each
instance three times by each solver (ours again, HiGHS with random_seed 0-2) and reports the
spread: at a tight ``--gap-rel`` a time-limited branch and bound's result on a hard week owes
much to chance (HiGHS alone moves by 0.3 % with its random seed on family seed 29).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from results import append_section  # noqa: E402

from planner.week_schedule import plan_processes, service_check  # noqa: E402
from scheduling.channels import chat_required_agents  # noqa: E402
from scheduling.coverage import DEFERRED_CHANNELS, channel_demands, week_grid  # noqa: E402
from scheduling.erlang import required_agents  # noqa: E402
from scheduling.requirements import ServiceTarget  # noqa: E402
from scheduling.checks import check_roster  # noqa: E402
from scheduling.roster import agents_from_frame, build_roster, headcount_caps  # noqa: E402
from scheduling.rules import RuleSet  # noqa: E402
from scheduling.shifts import HeadcountCaps, ShiftModel, SolveError, plan_shifts  # noqa: E402

SEEDS = tuple(range(32))
SUNDAY_SEEDS = range(24, 32)  # weeks starting on a Sunday
SHRINKAGE = 0.30
FIRST_MONDAY = pd.Timestamp("2025-01-06")
CHANNEL_ORDER = ("voice", "chat", "email", "messaging")
MIN_AGENTS, MAX_AGENTS = 40, 800


@dataclass(frozen=True)
class Instance:
    """One week of the family. ``rules`` is a rules.toml mapping; ``agents`` an agents.csv frame or None."""

    seed: int
    label: str
    week_start: pd.Timestamp
    interval_minutes: int
    channels: tuple[str, ...]
    open_24_7: bool
    agents_target: int
    requirements: pd.DataFrame
    rules: dict
    targets: dict[str, ServiceTarget]
    agents: pd.DataFrame | None = None
    features: tuple[str, ...] = field(default=())


def _hhmm(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _profile(rng: np.random.Generator, hours: np.ndarray, weekday: np.ndarray, *, peaks: tuple[float, float],
             open_mask: np.ndarray) -> np.ndarray:
    """A smooth intraday curve with two peaks, weekday factors, zero outside ``open_mask``."""
    first, second = peaks
    width = rng.uniform(2.0, 3.2, size=2)
    shape = (0.05 + np.exp(-((hours - first) / width[0]) ** 2)
             + rng.uniform(0.5, 0.9) * np.exp(-((hours - second) / width[1]) ** 2))
    day_factor = np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.85, 0.98), rng.uniform(0.85, 0.98),
                           rng.uniform(0.8, 0.95), rng.uniform(0.5, 0.75), rng.uniform(0.35, 0.6)])
    return np.where(open_mask, shape * day_factor[weekday], 0.0)


def _requirements(rng: np.random.Generator, *, times: pd.DatetimeIndex, interval_minutes: int,
                  channels: tuple[str, ...], open_mask: dict[str, np.ndarray], scale: float,
                  shapes: dict[str, np.ndarray], params: dict[str, dict]) -> pd.DataFrame:
    """Requirements frame for volumes ``scale * shapes`` (Poisson draws from ``rng``)."""
    interval_s = interval_minutes * 60.0
    parts = []
    for channel in channels:
        p = params[channel]
        volume = rng.poisson(scale * p["share"] * shapes[channel]).astype(float)
        volume = np.where(open_mask[channel], volume, 0.0)
        frame = {"interval_start": times, "queue": "main", "channel": channel, "volume": volume, "aht_s": p["aht_s"]}
        if channel in DEFERRED_CHANNELS:
            work = volume * p["aht_s"] / 60.0
            frame.update(required_agents=work / interval_minutes / (1 - SHRINKAGE),
                         workload_minutes=work / (1 - SHRINKAGE), due_minutes=float(p["due_minutes"]))
        elif p["concurrency"] > 1:
            net = chat_required_agents(volume, interval_s, p["aht_s"], p["answer_s"], p["target_sl"],
                                       concurrency=p["concurrency"])
            frame["required_agents"] = np.where(volume > 0, net, 0) / (1 - SHRINKAGE)
        else:
            net = required_agents(volume, interval_s, p["aht_s"], p["answer_s"], p["target_sl"])
            frame["required_agents"] = net / (1 - SHRINKAGE)
        parts.append(pd.DataFrame(frame))
    return pd.concat(parts, ignore_index=True)


def instance(seed: int, *, time_limit_s: float = 60.0) -> Instance:
    """The family's week number ``seed`` (fixed once written: change nothing here to tune)."""
    rng = np.random.default_rng(11_000 + seed)
    interval = 15 if seed % 2 == 0 else 30
    open_24_7 = (seed // 2) % 2 == 0
    n_channels = 1 + (seed // 4) % 4
    channels = CHANNEL_ORDER[:n_channels]
    size_rank = (seed * 7) % 24
    agents_target = int(round(MIN_AGENTS * (MAX_AGENTS / MIN_AGENTS) ** (size_rank / 23)))
    step = [interval, 2 * interval, 60][seed % 3]
    activity_kind = (seed // 3) % 3  # 0 break + lunch, 1 lunch only, 2 break only
    part_time = seed % 5 != 4
    capped = seed % 3 == 1
    named = seed % 4 == 3
    sunday = seed in SUNDAY_SEEDS
    week_start = FIRST_MONDAY + pd.Timedelta(weeks=seed) - pd.Timedelta(days=1 if sunday else 0)

    n = 7 * 1440 // interval
    times = pd.date_range(week_start, periods=n, freq=f"{interval}min")
    hours = np.asarray(times.hour + times.minute / 60)
    # the centre's own day of the week, 0 = its first (and busiest) working day: Monday, or
    # Sunday on a Sunday-start seed (whose Friday is then the short day and Saturday closed)
    weekday = np.asarray((times.day_of_week + (1 if sunday else 0)) % 7)
    if open_24_7:
        opens, closes = 0, 24 * 60
        chat_open = (hours >= 8) & (hours < 20)
        voice_open = np.ones(n, dtype=bool)
    else:
        opens = int(rng.choice([7, 8, 9])) * 60
        closes = opens + int(rng.choice([10, 11, 12])) * 60
        sat_close = opens + 6 * 60
        minute = hours * 60
        voice_open = (minute >= opens) & (minute < closes) & (weekday < 5)
        voice_open |= (minute >= opens) & (minute < sat_close) & (weekday == 5)
        chat_open = voice_open.copy()
    open_mask = {"voice": voice_open, "chat": chat_open, "email": chat_open & (weekday < 6),
                 "messaging": chat_open}
    day_opens, day_closes = (8 * 60, 22 * 60) if open_24_7 else (opens, closes)
    peak = day_opens / 60 + rng.uniform(2.0, 3.5), day_closes / 60 - rng.uniform(3.0, 5.0)
    shapes = {c: _profile(rng, hours, weekday, peaks=peak, open_mask=open_mask[c]) for c in CHANNEL_ORDER}
    params = {
        "voice": {"share": 1.0, "aht_s": float(rng.choice([240, 300, 360, 420])), "answer_s": 20.0,
                  "target_sl": 0.8, "concurrency": 1},
        "chat": {"share": 0.45, "aht_s": float(rng.choice([480, 600, 720])), "answer_s": 60.0,
                 "target_sl": 0.8, "concurrency": 2},
        # a daytime centre closes for the night and on Sunday: its e-mail may wait two days
        "email": {"share": 0.35, "aht_s": float(rng.choice([300, 360, 480])),
                  "due_minutes": float(rng.choice([240, 480, 1440])) if open_24_7 else 2880.0},
        "messaging": {"share": 0.3, "aht_s": 900.0, "answer_s": 300.0, "target_sl": 0.8, "concurrency": 3},
    }
    # scale volumes so the required agent-hours match the seed's size (~36 productive hours per agent)
    noise_seed = int(rng.integers(2**31))
    scale = 40.0
    for _ in range(4):
        req = _requirements(np.random.default_rng(noise_seed), times=times, interval_minutes=interval,
                            channels=channels, open_mask=open_mask, scale=scale, shapes=shapes, params=params)
        hours_needed = float(req["required_agents"].sum()) * interval / 60
        scale *= (agents_target * 36.0) / max(hours_needed, 1e-9)
    req = _requirements(np.random.default_rng(noise_seed), times=times, interval_minutes=interval,
                        channels=channels, open_mask=open_mask, scale=scale, shapes=shapes, params=params)
    # headcount the week needs, for caps and agent lists: whole agents per interval (immediate
    # channels) plus the deferred work, at 37 on-duty hours per agent
    whole = np.ceil(req["required_agents"].to_numpy() - 1e-6)
    deferred = req["channel"].isin(DEFERRED_CHANNELS).to_numpy()
    fte = float(whole[~deferred].sum() + req.loc[deferred, "required_agents"].sum()) * interval / 60 / 37.0
    slack = 2.0 if open_24_7 else 1.4  # nights and small hours staffed by whole agents need more heads

    def activities(length_minutes: int) -> list[dict]:
        brk = 15 if interval == 15 else 30
        lunch = 30 if interval == 15 else 60 if rng.random() < 0.3 else 30
        half = length_minutes // 2
        out = []
        if activity_kind in (0, 2):
            out.append({"kind": "break", "length_minutes": brk, "paid": True, "earliest_after_start": 60 + (0 if activity_kind == 0 else interval),
                        "latest_after_start": 150 if activity_kind == 0 else half + 60})
        if activity_kind in (0, 1) and length_minutes >= 360:
            lo = max(half - 60, 180 if activity_kind == 0 else 120)
            lo -= lo % interval
            out.append({"kind": "lunch", "length_minutes": lunch, "paid": False, "earliest_after_start": lo,
                        "latest_after_start": lo + 90 - (90 % interval)})
        return out

    ft_length = 510 if activity_kind in (0, 1) else 480
    ft_paid = 480 if activity_kind in (0, 1) else 480
    immediate = [c for c in channels if c not in DEFERRED_CHANNELS]
    all_channels = list(channels)
    shifts = []

    def add(name: str, contract: str, serves: list[str], length: int, earliest: int, latest: int,
            paid: int | None = None, days: list[str] | None = None) -> None:
        earliest -= earliest % step
        latest -= latest % step
        entry = {"name": name, "contract": contract, "channels": serves, "length_minutes": length,
                 "earliest_start": _hhmm(earliest), "latest_start": _hhmm(max(latest, earliest)),
                 "start_step_minutes": step, "activity": activities(length)}
        unpaid = sum(a["length_minutes"] for a in entry["activity"] if not a["paid"])
        entry["paid_minutes"] = paid if paid is not None else length - unpaid
        if days:
            entry["days"] = days
        shifts.append(entry)

    ft_serves = all_channels
    if open_24_7:
        add("early", "full_time", ft_serves, ft_length, 6 * 60, 9 * 60, paid=ft_paid)
        add("day", "full_time", ft_serves, ft_length, 9 * 60 + 30, 12 * 60 + 30, paid=ft_paid)
        add("late", "full_time", immediate, ft_length, 13 * 60, 16 * 60, paid=ft_paid)
        add("night", "full_time", ["voice"], ft_length, 21 * 60, 23 * 60 + 30, paid=ft_paid)
    else:
        last = closes - ft_length
        add("early", "full_time", ft_serves, ft_length, opens, opens + 120, paid=ft_paid)
        add("late", "full_time", immediate, ft_length, max(opens + 150, last - 120), last, paid=ft_paid)
    pt_length = 240 if seed % 2 == 0 else 300
    pt_days = [3, 4] if seed % 3 else [3, 5]
    if part_time:
        first = max(opens, 7 * 60) if open_24_7 else opens
        last = (21 * 60 if open_24_7 else closes) - pt_length
        add("part", "part_time", immediate, pt_length, first, last)
    contracts = [{"name": "full_time", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0}]
    if part_time:
        contracts.append({"name": "part_time", "days_per_week": pt_days,
                          "consecutive_days_off": 2 if seed % 2 else 0, "hourly_cost": 21.0})
    if capped:
        contracts[0]["max_agents"] = int(math.ceil(slack * fte))
        if part_time:
            contracts[1]["max_agents"] = int(math.ceil(0.15 * fte))
    coverage = "soft" if named or seed % 6 == 5 else "hard"
    rules = {
        "interval_minutes": interval, "min_rest_hours": 11, "max_consecutive_days": 6, "coverage": coverage,
        "time_limit_s": float(time_limit_s), "gap_rel": 0.01, "over_penalty": 0.01,
        "contract": contracts, "shift": shifts,
    }
    if sunday:
        rules["week_start"] = "Sun"

    agents = None
    if named:
        rows = []
        total = int(math.ceil(1.15 * slack * fte))
        n_part = int(round(0.2 * total)) if part_time else 0
        skill_sets = [all_channels, all_channels, all_channels, immediate, immediate, ["voice"]]
        names = [s["name"] for s in shifts if s["contract"] == "full_time"]
        for k in range(total - n_part):
            rows.append({"agent_id": f"F{k:04d}", "contract": "full_time",
                         "channels": "|".join(skill_sets[int(rng.integers(len(skill_sets)))]),
                         "unavailable": ["", "Sat", "Sun", "Mon"][k % 4] if k % 6 == 0 else "",
                         "preferred_shift": names[k % len(names)] if k % 3 == 0 else "",
                         "min_hours": np.nan, "max_hours": np.nan})
        for k in range(n_part):
            rows.append({"agent_id": f"P{k:04d}", "contract": "part_time",
                         "channels": "|".join(immediate if k % 2 else ["voice"]),
                         "unavailable": "Sun" if k % 5 == 0 else "", "preferred_shift": "",
                         "min_hours": np.nan, "max_hours": float(3 * pt_length / 60) if k % 4 == 0 else np.nan})
        agents = pd.DataFrame(rows)

    targets = {}
    for c in immediate:
        p = params[c]
        targets[c] = ServiceTarget(channel=c, aht_s=p["aht_s"], target_sl=p["target_sl"], answer_s=p["answer_s"],
                                   shrinkage=SHRINKAGE, concurrency=p["concurrency"])
    if "email" in channels:
        targets["email"] = ServiceTarget(channel="email", aht_s=params["email"]["aht_s"], shrinkage=SHRINKAGE,
                                         due_minutes=params["email"]["due_minutes"])
    features = (("24/7" if open_24_7 else f"{_hhmm(opens)}-{_hhmm(closes)}"), f"{interval}m grid", f"step {step}",
                ["break+lunch", "lunch", "break"][activity_kind], ("part-time " + "-".join(map(str, pt_days)))
                if part_time else "no part-time", "caps" if capped else "", "named agents" if named else "", coverage,
                "week starts Sun" if sunday else "")
    label = f"s{seed:02d} {'+'.join(channels)} {agents_target}a"
    return Instance(seed=seed, label=label, week_start=week_start, interval_minutes=interval, channels=channels,
                    open_24_7=open_24_7, agents_target=agents_target, requirements=req, rules=rules,
                    targets=targets, agents=agents, features=tuple(f for f in features if f))


# ----------------------------------------------------------------------------- running


def _caps(inst: Instance, rules: RuleSet) -> HeadcountCaps | None:
    if inst.agents is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        agents = agents_from_frame(inst.agents, rules, source=f"family seed {inst.seed} agents")
    return headcount_caps(agents, inst.week_start)


def run_ours(inst: Instance, processes: int = 1) -> dict:
    """plan_shifts on the instance (``processes``: plan_shifts's; 2 runs the portfolio): ratios,
    times, simulated service and over-coverage."""
    rules = RuleSet.from_mapping(inst.rules, source=f"family seed {inst.seed}")
    caps = _caps(inst, rules)
    started = time.perf_counter()
    marks: list[tuple[float, str]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            plan = plan_shifts(inst.requirements, rules, caps=caps, processes=processes,
                               progress=lambda s, _share=None: marks.append((time.perf_counter() - started, s)))
    except (SolveError, ValueError) as exc:
        return {"ours_error": f"{type(exc).__name__}: {exc}"[:200], "ours_s": time.perf_counter() - started}
    wall = time.perf_counter() - started
    broken, unfilled = _roster_check(inst, rules, plan)
    improvements = list(getattr(plan, "improvements", ()) or ())
    if improvements:
        first_s = improvements[0].seconds
    else:  # before the improvement log: the first message after a complete plan
        first_s = next((t for t, s in marks if s.startswith(("integer plans", "solving integer model", "reading"))), wall)
    cov = plan.coverage
    immediate = cov[~cov["channel"].isin(DEFERRED_CHANNELS)]
    required = immediate["required"].to_numpy()
    scheduled = immediate["scheduled"].to_numpy()
    over = float(np.clip(scheduled - np.ceil(required - 1e-6), 0, None).sum() / max(required.sum(), 1e-9))
    service = service_check(cov, inst.requirements, {c: t for c, t in inst.targets.items()
                                                      if c not in DEFERRED_CHANNELS},
                            interval_minutes=inst.interval_minutes, replications=5, seed=inst.seed)
    sl = {c: (row["sim_service_level"], row["target_sl"]) for c, row in service["per_channel"].items()}
    # the expected (Erlang C / chat model) weekly service of the same staffing, to tell a plan
    # short of its requirement from the simulation's own gap below Erlang
    erlang_sl = {c: row["erlang_service_level"] for c, row in service["per_channel"].items()}
    req_sl = requirement_service(cov, inst)
    soft = rules.coverage == "soft"  # the service ceiling's weeks: how much of their over-coverage the rules force
    return {
        "over_h": over_hours(cov, inst.interval_minutes) if soft else {},
        "lp_over_h": lp_over_hours(inst) if soft else {},
        "ours_status": plan.status, "ours_objective": plan.objective, "lp_bound": plan.lower_bound,
        "ours_mip_bound": plan.mip_bound, "ours_first_s": first_s, "ours_s": wall,
        "ours_solve_s": plan.solve_seconds, "cost": plan.cost, "agents": int(plan.tours["agents"].sum()),
        "over_coverage": over, "sl": sl, "erlang_sl": erlang_sl, "req_sl": req_sl,
        "under_agent_hours": plan.under_agent_hours,
        "improvements": len(improvements), "rule_violations": broken, "unfilled_tours": unfilled,
    }


def requirement_service(coverage: pd.DataFrame, inst: Instance) -> dict[str, float]:
    """The simulated weekly service level per immediate channel of a staffing of exactly the
    requirement (``scheduled`` = each interval's ``required`` rounded up to whole agents),
    with the same simulation, replications and seed as the plan's: what the interval goal
    itself buys. Whole agents in small intervals buy more than the target there (the family's
    soft weeks: 0.84-0.97 against targets of 0.80, RESULTS.md 2026-12-01 21:45), so a plan's
    level above its target + 0.05 can be the requirement's, not the plan's."""
    exact = coverage.assign(scheduled=np.ceil(coverage["required"].to_numpy(dtype=float) - 1e-6))
    service = service_check(exact, inst.requirements, {c: t for c, t in inst.targets.items()
                                                        if c not in DEFERRED_CHANNELS},
                            interval_minutes=inst.interval_minutes, replications=5, seed=inst.seed)
    return {c: row["sim_service_level"] for c, row in service["per_channel"].items()}


def over_hours(coverage: pd.DataFrame, interval_minutes: int) -> dict[str, float]:
    """Agent-hours staffed above the requirement per immediate channel of a coverage frame
    (``channel, required, scheduled``)."""
    immediate = coverage[~coverage["channel"].isin(DEFERRED_CHANNELS)]
    above = np.clip(immediate["scheduled"].to_numpy(dtype=float) - immediate["required"].to_numpy(dtype=float), 0, None)
    return {str(c): float(v) * interval_minutes / 60
            for c, v in pd.Series(above, index=immediate["channel"].to_numpy()).groupby(level=0, sort=False).sum().items()}


def lp_over_hours(inst: Instance) -> dict[str, float]:
    """Agent-hours above the requirement per immediate channel in the LP relaxation of the week's
    model (the cheapest plan with fractional agents, solved here on its own): what the shift
    rules force before any rounding (shift lengths, start steps, days per week, caps). A soft
    week's plan above the service ceiling while over-covering about as much as its LP is there
    because the rules are; one well above it had a cheaper plan, staffing less, to find. Empty
    when the LP does not solve to optimality in the week's time limit."""
    model = week_model(inst, integer_activities=False)
    status, _objective, _bound = model.solve(mip=False, crossover=False)
    if status != "Optimal":
        return {}
    coverage = pd.concat([pd.DataFrame({"channel": c, "required": d.required,
                                        "scheduled": [expr.value() for expr in model.coverage.staffed[c]]})
                          for c, d in model.demands.items() if not d.deferred], ignore_index=True)
    return over_hours(coverage, model.grid.interval_minutes)


def week_model(inst: Instance, *, integer_activities: bool) -> ShiftModel:
    """The week's exact shift model (its rules, headcount caps and requirements), unsolved: the
    HiGHS baseline solves it as a MIP, :func:`lp_over_hours` as an LP."""
    rules = RuleSet.from_mapping(inst.rules, source=f"family seed {inst.seed}")
    grid = week_grid(inst.requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week,
                     first_weekday=rules.week_start)
    return ShiftModel(rules, grid, channel_demands(inst.requirements, grid), _caps(inst, rules) or HeadcountCaps(),
                      hard=rules.coverage == "hard", integer_activities=integer_activities)


#: with soft coverage, issue 11 asks the simulated service level be no more than this above the
#: target unless the rules force it; measured here against max(target, the requirement's level)
SL_CEILING_MARGIN = 0.05
#: a plan above the ceiling on a channel whose LP relaxation over-covers it by at least this share of
#: the plan's own agent-hours above the requirement is there because the rules force it (ceiling_line)
RULES_FORCE_SHARE = 0.9


def sl_above_ceiling(row: dict) -> list[str]:
    """The immediate channels of a soft-coverage week whose simulated service level is above
    max(target, the requirement's own level: :func:`requirement_service`) + ``SL_CEILING_MARGIN``:
    a plan staffing more than the interval goal asks by more than the margin. Empty for a hard
    week, a week without a plan, or rows from before the requirement's level was measured."""
    if row.get("coverage") != "soft" or "sl" not in row or "req_sl" not in row:
        return []
    return [c for c, (v, t) in row["sl"].items()
            if v > max(t, row["req_sl"].get(c, t)) + SL_CEILING_MARGIN + 1e-9]


def _roster_check(inst: Instance, rules: RuleSet, plan) -> tuple[int, int]:
    """The plan as a roster of the instance's agents (or agents made per contract) and the
    independent rule check of it: (violations, tours no agent took). Not timed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        agents = agents_from_frame(inst.agents, rules) if inst.agents is not None else None
        roster = build_roster(plan, rules, agents=agents)
    broken = check_roster(roster.roster, roster.activities, rules, agents=roster.agents, coverage=roster.coverage,
                          week_start=plan.grid.start)
    return len(broken), int(roster.unfilled["agents"].sum()) if len(roster.unfilled) else 0


def run_highs(inst: Instance, random_seed: int | None = None) -> dict:
    """HiGHS branch and bound on the same model, same time limit (activities integer, one MIP solve;
    ``random_seed``: HiGHS's, default its own)."""
    started = time.perf_counter()
    model = week_model(inst, integer_activities=True)
    status, objective, bound = model.solve(mip=True, time_limit_s=model.rules.time_limit_s, random_seed=random_seed)
    ok = status in ("Optimal", "Feasible")
    return {"highs_status": status, "highs_objective": objective if ok else float("nan"),
            "highs_mip_bound": bound if bound is not None and math.isfinite(bound) else float("nan"),
            "highs_s": time.perf_counter() - started}


#: two ratios to the same bound closer than this are the same cost (money to rounding)
TIE_REL = 1e-6

HIGHS_COLUMNS = ("highs_status", "highs_objective", "highs_mip_bound", "highs_s")


def run_instance(seed: int, time_limit_s: float, highs: bool, *, ours: bool = True,
                 highs_row: dict | None = None, processes: int = 1, gap_rel: float | None = None,
                 draws: int = 1) -> dict:
    """One seed: ours (unless ``ours`` is False; ``processes`` plan_shifts's) and HiGHS B&B
    (when ``highs``), or HiGHS's columns from an earlier run (``highs_row``, from ``--highs-csv``).
    ``gap_rel``: the week's ``gap_rel`` for both (ours stops within it, HiGHS gets it as its
    ``mip_rel_gap``) in place of the family's 0.01; the week itself is unchanged. ``draws`` > 1:
    each solved that many times (ours again, HiGHS with ``random_seed`` 0, 1, ...; the first draw
    of each is the row's): ``ours_draws`` and ``highs_draws``, their ratios to the row's bound."""
    inst = instance(seed, time_limit_s=time_limit_s)
    if gap_rel is not None:
        inst = replace(inst, rules={**inst.rules, "gap_rel": float(gap_rel)})
    row = {"seed": seed, "label": inst.label, "features": ", ".join(inst.features),
           "coverage": inst.rules["coverage"]}
    ours_draws, highs_draws = [], []
    if ours:
        ours_draws = [run_ours(inst, processes)]
        ours_draws += [run_ours(inst, processes) for _ in range(draws - 1)]
        row.update(ours_draws[0])
    if highs_row is not None:
        row.update({k: highs_row[k] for k in HIGHS_COLUMNS if k in highs_row})
    elif highs:
        highs_draws = [run_highs(inst, random_seed=k if draws > 1 else None) for k in range(draws)]
        row.update(highs_draws[0])
    bounds = [row.get("lp_bound")] + [d.get("ours_mip_bound") for d in ours_draws] + \
        [row.get("highs_mip_bound")] + [d.get("highs_mip_bound") for d in highs_draws]
    bound = max((b for b in bounds if b is not None and math.isfinite(b)), default=float("nan"))
    row["bound"] = bound
    row["ours_ratio"] = row.get("ours_objective", float("nan")) / bound if bound else float("nan")
    row["highs_ratio"] = row.get("highs_objective", float("nan")) / bound if bound else float("nan")
    if draws > 1:
        row["ours_draws"] = [d.get("ours_objective", float("nan")) / bound for d in ours_draws]
        row["highs_draws"] = [d.get("highs_objective", float("nan")) / bound for d in highs_draws]
    return row


def _parse_seeds(text: str) -> tuple[int, ...]:
    seeds = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds.extend(range(int(lo), int(hi) + 1))
        elif part.strip():
            seeds.append(int(part))
    return tuple(seeds)


def _q(values: list[float], q: float) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return float(np.quantile(clean, q, method="higher")) if clean else float("nan")


def report(rows: list[dict], *, time_limit_s: float, seeds: tuple[int, ...], jobs: int, wall_s: float,
           load: tuple[float, float, float], note: str, highs_csv: Path | None = None, highs_run: bool = True,
           processes: int | None = None, gap_rel: float | None = None) -> str:
    rows = sorted(rows, key=lambda r: r["seed"])
    full = tuple(seeds) == SEEDS
    cmd = "`.venv/bin/python benchmarks/schedule_family.py"
    cmd += "" if full else f" --seeds {','.join(map(str, seeds))}"
    cmd += "" if time_limit_s == 60 else f" --time-limit {time_limit_s:g}"
    cmd += "" if jobs == 1 else f" --jobs {jobs}"
    cmd += "" if processes is None else f" --processes {processes}"
    cmd += "" if gap_rel is None else f" --gap-rel {gap_rel:g}"
    cmd += "" if highs_csv is None else f" --highs-csv {highs_csv}"
    cmd += "" if highs_run or highs_csv is not None else " --no-highs"
    draws = max((len(r.get("ours_draws", ())) for r in rows), default=0)
    cmd += "" if draws <= 1 else f" --draws {draws}"
    cmd += "`"
    scope = ("the full family" if full else "UNSEEN weeks: seeds outside the family's 0-31, same generator"
             if not set(seeds) & set(SEEDS) else "a SUBSET of the family")
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
             f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min, at the start)", "",
             f"Command: {cmd} ({scope}, time_limit_s={time_limit_s:g}, "
             f"{jobs} instance(s) at a time; wall {wall_s / 60:.1f} min).", ""]
    if note:
        lines += [note, ""]
    lines += ["| seed | week | ours status | ours / bound | HiGHS B&B / bound | bound (LP; MIP dual) | first plan s | "
              "ours s | HiGHS s | agents | over-cov | sim SL vs target | roster: rules broken, tours unfilled |",
              "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        if "ours_error" in r:
            lines.append(f"| {r['seed']} | {r['label']} | **{r['ours_error']}** | - | "
                         f"{r.get('highs_ratio', float('nan')):.4f} | - | - | {r['ours_s']:.1f} | "
                         f"{r.get('highs_s', float('nan')):.1f} | - | - | - | - |")
            continue
        mip = [b for b in (r.get("ours_mip_bound"), r.get("highs_mip_bound")) if b is not None and math.isfinite(b)]
        erlang = r.get("erlang_sl", {})
        above, req = sl_above_ceiling(r), r.get("req_sl", {}) if r.get("coverage") == "soft" else {}
        sl = ", ".join(f"{c} {v:.3f}/{t:.2f}" + ("" if v >= t - 1e-9 else
                                                 f" **low** (Erlang {erlang[c]:.3f})" if c in erlang else " **low**")
                       + (f" (req {req[c]:.3f}{', **above**' if c in above else ''})" if c in req else "")
                       for c, (v, t) in r["sl"].items())
        hs = r.get("highs_status", "-")
        hr = r.get("highs_ratio", float("nan"))
        lines.append(
            f"| {r['seed']} | {r['label']} ({r['features']}) | {r['ours_status']} | **{r['ours_ratio']:.4f}** | "
            f"{'-' if not math.isfinite(hr) else f'{hr:.4f}'} ({hs}) | {r['lp_bound']:,.0f}; "
            f"{max(mip) if mip else float('nan'):,.0f} | {r['ours_first_s']:.1f} | {r['ours_s']:.1f} | "
            f"{r.get('highs_s', float('nan')):.1f} | {r['agents']} | {r['over_coverage']:.3f} | {sl} | "
            f"{r.get('rule_violations', '-')}, {r.get('unfilled_tours', '-')} |")
    # an instance of ours without a ratio (no plan, or no proven bound: its LP did not finish) is
    # counted as the worst, not left out of the distribution
    # an instance infeasible by its rules (ours raised InfeasibleError, naming the rule, and HiGHS
    # says Infeasible too) has no bound to be measured against: left out of the distribution, named
    infeasible = [r["seed"] for r in rows if str(r.get("ours_error", "")).startswith("InfeasibleError")
                  and r.get("highs_status") == "Infeasible"]
    ours = [float("nan") if ("ours_objective" not in r and "ours_error" not in r) or r["seed"] in infeasible
            else r["ours_ratio"] if math.isfinite(r.get("ours_ratio", float("nan"))) else float("inf")
            for r in rows]
    unproven = sum(1 for v in ours if math.isinf(v))
    highs = [r.get("highs_ratio", float("nan")) for r in rows]
    # worse: by more than a millionth of the cost (seed 49 of the UNSEEN weeks: 171,909.550 vs 171,909.525,
    # the same plan's cost to rounding, was counted as worse with 1e-9)
    beaten_rows = [r for r, o, h in zip(rows, ours, highs) if math.isfinite(h) and (not math.isfinite(o) or o > h + TIE_REL)]
    beaten = len(beaten_rows)
    # of those, the ones where ours stopped with more than gap_rel left (time ran out): where ours ended
    # "Optimal" (within gap_rel of the proven bound, as asked) a cheaper HiGHS plan is one within the same tolerance
    beaten_open = sum(1 for r in beaten_rows if r.get("ours_status") != "Optimal")
    low_sl = sum(1 for r in rows if "sl" in r and any(v < t - 1e-9 for v, t in r["sl"].values()))
    # of those, instances whose every low channel's expected (Erlang) service meets the target:
    # the plan staffs the requirement, and the simulation reads lower than the formula
    low_sim_only = sum(1 for r in rows if "sl" in r and any(v < t - 1e-9 for v, t in r["sl"].values())
                       and all(r.get("erlang_sl", {}).get(c, -1.0) >= t - 1e-9
                               for c, (v, t) in r["sl"].items() if v < t - 1e-9))
    failed = sum(1 for r in rows if "ours_error" in r and r["seed"] not in infeasible)
    soft = [r for r in rows if r.get("coverage") == "soft" and "sl" in r]
    ceiling = [(r, sl_above_ceiling(r)) for r in soft]
    ceiling = [(r, cs) for r, cs in ceiling if cs]
    rule_broken = sum(1 for r in rows if r.get("rule_violations"))
    highs_none = sum(1 for h in highs if not math.isfinite(h))
    lines += ["",
              f"Distribution over {len(rows)} instance(s), objective / best proven bound (targets: median <= 1.01, "
              "P90 <= 1.02, worst <= 1.03):", "",
              "| | median | P90 | worst |", "|---|---:|---:|---:|",
              f"| ours | {_q(ours, 0.5):.4f} | {_q(ours, 0.9):.4f} | {_q(ours, 1.0):.4f} |",
              *([f"(ours: {unproven} instance(s) without a plan or a proven bound, counted as infinitely far from it)"]
                if unproven else []),
              f"| HiGHS B&B, same limit | {_q(highs, 0.5):.4f} | {_q(highs, 0.9):.4f} | {_q(highs, 1.0):.4f} |", "",
              *([f"Infeasible by their rules (ours names the binding rule, HiGHS says Infeasible too), left out of "
                 f"the distribution: seed(s) {', '.join(str(s) for s in infeasible)}.", ""] if infeasible else []),
              (f"Ours worse than HiGHS B&B on {beaten} instance(s) ({beaten_open} of them with ours stopped above gap_rel, "
               f"the others ended within gap_rel of the bound as asked); HiGHS without a plan on {highs_none}; " if highs_run
               or highs_csv is not None else "HiGHS not run (--no-highs); ") + f"ours failed on "
              f"{failed}; its roster broke a rule on {rule_broken}; simulated SL below target on some channel in {low_sl} (in {low_sim_only} of them every such "
              f"channel's expected Erlang service of the same staffing meets the target). Median seconds to our first complete "
              f"plan {_q([r.get('ours_first_s', float('nan')) for r in rows], 0.5):.1f}, in all "
              f"{_q([r.get('ours_s', float('nan')) for r in rows], 0.5):.1f}.", ""]
    if soft:
        lines += [ceiling_line(soft, ceiling), ""]
    if draws > 1:
        lines += _draws_report(rows, draws)
    return "\n".join(lines)


def ceiling_line(soft: list[dict], ceiling: list[tuple[dict, list[str]]]) -> str:
    """The soft-coverage weeks' service against the ceiling (:func:`sl_above_ceiling`), and
    where a plan is above it, how far that plan ended from its bound (whether a cheaper plan,
    staffing less, was left to find) and its agent-hours above the requirement against its LP
    relaxation's (:func:`rules_force`: whether the rules force that service)."""
    text = (f"Soft coverage ({len(soft)} week(s)): simulated SL above max(target, req) + {SL_CEILING_MARGIN:g} "
            f"(req: the SL of staffing exactly the requirement, same simulation) on "
            f"{sum(len(cs) for _, cs in ceiling)} channel(s) in {len(ceiling)} week(s)")
    if not ceiling:
        return text + "."
    flagged = [(r, c) for r, cs in ceiling for c in cs]
    forced = [(r, c) for r, c in flagged if rules_force(r, c)]
    return text + ": " + "; ".join(
        f"seed {r['seed']} {', '.join(_over_text(r, c) for c in cs)} (plan {r['ours_status']}, "
        f"{r['ours_ratio']:.4f} x the bound)" for r, cs in ceiling) + (
        f". On {len(forced)} of these {len(flagged)} channel(s) the week's LP relaxation (the cheapest plan, "
        f"fractional agents) itself staffs at least {RULES_FORCE_SHARE:.0%} of the plan's agent-hours above the "
        "requirement: the shift rules force that service, not the rounding.")


def rules_force(row: dict, channel: str) -> bool:
    """True when the week's LP relaxation over-covers ``channel`` by at least
    ``RULES_FORCE_SHARE`` of the plan's agent-hours above the requirement (:func:`lp_over_hours`):
    a plan above the service ceiling there is there because of the shift rules."""
    plan, lp = row.get("over_h", {}).get(channel), row.get("lp_over_h", {}).get(channel)
    return plan is not None and lp is not None and lp >= RULES_FORCE_SHARE * plan - 1e-9


def _over_text(row: dict, channel: str) -> str:
    plan, lp = row.get("over_h", {}).get(channel), row.get("lp_over_h", {}).get(channel)
    if plan is None or lp is None:
        return channel
    return f"{channel} (over the requirement {plan:,.1f} agent-h, its LP {lp:,.1f})"


def _draws_report(rows: list[dict], draws: int) -> list[str]:
    """The instances solved ``draws`` times each (``--draws``): per instance the spread of ours and
    of HiGHS (random_seed 0 to draws - 1), and where ours is worse on the median draw and on
    every pairing (its best draw above HiGHS's worst)."""
    lines = [f"Each instance solved {draws} times by each (ours again; HiGHS with random_seed 0-{draws - 1}), "
             "objective / the row's bound (every draw's proven bounds included):", "",
             "| seed | ours: best / median / worst | HiGHS: best / median / worst |", "|---|---|---|"]
    median_worse, always_worse = [], []
    for r in rows:
        ours, highs = sorted(r.get("ours_draws", ())), sorted(r.get("highs_draws", ()))
        if not ours or not highs:
            continue
        lines.append(f"| {r['seed']} | {ours[0]:.4f} / {_q(ours, 0.5):.4f} / {ours[-1]:.4f} | "
                     f"{highs[0]:.4f} / {_q(highs, 0.5):.4f} / {highs[-1]:.4f} |")
        if _q(ours, 0.5) > _q(highs, 0.5) + TIE_REL:
            median_worse.append(r["seed"])
        if ours[0] > highs[-1] + TIE_REL:
            always_worse.append(r["seed"])
    lines += ["", f"Ours' median draw worse than HiGHS's median draw on {len(median_worse)} instance(s) "
              f"{median_worse or ''}; ours' best draw worse than HiGHS's worst (worse whatever the luck) on "
              f"{len(always_worse)} {always_worse or ''}.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-31", help="e.g. 0-5,9 (default: the whole family, 0-31)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="time_limit_s for ours and for HiGHS")
    parser.add_argument("--jobs", type=int, default=1, help="instances solved at a time (processes)")
    parser.add_argument("--processes", type=int,
                        help="plan_shifts's processes per instance (default: the machine's cores divided by --jobs; "
                             "2 runs the concurrent branch and bound, 1 is without it)")
    parser.add_argument("--gap-rel", type=float,
                        help="gap_rel of every week, for ours and HiGHS alike (default: the family's 0.01); "
                             "a small one compares the two on cost, not on where each stopped within 1 %%")
    parser.add_argument("--no-highs", action="store_true", help="skip the HiGHS branch-and-bound baseline")
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("--csv", type=Path, help="also write the per-instance table to this CSV")
    parser.add_argument("--note", default="", help="a line recorded above the table (what changed)")
    parser.add_argument("--no-ours", action="store_true",
                        help="run only the HiGHS baseline (needs --csv; nothing recorded), for --highs-csv later")
    parser.add_argument("--draws", type=int, default=1,
                        help="solve each instance this many times by each (ours again, HiGHS with random_seed 0, "
                             "1, ...) and report the spread: how much of a difference is luck")
    parser.add_argument("--highs-csv", type=Path,
                        help="take the HiGHS baseline from this earlier --csv (same seeds and --time-limit) "
                             "instead of solving it again; say so in --note")
    args = parser.parse_args(argv)
    seeds = _parse_seeds(args.seeds)
    if args.draws < 1 or (args.draws > 1 and (args.highs_csv or args.no_highs or args.no_ours)):
        parser.error("--draws N: N >= 1; more than 1 needs both solvers run here (no --highs-csv, --no-highs or --no-ours)")
    if args.no_ours and not args.csv:
        parser.error("--no-ours needs --csv (the baseline is kept for a later --highs-csv run)")
    earlier: dict[int, dict] = {}
    if args.highs_csv:
        frame = pd.read_csv(args.highs_csv)
        earlier = {int(r["seed"]): r for r in frame.to_dict("records")}
        missing = sorted(set(seeds) - set(earlier))
        if missing:
            parser.error(f"--highs-csv {args.highs_csv}: no row for seed(s) {missing}")
    processes = args.processes or max(1, plan_processes() // max(1, args.jobs))
    load = os.getloadavg()
    started = time.perf_counter()
    rows = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_instance, s, args.time_limit, not args.no_highs, ours=not args.no_ours,
                               highs_row=earlier.get(s), processes=processes, gap_rel=args.gap_rel,
                               draws=args.draws): s
                   for s in seeds}
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            print(f"seed {row['seed']:2d} {row['label']}: ours {row.get('ours_ratio', float('nan')):.4f} "
                  f"({row.get('ours_status', row.get('ours_error'))}, {row.get('ours_s', 0):.1f} s), "
                  f"HiGHS {row.get('highs_ratio', float('nan')):.4f} ({row.get('highs_status', '-')})", flush=True)
    if args.no_ours:
        pd.DataFrame(rows).to_csv(args.csv, index=False)
        print(f"HiGHS baseline of {len(rows)} seed(s) written to {args.csv}")
        return 0
    text = report(rows, time_limit_s=args.time_limit, seeds=seeds, jobs=args.jobs,
                  wall_s=time.perf_counter() - started, load=load, note=args.note, highs_csv=args.highs_csv,
                  highs_run=not args.no_highs, processes=args.processes, gap_rel=args.gap_rel)
    print(text)
    if args.csv:
        pd.DataFrame(rows).to_csv(args.csv, index=False)
    if not args.no_record:
        append_section("schedule_family", text, intro=(
            "`.venv/bin/python benchmarks/schedule_family.py`: the shift plan on a seeded family of weeks "
            "(24 Monday-start, from 2026-11-29 also 8 Sunday-start; see the script's docstring), ours vs HiGHS branch and bound with the same time limit (issue 11)."))
    return 0


if __name__ == "__main__":
    sys.exit(main())

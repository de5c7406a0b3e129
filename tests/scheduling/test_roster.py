"""Roster: every roster rule checked on a generated week by the independent checker."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from scheduling.checks import check_roster
from scheduling.shifts.formulation import headcount
from scheduling.coverage import channel_demands, week_grid
from scheduling.roster import Agent, agents_from_frame, build_roster, headcount_caps
from scheduling.rules import RuleSet
from scipy.optimize import linear_sum_assignment

from scheduling.shifts import AgentPool, HeadcountCaps, InfeasibleError, ShiftModel, plan_shifts
from scheduling.shifts.formulation.headcount import hall_rows

MONDAY = pd.Timestamp("2024-01-01")

RULES = {
    "interval_minutes": 30, "coverage": "hard", "min_rest_hours": 11, "max_consecutive_days": 6, "gap_rel": 0.05,
    "contract": [
        {"name": "full_time", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 24.0},
        {"name": "part_time", "days_per_week": [3, 4], "consecutive_days_off": 2, "hourly_cost": 20.0},
    ],
    "shift": [
        {"name": "early", "contract": "full_time", "channels": ["voice", "email"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "06:00", "latest_start": "09:00", "start_step_minutes": 60,
         "activity": [
             {"kind": "break", "length_minutes": 30, "paid": True, "earliest_after_start": 90,
              "latest_after_start": 150},
             {"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 210,
              "latest_after_start": 300}]},
        {"name": "late", "contract": "full_time", "channels": ["voice"], "length_minutes": 510,
         "paid_minutes": 480, "earliest_start": "13:00", "latest_start": "15:00", "start_step_minutes": 60,
         "activity": [{"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180,
                       "latest_after_start": 300}]},
        {"name": "night", "contract": "full_time", "channels": ["voice"], "length_minutes": 480,
         "earliest_start": "22:00", "latest_start": "22:00"},
        {"name": "part", "contract": "part_time", "channels": ["voice"], "length_minutes": 240,
         "earliest_start": "10:00", "latest_start": "16:00", "start_step_minutes": 120},
    ],
}


def _requirements() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    times = pd.date_range(MONDAY, periods=7 * 48, freq="30min")
    hour = times.hour + times.minute / 60
    weekday = np.asarray(times.day_of_week) < 5
    voice = 2 + 10 * np.exp(-((hour - 11) / 3) ** 2) + 6 * np.exp(-((hour - 17) / 2.5) ** 2)
    voice = voice * np.where(weekday, 1.0, 0.6) + rng.uniform(0, 1, len(times))
    email_work = np.where((hour >= 8) & (hour < 17) & weekday, 60.0, 0.0)
    return pd.concat([
        pd.DataFrame({"interval_start": times, "channel": "voice", "required_agents": voice}),
        pd.DataFrame({"interval_start": times, "channel": "email", "required_agents": email_work / 30,
                      "workload_minutes": email_work, "due_minutes": 480.0}),
    ], ignore_index=True)


@pytest.fixture(scope="module")
def week():
    rules = RuleSet.from_mapping(RULES)
    requirements = _requirements()
    plan = plan_shifts(requirements, rules)
    return rules, requirements, plan, build_roster(plan, rules)


def test_generated_week_passes_every_rule(week, keeps_rules):
    rules, _, plan, roster = week
    keeps_rules(plan, rules, roster=roster)
    assert check_roster(roster.roster, roster.activities, rules, agents=roster.agents,
                        coverage=roster.coverage) == []
    assert list(roster.roster.columns) == ["agent_id", "date", "shift_start", "shift_end", "channel", "shift"]
    assert list(roster.activities.columns) == ["agent_id", "start", "end", "activity"]
    assert roster.roster["agent_id"].str.match(r"^(FT|PT)\d{3}$").all()
    template_of_agent = dict(zip(roster.assignments["agent_id"], roster.assignments["template"]))
    assert (roster.roster["shift"] == roster.roster["agent_id"].map(template_of_agent)).all()  # each row names its [[shift]]
    # the roster's net coverage is the plan's
    merged = roster.coverage.merge(plan.coverage, on=["interval_start", "channel"])
    np.testing.assert_allclose(merged["scheduled_x"], merged["scheduled_y"])
    assert len(roster.roster) == int((plan.tours["agents"] * plan.tours["days"]).sum())


def test_night_shift_rows_cross_midnight(week):
    _, _, _, roster = week
    nights = roster.roster[pd.to_datetime(roster.roster["shift_start"]).dt.hour == 22]
    assert len(nights)
    assert (pd.to_datetime(nights["shift_end"]).dt.date > pd.to_datetime(nights["shift_start"]).dt.date).all()


@pytest.mark.parametrize("breakage, rule, expected", [
    ("rest", "min_rest", "rest before the shift"),
    ("double", "one_shift_a_day", "more than one shift"),
    ("break_window", "template_activities", "outside"),
    ("coverage", "coverage_recount", "file says"),
    ("days_off", "consecutive_days_off", "consecutive days"),
    ("unavailable", "availability", "marked unavailable"),
])
def test_checker_catches_each_broken_rule(week, breakage, rule, expected):
    rules, _, _, roster = week
    shifts, acts, agents, coverage = roster.roster.copy(), roster.activities.copy(), list(roster.agents), roster.coverage
    ft = shifts[shifts["agent_id"].str.startswith("FT")]
    agent_id = ft["agent_id"].iloc[0]
    own = shifts.index[shifts["agent_id"] == agent_id]
    if breakage == "rest":  # the second shift 6 h after the first ends
        first = shifts.loc[own[0]]
        second = own[1]
        length = shifts.loc[second, "shift_end"] - shifts.loc[second, "shift_start"]
        shifts.loc[second, "shift_start"] = first["shift_end"] + pd.Timedelta(hours=6)
        shifts.loc[second, "shift_end"] = shifts.loc[second, "shift_start"] + length
    elif breakage == "double":
        shifts = pd.concat([shifts, shifts.loc[[own[0]]]], ignore_index=True)
    elif breakage == "break_window":
        k = acts.index[(acts["agent_id"] == agent_id) & (acts["activity"] == "lunch")][0]
        acts.loc[k, "start"] -= pd.Timedelta(hours=3)
        acts.loc[k, "end"] -= pd.Timedelta(hours=3)
    elif breakage == "coverage":
        coverage = coverage.copy()
        coverage.loc[coverage.index[0], "scheduled"] += 1
    elif breakage == "days_off":  # move the middle work day onto the first day off
        dates = sorted(pd.to_datetime(shifts.loc[own, "date"]))
        worked = {d.weekday() for d in dates}
        off = [d for d in range(7) if d not in worked]
        pair = [d for d in off if (d + 1) % 7 in off]  # the first day of the pair (Sun of a Sun-Mon pair)
        assert len(off) == 2 and pair, off  # the contract's two consecutive days off, the week wrapping
        target = MONDAY + pd.Timedelta(days=pair[0])
        k = [i for i in own if pd.Timestamp(shifts.loc[i, "date"]) == dates[2]][0]
        delta = target - pd.Timestamp(shifts.loc[k, "date"])
        shifts.loc[k, "date"] = target.date().isoformat()  # split the pair: work its first day
        shifts.loc[k, "shift_start"] += delta
        shifts.loc[k, "shift_end"] += delta
        acts = acts[acts["agent_id"] != agent_id]
    elif breakage == "unavailable":
        day = pd.Timestamp(shifts.loc[own[0], "date"]).weekday()
        agents = [dataclasses.replace(a, unavailable_weekdays=frozenset({day})) if a.agent_id == agent_id else a
                  for a in agents]
    problems = check_roster(shifts, acts, rules, agents=agents, coverage=coverage)
    assert any(p.rule == rule and expected in str(p) for p in problems), problems


def test_named_agents_honour_skills_unavailability_and_preferences(week, keeps_rules):
    rules, requirements, plan, generated = week
    n_ft = int(plan.tours.loc[plan.tours["contract"] == "full_time", "agents"].sum())
    n_pt = int(plan.tours.loc[plan.tours["contract"] == "part_time", "agents"].sum())
    rows = []
    for k in range(n_ft + 3):
        rows.append({"agent_id": f"A{k:03d}", "contract": "full_time", "channels": "voice|email",
                     "unavailable": "Sun" if k % 4 == 0 else "", "preferred_shift": "late" if k % 3 == 0 else "",
                     "weekend_days_worked": float(k % 5)})
    for k in range(n_pt + 2):
        rows.append({"agent_id": f"P{k:03d}", "contract": "part_time", "channels": "voice",
                     "unavailable": "2024-01-03" if k == 0 else "", "preferred_shift": "",
                     "weekend_days_worked": 0.0})
    agents = agents_from_frame(pd.DataFrame(rows), rules)
    plan2 = plan_shifts(requirements, rules, caps=headcount_caps(agents, MONDAY))
    keeps_rules(plan2, rules, agents=agents)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no unfilled tours
        roster = build_roster(plan2, rules, agents=agents)
    assert len(roster.unfilled) == 0
    assert check_roster(roster.roster, roster.activities, rules, agents=agents, coverage=roster.coverage) == []
    sundays = pd.to_datetime(roster.roster["date"]).dt.day_of_week == 6
    unavailable_sun = {a.agent_id for a in agents if 6 in a.unavailable_weekdays}
    assert not set(roster.roster.loc[sundays, "agent_id"]) & unavailable_sun
    late = roster.assignments[roster.assignments["template"] == "late"]
    preferring = {a.agent_id for a in agents if a.preferred_shift == "late"}
    # late tours go to those who asked for them first
    assert late["agent_id"].isin(preferring).sum() == min(len(late), len(preferring))


def test_bad_agent_rows_are_named():
    rules = RuleSet.from_mapping(RULES)
    frame = pd.DataFrame([{"agent_id": "X1", "contract": "full_time", "channels": "voice|fax"}])
    with pytest.raises(ValueError, match=r"agents.csv: row 2: channels='voice\|fax'"):
        agents_from_frame(frame, rules)
    frame = pd.DataFrame([{"agent_id": "X1", "contract": "temp", "channels": "voice"}])
    with pytest.raises(ValueError, match="row 2: contract='temp'"):
        agents_from_frame(frame, rules)
    frame = pd.DataFrame([{"agent_id": "X1", "contract": "full_time", "channels": "voice", "unavailable": "Funday"}])
    with pytest.raises(ValueError, match="unavailable='Funday'"):
        agents_from_frame(frame, rules)


def test_overlapping_skills_cap_every_channel_set(keeps_rules):
    early = {**RULES["shift"][0], "channels": ["voice", "chat", "email"], "activity": []}
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1], "shift": [early]})
    rows = ([{"agent_id": f"V{k}", "contract": "full_time", "channels": "voice|chat"} for k in range(10)]
            + [{"agent_id": f"E{k}", "contract": "full_time", "channels": "email"} for k in range(4)])
    agents = agents_from_frame(pd.DataFrame(rows), rules)
    caps = headcount_caps(agents, MONDAY)
    assert caps.by_contract_channel[("full_time", "voice")] == 10
    assert caps.by_contract_channel[("full_time", "chat")] == 10
    assert {p.channels: p.count for p in caps.pools} == {frozenset({"voice", "chat"}): 10, frozenset({"email"}): 4}
    times = pd.date_range(MONDAY, periods=7 * 48, freq="30min")
    day_time = ((np.asarray(times.hour) >= 7) & (np.asarray(times.hour) < 15)).astype(float)
    requirements = pd.concat([
        pd.DataFrame({"interval_start": times, "channel": channel, "required_agents": 8 * day_time})
        for channel in ("voice", "chat")], ignore_index=True)
    free = plan_shifts(requirements, rules, caps=dataclasses.replace(caps, pools=()))
    keeps_rules(free, rules)
    capped = plan_shifts(requirements, rules, caps=caps)
    keeps_rules(capped, rules)
    # voice or chat: only the same 10 agents; the per-channel caps alone allow 20
    assert int(free.tours["agents"].sum()) > 10
    assert int(capped.tours["agents"].sum()) <= 10


def test_pool_rows_bind_in_the_shift_plan(keeps_rules):
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1],
                                  "shift": RULES["shift"][:2]})
    requirements = _requirements()
    free = plan_shifts(requirements, rules)
    keeps_rules(free, rules)
    planned = int(free.tours["agents"].sum())
    limit = planned - 3
    capped = plan_shifts(requirements, rules, caps=HeadcountCaps(
        pools=(AgentPool("full_time", frozenset({"email", "voice"}), frozenset(range(7)), limit),)))
    keeps_rules(capped, rules)
    assert int(capped.tours["agents"].sum()) <= limit < planned


def _matching_fills_every_tour(pools: list[AgentPool], tours: dict[tuple, int]) -> bool:
    """Brute force: one agent per tour by a maximum bipartite matching of agents to tour units."""
    agents = [pool for pool in pools for _ in range(pool.count)]
    units = [key for key, count in tours.items() for _ in range(count)]
    if not units:
        return True
    able = np.array([[pool.can_take("full_time", channel, list(days), 8.0 * len(days)) for channel, days in units]
                     for pool in agents], dtype=float).reshape(len(agents), len(units))
    if not len(agents):
        return False
    rows, cols = linear_sum_assignment(-able)
    return int(able[rows, cols].sum()) == len(units)


def test_hall_rows_hold_exactly_when_every_tour_finds_an_agent():
    """The pool rows of the shift model against an exact matching, on random small instances."""
    rng = np.random.default_rng(11)
    channels = ["voice", "chat", "email"]
    kinds = [(c, days) for c in channels for days in [(0, 1, 2), (2, 3, 4), (4, 5, 6), (0, 5)]]
    agreed = {True: 0, False: 0}
    for _ in range(300):
        pools = []
        for _pool in range(rng.integers(1, 5)):
            skills = frozenset(c for c in channels if rng.random() < 0.5) or frozenset({"voice"})
            workdays = frozenset(d for d in range(7) if rng.random() < 0.8)
            pools.append(AgentPool("full_time", skills, workdays, int(rng.integers(1, 4))))
        tours = {kind: int(rng.integers(0, 3)) for kind in kinds if rng.random() < 0.4}
        pool_vars: dict[frozenset[int], list] = {}
        for kind, count in tours.items():
            channel, days = kind
            able = frozenset(j for j, p in enumerate(pools) if p.can_take("full_time", channel, list(days), 8.0 * len(days)))
            if able:
                pool_vars.setdefault(able, []).append(kind)
        takeable = all(any(p.can_take("full_time", c, list(d), 8.0 * len(d)) for p in pools)
                       for (c, d), count in tours.items() if count)
        rows_hold = takeable and all(sum(tours[k] for k in members) <= limit
                                     for _label, members, limit in hall_rows(tuple(pools), pool_vars)[0])
        matched = _matching_fills_every_tour(pools, tours)
        assert rows_hold == matched, (pools, tours)
        agreed[matched] += 1
    assert agreed[True] > 30 and agreed[False] > 30  # both outcomes exercised


def test_skills_and_days_off_together_leave_no_tour_unfilled(keeps_rules):
    """Chat agents off on weekends and weekend chat work: per-skill and per-weekday counts both
    allow tours that no single agent can take; the pool rows do not."""
    early = {**RULES["shift"][0], "channels": ["voice", "chat"], "activity": []}
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1], "shift": [early]})
    times = pd.date_range(MONDAY, periods=7 * 48, freq="30min")
    hour = np.asarray(times.hour)
    day_time = ((hour >= 7) & (hour < 15)).astype(float)
    requirements = pd.concat([
        pd.DataFrame({"interval_start": times, "channel": "voice", "required_agents": 4 * day_time}),
        pd.DataFrame({"interval_start": times, "channel": "chat", "required_agents": 4 * day_time}),
    ], ignore_index=True)
    rows = ([{"agent_id": f"C{k}", "contract": "full_time", "channels": "chat", "unavailable": "Sat|Sun"}
             for k in range(6)]
            + [{"agent_id": f"V{k}", "contract": "full_time", "channels": "voice"} for k in range(6)])
    agents = agents_from_frame(pd.DataFrame(rows), rules)
    caps = headcount_caps(agents, MONDAY)
    plan = plan_shifts(requirements, rules, caps=caps)
    keeps_rules(plan, rules, agents=agents)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        roster = build_roster(plan, rules, agents=agents)
    assert len(roster.unfilled) == 0
    chat = plan.tours[plan.tours["channel"] == "chat"]
    assert (chat["pattern"].str[5:] == "..").all()  # no chat tour on a weekend: no chat agent works one
    # the per-weekday count alone (6 voice agents on Saturday) would have allowed weekend chat tours
    assert caps.by_contract_weekday[("full_time", 5)] == 6


def _lp_objective(rules: RuleSet, requirements: pd.DataFrame, caps: HeadcountCaps) -> tuple[float, int]:
    grid = week_grid(requirements, interval_minutes=rules.interval_minutes, wrap=rules.wrap_week)
    model = ShiftModel(rules, grid, channel_demands(requirements, grid), caps, hard=False, integer_activities=False)
    status, objective, _ = model.solve(mip=False)
    assert status == "Optimal"
    return objective, len(model.cap_rows)


def test_caps_the_pool_rows_imply_are_left_out_without_changing_the_lp(monkeypatch):
    """Per-contract, per-skill and per-weekday caps are implied by the complete pool rows: the
    model leaves them out, and its LP optimum is the one with them in (random agent lists
    small enough for the caps to bind)."""
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft"})
    requirements = _requirements()
    rng = np.random.default_rng(5)
    for _ in range(4):
        agents = [Agent(f"A{n}", "full_time", ("voice", "email")) for n in range(3)]  # the week's e-mail
        for n in range(int(rng.integers(6, 14))):
            contract = "full_time" if rng.random() < 0.7 else "part_time"
            skills = ("voice", "email") if rng.random() < 0.5 else ("voice",)
            off = frozenset(int(d) for d in rng.choice(7, size=int(rng.integers(0, 3)), replace=False))
            agents.append(Agent(f"A{n}", contract, skills, unavailable_weekdays=off))
        caps = headcount_caps(agents, MONDAY)
        lean, lean_rows = _lp_objective(rules, requirements, caps)
        monkeypatch.setattr(headcount, "implied_caps", lambda _caps: {})
        full, full_rows = _lp_objective(rules, requirements, caps)
        monkeypatch.undo()
        assert full_rows > lean_rows  # the aggregated caps were really left out
        assert lean == pytest.approx(full, rel=1e-7)
        free, _ = _lp_objective(rules, requirements, HeadcountCaps())
        assert lean > free + 1.0  # and the agents do bind: the instance tests something


def test_a_cap_below_the_pools_headcount_stays_in_the_model(keeps_rules):
    """A cap lowered under the pools' own headcount (the re-plan tightening, or max_agents) is
    not implied, so it is kept and binds."""
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1],
                                  "shift": RULES["shift"][:2]})
    requirements = _requirements()
    agents = [Agent(f"A{n}", "full_time", ("voice", "email")) for n in range(40)]
    caps = headcount_caps(agents, MONDAY)
    loose = plan_shifts(requirements, rules, caps=caps)
    planned = int(loose.tours["agents"].sum())
    tight = dataclasses.replace(caps, by_contract={"full_time": planned - 2})
    capped = plan_shifts(requirements, rules, caps=tight)
    assert int(capped.tours["agents"].sum()) <= planned - 2
    for plan in (loose, capped):  # both rosters keep every rule, on the agents the caps came from
        assert not len(keeps_rules(plan, rules, agents=agents).unfilled)


def test_blending_never_counts_on_more_agents_than_have_both_skills(keeps_rules):
    """Blended e-mail in the plan is capped by the agents who have both skills (before, the
    idle time of voice-only agents was planned as e-mail capacity no one in the roster could
    use), and the integer completion keeps the cap."""
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1],
                                  "shift": RULES["shift"][:2]})
    requirements = _requirements()
    voice_only = [Agent(f"V{n:02d}", "full_time", ("voice",)) for n in range(30)]
    agents = voice_only + [Agent(f"E{n}", "full_time", ("voice", "email")) for n in range(3)]
    plan = plan_shifts(requirements, rules, caps=headcount_caps(agents, MONDAY))
    keeps_rules(plan, rules, agents=agents)
    per_interval = plan.blending.groupby("interval")["agents"].sum()
    assert per_interval.max() <= 3
    # the cap binds: the 3 skilled agents all work e-mail at the peak, blended or on an e-mail
    # shift (since the anytime scheduler, one of them takes a dedicated e-mail shift: 1.5 % cheaper),
    # where idle voice time would take more
    email = plan.coverage[plan.coverage["channel"] == "email"]["scheduled"]
    assert email.max() == 3 and (email <= 3 + 1e-9).all()


def test_email_with_no_one_skilled_for_it_is_explained():
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1],
                                  "shift": RULES["shift"][:2]})
    agents = [Agent(f"V{n:02d}", "full_time", ("voice",)) for n in range(30)]
    with pytest.raises(InfeasibleError, match="channel 'email' has 5,400 minutes of work in the week but no one "
                                              "can do it: no agent in the agent list has skill 'email'"):
        plan_shifts(_requirements(), rules, caps=headcount_caps(agents, MONDAY))


def test_the_roster_does_all_the_blended_email_the_plan_counts_on(keeps_rules):
    """Tours that blend go only to agents with the deferred skill (their own variable in the
    plan, taken by the pools that have it), so the named roster's e-mail coverage is the plan's
    in every interval, with most of the agents voice-only."""
    rules = RuleSet.from_mapping({**RULES, "coverage": "soft", "contract": RULES["contract"][:1],
                                  "shift": RULES["shift"][:2]})
    requirements = _requirements()
    agents = ([Agent(f"V{n:02d}", "full_time", ("voice",)) for n in range(30)]
              + [Agent(f"E{n}", "full_time", ("voice", "email")) for n in range(3)])
    plan = plan_shifts(requirements, rules, caps=headcount_caps(agents, MONDAY))
    keeps_rules(plan, rules, agents=agents)
    assert plan.tours["blends"].any() and not plan.tours["blends"].all()
    roster = build_roster(plan, rules, agents=agents)
    assert not len(roster.unfilled)
    blenders = set(roster.assignments.loc[roster.assignments["agent_id"].str.startswith("E"), "agent_id"])
    worked = set(roster.activities.loc[roster.activities["activity"] == "email", "agent_id"])
    assert worked and worked <= blenders
    both = roster.coverage.merge(plan.coverage, on=["interval_start", "channel"], suffixes=("", "_plan"))
    np.testing.assert_allclose(both["scheduled"], both["scheduled_plan"])  # every channel, every interval


def test_a_week_starting_on_sunday_keeps_weekdays_days_off_and_availability(keeps_rules):
    """Israeli and Gulf centres plan Sunday to Saturday: the week starts on the requirements'
    first day, templates' days and agents' unavailable weekdays are calendar days, and the
    days off of a no-wrap week are counted inside that Sunday week."""
    sunday = pd.Timestamp("2024-01-07")
    requirements = pd.DataFrame([
        {"interval_start": sunday + pd.Timedelta(days=d, hours=h), "queue": "main", "channel": "voice",
         "volume": 0.0, "aht_s": 0.0, "required_agents": 1.0 if d < 5 and 9 <= h < 17 else 0.0}
        for d in range(7) for h in range(24)])
    rules = RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": "hard", "over_penalty": 0.0, "wrap_week": False,
        "max_consecutive_days": 5,
        "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 1.0}],
        "shift": [{"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 480,
                   "earliest_start": "09:00", "days": ["Sun", "Mon", "Tue", "Wed", "Thu"]}],
    })
    agents = (Agent("NOSUN", "ft", ("voice",), unavailable_weekdays=frozenset({6})), Agent("ANY", "ft", ("voice",)))
    grid = week_grid(requirements, interval_minutes=60, wrap=False)
    assert grid.start == sunday
    plan = plan_shifts(requirements, rules, caps=headcount_caps(agents, grid.start))
    assert plan.status == "Optimal" and plan.cost == pytest.approx(40.0)  # one agent, Sun-Thu, 8 h
    assert plan.tours["pattern"].tolist() == ["SMTWT.."]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the tour finds the agent who works Sundays
        roster = build_roster(plan, rules, agents=agents)
    days = pd.to_datetime(roster.roster["date"]).dt.strftime("%a").tolist()
    assert days == ["Sun", "Mon", "Tue", "Wed", "Thu"] and set(roster.roster["agent_id"]) == {"ANY"}
    assert check_roster(roster.roster, roster.activities, rules, agents=agents, coverage=roster.coverage,
                        week_start=sunday) == []
    keeps_rules(plan, rules, agents=agents, roster=roster)  # and the priced, planned and roster coverage agree
    # a pool's days off are named by the calendar, not by their place in the week
    caps = headcount_caps(agents, grid.start)
    assert {pool.label() for pool in caps.pools} == {"voice off Sun", "voice"}
    assert [sorted(pool.workdays) for pool in caps.pools] == [[1, 2, 3, 4, 5, 6], list(range(7))]

"""Why hard coverage is infeasible (scheduling.shifts.explain): one tiny instance per constraint
family of the shift model, each made infeasible by THAT rule alone, and the explanation names
that rule and the intervals (or the contract, the agents) - and no rule that did not bind."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from scheduling.rules import RuleSet
from scheduling.shifts import AgentPool, GoalUnreachableError, HeadcountCaps, InfeasibleError, plan_shifts

MONDAY = pd.Timestamp("2024-01-01")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _requirements(need: dict[tuple[int, int], float], channel: str = "voice") -> pd.DataFrame:
    """60-minute grid; ``need[(day, hour)]`` agents on ``channel``, 0 elsewhere."""
    return pd.DataFrame([
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "queue": "main", "channel": channel,
         "volume": 0.0, "aht_s": 0.0, "required_agents": float(need.get((d, h), 0.0))}
        for d in range(7) for h in range(24)])


def _email(work: dict[tuple[int, int], float], *, due_minutes: float) -> pd.DataFrame:
    """E-mail work (agent-minutes) arriving at ``(day, hour)``, due ``due_minutes`` later."""
    return pd.DataFrame([
        {"interval_start": MONDAY + pd.Timedelta(days=d, hours=h), "channel": "email",
         "required_agents": work.get((d, h), 0.0) / 60, "workload_minutes": work.get((d, h), 0.0),
         "due_minutes": due_minutes}
        for d in range(7) for h in range(24)])


def _shift(name: str = "s", *, start: str = "08:00", latest: str | None = None, hours: int = 8,
           contract: str = "ft", channels=("voice",), **more) -> dict:
    return {"name": name, "contract": contract, "channels": list(channels), "length_minutes": 60 * hours,
            "earliest_start": start, "latest_start": latest or start, "start_step_minutes": 60, **more}


def _rules(shifts: list[dict], contracts: list[dict] | None = None, **more) -> RuleSet:
    return RuleSet.from_mapping({
        "interval_minutes": 60, "coverage": "hard", "over_penalty": 0.0, "min_rest_hours": 8,
        "max_consecutive_days": 7, "time_limit_s": 20,
        "contract": contracts or [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 1.0}],
        "shift": shifts, **more})


def _explained(requirements: pd.DataFrame, rules: RuleSet, caps: HeadcountCaps | None = None) -> InfeasibleError:
    with pytest.raises(InfeasibleError) as info:
        plan_shifts(requirements, rules, caps=caps)
    return info.value


def _binding(error: InfeasibleError) -> str:
    return " | ".join(error.explanation["binding"])


# ----------------------------------------------------------------- tours (start windows)


def test_a_requirement_outside_every_start_window_names_the_windows_and_the_hours():
    # the only shift starts at 08:00 for 8 h; Tuesday 20:00 needs one agent
    error = _explained(_requirements({(0, 9): 1, (1, 20): 1}), _rules([_shift()]))
    assert "voice short in 1 interval(s) (Tue 20:00-21:00)" in str(error)
    assert _binding(error) == "template windows / opening hours: no [[shift]] serving 'voice' is on duty Tue 20:00-21:00"


# ----------------------------------------------------------------- coverage (per channel)


def test_a_channel_whose_shifts_are_not_on_duty_is_named_apart_from_one_that_is():
    # voice is served 00:00-24:00, chat only 08:00-12:00: chat at 14:00 is short, voice is not
    rules = _rules([_shift("voice", start="00:00", latest="23:00", hours=8),
                    _shift("chat", hours=4, channels=("chat",))])
    requirements = pd.concat([_requirements({(2, 14): 1}), _requirements({(2, 14): 1}, channel="chat")],
                             ignore_index=True)
    error = _explained(requirements, rules)
    assert [s["channel"] for s in error.explanation["shortfalls"]] == ["chat"]
    assert "chat short in 1 interval(s) (Wed 14:00-15:00)" in str(error)
    assert _binding(error) == "template windows / opening hours: no [[shift]] serving 'chat' is on duty Wed 14:00-15:00"


# ----------------------------------------------------------------- day patterns and days off


def test_a_weekday_no_day_pattern_works_names_the_contract_and_the_day():
    # Mon, Tue, Wed, Fri; 3 days a week with 4 days off in a row: only Mon-Wed (Thu-Sun off)
    # fits, so no week works Friday although the shift's days include it
    rules = _rules([_shift(days=["Mon", "Tue", "Wed", "Fri"])],
                   [{"name": "ft", "days_per_week": 3, "consecutive_days_off": 4, "hourly_cost": 1.0}])
    error = _explained(_requirements({(0, 9): 1, (4, 9): 2}), rules)
    assert "voice short in 1 interval(s) (Fri 09:00-10:00)" in str(error)
    assert _binding(error) == ("day patterns: no week of contract 'ft' (days_per_week 3..3, consecutive_days_off=4, "
                               "max_consecutive_days=7) on [[shift]] 's' works Fri; short Fri 09:00-10:00")


def test_day_patterns_with_a_cap_name_the_cap():
    # 5 agents at most, each 5 days a week: 25 agent-days for 5 every day (35): the cap binds
    rules = _rules([_shift()], [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 1.0,
                                 "max_agents": 5}])
    error = _explained(_requirements({(d, 9): 5 for d in range(7)}), rules)
    assert _binding(error) == "headcount cap: contract 'ft' max_agents=5 (all used)"
    assert error.explanation["shortfalls"][0]["channel"] == "voice"


# ----------------------------------------------------------------- activities


def test_a_break_every_shift_takes_in_the_short_hour_names_the_break():
    # the only shift is 08:00-10:00 with its break fixed at 09:00 for 60 min: 09:00 is never covered
    activity = [{"kind": "break", "length_minutes": 60, "earliest_after_start": 60, "latest_after_start": 60}]
    error = _explained(_requirements({(0, 8): 1, (0, 9): 1}), _rules([_shift(hours=2, activity=activity)]))
    assert "voice short in 1 interval(s) (Mon 09:00-10:00)" in str(error)
    assert _binding(error) == ("activity windows: every shift on duty Mon 09:00-10:00 takes an activity then "
                               "([[shift]] 's' break at 60-60 min after its start)")


# ----------------------------------------------------------------- blending and backlog


def test_hard_plan_without_capacity_for_the_work_names_the_cap():
    # 3,000 minutes of e-mail in the week, one agent at most for 5 x 480 = 2,400
    work = {(d, 9): 600.0 for d in range(5)}
    rules = _rules([_shift("e", channels=("email",))],
                   [{"name": "ft", "days_per_week": 5, "hourly_cost": 1.0, "max_agents": 1}])
    error = _explained(_email(work, due_minutes=7 * 1440.0), rules)
    assert "email: 600 minutes of work the week has no capacity for" in str(error)
    assert _binding(error) == "headcount cap: contract 'ft' max_agents=1 (all used)"


def test_work_no_one_can_do_before_it_is_due_names_the_due_time_and_the_arrival():
    # voice agents 08:00-16:00 may work e-mail in their idle time; e-mail arriving Tuesday 18:00
    # is due an hour later, when no agent serving or blending into e-mail is on duty
    rules = _rules([_shift(channels=("voice", "email"))])
    requirements = pd.concat([_requirements({(0, 9): 1}), _email({(0, 10): 30.0, (1, 18): 30.0}, due_minutes=60.0)],
                             ignore_index=True)
    error = _explained(requirements, rules)
    assert str(error).startswith("hard coverage cannot be met: email: work overdue (up to 30 minutes) in 14 "
                                 "interval(s) (Tue 18:00-08:00)")
    assert _binding(error) == ("due_minutes / template windows: 'email' work arriving Tue 18:00-19:00 is due before "
                               "any [[shift]] serving or blending into 'email' is on duty to do it")


# ----------------------------------------------------------------- headcount and Hall rows


def test_contract_caps_name_every_contract_that_binds_and_no_other():
    # full-time at most 1, part-time at most 1; 3 agents needed at 09:00 every day
    contracts = [{"name": "ft", "days_per_week": 7, "hourly_cost": 2.0, "max_agents": 1},
                 {"name": "pt", "days_per_week": 7, "hourly_cost": 1.0, "max_agents": 1}]
    rules = _rules([_shift("full"), _shift("part", hours=4, contract="pt")], contracts)
    error = _explained(_requirements({(d, 9): 3 for d in range(7)}), rules)
    assert _binding(error) == ("headcount cap: contract 'ft' max_agents=1 (all used) | "
                               "headcount cap: contract 'pt' max_agents=1 (all used)")


def test_a_cap_used_up_for_cost_alone_is_not_named():
    # the cheap part-timer (cap 1) covers 08:00-12:00 beside a full-timer: its cap is used up,
    # but the shortfall (Mon 20:00, outside every window) has nothing to do with it
    contracts = [{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0},
                 {"name": "pt", "days_per_week": 7, "hourly_cost": 0.5, "max_agents": 1}]
    rules = _rules([_shift("full"), _shift("part", hours=4, contract="pt")], contracts)
    need = {(d, h): (2 if h < 12 else 1) for d in range(7) for h in range(8, 16)}
    error = _explained(_requirements({**need, (0, 20): 1}), rules)
    assert _binding(error) == "template windows / opening hours: no [[shift]] serving 'voice' is on duty Mon 20:00-21:00"


def test_skill_and_weekday_caps_are_named():
    rules = _rules([_shift()], [{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}])
    skill = _explained(_requirements({(0, 9): 2}), rules, HeadcountCaps(by_contract_channel={("ft", "voice"): 1}))
    assert _binding(skill) == "headcount cap: 1 agent(s) of contract 'ft' with skill 'voice' (all used)"
    assert "voice short in 1 interval(s) (Mon 09:00-10:00)" in str(skill)
    day = _explained(_requirements({(2, 9): 2}), rules, HeadcountCaps(by_contract_weekday={("ft", 2): 1}))
    assert _binding(day) == "headcount cap: 1 agent(s) of contract 'ft' available on Wed (all used)"
    assert "voice short in 1 interval(s) (Wed 09:00-10:00)" in str(day)


def test_hall_row_of_the_named_agents_is_named():
    # two named agents, 3 needed: the Hall row of the pools is the binding rule
    rules = _rules([_shift()], [{"name": "ft", "days_per_week": 7, "hourly_cost": 1.0}])
    pools = (AgentPool("ft", frozenset({"voice"}), frozenset(range(7)), 1),
             AgentPool("ft", frozenset({"voice", "chat"}), frozenset(range(7)), 1))
    error = _explained(_requirements({(3, 9): 3}), rules, HeadcountCaps(pools=pools))
    assert _binding(error) == ("headcount cap: 2 agent(s) of contract 'ft' who can take these tours "
                               "(voice; chat|voice) (all used)")
    assert "voice short in 1 interval(s) (Thu 09:00-10:00)" in str(error)


# ----------------------------------------------------------------- named agents' availability


def test_named_agents_off_on_the_short_day_name_the_day():
    rules = _rules([_shift()])
    pools = (AgentPool("ft", frozenset({"voice"}), frozenset({0, 1, 2, 3, 4}), 3),)
    error = _explained(_requirements({(0, 9): 1, (5, 9): 1}), rules, HeadcountCaps(pools=pools))
    assert "voice short in 1 interval(s) (Sat 09:00-10:00)" in str(error)
    assert _binding(error) == ("named agents: no agent of contract 'ft' with skill 'voice' is available on Sat "
                               "([[shift]] 's'); short Sat 09:00-10:00")


def test_named_agents_without_the_skill_name_the_skill():
    rules = _rules([_shift("s", channels=("voice", "chat"))])
    pools = (AgentPool("ft", frozenset({"voice"}), frozenset(range(7)), 3),)
    requirements = pd.concat([_requirements({(0, 9): 1}), _requirements({(1, 9): 1}, channel="chat")],
                             ignore_index=True)
    error = _explained(requirements, rules, HeadcountCaps(pools=pools))
    assert [s["channel"] for s in error.explanation["shortfalls"]] == ["chat"]
    assert _binding(error) == ("named agents: no agent of contract 'ft' has skill 'chat' ([[shift]] 's'); "
                               "short Tue 09:00-10:00")


def test_named_agents_whose_hours_fit_no_week_name_the_hours():
    # 5 days x 8 h = 40 paid hours a week; the agents may work 30 at most
    rules = _rules([_shift()])
    pools = (AgentPool("ft", frozenset({"voice"}), frozenset(range(7)), 3, max_hours=30.0),)
    error = _explained(_requirements({(0, 9): 1}), rules, HeadcountCaps(pools=pools))
    assert _binding(error) == ("named agents: no agent of contract 'ft' with skill 'voice' has min_hours/max_hours "
                               "that fit a week of [[shift]] 's' with Mon; short Mon 09:00-10:00")


# ----------------------------------------------------------------- across processes


def test_the_explained_errors_survive_pickling():
    """A plan run on a Dask worker raises on the client as the same error, explanation included."""
    error = _explained(_requirements({(1, 20): 1}), _rules([_shift()]))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InfeasibleError and str(again) == str(error) and again.explanation == error.explanation
    goal = GoalUnreachableError("voice weekly target_sl 0.8 not reachable", {"shortfalls": [], "binding": ["b"]},
                                channel="voice", period="week", target_sl=0.8, best_service_level=0.25)
    back = pickle.loads(pickle.dumps(goal))
    assert type(back) is GoalUnreachableError and str(back) == str(goal) and back.explanation == goal.explanation
    assert (back.channel, back.period, back.target_sl, back.best_service_level) == ("voice", "week", 0.8, 0.25)

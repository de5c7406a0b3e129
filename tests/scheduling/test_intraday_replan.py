"""The intraday re-plan on small days with known answers: lunches moved out of a short hour,
overtime within the rest rule, voluntary time off where overstaffed, partial acceptance."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from scheduling.intraday import ReplanOptions, apply_changes, check_day, count_on_duty, replan_day
from scheduling.requirements import ServiceTarget
from scheduling.rules import RuleSet

DAY = pd.Timestamp("2025-06-03")  # a Tuesday
TARGETS = {"voice": ServiceTarget(channel="voice", aht_s=300, target_sl=0.8, answer_s=20, shrinkage=0.0),
           "chat": ServiceTarget(channel="chat", aht_s=300, target_sl=0.8, answer_s=60, shrinkage=0.0, concurrency=2)}


def _rules(min_rest_hours: float = 11.0) -> RuleSet:
    return RuleSet.from_mapping({
        "interval_minutes": 15, "min_rest_hours": min_rest_hours,
        "contract": [{"name": "ft", "days_per_week": [1, 5], "hourly_cost": 20.0}],
        "shift": [{"name": "day", "contract": "ft", "channels": ["voice", "chat"], "length_minutes": 480,
                   "paid_minutes": 450, "earliest_start": "08:00", "latest_start": "10:00", "start_step_minutes": 60,
                   "activity": [{"kind": "lunch", "length_minutes": 30, "paid": False, "earliest_after_start": 180,
                                 "latest_after_start": 300},
                                {"kind": "break", "length_minutes": 15, "paid": True, "earliest_after_start": 90,
                                 "latest_after_start": 150}]}],
    })


def _roster(n_voice: int, *, lunch: str = "12:00", start: str = "08:00", next_day_start: str | None = None,
             n_chat: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    shifts, acts = [], []
    for i in range(n_voice + n_chat):
        agent = f"A{i:02d}"
        begin = DAY + pd.Timedelta(start + ":00")
        shifts.append({"agent_id": agent, "date": DAY, "shift_start": begin, "shift_end": begin + pd.Timedelta(hours=8),
                       "channel": "voice" if i < n_voice else "chat"})
        if next_day_start:
            nxt = DAY + pd.Timedelta(days=1) + pd.Timedelta(next_day_start + ":00")
            shifts.append({"agent_id": agent, "date": DAY + pd.Timedelta(days=1), "shift_start": nxt,
                           "shift_end": nxt + pd.Timedelta(hours=8), "channel": "voice" if i < n_voice else "chat"})
        for shift in (s for s in shifts if s["agent_id"] == agent):
            b = shift["shift_start"] + pd.Timedelta(minutes=90)
            acts.append({"agent_id": agent, "start": b, "end": b + pd.Timedelta(minutes=15), "activity": "break"})
            lunch_at = shift["date"] + pd.Timedelta(lunch + ":00")
            acts.append({"agent_id": agent, "start": lunch_at, "end": lunch_at + pd.Timedelta(minutes=30), "activity": "lunch"})
    return pd.DataFrame(shifts), pd.DataFrame(acts)


def _demand(volume_by_hour: dict[int, float], channel: str = "voice", start: str = "12:00") -> pd.DataFrame:
    times = pd.date_range(DAY + pd.Timedelta(start + ":00"), DAY + pd.Timedelta(days=1), freq="15min", inclusive="left")
    vol = [volume_by_hour.get(t.hour, 0.0) for t in times]
    return pd.DataFrame({"interval_start": times, "channel": channel, "volume": vol})


def _answered_change(result) -> pd.Series:
    p = result.projection
    return p["answered_after"] - p["answered_before"]


def test_lunches_all_at_noon_in_a_busy_hour_are_spread_without_paid_hours():
    rules = _rules()
    roster, acts = _roster(12, lunch="12:00")
    demand = _demand({12: 10.0, 13: 5.0, 14: 5.0, 15: 4.0})  # all twelve at lunch at noon leaves nobody
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12))
    assert result.status.startswith(("Optimal", "Feasible"))
    assert result.shortfall_before > 0
    recovered = result.shortfall_before - result.shortfall_after
    assert recovered >= 0.5 * result.shortfall_before
    assert result.extra_paid_hours <= 0 and result.extra_cost <= 0  # no paid hours added (VTO may take some off)
    moves_only = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                            options=ReplanOptions(overtime=False, vto=False))
    assert moves_only.extra_paid_hours == 0 and moves_only.shortfall_after == pytest.approx(result.shortfall_after, abs=1e-6)
    moved = result.edits[result.edits["kind"] == "move"]
    assert len(moved) > 0 and set(moved["activity"]) == {"lunch"}
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []
    # every moved lunch keeps its row and stays in its window (11:00..13:00 start)
    for e in moved.itertuples():
        row = acts2.loc[e.activity_row]
        assert row["activity"] == "lunch"
        assert DAY + pd.Timedelta(hours=11) <= row["start"] <= DAY + pd.Timedelta(hours=13)


def test_no_interval_loses_more_than_the_others_gain():
    rules = _rules()
    roster, acts = _roster(8, lunch="12:30")
    demand = _demand({12: 14.0, 13: 18.0, 14: 9.0, 15: 6.0})
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                        options=ReplanOptions(vto=False))
    change = _answered_change(result)
    gains = change.clip(lower=0).sum()
    for loss in (-change.clip(upper=0)):
        assert loss <= gains - 0 + 1e-6
    assert change.sum() >= -1e-6  # without VTO the total answered within T never falls


def test_overtime_respects_the_rest_rule_and_the_template_end():
    # shifts 08:00-16:00, next day 08:00 again
    roster, acts = _roster(3, lunch="12:00", next_day_start="08:00")
    rules = _rules(min_rest_hours=15.5)  # 16:30 + 15.5 h = 08:00: 30 minutes of overtime at most
    demand = _demand({16: 4.0, 17: 4.0})  # after the shifts end: only overtime can help
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=14),
                        options=ReplanOptions(value_per_contact=50.0))
    ot = result.edits[result.edits["kind"] == "overtime"]
    assert len(ot) == 3
    assert (pd.to_datetime(ot["new_end"]) == DAY + pd.Timedelta(hours=16, minutes=30)).all()
    assert result.extra_cost == pytest.approx(3 * 0.5 * 20.0 * 1.5)
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []
    assert (roster2.loc[roster2["date"] == DAY, "overtime_minutes"] == 30).all()


def test_check_day_catches_a_broken_rest_and_a_break_out_of_window():
    rules = _rules(min_rest_hours=15.5)
    roster, acts = _roster(1, next_day_start="08:00")
    late = roster.copy()
    late.loc[0, "shift_end"] = DAY + pd.Timedelta(hours=17)
    late["overtime_minutes"] = [60, 0]
    assert any("rest" in p for p in check_day(late, acts, rules))
    moved = acts.copy()
    moved.loc[0, "start"] = DAY + pd.Timedelta(hours=12, minutes=45)
    moved.loc[0, "end"] = DAY + pd.Timedelta(hours=13)
    assert any("outside 90..150" in p for p in check_day(roster, moved, rules))


def test_voluntary_time_off_only_where_overstaffed():
    rules = _rules()
    roster, acts = _roster(12, lunch="12:00")
    demand = _demand({12: 20.0, 13: 20.0, 14: 3.0, 15: 2.0})
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12))
    vto = result.edits[result.edits["kind"] == "vto"]
    assert len(vto) > 0 and result.extra_cost < 0
    p = result.projection
    lowered = p[p["answered_after"] < p["answered_before"] - 1e-9]
    assert (lowered["sl_after"] >= lowered["target_sl"] - 1e-9).all()  # given up only above target
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []


def test_blended_agents_switch_channel_and_accepting_part_keeps_the_rules():
    rules = _rules()
    roster, acts = _roster(6, lunch="13:00", n_chat=6)
    demand = pd.concat([_demand({12: 30.0, 13: 12.0, 14: 12.0, 15: 12.0}), _demand({12: 2.0, 13: 2.0}, channel="chat")])
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                        options=ReplanOptions(overtime=False, vto=False))
    switches = result.edits[result.edits["kind"] == "switch"]
    assert len(switches) > 0 and set(switches["channel"]) == {"voice"}
    assert result.shortfall_after < result.shortfall_before
    first = int(result.changes["change_id"].iloc[0])
    roster2, acts2 = apply_changes(roster, acts, result, accept=[first])
    assert check_day(roster2, acts2, rules) == []
    # counting: the accepted agent's switch moved exactly its minutes from chat to voice
    before = count_on_duty(roster, acts, start=DAY, end=DAY + pd.Timedelta(days=1), interval_minutes=15, channels=["voice", "chat"])
    after = count_on_duty(roster2, acts2, start=DAY, end=DAY + pd.Timedelta(days=1), interval_minutes=15, channels=["voice", "chat"])
    moved = after["scheduled"].to_numpy() - before["scheduled"].to_numpy()
    assert moved.sum() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="change id 999"):
        apply_changes(roster, acts, result, accept=[999])


def test_a_short_budget_still_ends_with_a_valid_proposal_no_worse_than_the_roster():
    """The time limit is for the whole call: with almost none the solvers get their minimum,
    keep the warm start (the unchanged roster, then stage 1's moves) and the proposal holds."""
    rules = _rules()
    roster, acts = _roster(12, lunch="12:00", n_chat=4)
    demand = pd.concat([_demand({12: 10.0, 13: 5.0, 14: 5.0, 15: 4.0}), _demand({12: 6.0, 13: 6.0}, channel="chat")])
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                        options=ReplanOptions(time_limit_s=0.01))
    assert result.status.startswith(("Optimal", "Feasible"))
    assert result.shortfall_after <= result.shortfall_before + 1e-6
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []


def test_moves_only_never_changes_paid_hours_on_a_busy_seeded_day():
    """Thirty agents starting 08:00-10:00 with breaks and lunches placed at random in their
    windows (seeded), an afternoon 30 % busier than they were planned for: moves only keeps
    every shift's start and end (no paid minute added or taken), every activity in its window
    and the projected shortfall no higher; with every lever the proposal keeps the rules."""
    rules = _rules()
    rng = np.random.default_rng(13)
    shifts, acts = [], []
    for i in range(30):
        begin = DAY + pd.Timedelta(hours=8 + int(rng.integers(0, 3)))
        shifts.append({"agent_id": f"A{i:02d}", "date": DAY, "shift_start": begin, "shift_end": begin + pd.Timedelta(hours=8),
                       "channel": "voice"})
        brk = begin + pd.Timedelta(minutes=90 + 15 * int(rng.integers(0, 5)))
        lunch = begin + pd.Timedelta(minutes=180 + 15 * int(rng.integers(0, 9)))
        acts += [{"agent_id": f"A{i:02d}", "start": brk, "end": brk + pd.Timedelta(minutes=15), "activity": "break"},
                 {"agent_id": f"A{i:02d}", "start": lunch, "end": lunch + pd.Timedelta(minutes=30), "activity": "lunch"}]
    roster, acts = pd.DataFrame(shifts), pd.DataFrame(acts)
    assert check_day(roster, acts, rules) == []
    demand = _demand({h: 1.3 * v for h, v in {12: 40.0, 13: 44.0, 14: 40.0, 15: 34.0, 16: 24.0, 17: 12.0}.items()})
    now = DAY + pd.Timedelta(hours=12)
    moves = replan_day(roster, acts, demand, TARGETS, rules, now=now, options=ReplanOptions(overtime=False, vto=False))
    assert moves.shortfall_before > 0
    assert moves.shortfall_after <= moves.shortfall_before + 1e-6
    assert moves.extra_paid_hours == 0 and moves.extra_cost == 0
    assert set(moves.edits["kind"]) <= {"move", "switch"}
    roster2, acts2 = apply_changes(roster, acts, moves)
    assert check_day(roster2, acts2, rules) == []
    pd.testing.assert_frame_equal(roster2[["agent_id", "shift_start", "shift_end"]].reset_index(drop=True),
                                  roster[["agent_id", "shift_start", "shift_end"]].reset_index(drop=True), check_dtype=False)
    # the same activities (kind and length per agent), only their starts changed
    key = ["agent_id", "activity"]
    lengths = lambda a: (a["end"] - a["start"]).groupby([a[k] for k in key]).sum().sort_index()  # noqa: E731
    pd.testing.assert_series_equal(lengths(acts2), lengths(acts))
    # with every lever in the same time the proposal is never worse than moves only (stage 1 is
    # the moves-only MIP with the whole window; stage 2 starts from it, under its shortfall)
    every = replan_day(roster, acts, demand, TARGETS, rules, now=now, options=ReplanOptions())
    assert every.shortfall_after <= moves.shortfall_after + 1e-6
    assert every.shortfall_after <= every.shortfall_before + 1e-6
    roster3, acts3 = apply_changes(roster, acts, every)
    assert check_day(roster3, acts3, rules) == []


def _blended_busy_day(n_agents: int = 30, heat: float = 1.3):
    """Thirty agents (every third on chat, all blended voice+chat) starting 08:00-10:00 with
    breaks and lunches at seeded places in their windows, an afternoon ``heat`` x busier on both
    channels: a MIP HiGHS does not prove optimal in seconds (stage 1 alone took 15 s at load 10)."""
    rng = np.random.default_rng(13)
    shifts, acts = [], []
    for i in range(n_agents):
        begin = DAY + pd.Timedelta(hours=8 + int(rng.integers(0, 3)))
        shifts.append({"agent_id": f"A{i:02d}", "date": DAY, "shift_start": begin, "shift_end": begin + pd.Timedelta(hours=8),
                       "channel": "voice" if i % 3 else "chat"})
        brk = begin + pd.Timedelta(minutes=90 + 15 * int(rng.integers(0, 5)))
        lunch = begin + pd.Timedelta(minutes=180 + 15 * int(rng.integers(0, 9)))
        acts += [{"agent_id": f"A{i:02d}", "start": brk, "end": brk + pd.Timedelta(minutes=15), "activity": "break"},
                 {"agent_id": f"A{i:02d}", "start": lunch, "end": lunch + pd.Timedelta(minutes=30), "activity": "lunch"}]
    demand = pd.concat([
        _demand({h: heat * v for h, v in {12: 40.0, 13: 44.0, 14: 40.0, 15: 34.0, 16: 24.0, 17: 12.0}.items()}),
        _demand({h: heat * v for h, v in {12: 20.0, 13: 30.0, 14: 24.0, 15: 20.0, 16: 16.0, 17: 8.0}.items()}, channel="chat")])
    return pd.DataFrame(shifts), pd.DataFrame(acts), demand


#: how far past its budget a re-plan may end (s): the model's building and the projection are
#: Python, not stopped; measured on the day below at load 9-10: the calls ended 0.9-2.2 s
#: before budgets of 3-12 s (build 1.4-2.8 s); at load 19 (this test run beside two benchmarks)
#: 2.0 and 2.9 s after budgets of 10 and 6 s; the old in-process solve ended 21 s past a 25 s one
DEADLINE_SLACK_S = 4.0


@pytest.mark.parametrize("budget_s", [6.0, 10.0])
def test_the_replan_ends_by_its_deadline_when_the_solver_would_run_past_it(monkeypatch, budget_s):
    """HiGHS reads its time limit only between root cut rounds, so a stage can run long past
    it: each stage runs in a child process killed at the stage's stop time. Here HiGHS's own
    limit is set 60 s past the stop time, so only the kill can end the solve: the whole call
    still ends within DEADLINE_SLACK_S of its budget, and the proposal (the best found before
    the kill, else the warm start) keeps every rule and is no worse than the roster.

    MIN_SOLVE_S is set to 0 so that stage 2 starts whatever stage 1 leaves: on a quiet machine
    stage 1 (moves only) of the day below is proven in 4.4-4.5 s and the 6 s budget's solving
    window is 4.5 s, so stage 1 could end by itself with less than MIN_SOLVE_S left and no
    stage would run past the deadline (CI, 2026-11-30). Both stages together take 18 s there
    (4.4 s + 13.6 s), 4 x the 6 s budget's window and 2.3 x the 10 s budget's (7.7 s), so one
    of them is always killed."""
    from scheduling import intraday

    monkeypatch.setattr(intraday, "SOLVER_GRACE_S", -60.0)
    monkeypatch.setattr(intraday, "MIN_SOLVE_S", 0.0)
    rules = _rules()
    # forty agents, 1.75 x busier: moves only not proven in 18.7 s of a 30 s budget at load 6.6
    # (the thirty-agent day's stage 1, now given the whole window, was proven in 6-7 s there,
    # so with a 10 s budget nothing would run past it)
    roster, acts, demand = _blended_busy_day(n_agents=40, heat=1.75)
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                        options=ReplanOptions(time_limit_s=budget_s))
    assert result.seconds <= budget_s + DEADLINE_SLACK_S, result.seconds
    assert any("stopped" in note and "deadline" in note for note in result.notes), result.notes
    assert result.status.startswith("Feasible")
    assert result.shortfall_after <= result.shortfall_before + 1e-6
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []


def test_the_replan_keeps_its_budget_with_the_solver_limits_as_set():
    """Without any help from the test the same day's re-plan (the solve alone would take over a
    minute) ends by its 6 s budget with a proposal that keeps every rule and is no worse."""
    rules = _rules()
    roster, acts, demand = _blended_busy_day()
    result = replan_day(roster, acts, demand, TARGETS, rules, now=DAY + pd.Timedelta(hours=12),
                        options=ReplanOptions(time_limit_s=6.0))
    assert result.seconds <= 6.0 + DEADLINE_SLACK_S, result.seconds
    assert result.status.startswith(("Optimal", "Feasible"))
    assert result.shortfall_after <= result.shortfall_before + 1e-6
    roster2, acts2 = apply_changes(roster, acts, result)
    assert check_day(roster2, acts2, rules) == []


def test_every_lever_gives_stage_one_the_moves_only_window_and_keeps_its_shortfall(monkeypatch):
    """All levers fell behind moves only on 2 of 8 sample days (63 % vs 91 %, 0 % vs 88 %) when
    stage 1 had 70 % of the solving window: on a day HiGHS does not prove in seconds, stage 1
    (moves) now runs to the same stop time as a moves-only re-plan's single stage and stage 2
    only gets what stage 1 leaves; stage 2 starts from stage 1's solution, so the proposal's
    shortfall is never above stage 1's."""
    from scheduling import intraday

    runs = []
    real_run = intraday.ReplanSolver.run

    def recording(self, columns, lower, upper, start, *, stop_at):
        answer = real_run(self, columns, lower, upper, start, stop_at=stop_at)
        runs.append((stop_at, answer))
        return answer

    monkeypatch.setattr(intraday.ReplanSolver, "run", recording)
    rules = _rules()
    roster, acts, demand = _blended_busy_day()
    now = DAY + pd.Timedelta(hours=12)
    budget_s = 8.0
    started = time.perf_counter()
    every = replan_day(roster, acts, demand, TARGETS, rules, now=now, options=ReplanOptions(time_limit_s=budget_s))
    assert len(runs) == 2
    (stop_1, first), (stop_2, _) = runs
    assert stop_1 == stop_2  # one solving window: stage 1 may use all of it, stage 2 what is left
    assert stop_1 <= started + (1 - intraday.POST_SOLVE_SHARE) * budget_s + 0.1  # the projection's time kept
    assert every.shortfall_after <= every.shortfall_before + 1e-6
    roster2, acts2 = apply_changes(roster, acts, every)
    assert check_day(roster2, acts2, rules) == []

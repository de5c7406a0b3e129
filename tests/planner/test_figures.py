"""Figure builders (planner.ui.figures) and the Erlang calculator (planner.calculator), no browser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.calculator import erlang_calculator, sl_curve
from planner.ui import figures


def _forecast(days: int = 2, *, channel: str = "voice") -> pd.DataFrame:
    starts = pd.date_range("2025-06-02 00:00", periods=4 * 24 * days, freq="15min")
    rng = np.random.default_rng(7)
    values = rng.uniform(5, 50, len(starts)).round(1)
    return pd.DataFrame({"interval_start": starts, "queue": "main", "channel": channel, "forecast": values,
                         "lo": values * 0.8, "hi": values * 1.2, "model": "m"})


# -- calculator ---------------------------------------------------------------------------
def test_calculator_classic_case():
    """100 calls / 30 min, 180 s, 80/20: 14 agents, SL 0.888, 20 scheduled with 30 % shrinkage."""
    r = erlang_calculator(calls=100, interval_s=1800, aht_s=180, answer_s=20, target_sl=0.8, shrinkage=0.3)
    assert r.net_agents == 14
    assert r.scheduled_agents == 20.0
    assert r.service_level == pytest.approx(0.8884, abs=1e-4)
    assert r.asa_s == pytest.approx(7.84, abs=0.01)
    assert r.traffic_erlangs == pytest.approx(10.0)
    assert r.model == "Erlang C"


def test_calculator_erlang_a_needs_no_more_agents_than_erlang_c():
    c = erlang_calculator(calls=300, interval_s=1800, aht_s=240, answer_s=20, target_sl=0.8)
    a = erlang_calculator(calls=300, interval_s=1800, aht_s=240, answer_s=20, target_sl=0.8, patience_s=120)
    assert a.model == "Erlang A" and a.p_abandon > 0
    assert a.net_agents <= c.net_agents


def test_calculator_occupancy_cap_binds():
    free = erlang_calculator(calls=2000, interval_s=1800, aht_s=240, answer_s=20, target_sl=0.8)
    capped = erlang_calculator(calls=2000, interval_s=1800, aht_s=240, answer_s=20, target_sl=0.8, max_occupancy=0.85)
    assert free.occupancy > 0.85 >= capped.occupancy
    assert capped.net_agents > free.net_agents


@pytest.mark.parametrize(
    "field, value",
    [("calls", -1), ("aht_s", 0), ("interval_s", "x"), ("target_sl", 1.0), ("shrinkage", 1.0), ("max_occupancy", 0)],
)
def test_calculator_names_the_bad_field(field, value):
    kwargs = dict(calls=100, interval_s=1800, aht_s=180, answer_s=20, target_sl=0.8)
    kwargs[field] = value
    with pytest.raises(ValueError, match=field):
        erlang_calculator(**kwargs)


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(1, 2000), aht_s=st.floats(30, 900), target=st.floats(0.5, 0.95))
def test_curve_agrees_with_calculator(calls, aht_s, target):
    """The curve is monotone and its first agent count meeting the target is the calculator's answer."""
    result = erlang_calculator(calls=calls, interval_s=1800, aht_s=aht_s, answer_s=20, target_sl=target)
    curve = sl_curve(calls=calls, interval_s=1800, aht_s=aht_s, answer_s=20,
                     agents=range(max(1, result.net_agents - 5), result.net_agents + 6))
    assert (np.diff(curve["service_level"]) >= -1e-12).all()
    meets = curve[curve["service_level"] >= target * (1 - 1e-12)]
    assert int(meets["agents"].iloc[0]) == result.net_agents or result.net_agents <= int(curve["agents"].iloc[0])


# -- figures ------------------------------------------------------------------------------
def test_forecast_figure_band_and_lines():
    fc = _forecast()
    history = pd.DataFrame({"interval_start": fc["interval_start"] - pd.Timedelta(days=7), "offered": 3})
    fig = figures.forecast_figure(history, fc)
    names = [t.name for t in fig.data]
    assert names == ["history (offered)", "10-90% range", "forecast"]
    band = fig.data[1]
    assert band.fill == "toself"
    assert len(band.x) == 2 * len(fc)
    assert np.allclose(band.y[: len(fc)], fc["hi"]) and np.allclose(band.y[len(fc):], fc["lo"][::-1])
    assert np.allclose(fig.data[2].y, fc["forecast"])


def test_forecast_figure_sums_queues():
    a, b = _forecast(1), _forecast(1).assign(queue="other")
    fig = figures.forecast_figure(None, pd.concat([a, b]))
    assert np.allclose(fig.data[-1].y, 2 * a["forecast"].to_numpy())


def _open_hours(days: pd.DatetimeIndex, *, first: str = "08:00", last: str = "17:30") -> pd.DatetimeIndex:
    """30-minute intervals from ``first`` to ``last`` on each of ``days``: the rows of a centre
    closed at night (and on the days not listed)."""
    return pd.DatetimeIndex([t for d in days for t in pd.date_range(f"{d:%Y-%m-%d} {first}", f"{d:%Y-%m-%d} {last}",
                                                                      freq="30min")])


def test_history_and_forecast_break_where_the_centre_is_closed():
    """Fri 6 and Mon 9 June (closed 18:00-08:00 and at the weekend): no line joins Friday 17:30
    to Monday 08:00 or an evening to the next morning; inside a day the line is whole."""
    hist_days = pd.DatetimeIndex(["2025-06-05", "2025-06-06", "2025-06-09"])  # Thu, Fri, (weekend), Mon
    hist_times = _open_hours(hist_days)
    history = pd.DataFrame({"interval_start": hist_times, "offered": np.arange(len(hist_times)) % 7 + 1})
    fc_times = _open_hours(pd.DatetimeIndex(["2025-06-10", "2025-06-11"]))
    values = np.linspace(5, 25, len(fc_times))
    fc = pd.DataFrame({"interval_start": fc_times, "queue": "main", "channel": "voice", "forecast": values,
                       "lo": values - 2, "hi": values + 2, "model": "m"})
    fig = figures.forecast_figure(history, fc, interval_minutes=30)
    hist, band, line = fig.data
    per_day = len(_open_hours(pd.DatetimeIndex(["2025-06-05"])))  # 20 intervals, 08:00..17:30
    assert per_day == 20
    # history: three runs of 20 points, a None between runs (Thu|Fri and Fri|Mon), nothing else missing
    x = list(hist.x)
    assert [i for i, v in enumerate(x) if v is None] == [per_day, 2 * per_day + 1]
    assert len(x) == 3 * per_day + 2 and hist.connectgaps is False
    friday_end, monday_start = x[2 * per_day], x[2 * per_day + 2]
    assert (pd.Timestamp(friday_end), pd.Timestamp(monday_start)) == (pd.Timestamp("2025-06-06 17:30"),
                                                                       pd.Timestamp("2025-06-09 08:00"))
    assert [v for v in hist.y if v is not None] == history["offered"].tolist()
    # forecast line and band: one run per day
    assert [i for i, v in enumerate(line.x) if v is None] == [per_day]
    assert np.allclose([v for v in line.y if v is not None], values)
    assert [i for i, v in enumerate(band.x) if v is None] == [2 * per_day]
    first_day = np.asarray(band.y[: 2 * per_day], float)
    assert np.allclose(first_day, np.r_[values[:per_day] + 2, (values[:per_day] - 2)[::-1]])


def test_a_complete_grid_is_one_unbroken_line():
    fc = _forecast(2)
    fig = figures.forecast_figure(None, fc, interval_minutes=15)
    assert None not in list(fig.data[-1].x) and len(fig.data[-1].x) == len(fc)
    # without interval_minutes the grid's step is the smallest step between the rows
    assert [list(s) for s in figures.segments(pd.Series(pd.to_datetime(
        ["2025-06-02 08:00", "2025-06-02 08:15", "2025-06-02 08:30", "2025-06-02 12:00"])))] == [[0, 1, 2], [3]]


def test_requirements_heatmap_is_day_by_time_of_day():
    fc = _forecast(3)
    req = fc.rename(columns={"forecast": "required_agents"})
    fig = figures.requirements_heatmap(pd.concat([req, req.assign(channel="chat", required_agents=1.0)]), channel="voice")
    heat = fig.data[0]
    z = np.asarray(heat.z)
    assert z.shape == (3, 96)
    assert list(heat.y) == ["Mon 2025-06-02", "Tue 2025-06-03", "Wed 2025-06-04"]
    assert heat.x[0] == "00:00" and heat.x[-1] == "23:45"
    day2_0900 = req[req["interval_start"] == pd.Timestamp("2025-06-03 09:00")]["required_agents"].iloc[0]
    assert z[1, 36] == pytest.approx(day2_0900)
    with pytest.raises(ValueError, match="email"):
        figures.requirements_heatmap(req, channel="email")


def test_coverage_figure_gap_is_scheduled_minus_required():
    starts = pd.date_range("2025-06-02 08:00", periods=4, freq="15min")
    cov = pd.DataFrame({"interval_start": starts, "channel": "voice", "required": [3.0, 5.0, 4.0, 2.0],
                        "scheduled": [4.0, 4.0, 4.0, 4.0]})
    fig = figures.coverage_figure(cov, channel="voice")
    gap = fig.data[0]
    assert list(gap.y) == [1.0, -1.0, 0.0, 2.0]
    assert gap.marker.color[1] == figures.REQUIRED_COLOR  # under-staffed interval in red
    assert list(fig.data[1].y) == [3.0, 5.0, 4.0, 2.0] and list(fig.data[2].y) == [4.0] * 4


def test_roster_timeline_bars_and_activities_inside_shifts():
    roster = pd.DataFrame({"agent_id": ["A", "B", "C"], "date": ["2025-06-02", "2025-06-02", "2025-06-03"],
                           "shift_start": ["2025-06-02T08:00", "2025-06-02T22:00", "2025-06-03T08:00"],
                           "shift_end": ["2025-06-02T16:30", "2025-06-03T06:30", "2025-06-03T16:30"],
                           "channel": ["voice", "chat", "voice"]})
    acts = pd.DataFrame({"agent_id": ["A", "B", "C"], "start": ["2025-06-02T12:00", "2025-06-03T02:00", "2025-06-03T12:00"],
                         "end": ["2025-06-02T12:30", "2025-06-03T02:30", "2025-06-03T12:30"], "activity": "lunch"})
    fig = figures.roster_timeline(roster, acts, day="2025-06-02")
    shifts = {t.name: t for t in fig.data}
    assert set(shifts) == {"shift (voice)", "shift (chat)", "lunch"}
    assert list(shifts["shift (voice)"].y) == ["A"]
    assert shifts["shift (voice)"].x[0] == pytest.approx(8.5 * 3600 * 1000)  # bar length in ms
    assert sorted(shifts["lunch"].y) == ["A", "B"]  # the night shift's lunch after midnight is kept, C's is another day
    assert "No shifts" in figures.roster_timeline(roster, acts, day="2025-06-05").layout.annotations[0].text


def test_sl_curve_figure_marks_the_answer():
    curve = sl_curve(calls=100, interval_s=1800, aht_s=180, answer_s=20)
    fig = figures.sl_curve_figure(curve, target_sl=0.8, required=14, answer_s=20)
    star = [t for t in fig.data if t.name and t.name.startswith("needed")][0]
    assert star.x[0] == 14 and star.y[0] == pytest.approx(0.8884, abs=1e-4)
    assert fig.layout.shapes[0].y0 == 0.8


def test_scenario_bars_one_panel_per_metric():
    table = pd.DataFrame({"name": ["base", "volume +10%"], "cost": [100.0, 112.0], "fte": [10.0, 11.0],
                          "service_level": [0.82, 0.80], "cost_per_contact": [1.0, 1.02]})
    fig = figures.scenario_bars(table)
    assert len(fig.data) == 4
    assert [list(t.y) for t in fig.data][0] == [100.0, 112.0]
    assert [a.text for a in fig.layout.annotations] == ["cost per week", "FTE", "service level", "cost per contact"]
    assert figures.scenario_bars(table.iloc[:0]).layout.annotations[0].text == "No scenarios to compare"


def test_frontier_figure_sorted_by_target_with_budget_point():
    table = pd.DataFrame({"target": [0.9, 0.7, 0.8], "cost": [130.0, 100.0, 110.0], "service_level": [0.91, 0.72, 0.81],
                          "plan": ["t90", "t70", "t80"]})
    fig = figures.frontier_figure(table, budget=(115.0, 0.84))
    assert list(fig.data[0].y) == [100.0, 110.0, 130.0]
    assert list(fig.data[0].text) == ["70%", "80%", "90%"]
    assert fig.data[1].name == "budget" and fig.data[1].y[0] == 115.0


def test_intraday_figure_reforecast_only_for_the_rest_of_the_day():
    starts = pd.date_range("2025-06-02 08:00", periods=6, freq="15min")
    seen = np.array([True, True, True, False, False, False])
    frame = pd.DataFrame({"interval_start": starts, "channel": "voice", "forecast": 10.0,
                          "actual": np.where(seen, 12.0, np.nan), "reforecast": [12, 12, 12, 11.5, 11.5, 11.5],
                          "reforecast_lo": [12, 12, 12, 8, 8, 8], "reforecast_hi": [12, 12, 12, 15, 15, 15],
                          "gap": [0.0, -1.0, 1.0, 0.5, -0.5, 0.0], "seen": seen})
    fig = figures.intraday_figure(frame, channel="voice", now=starts[3])
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["re-forecast"].x) == 3
    assert len(by_name["re-forecast 10-90%"].x) == 6
    assert list(by_name["gap"].y) == [0.0, -1.0, 1.0, 0.5, -0.5, 0.0]
    assert by_name["gap"].yaxis == "y2"
    with pytest.raises(ValueError, match="chat"):
        figures.intraday_figure(frame, channel="chat")


def test_capacity_figure_required_available_and_hires():
    weeks = pd.date_range("2025-06-02", periods=4, freq="7D")
    weekly = pd.DataFrame({"week": list(weeks) * 2, "channel": ["voice"] * 4 + ["chat"] * 4,
                           "required_fte": [50.0, 52, 55, 53, 10, 10, 11, 12], "available_fte": [48.0, 50, 56, 55, 10, 10, 10, 12],
                           "hires_starting": [0, 6, 0, 0, 0, 0, 0, 2]})
    fig = figures.capacity_figure(weekly, channel="voice")
    by_name = {t.name.split(" (")[0]: t for t in fig.data}
    assert list(by_name["required FTE"].y) == [50.0, 52, 55, 53]
    assert list(by_name["hires starting"].y) == [0, 6, 0, 0] and by_name["hires starting"].yaxis == "y2"
    with pytest.raises(ValueError, match="email"):
        figures.capacity_figure(weekly, channel="email")


def test_roster_timeline_draws_every_shift_and_says_so():
    """113 shifts on one day: all drawn, one row per agent, and the title says how many; a
    limit, when asked for, is stated in the title."""
    starts = pd.Timestamp("2025-06-02 06:00") + pd.to_timedelta(np.arange(113) * 5, unit="min")
    roster = pd.DataFrame({"agent_id": [f"A{i:03d}" for i in range(113)], "date": "2025-06-02",
                           "shift_start": starts, "shift_end": starts + pd.Timedelta(hours=8), "channel": "voice"})
    acts = pd.DataFrame(columns=["agent_id", "start", "end", "activity"])
    fig = figures.roster_timeline(roster, acts, day="2025-06-02")
    (bars,) = fig.data
    assert len(bars.y) == 113 and len(fig.layout.yaxis.categoryarray) == 113
    assert fig.layout.height >= 113 * figures.TIMELINE_ROW_PX
    assert fig.layout.title.text == "Shifts and activities: all 113 shifts of Mon 2025-06-02 (113 agents)"
    cut = figures.roster_timeline(roster, acts, day="2025-06-02", max_shifts=60)
    assert len(cut.data[0].y) == 60
    assert cut.layout.title.text == "Shifts and activities: the first 60 of 113 shifts of Mon 2025-06-02, by start time"

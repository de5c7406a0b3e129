"""Exports: neutralization, safe names, atomic writes and folder swap, xlsx and .ics round trips.

The .ics files are read back with a small parser written here, independent of the writer,
that unfolds lines, splits properties and parameters, unescapes text and checks the
VTIMEZONE against Python's own IANA data.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from planner.exports import (neutralize, neutralize_frame, safe_filename, unique_filenames, write_csv,
                             write_ics, write_outputs, write_roster_xlsx)

STAMP = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


# -- a small independent iCalendar reader -----------------------------------------------------
def parse_ics(data: bytes) -> dict:
    """Nested components: {"name": ..., "props": [(name, params, value)], "children": [...]}."""
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "bare LF line ending"
    raw_lines = text.split("\r\n")
    assert raw_lines[-1] == "", "file must end with CRLF"
    for line in raw_lines:
        assert len(line.encode("utf-8")) <= 75, f"line longer than 75 octets: {line!r}"
    lines: list[str] = []
    for line in raw_lines[:-1]:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    root = {"name": None, "props": [], "children": []}
    stack = [root]
    for line in lines:
        m = re.match(r"^([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$", line)
        assert m, f"not a content line: {line!r}"
        name, params_text, value = m.group(1).upper(), m.group(2), m.group(3)
        params = dict(p.split("=", 1) for p in params_text.split(";")[1:])
        if name == "BEGIN":
            node = {"name": value, "props": [], "children": []}
            stack[-1]["children"].append(node)
            stack.append(node)
        elif name == "END":
            assert stack[-1]["name"] == value, f"END:{value} closes {stack[-1]['name']}"
            stack.pop()
        else:
            stack[-1]["props"].append((name, params, value))
    assert len(stack) == 1, "unclosed component"
    return root


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def prop(node: dict, name: str):
    found = [p for p in node["props"] if p[0] == name]
    assert len(found) == 1, f"{node['name']} has {len(found)} {name}"
    return found[0]


def offset_in_force(vtimezone: dict, local: dt.datetime) -> dt.timedelta:
    """The UTC offset the VTIMEZONE gives for a local time (latest observance started before it)."""
    best = None
    for child in vtimezone["children"]:
        start = dt.datetime.strptime(prop(child, "DTSTART")[2], "%Y%m%dT%H%M%S")
        if start <= local and (best is None or start > best[0]):
            to = prop(child, "TZOFFSETTO")[2]
            sign = -1 if to[0] == "-" else 1
            best = (start, sign * dt.timedelta(hours=int(to[1:3]), minutes=int(to[3:5])))
    assert best is not None, f"no observance covers {local}"
    return best[1]


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def roster_frames():
    """A week with hostile agent ids, a night shift and a DST change (Europe/London, 30 March 2025)."""
    roster = pd.DataFrame({
        "agent_id": ["=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "Ann, Lee; ops", "../etc/passwd"],
        "date": ["2025-03-24", "2025-03-29", "2025-03-30", "2025-03-25"],
        "shift_start": ["2025-03-24T08:00:00", "2025-03-29T22:00:00", "2025-03-30T09:00:00", "2025-03-25T07:00:00"],
        "shift_end": ["2025-03-24T16:30:00", "2025-03-30T06:30:00", "2025-03-30T17:30:00", "2025-03-25T15:30:00"],
        "channel": ["voice", "voice", "chat", "-email"],
    })
    activities = pd.DataFrame({
        "agent_id": ["=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "Ann, Lee; ops"],
        "start": pd.to_datetime(["2025-03-24 12:00", "2025-03-30 02:00", "2025-03-30 13:00"]),
        "end": pd.to_datetime(["2025-03-24 12:30", "2025-03-30 02:15", "2025-03-30 13:30"]),
        "activity": ["lunch", "break", "@lunch"],
    })
    times = pd.date_range("2025-03-24 08:00", periods=4, freq="30min")
    coverage = pd.concat([
        pd.DataFrame({"interval_start": times, "channel": "voice", "required": [3.5, 4.0, 2.0, 1.0],
                      "scheduled": [3, 5, 2, 0]}),
        pd.DataFrame({"interval_start": times, "channel": "+chat", "required": [1.0, 1.0, 1.0, 1.0],
                      "scheduled": [1, 1, 2, 1]}),
    ], ignore_index=True)
    return roster, activities, coverage


# -- neutralization ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"])
def test_formula_text_gets_a_quote(text):
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("value", [-1, -2.5, 0, 3, "voice", "a=b", "", None, pd.Timestamp("2025-01-01")])
def test_other_values_are_left_alone(value):
    assert neutralize(value) is value or neutralize(value) == value


def test_neutralize_frame_keeps_numbers_as_numbers():
    frame = pd.DataFrame({"agent_id": ["-7", "B"], "gap": [-1.5, 2.0], "n": [-3, 4]})
    safe = neutralize_frame(frame)
    assert safe["agent_id"].tolist() == ["'-7", "B"]
    assert safe["gap"].tolist() == [-1.5, 2.0] and safe["n"].tolist() == [-3, 4]
    assert pd.api.types.is_float_dtype(safe["gap"]) and pd.api.types.is_integer_dtype(safe["n"])
    assert frame["agent_id"].tolist() == ["-7", "B"], "the input frame is not modified"


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_no_neutralized_text_starts_a_formula(text):
    out = neutralize(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out in (text, "'" + text)


def test_write_csv_neutralizes_and_reads_back(tmp_path):
    path = tmp_path / "roster.csv"
    write_csv(pd.DataFrame({"agent_id": ["=2+5", "ok"], "hours": [-1.0, 37.5]}), path)
    back = pd.read_csv(path)
    assert back["agent_id"].tolist() == ["'=2+5", "ok"]
    assert back["hours"].tolist() == [-1.0, 37.5]
    assert [p.name for p in tmp_path.iterdir()] == ["roster.csv"], "no temp file left behind"


def test_write_csv_failure_keeps_old_file(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("old\n")

    class Boom:
        columns = []

        def copy(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_csv(Boom(), path)  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


# -- file names ----------------------------------------------------------------------------------
@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_safe_filename_invariants(agent_id):
    name = safe_filename(agent_id)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name)
    assert not name.startswith(".")
    assert name not in (".", "..")


@pytest.mark.parametrize("agent_id, expected", [
    ("A-17", "A-17"), ("../../etc/passwd", "etc_passwd"), ("Ann Lee", "Ann_Lee"), ("", "agent"),
    (".hidden", "hidden"), ("C:\\x\\y", "C_x_y"), ("x" * 150, "x" * 100),
])
def test_safe_filename_examples(agent_id, expected):
    assert safe_filename(agent_id) == expected


@given(st.lists(st.text(max_size=8), max_size=30))
@settings(max_examples=200, deadline=None)
def test_unique_filenames_are_distinct_even_ignoring_case(ids):
    names = unique_filenames(ids)
    assert set(names) == set(ids)
    lowered = [n.lower() for n in names.values()]
    assert len(lowered) == len(set(lowered))
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,100}", n) and not n.startswith(".") for n in names.values())


# -- folder swap ---------------------------------------------------------------------------------
def test_write_outputs_swaps_the_folder_in(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.csv").write_text("stale")
    write_outputs(out, {"a.csv": lambda p: p.write_text("a"), "ics": lambda p: (p.mkdir(), (p / "x.ics").write_text("x"))})
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "ics"]
    assert (out / "ics" / "x.ics").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no staging folders left"


def test_write_outputs_failure_leaves_old_content(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.csv").write_text("previous plan")

    def fail(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError, match="solver crashed"):
        write_outputs(out, {"a.csv": lambda p: p.write_text("new"), "b.csv": fail})
    assert sorted(p.name for p in out.iterdir()) == ["roster.csv"]
    assert (out / "roster.csv").read_text() == "previous plan"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_outputs_failure_creates_nothing_when_there_was_nothing(tmp_path):
    with pytest.raises(ValueError):
        write_outputs(tmp_path / "new", {"a.csv": lambda p: (_ for _ in ()).throw(ValueError("bad"))})
    assert list(tmp_path.iterdir()) == []


def test_write_outputs_rejects_names_outside_the_folder(tmp_path):
    with pytest.raises(ValueError, match="relative path"):
        write_outputs(tmp_path / "o", {"../x.csv": lambda p: p.write_text("x")})
    assert not (tmp_path / "x.csv").exists()


# -- xlsx ----------------------------------------------------------------------------------------
def test_roster_xlsx_round_trip(tmp_path, roster_frames):
    roster, activities, coverage = roster_frames
    path = tmp_path / "roster.xlsx"
    write_roster_xlsx(roster, activities, coverage, path, week_start="2025-03-24")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Roster", "Coverage '+chat", "Coverage voice", "Activities"]
    ws = wb["Roster"]
    rows = list(ws.values)
    header = rows[0]
    assert header[:8] == ("agent_id", "Mon 2025-03-24", "Tue 2025-03-25", "Wed 2025-03-26", "Thu 2025-03-27",
                          "Fri 2025-03-28", "Sat 2025-03-29", "Sun 2025-03-30")
    assert ws.freeze_panes == "B2"
    assert ws.column_dimensions["B"].width >= 15
    by_agent = {r[0]: r for r in rows[1:]}
    assert set(by_agent) == {"'=HYPERLINK(\"x\")", "Ann, Lee; ops", "../etc/passwd"}
    hyper = by_agent["'=HYPERLINK(\"x\")"]
    assert hyper[1] == "08:00-16:30 voice" and hyper[6] == "22:00-06:30 voice" and hyper[2] == "off"
    assert hyper[8] == 2 and hyper[9] == pytest.approx(17.0)
    assert by_agent["../etc/passwd"][2] == "07:00-15:30 -email"  # text not at the cell start stays
    assert by_agent["Ann, Lee; ops"][7] == "09:00-17:30 chat"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}"
    cov = list(wb["Coverage voice"].values)
    assert cov[0] == ("interval_start", "required", "scheduled", "gap")
    assert [r[3] for r in cov[1:]] == [-0.5, 1.0, 0.0, -1.0]
    assert cov[1][0] == dt.datetime(2025, 3, 24, 8, 0)
    acts = list(wb["Activities"].values)
    assert acts[0] == ("agent_id", "start", "end", "activity")
    assert sorted(r[3] for r in acts[1:]) == ["'@lunch", "break", "lunch"]
    assert [p.name for p in tmp_path.iterdir()] == ["roster.xlsx"]


# -- iCalendar -----------------------------------------------------------------------------------
def test_ics_files_parse_and_hold_the_roster(tmp_path, roster_frames):
    roster, activities, _ = roster_frames
    written = write_ics(roster, activities, tmp_path / "ics", timezone="Europe/London",
                        calendar_name="Week 13", dtstamp=STAMP)
    assert sorted(p.name for p in (tmp_path / "ics").iterdir()) == sorted(p.name for p in written.values())
    assert written["../etc/passwd"].name == "etc_passwd.ics"
    assert all(p.parent == tmp_path / "ics" for p in written.values())

    cal = parse_ics(written["=HYPERLINK(\"x\")"].read_bytes())
    (vcal,) = cal["children"]
    assert vcal["name"] == "VCALENDAR"
    assert prop(vcal, "VERSION")[2] == "2.0" and prop(vcal, "PRODID")[2]
    tzs = [c for c in vcal["children"] if c["name"] == "VTIMEZONE"]
    assert len(tzs) == 1 and prop(tzs[0], "TZID")[2] == "Europe/London"
    events = [c for c in vcal["children"] if c["name"] == "VEVENT"]
    shifts = [e for e in events if unescape(prop(e, "SUMMARY")[2]).startswith("Shift")]
    assert [unescape(prop(e, "SUMMARY")[2]) for e in shifts] == ["Shift (voice)", "Shift (voice)"]
    assert sorted(unescape(prop(e, "SUMMARY")[2]) for e in events if e not in shifts) == ["Break", "Lunch"]
    uids = [prop(e, "UID")[2] for e in events]
    assert len(set(uids)) == len(uids)
    zone = ZoneInfo("Europe/London")
    for event in events:
        assert prop(event, "DTSTAMP")[2] == "20250101T120000Z"
        for key in ("DTSTART", "DTEND"):
            _, params, value = prop(event, key)
            assert params == {"TZID": "Europe/London"}
            local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
            # the VTIMEZONE and the IANA data agree on the offset (before and after the DST change)
            assert offset_in_force(tzs[0], local) == local.replace(tzinfo=zone).utcoffset(), local
    night = shifts[1]
    assert prop(night, "DTSTART")[2] == "20250329T220000" and prop(night, "DTEND")[2] == "20250330T063000"
    assert "02:00-02:15 break" in unescape(prop(night, "DESCRIPTION")[2])

    ann = parse_ics(written["Ann, Lee; ops"].read_bytes())["children"][0]
    name = unescape(prop(ann, "X-WR-CALNAME")[2])
    assert name == "Week 13 - Ann, Lee; ops"
    summaries = sorted(unescape(prop(e, "SUMMARY")[2]) for e in ann["children"] if e["name"] == "VEVENT")
    assert summaries == ["@lunch", "Shift (chat)"]


def test_ics_long_lines_fold_and_unfold_exactly(tmp_path):
    agent = "agent-" + "é" * 60 + ",;\\"
    roster = pd.DataFrame({"agent_id": [agent], "date": ["2025-06-02"], "shift_start": ["2025-06-02T08:00"],
                           "shift_end": ["2025-06-02T16:00"], "channel": ["voice"]})
    acts = pd.DataFrame(columns=["agent_id", "start", "end", "activity"])
    (path,) = write_ics(roster, acts, tmp_path, timezone="UTC", calendar_name="x" * 200, dtstamp=STAMP).values()
    data = path.read_bytes()
    assert b"\r\n " in data, "long lines are folded"
    vcal = parse_ics(data)["children"][0]
    assert unescape(prop(vcal, "X-WR-CALNAME")[2]) == "x" * 200 + " - " + agent
    (event,) = [c for c in vcal["children"] if c["name"] == "VEVENT"]
    assert prop(event, "DTSTART")[2] == "20250602T080000Z"
    assert not [c for c in vcal["children"] if c["name"] == "VTIMEZONE"]


def test_ics_unknown_timezone_is_named(tmp_path, roster_frames):
    roster, activities, _ = roster_frames
    with pytest.raises(ValueError, match="timezone = 'Mars/Olympus'"):
        write_ics(roster, activities, tmp_path, timezone="Mars/Olympus", calendar_name="x")


@pytest.mark.parametrize("zone_name", ["America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/London"])
def test_vtimezone_agrees_with_iana_all_year(tmp_path, zone_name):
    """Shifts on the 1st and 15th of every month (both hemispheres, a zone without DST): the
    offset the VTIMEZONE gives each DTSTART equals the IANA offset."""
    days = [pd.Timestamp(2025, m, d) for m in range(1, 13) for d in (1, 15)] + [pd.Timestamp(2026, 1, 1)]
    roster = pd.DataFrame({"agent_id": "A", "date": [d.date().isoformat() for d in days],
                           "shift_start": [d + pd.Timedelta(hours=9) for d in days],
                           "shift_end": [d + pd.Timedelta(hours=17) for d in days], "channel": "voice"})
    acts = pd.DataFrame(columns=["agent_id", "start", "end", "activity"])
    (path,) = write_ics(roster, acts, tmp_path, timezone=zone_name, calendar_name="year", dtstamp=STAMP).values()
    vcal = parse_ics(path.read_bytes())["children"][0]
    (tz,) = [c for c in vcal["children"] if c["name"] == "VTIMEZONE"]
    zone = ZoneInfo(zone_name)
    events = [c for c in vcal["children"] if c["name"] == "VEVENT"]
    assert len(events) == len(days)
    offsets = set()
    for event in events:
        _, params, value = prop(event, "DTSTART")
        assert params == {"TZID": zone_name}
        local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
        offsets.add(offset_in_force(tz, local))
        assert offset_in_force(tz, local) == local.replace(tzinfo=zone).utcoffset(), (zone_name, local)
    assert len(offsets) == (1 if zone_name == "Asia/Kolkata" else 2)


def test_categorical_text_is_neutralized_too():
    frame = pd.DataFrame({"channel": pd.Categorical(["=x", "voice"]), "when": pd.to_datetime(["2025-01-01", "2025-01-02"])})
    safe = neutralize_frame(frame)
    assert safe["channel"].tolist() == ["'=x", "voice"]
    assert pd.api.types.is_datetime64_any_dtype(safe["when"])


def test_control_characters_do_not_break_xlsx_or_ics(tmp_path):
    agent = "bell\x07agent\x00"
    roster = pd.DataFrame({"agent_id": [agent], "date": ["2025-06-02"], "shift_start": ["2025-06-02T08:00"],
                           "shift_end": ["2025-06-02T16:00"], "channel": ["voice\x1b"]})
    acts = pd.DataFrame({"agent_id": [agent], "start": ["2025-06-02T12:00"], "end": ["2025-06-02T12:30"],
                         "activity": ["lunch\x01"]})
    cov = pd.DataFrame({"interval_start": ["2025-06-02T08:00"], "channel": ["voice"], "required": [1.0], "scheduled": [1.0]})
    write_roster_xlsx(roster, acts, cov, tmp_path / "r.xlsx", week_start="2025-06-02")
    rows = list(load_workbook(tmp_path / "r.xlsx")["Roster"].values)
    assert rows[1][0] == "bellagent" and rows[1][1] == "08:00-16:00 voice"
    (path,) = write_ics(roster, acts, tmp_path / "ics", timezone="UTC", calendar_name="c", dtstamp=STAMP).values()
    assert path.name == "bell_agent.ics"
    vcal = parse_ics(path.read_bytes())["children"][0]
    summaries = sorted(unescape(prop(e, "SUMMARY")[2]) for e in vcal["children"] if e["name"] == "VEVENT")
    assert summaries == ["Lunch", "Shift (voice)"]


@pytest.fixture(scope="module")
def two_break_roster():
    """A solved and rostered week whose 9-hour shift has two breaks of one kind and a lunch."""
    from scheduling.roster import build_roster
    from scheduling.rules import RuleSet
    from scheduling.shifts import plan_shifts

    rules = RuleSet.from_mapping({
        "interval_minutes": 15, "coverage": "hard",
        "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2, "hourly_cost": 20.0}],
        "shift": [{"name": "day", "contract": "ft", "channels": ["voice"], "length_minutes": 540,
                   "earliest_start": "08:00", "activity": [
                       {"kind": "break", "length_minutes": 15, "earliest_after_start": 90, "latest_after_start": 150},
                       {"kind": "lunch", "length_minutes": 60, "paid": False, "earliest_after_start": 210,
                        "latest_after_start": 300},
                       {"kind": "break", "length_minutes": 15, "earliest_after_start": 360,
                        "latest_after_start": 420}]}],
    })
    times = pd.date_range("2025-03-24", periods=7 * 96, freq="15min")
    hour = times.hour + times.minute / 60
    need = ((hour >= 8) & (hour < 17) & (times.day_of_week < 5)) * 2.0
    plan = plan_shifts(pd.DataFrame({"interval_start": times, "channel": "voice", "required_agents": need}), rules)
    roster = build_roster(plan, rules)
    return roster.roster, roster.activities, roster.coverage


def test_exports_keep_both_breaks_of_a_shift(tmp_path, two_break_roster):
    roster, activities, coverage = two_break_roster
    assert len(roster) >= 10
    per_shift = 3 * len(roster)
    assert len(activities) == per_shift and (activities["activity"] == "break").sum() == 2 * len(roster)
    write_csv(activities, tmp_path / "activities.csv")
    back = pd.read_csv(tmp_path / "activities.csv")
    assert (back["activity"] == "break").sum() == 2 * len(roster)
    write_roster_xlsx(roster, activities, coverage, tmp_path / "roster.xlsx", week_start="2025-03-24")
    rows = list(load_workbook(tmp_path / "roster.xlsx")["Activities"].values)[1:]
    assert len(rows) == per_shift and sum(r[3] == "break" for r in rows) == 2 * len(roster)
    written = write_ics(roster, activities, tmp_path / "ics", timezone="UTC", calendar_name="Week 13", dtstamp=STAMP)
    for agent_id, path in written.items():
        events = [c for c in parse_ics(path.read_bytes())["children"][0]["children"] if c["name"] == "VEVENT"]
        shifts = int((roster["agent_id"] == agent_id).sum())
        summaries = [unescape(prop(e, "SUMMARY")[2]) for e in events]
        assert summaries.count("Break") == 2 * shifts and summaries.count("Lunch") == shifts
        uids = [prop(e, "UID")[2] for e in events]
        assert len(set(uids)) == len(uids)
        described = [unescape(prop(e, "DESCRIPTION")[2]) for e in events
                     if unescape(prop(e, "SUMMARY")[2]).startswith("Shift")]
        assert len(described) == shifts and all(text.count(" break") == 2 for text in described)


def test_schedule_views_draw_both_breaks(two_break_roster):
    from planner.ui.figures import roster_timeline

    roster, activities, _ = two_break_roster
    day = pd.to_datetime(roster["date"]).min()
    figure = roster_timeline(roster, activities, day=day)
    drawn = [trace for trace in figure.data if trace.name == "break"]
    shifts = int((pd.to_datetime(roster["date"]) == day).sum())
    assert len(drawn) == 1 and len(drawn[0].y) == 2 * shifts


# -- iCalendar read by a calendar library (icalendar), as a calendar app would ------------------
def _six_o_clock_week(first_day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One agent with a 06:00-14:30 shift on each of seven days from ``first_day`` and a
    10:00-10:15 break in each."""
    days = pd.date_range(first_day, periods=7, freq="D")
    roster = pd.DataFrame({"agent_id": "A1", "date": days.strftime("%Y-%m-%d"),
                           "shift_start": days + pd.Timedelta(hours=6), "shift_end": days + pd.Timedelta(hours=14, minutes=30),
                           "channel": "voice"})
    acts = pd.DataFrame({"agent_id": "A1", "start": days + pd.Timedelta(hours=10),
                         "end": days + pd.Timedelta(hours=10, minutes=15), "activity": "break"})
    return roster, acts


@pytest.mark.parametrize("zone_name, first_day, change_day", [
    ("Europe/London", "2025-03-27", "2025-03-30"),      # clocks go forward on Sunday 30 March 01:00
    ("America/New_York", "2025-10-30", "2025-11-02"),   # clocks go back on Sunday 2 November 02:00
    ("Australia/Sydney", "2025-04-03", "2025-04-06"),   # clocks go back on Sunday 6 April 03:00
])
def test_ics_shift_at_six_is_six_local_across_a_dst_change(tmp_path, zone_name, first_day, change_day):
    """A calendar library reads each 06:00 shift as 06:00 in the centre's zone, on both sides of
    the change; the UTC instant moves by the hour the clocks moved; the file's own VTIMEZONE
    (read without looking the TZID up) gives the same instants as the IANA data."""
    roster, acts = _six_o_clock_week(first_day)
    (path,) = write_ics(roster, acts, tmp_path, timezone=zone_name, calendar_name="week", dtstamp=STAMP).values()
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    shifts = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Shift")]
    assert len(shifts) == 7
    zone = ZoneInfo(zone_name)
    (vtimezone,) = cal.walk("VTIMEZONE")
    own = vtimezone.to_tz(lookup_tzid=False)  # built from the file's VTIMEZONE alone
    utc_hours = []
    for event, day in zip(shifts, pd.date_range(first_day, periods=7, freq="D")):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start.tzinfo is not None and str(start.tzinfo) == zone_name
        assert (start.date(), start.hour, start.minute) == (day.date(), 6, 0)
        assert (end.hour, end.minute) == (14, 30)
        instant = start.astimezone(dt.timezone.utc)
        assert instant == start.replace(tzinfo=None).replace(tzinfo=zone).astimezone(dt.timezone.utc)
        assert start.replace(tzinfo=None).replace(tzinfo=own).astimezone(dt.timezone.utc) == instant
        utc_hours.append((day >= pd.Timestamp(change_day), instant.hour))
    before = {h for after, h in utc_hours if not after}
    after = {h for after_, h in utc_hours if after_}
    assert len(before) == 1 and len(after) == 1 and before != after  # the shift stays at 06:00 local
    breaks = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Break"]
    assert [(b["DTSTART"].dt.hour, b["DTSTART"].dt.minute) for b in breaks] == [(10, 0)] * 7


def test_ics_without_a_timezone_is_floating_local_time(tmp_path):
    """A plan without a time zone: the times carry no zone (floating), so every calendar shows
    the 06:00 shift at 06:00; no VTIMEZONE, no UTC 'Z'."""
    roster, acts = _six_o_clock_week("2025-03-27")
    (path,) = write_ics(roster, acts, tmp_path, timezone=None, calendar_name="week", dtstamp=STAMP).values()
    data = path.read_bytes()
    assert b"DTSTART:20250327T060000\r\n" in data and b"T060000Z" not in data and b"TZID" not in data
    cal = icalendar.Calendar.from_ical(data)
    assert not cal.walk("VTIMEZONE")
    shifts = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Shift")]
    assert [(e["DTSTART"].dt.tzinfo, e["DTSTART"].dt.hour, e["DTEND"].dt.hour) for e in shifts] == [(None, 6, 14)] * 7

"""History validation: each kind of bad file gets a named cause; good files and both real series pass."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from planner.io import HistoryError, UnreadableFileError, load_history, validate_history


def write(tmp_path, text: str, name: str = "history.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def grid_csv(n: int = 8, minutes: int = 15, start: str = "2024-03-04T08:00", extra: str = "") -> str:
    times = pd.date_range(start, periods=n, freq=f"{minutes}min")
    lines = ["interval_start,offered"] + [f"{t:%Y-%m-%dT%H:%M},{i + 3}" for i, t in enumerate(times)]
    return "\n".join(lines) + "\n" + extra


def kinds(report, severity="error"):
    return {p.kind for p in report.problems if p.severity == severity}


def only(report, kind):
    found = [p for p in report.problems if p.kind == kind]
    assert found, f"no problem of kind {kind}: {report.format()}"
    return found


# -- good files --------------------------------------------------------------------------
def test_clean_file_has_defaults_and_integer_counts(tmp_path):
    frame, report = validate_history(write(tmp_path, grid_csv()))
    assert report.ok and not report.warnings
    assert list(frame.columns) == ["interval_start", "queue", "channel", "offered"]
    assert set(frame["queue"]) == {"main"} and set(frame["channel"]) == {"voice"}
    assert frame["offered"].dtype == np.int64
    assert report.summary["interval_minutes"] == 15
    assert report.summary["offered_total"] == sum(range(3, 11))


def test_us_bank_series_reads_with_its_six_missing_weekdays(us_bank_path):
    frame, report = validate_history(us_bank_path)
    assert report.ok
    assert len(frame) == 27_716 and frame["offered"].sum() == 5_323_661
    assert report.summary["interval_minutes"] == 5
    missing = sorted(p.value for p in only(report, "gap_day"))
    assert missing == ["2003-04-04", "2003-04-07", "2003-05-26", "2003-07-04", "2003-09-01", "2003-10-14"]
    # weekends are closed, not gaps; nights are outside the opening span, not gaps
    assert report.summary["missing_intervals"] == 0


def test_anonymous_bank_series_reads_with_its_two_missing_days(il_bank_path):
    frame, report = validate_history(il_bank_path)
    assert report.ok
    assert len(frame) == 87_120 and frame["offered"].sum() == 444_448
    assert report.summary["interval_minutes"] == 6
    assert sorted(p.value for p in only(report, "gap_day")) == ["1999-01-11", "1999-01-12"]


def test_parquet_reads_like_csv(tmp_path):
    frame_csv, _ = validate_history(write(tmp_path, grid_csv()))
    path = tmp_path / "history.parquet"
    raw = pd.read_csv(write(tmp_path, grid_csv()), parse_dates=["interval_start"])
    raw.to_parquet(path)
    frame_pq, report = validate_history(path)
    assert report.ok
    pd.testing.assert_frame_equal(frame_pq, frame_csv)


def test_semicolon_separator_and_optional_columns(tmp_path):
    text = "interval_start;queue;channel;offered;handled;abandoned;aht_s\n2024-03-04T08:00;sales;chat;5;4;1;300.5\n2024-03-04T08:30;sales;chat;6;6;0;280\n"
    frame, report = validate_history(write(tmp_path, text))
    assert report.ok, report.format()
    assert frame["aht_s"].tolist() == [300.5, 280.0]
    assert report.summary["interval_minutes"] == 30


# -- bad files: each names file, row, column and value ----------------------------------------
def test_missing_required_column_names_it(tmp_path):
    _, report = validate_history(write(tmp_path, "interval_start,calls\n2024-03-04T08:00,3\n"))
    problem = only(report, "missing_column")[0]
    assert problem.column == "offered" and "calls" in problem.message


def test_unparseable_timestamp_names_row_and_value(tmp_path):
    text = grid_csv(4) + "yesterday noon,5\n"
    _, report = validate_history(write(tmp_path, text))
    problem = only(report, "bad_timestamp")[0]
    assert (problem.row, problem.column, problem.value) == (6, "interval_start", "yesterday noon")


@pytest.mark.parametrize(
    ("value", "kind"),
    [("abc", "not_numeric"), ("-4", "negative"), ("2.5", "not_integer"), ("", "blank")],
)
def test_bad_counts_are_named(tmp_path, value, kind):
    text = grid_csv(4) + f"2024-03-04T09:00,{value}\n"
    frame, report = validate_history(write(tmp_path, text))
    problem = only(report, kind)[0]
    assert problem.row == 6 and problem.column == "offered"
    assert len(frame) == 4  # the bad row is rejected (and reported), the rest kept for display


def test_negative_handle_time_is_an_error(tmp_path):
    text = "interval_start,offered,aht_s\n2024-03-04T08:00,3,200\n2024-03-04T08:15,3,-1\n"
    _, report = validate_history(write(tmp_path, text))
    assert only(report, "negative")[0].column == "aht_s"


def test_duplicate_key_points_to_first_occurrence(tmp_path):
    text = grid_csv(4) + "2024-03-04T08:15,9\n"
    _, report = validate_history(write(tmp_path, text))
    problem = only(report, "duplicate")[0]
    assert problem.row == 6 and "row 3" in problem.message


def test_off_grid_timestamp(tmp_path):
    text = grid_csv(6) + "2024-03-04T09:37,2\n"
    _, report = validate_history(write(tmp_path, text))
    problem = only(report, "off_grid")[0]
    assert problem.row == 8 and problem.value == "2024-03-04T09:37:00"


def test_unsupported_interval_length(tmp_path):
    _, report = validate_history(write(tmp_path, grid_csv(10, minutes=7)))
    assert "7 minutes" in only(report, "interval_length")[0].message


def test_unknown_channel_lists_the_known_ones(tmp_path):
    text = "interval_start,channel,offered\n2024-03-04T08:00,fax,3\n2024-03-04T08:15,voice,3\n"
    _, report = validate_history(write(tmp_path, text))
    problem = only(report, "bad_channel")[0]
    assert problem.value == "fax" and "email" in problem.message


def test_empty_and_header_only_files(tmp_path):
    _, report = validate_history(write(tmp_path, ""))
    assert kinds(report) == {"empty"}
    _, report = validate_history(write(tmp_path, "interval_start,offered\n", "header.csv"))
    assert kinds(report) == {"empty"}


def test_binary_file_is_unreadable(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(UnreadableFileError, match="not a text file"):
        validate_history(path)


def test_damaged_gzip_and_parquet_are_unreadable(tmp_path):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(gzip.compress(grid_csv().encode())[:40])
    with pytest.raises(UnreadableFileError, match="gzip"):
        validate_history(path)
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\x01" * 50)
    with pytest.raises(UnreadableFileError, match="Parquet"):
        validate_history(path)


def test_upload_over_the_size_limit_is_refused():
    with pytest.raises(UnreadableFileError, match="limit"):
        validate_history(b"x" * 101, name="big.csv", max_bytes=100)


# -- gaps are missing data, never zeros ------------------------------------------------------
def test_gap_inside_opening_hours_is_reported_not_filled(tmp_path):
    days = pd.date_range("2024-03-04", periods=14, freq="D")
    rows = [f"{d + pd.Timedelta(hours=h):%Y-%m-%dT%H:%M},5" for d in days for h in range(8, 18)]
    del rows[25]  # the third day, 13:00
    frame, report = validate_history(write(tmp_path, "interval_start,offered\n" + "\n".join(rows) + "\n"))
    assert report.ok
    assert len(frame) == 139  # nothing added
    gap = only(report, "gap_interval")[0]
    assert gap.value == "2024-03-06T13:00"
    assert report.summary["missing_intervals"] == 1


# -- daylight saving -------------------------------------------------------------------------
def test_fall_back_hour_is_merged_with_a_timezone(tmp_path):
    # Europe/Berlin falls back on 2024-10-27: 02:00-02:59 happens twice
    times = ["2024-10-27T01:00", "2024-10-27T01:30", "2024-10-27T02:00", "2024-10-27T02:30",
             "2024-10-27T02:00", "2024-10-27T02:30", "2024-10-27T03:00", "2024-10-27T03:30"]
    text = "interval_start,offered\n" + "\n".join(f"{t},{i + 1}" for i, t in enumerate(times)) + "\n"
    path = write(tmp_path, text)
    _, plain = validate_history(path)
    assert "duplicate" in kinds(plain)  # without a zone a repeated wall time is a duplicate
    frame, report = validate_history(path, timezone="Europe/Berlin")
    assert report.ok, report.format()
    assert len(only(report, "dst_repeat")) == 2
    assert frame.loc[frame["interval_start"] == pd.Timestamp("2024-10-27T02:00"), "offered"].item() == 3 + 5


def test_spring_forward_time_does_not_exist(tmp_path):
    text = "interval_start,offered\n2024-03-31T01:30,1\n2024-03-31T02:00,1\n2024-03-31T03:00,1\n"
    _, report = validate_history(write(tmp_path, text), timezone="Europe/Berlin")
    problem = only(report, "dst_nonexistent")[0]
    assert problem.row == 3 and "Europe/Berlin" in problem.message


def test_offsets_merge_the_repeated_hour_only_with_its_zone(tmp_path):
    # issue 16: rows with offsets are merged only on a real fall-back hour of --timezone
    text = ("interval_start,offered\n2024-10-27T01:30+02:00,1\n2024-10-27T02:00+02:00,2\n2024-10-27T02:30+02:00,3\n"
            "2024-10-27T02:00+01:00,4\n2024-10-27T02:30+01:00,5\n2024-10-27T03:00+01:00,6\n")
    path = write(tmp_path, text)
    _, plain = validate_history(path)
    first = only(plain, "duplicate")[0]
    assert first.row == 5 and "row 3" in first.message and "--timezone" in first.message
    frame, report = validate_history(path, timezone="Europe/Berlin")
    assert report.ok, report.format()
    assert frame["offered"].sum() == 21 and len(frame) == 4


def test_unknown_timezone_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="timezone"):
        validate_history(write(tmp_path, grid_csv()), timezone="Mars/Olympus")


def test_load_history_raises_with_the_first_error(tmp_path):
    with pytest.raises(HistoryError, match=r"row 6.*offered"):
        load_history(write(tmp_path, grid_csv(4) + "2024-03-04T09:00,-1\n"))

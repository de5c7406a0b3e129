"""Reading and validating History files (docs/architecture.md section 3).

A History file is long: one row per interval x queue x channel, with ``interval_start``
and ``offered`` required, ``queue`` (default ``main``) and ``channel`` (default ``voice``)
optional, and the optional measures ``handled, abandoned, aht_s, handle_time_s,
answered_within_sl, asa_s``. CSV (any of ``, ; tab`` as separator, optionally gzip) or
Parquet.

:func:`validate_history` never raises for a bad file: it returns the rows it accepted and a
:class:`ValidationReport` whose problems name the file, the row (the line number in a CSV,
header = line 1; the row number in a Parquet file), the column and the value.
:func:`load_history` is the strict form the pipeline uses: it raises
:class:`HistoryError` (a ``ValueError``) when the report has errors.

Time: timestamps are read as local clock time. Offsets (``+02:00``, ``Z``) are honoured: with
a ``timezone`` the instants are converted to it, without one each keeps its own wall clock.
Around daylight-saving changes the fall-back hour occurs twice and the spring-forward hour
not at all; with a ``timezone`` (or offsets) the repeated hour is recognised and merged (the
counts summed) with a warning, and a time that does not exist in the zone is an error.
Without either, a repeated wall time is a duplicate key.

Gaps are missing data, never zeros: the report lists missing days (a date with no rows on a
weekday that is normally open) and missing intervals inside a day's normal opening span.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from wfm_errors import InputError
from scheduling.channels import DEFERRED_CHANNELS, IMMEDIATE_CHANNELS
from scheduling.rules import GRIDS_MINUTES

REQUIRED_COLUMNS = ("interval_start", "offered")
KEY_COLUMNS = ("interval_start", "queue", "channel")
COUNT_COLUMNS = ("offered", "handled", "abandoned", "answered_within_sl")
SECONDS_COLUMNS = ("aht_s", "handle_time_s", "asa_s")
OPTIONAL_COLUMNS = ("queue", "channel", "handled", "abandoned", "aht_s", "handle_time_s", "answered_within_sl", "asa_s")
CHANNELS = IMMEDIATE_CHANNELS + DEFERRED_CHANNELS  # the channel words, owned by scheduling.channels
SUPPORTED_INTERVAL_MINUTES = GRIDS_MINUTES  # owned by scheduling.rules
DEFAULT_QUEUE = "main"
DEFAULT_CHANNEL = "voice"
MAX_LISTED_PER_KIND = 10  # problems of one kind printed in full; the rest are counted
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 1024 * 1024 * 1024  # a gzip file may expand to at most 1 GiB (gzip bombs)
MAX_ROWS = 20_000_000  # rows of a Parquet file (its dictionary-encoded columns can expand a lot in memory)
MAX_COUNT = 1_000_000  # contacts in one interval of one series: more is a unit or export mistake
MAX_AHT_S = 4 * 3600  # average handle time must lie in (0 s, 4 h]
MAX_ASA_S = 24 * 3600  # average speed of answer at most a day
DATE_ORDERS = ("dayfirst", "monthfirst")

# Channel words of ACD and ticketing exports (case-insensitive, spaces/underscores/hyphens
# alike) -> the History channel. Anything else is a named error.
CHANNEL_WORDS: dict[str, str] = {
    **{w: "voice" for w in ("voice", "phone", "phone call", "call", "calls", "inbound", "inbound call",
                            "inbound voice", "telephony", "telephone", "voice call", "callback", "audio")},
    **{w: "chat" for w in ("chat", "webchat", "web chat", "live chat", "livechat", "web messaging chat")},
    **{w: "messaging" for w in ("messaging", "message", "messages", "messaging apps", "whatsapp", "sms",
                                "text", "text message", "messenger", "facebook messenger", "apple messages",
                                "web messaging", "rcs")},
    **{w: "email" for w in ("email", "e mail", "mail", "ticket", "tickets", "web form", "webform")},
    **{w: "social" for w in ("social", "social media", "twitter", "x", "facebook", "instagram")},
    **{w: "backoffice" for w in ("backoffice", "back office", "task", "tasks", "work item", "workitem",
                                 "case", "cases")},
}

_OFFSET_RE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


class HistoryError(InputError):
    """The file was read but has errors; ``report`` lists them."""

    def __init__(self, report: ValidationReport):
        self.report = report
        first = report.errors[0].describe() if report.errors else "invalid"
        more = len(report.errors) - 1
        super().__init__(first + (f" (and {more} more errors; run 'planner validate {report.file}')" if more else ""))


class UnreadableFileError(InputError):
    """The file could not be read as a table at all (not text, not Parquet, too large)."""


def channel_of(word: Any) -> str | None:
    """The History channel a channel word means, or None.

    Example:
        >>> channel_of("Live Chat"), channel_of("PHONE"), channel_of("pigeon")
        ('chat', 'voice', None)
    """
    key = re.sub(r"[\s_\-]+", " ", str(word).strip().lower())
    return CHANNEL_WORDS.get(key)


@dataclass(frozen=True)
class Problem:
    """One finding of validation. ``row`` is a file line (CSV) or row number (Parquet)."""

    severity: str  # "error" | "warning"
    kind: str  # short code: missing_column, bad_timestamp, negative, duplicate, gap, ...
    message: str
    file: str
    row: int | None = None
    column: str | None = None
    value: Any = None

    def describe(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


@dataclass
class ValidationReport:
    """What validation found in one file, plus a summary of what the accepted rows hold."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, kind: str, message: str, **where: Any) -> None:
        self.problems.append(Problem("error", kind, message, self.file, **where))

    def warn(self, kind: str, message: str, **where: Any) -> None:
        self.problems.append(Problem("warning", kind, message, self.file, **where))

    def format(self) -> str:
        """A readable report: errors, warnings (each kind listed up to a limit), summary."""
        lines = [f"Validation of {self.file}"]
        for title, items in (("Errors", self.errors), ("Warnings", self.warnings)):
            lines.append(f"\n{title}: {len(items)}")
            shown: dict[str, int] = {}
            for problem in items:
                shown[problem.kind] = shown.get(problem.kind, 0) + 1
                if shown[problem.kind] <= MAX_LISTED_PER_KIND:
                    lines.append(f"  - {problem.describe()}")
            for kind, count in shown.items():
                if count > MAX_LISTED_PER_KIND:
                    lines.append(f"  ... and {count - MAX_LISTED_PER_KIND} more of kind {kind!r}")
        if self.summary:
            lines.append("\nSummary")
            for key, value in self.summary.items():
                lines.append(f"  {key.replace('_', ' ')}: {value}")
        verdict = "INVALID: fix the errors above" if self.errors else "OK" + (" with warnings" if self.warnings else "")
        lines.append(f"\nResult: {verdict}")
        return "\n".join(lines)


# -- reading ------------------------------------------------------------------------------
def read_bytes(path: str | Path, *, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """The file's bytes; ``OSError`` when it can't be opened, ``UnreadableFileError`` when too large."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableFileError(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit")
    return path.read_bytes()


def gunzip_bounded(data: bytes, *, name: str, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress gzip ``data`` (several members allowed), refusing to expand past ``max_bytes``.

    Raises :class:`UnreadableFileError` naming the file when the data is damaged or would
    decompress to more than ``max_bytes`` (a gzip bomb: a few kB that expand to gigabytes).
    """
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk = inflater.decompress(rest, max_bytes - total + 1)
            while True:
                total += len(chunk)
                if total > max_bytes:
                    raise UnreadableFileError(
                        f"{name}: decompresses to more than the {max_bytes:,}-byte limit (a gzip bomb or a file too large)")
                out.append(chunk)
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, max_bytes - total + 1)
            if not inflater.eof:
                raise UnreadableFileError(f"{name}: a damaged gzip file (it ends early)")
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise UnreadableFileError(f"{name}: a damaged gzip file ({exc})") from None
    return b"".join(out)


def _table_from_bytes(data: bytes, name: str, *, max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
                      ) -> tuple[pd.DataFrame, bool]:
    """Parse bytes into a frame of strings (CSV) or typed columns (Parquet); returns (frame, is_csv)."""
    if data[:4] == b"PAR1":
        try:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(io.BytesIO(data)).metadata
            expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
            raise UnreadableFileError(f"{name}: not a readable Parquet file ({exc})") from None
        if expanded > max_decompressed_bytes:
            raise UnreadableFileError(f"{name}: its columns decompress to {expanded:,} bytes, over the "
                                      f"{max_decompressed_bytes:,}-byte limit")
        if meta.num_rows > MAX_ROWS:
            raise UnreadableFileError(f"{name}: {meta.num_rows:,} rows, over the {MAX_ROWS:,}-row limit")
        try:
            return pd.read_parquet(io.BytesIO(data)), False
        except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
            raise UnreadableFileError(f"{name}: not a readable Parquet file ({exc})") from None
    if data[:2] == b"\x1f\x8b":
        data = gunzip_bounded(data, name=name, max_bytes=max_decompressed_bytes)
    if b"\x00" in data[:65536]:
        raise UnreadableFileError(f"{name}: not a text file (binary content); expected CSV or Parquet")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFileError(f"{name}: not a text file (not UTF-8 or Windows-1252)") from None
    if not text.strip():
        return pd.DataFrame(), True
    first_line = text.splitlines()[0]
    separator = max((",", ";", "\t"), key=first_line.count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise UnreadableFileError(f"{name}: not a readable CSV table ({exc})") from None
    headers = {str(c).strip().lower(): str(c).strip() for c in frame.columns}
    frame.columns = list(headers)
    frame.attrs["headers"] = headers  # the file's own spelling, for messages
    return frame, True


def table_headers(data: bytes, *, name: str = "upload") -> list[str]:
    """The column headers of an uploaded table as the file spells them (for a mapping form).

    Example:
        >>> table_headers(b"Start;Calls In\\n2025-03-03 08:00;4\\n")
        ['Start', 'Calls In']
    """
    raw, _ = _table_from_bytes(data, name)
    headers = raw.attrs.get("headers", {})
    return [headers.get(c, str(c)) for c in raw.columns]


# -- validation ---------------------------------------------------------------------------
def validate_history(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    timezone: str | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES,
    date_order: str | None = None,
    mapping: dict[str, str] | None = None,
    profile: str | None = None,
    interval_minutes: int | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate a History file; return the accepted rows and the report.

    ``source`` is a path or the raw bytes of an upload (then ``name`` labels it). The accepted
    frame has ``interval_start`` (tz-naive local clock time), ``queue``, ``channel``, ``offered``
    (int) and whichever optional columns the file has, sorted by queue, channel and time. When
    the report has errors the frame holds only the rows without errors (for display); the
    pipeline must not use it - :func:`load_history` enforces that.

    Files in another layout are read through a column ``mapping`` (History field -> the
    file's column, e.g. ``{"offered": "Offer"}``) or a vendor ``profile`` (see
    :mod:`planner.profiles`; detected from the header when the History columns are missing).
    ``date_order`` (``"dayfirst"`` or ``"monthfirst"``) reads dates like ``03/04/2025`` that
    no row of the file decides; ISO dates need neither. ``interval_minutes`` is the grid
    that one-row-per-contact exports (tickets, call logs) are counted into (default 15).

    Raises ``OSError`` when a path can't be opened, :class:`UnreadableFileError` when the
    content is not a table (binary, damaged, too large, a gzip bomb) and ``ValueError`` for a
    bad argument (unknown zone, profile or field); everything else is in the report.
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InputError(f"date order {date_order!r}: use dayfirst or monthfirst")
    data, label = _source_bytes(source, name, max_bytes)
    zone = _zone(timezone)
    raw, is_csv = _table_from_bytes(data, label, max_decompressed_bytes=max_decompressed_bytes)
    report = ValidationReport(file=label)
    empty = pd.DataFrame(columns=["interval_start", "queue", "channel", "offered"])
    if raw.empty and len(raw.columns) == 0:
        report.error("empty", "the file is empty: expected a header line and interval rows")
        return empty, report
    line = np.arange(len(raw)) + (2 if is_csv else 1)  # CSV: header is line 1
    rows_read = len(raw)
    from planner.profiles import map_to_history  # profiles import this module's constants

    mapped = map_to_history(raw, line, report, mapping=mapping, profile=profile, timezone=timezone,
                            interval_minutes=interval_minutes, date_order=date_order)
    if mapped is None:
        return empty, report
    raw, line, source_columns = mapped.frame, mapped.line, mapped.source_columns
    if mapped.profile:
        report.summary["profile"] = mapped.profile
    if not _columns_usable(raw, report):
        return empty, _named(report, source_columns)

    bad = np.zeros(len(raw), dtype=bool)
    frame = pd.DataFrame(index=raw.index)
    starts, offsets_known, utc_ns, bad_ts, order_note = _parse_times(raw["interval_start"], zone, report, line, date_order)
    bad |= bad_ts
    frame["interval_start"] = starts
    bad, channel_notes = _parse_keys(raw, frame, report, line, bad)
    bad |= _parse_values(raw, frame, report, line)
    bad |= _check_consistency(frame, raw, bad, report, line, allow_flow_outs=mapped.allow_flow_outs)

    accepted, interval_minutes_found = _accepted_rows(frame, bad, line, offsets_known, utc_ns, zone, report)
    gaps = _report_gaps(accepted, interval_minutes_found, report) if interval_minutes_found and report.ok else None
    summary = dict(report.summary)
    summary.update(_summary(accepted, interval_minutes_found, rows_read, timezone))
    if channel_notes:
        summary["channel_words"] = "; ".join(f"channel {w!r} read as {m}" for w, m in sorted(channel_notes.items()))
    if order_note:
        summary["date_order"] = order_note
    if source_columns:
        summary["columns"] = ", ".join(f"{field} <- {header!r}" for field, header in source_columns.items())
    report.summary = summary
    if gaps is not None:
        report.summary["missing_days"], report.summary["missing_intervals"] = gaps
    return accepted, _named(report, source_columns)


def _source_bytes(source: str | Path | bytes, name: str | None, max_bytes: int) -> tuple[bytes, str]:
    """The file's bytes and its label in messages (an upload's ``name``, or the path)."""
    if isinstance(source, bytes):
        data, label = source, name or "upload"
        if len(data) > max_bytes:
            raise UnreadableFileError(f"{label}: {len(data):,} bytes is over the {max_bytes:,}-byte limit")
        return data, label
    return read_bytes(source, max_bytes=max_bytes), name or str(source)


def _columns_usable(raw: pd.DataFrame, report: ValidationReport) -> bool:
    """Whether the (mapped) table has the required columns and some rows; reports why not, and
    warns about columns that are not part of the History format."""
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        report.error(
            "missing_column",
            f"required column(s) {', '.join(missing)} missing; the file has: {', '.join(map(str, raw.columns))}. "
            "Name the file's columns with --map FIELD=COLUMN (or --mapping FILE.toml), or choose a vendor "
            "--profile NAME (listed in 'planner validate --help')",
            column=missing[0],
        )
        return False
    if raw.empty:
        report.error("empty", "the file has a header but no interval rows")
        return False
    unknown = [c for c in raw.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        report.warn("unknown_column", f"column(s) {', '.join(unknown)} are not part of the History format and are ignored")
    return True


def _parse_keys(raw: pd.DataFrame, frame: pd.DataFrame, report: ValidationReport, line: np.ndarray,
                bad: np.ndarray) -> tuple[np.ndarray, dict[str, str]]:
    """``queue`` and ``channel`` into ``frame`` (defaults when the column is absent; channel words
    read as the channels of :mod:`scheduling.channels`). ``bad``: the rows already in error (an
    unknown channel is not reported on them). Returns ``bad`` with these rows' errors added, and
    the channel words read as another name (word -> channel)."""
    bad = bad.copy()
    channel_notes: dict[str, str] = {}
    for column, default in (("queue", DEFAULT_QUEUE), ("channel", DEFAULT_CHANNEL)):
        if column not in raw:
            frame[column] = default
            continue
        values = raw[column].astype(str).str.strip()
        blank = (values == "") | raw[column].isna().to_numpy()
        for i in np.flatnonzero(blank.to_numpy()):
            report.error("blank", f"{column} is empty (leave the column out to default to {default!r})", row=int(line[i]), column=column, value="")
        bad |= blank.to_numpy()
        if column == "channel":
            words = values.drop_duplicates()
            meaning = {w: channel_of(w) for w in words}
            channel_notes = {w: m for w, m in meaning.items() if m is not None and w != m}
            values = values.map(lambda w: meaning.get(w) or w.lower())
        frame[column] = values
    unknown_channel = ~frame["channel"].isin(CHANNELS) & ~bad
    for i in np.flatnonzero(unknown_channel.to_numpy()):
        report.error("bad_channel", f"unknown channel word; use one of {', '.join(CHANNELS)} or a word such as "
                     "phone, webchat, whatsapp, ticket", row=int(line[i]), column="channel", value=raw["channel"].iloc[i])
    return bad | unknown_channel.to_numpy(), channel_notes


def _parse_values(raw: pd.DataFrame, frame: pd.DataFrame, report: ValidationReport, line: np.ndarray) -> np.ndarray:
    """The counts (contacts) and durations (seconds) the file has into ``frame``; returns the rows in error."""
    bad = np.zeros(len(raw), dtype=bool)
    for column in COUNT_COLUMNS + SECONDS_COLUMNS:
        if column not in raw:
            continue
        values, bad_col = _parse_numbers(raw[column], column, integer=column in COUNT_COLUMNS, required=column == "offered", report=report, line=line)
        bad |= bad_col
        frame[column] = values
    return bad


def _accepted_rows(frame: pd.DataFrame, bad: np.ndarray, line: np.ndarray, offsets_known: np.ndarray,
                   utc_ns: np.ndarray, zone, report: ValidationReport) -> tuple[pd.DataFrame, int | None]:
    """The rows without errors, duplicates resolved, sorted by queue, channel and time, ``offered``
    as int64; and the interval length in minutes found on them (None when irregular)."""
    accepted = frame.loc[~bad].copy()
    accepted["_line"] = line[~bad]
    accepted["_offset_known"] = offsets_known[~bad]
    accepted["_utc"] = utc_ns[~bad]
    accepted = _resolve_duplicates(accepted, zone, report)
    interval_minutes_found = _check_grid(accepted, report)
    accepted = accepted.drop(columns=["_line", "_offset_known", "_utc"]).sort_values(list(KEY_COLUMNS[1:]) + ["interval_start"])
    accepted["offered"] = accepted["offered"].astype("int64")
    return accepted.reset_index(drop=True), interval_minutes_found


def _named(report: ValidationReport, source_columns: dict[str, str]) -> ValidationReport:
    """Problems name the file's own column (``'Offer' (offered)``) when it was mapped."""
    if not source_columns:
        return report
    from dataclasses import replace

    report.problems = [replace(p, column=f"{source_columns[p.column]} ({p.column})")
                       if p.column in source_columns else p for p in report.problems]
    return report


def load_history(path: str | Path, *, timezone: str | None = None, **options: Any) -> pd.DataFrame:
    """A validated History frame; raises :class:`HistoryError` when the file has errors.

    ``options`` are :func:`validate_history`'s (``date_order``, ``mapping``, ``profile``,
    ``interval_minutes``).

    >>> frame = load_history("data/us_bank_2003_5min.csv.gz")   # doctest: +SKIP
    >>> list(frame.columns)                                       # doctest: +SKIP
    ['interval_start', 'queue', 'channel', 'offered']
    """
    frame, report = validate_history(path, timezone=timezone, **options)
    if not report.ok:
        raise HistoryError(report)
    return frame


def history_interval_minutes(frame: pd.DataFrame) -> int:
    """The interval length of a validated History frame (minutes)."""
    minutes = _infer_minutes(frame)
    if minutes is None:
        raise InputError("history: fewer than two intervals, the interval length can't be inferred")
    return minutes


# -- helpers ------------------------------------------------------------------------------
def _zone(timezone: str | None) -> ZoneInfo | None:
    if not timezone:
        return None
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"timezone: {timezone!r} is not a known IANA time zone (e.g. 'Europe/Berlin')") from None


_DMY_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})\b(.*)$")


def _parse_times(
    values: pd.Series, zone: ZoneInfo | None, report: ValidationReport, line: np.ndarray, date_order: str | None = None,
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Wall-clock times (naive), whether each had an offset, its UTC instant in ns (NaT-like
    minimum where it had none), which rows failed, and a note on the day/month order used."""
    nat = np.iinfo(np.int64).min
    if pd.api.types.is_datetime64_any_dtype(values):  # Parquet
        parsed = pd.Series(values)
        has_offset = np.full(len(values), parsed.dt.tz is not None)
        utc = np.full(len(values), nat, dtype=np.int64)
        if parsed.dt.tz is not None:
            utc = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)
            parsed = parsed.dt.tz_convert(zone or "UTC").dt.tz_localize(None) if zone else parsed.dt.tz_localize(None)
        bad = parsed.isna().to_numpy()
        for i in np.flatnonzero(bad):
            report.error("bad_timestamp", "interval_start is empty", row=int(line[i]), column="interval_start", value=None)
        return parsed.astype("datetime64[ns]"), has_offset, utc, bad, None
    text = values.astype(str).str.strip()
    has_offset = text.str.contains(_OFFSET_RE).to_numpy()
    wall = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    utc = np.full(len(values), nat, dtype=np.int64)
    naive_text = text.where(~has_offset, text.str.replace(_OFFSET_RE, "", regex=True))
    note = None
    if has_offset.any():
        instants = pd.to_datetime(text[has_offset], errors="coerce", utc=True, format="ISO8601")
        ok = instants.notna().to_numpy()
        utc[np.flatnonzero(has_offset)[ok]] = instants[ok].dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        if zone is not None:
            wall[has_offset] = instants.dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[ns]")
            rest = ~has_offset
        else:
            rest = np.ones(len(text), dtype=bool)
    else:
        rest = np.ones(len(text), dtype=bool)
    ambiguous = np.zeros(len(text), dtype=bool)
    if rest.any():
        parsed = pd.to_datetime(naive_text[rest], errors="coerce", format="ISO8601")
        if parsed.isna().all():  # e.g. "03/03/2003 07:00": day and month order decided below
            parsed, note, undecided = _parse_day_month(naive_text[rest], date_order, report, line[rest])
            ambiguous[np.flatnonzero(rest)[undecided]] = True
        wall[rest] = parsed.astype("datetime64[ns]")
    bad = wall.isna().to_numpy().copy()
    for i in np.flatnonzero(bad & ~ambiguous):
        report.error("bad_timestamp", "interval_start is not a date-time (use ISO-8601, e.g. 2024-03-04T08:30)", row=int(line[i]), column="interval_start", value=values.iloc[i])
    if zone is not None:
        naive_rows = ~has_offset & ~bad
        if naive_rows.any():
            localized = wall[naive_rows].dt.tz_localize(zone, nonexistent="NaT", ambiguous="NaT")
            for position in np.flatnonzero(localized.isna().to_numpy()):
                i = np.flatnonzero(naive_rows)[position]
                stamp = wall.iloc[i]
                if _exists(stamp, zone):
                    continue  # ambiguous (fall-back hour): resolved with the duplicates
                report.error("dst_nonexistent", f"this local time does not exist in {zone.key} (daylight-saving change)", row=int(line[i]), column="interval_start", value=values.iloc[i])
                bad[i] = True
    return wall, has_offset, utc, bad, note


def _parse_day_month(text: pd.Series, date_order: str | None, report: ValidationReport, line: np.ndarray
                     ) -> tuple[pd.Series, str | None, np.ndarray]:
    """Parse ``DD/MM/YYYY``-or-``MM/DD/YYYY`` dates (``/``, ``.`` or ``-``; time may follow).

    The order is ``date_order`` when given; otherwise a row whose first number is above 12
    proves day-first and one whose second is above 12 proves month-first. When no row
    decides, one ``ambiguous_date`` error names the first row and every row is refused
    (returned as undecided). Returns the times (NaT where unparsed), a note for the summary
    and the undecided mask.
    """
    parts = text.str.extract(_DMY_RE)
    matched = parts[0].notna().to_numpy()
    undecided = np.zeros(len(text), dtype=bool)
    if not matched.any():  # not a day/month layout: pandas' general parser (e.g. "Mar 3 2003 07:00")
        return pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=False), None, undecided
    first = pd.to_numeric(parts[0], errors="coerce").to_numpy()
    second = pd.to_numeric(parts[1], errors="coerce").to_numpy()
    day_evidence = np.flatnonzero(matched & (first > 12))
    month_evidence = np.flatnonzero(matched & (second > 12))
    if date_order is not None:
        order, note = date_order, f"{'day' if date_order == 'dayfirst' else 'month'}-first (given)"
    elif len(day_evidence) and len(month_evidence):
        i, j = day_evidence[0], month_evidence[0]
        report.error("mixed_date_order", f"day/month order differs between rows: row {int(line[i])} is day-first "
                     f"({text.iloc[i]!r}), row {int(line[j])} month-first; export one order",
                     row=int(line[j]), column="interval_start", value=text.iloc[j])
        undecided[:] = matched
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), None, undecided
    elif len(day_evidence) or len(month_evidence):
        i = (day_evidence if len(day_evidence) else month_evidence)[0]
        order = "dayfirst" if len(day_evidence) else "monthfirst"
        note = f"{order[:-5]}-first (inferred from row {int(line[i])}: {text.iloc[i]!r})"
    else:
        i = int(np.flatnonzero(matched)[0])
        report.error("ambiguous_date", "dates like this read as day/month or month/day (no day above 12 in the file); "
                     "pass --dayfirst or --monthfirst (ISO dates, 2025-03-04, need neither)",
                     row=int(line[i]), column="interval_start", value=text.iloc[i])
        undecided[:] = matched
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), None, undecided
    day, month = (parts[0], parts[1]) if order == "dayfirst" else (parts[1], parts[0])
    year = parts[2].where(parts[2].str.len() == 4, "20" + parts[2])
    iso = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[3].fillna("")
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if matched.any():
        parsed[matched] = pd.to_datetime(iso[matched], errors="coerce", format="mixed").astype("datetime64[ns]")
    return parsed, note, undecided


def _exists(stamp: pd.Timestamp, zone: ZoneInfo) -> bool:
    """Whether a naive local time exists in ``zone`` (False in the spring-forward gap)."""
    try:
        pd.Timestamp(stamp).tz_localize(zone, nonexistent="raise", ambiguous=True)
        return True
    except Exception:  # pytz/zoneinfo raise NonExistentTimeError, a subclass of Exception only
        return False


def _parse_numbers(
    values: pd.Series, column: str, *, integer: bool, required: bool, report: ValidationReport, line: np.ndarray
) -> tuple[pd.Series, np.ndarray]:
    text = values.astype(str).str.strip() if values.dtype == object or pd.api.types.is_string_dtype(values) else None
    numbers = pd.to_numeric(text if text is not None else values, errors="coerce").astype(float)
    blank = (text == "").to_numpy() if text is not None else values.isna().to_numpy()
    bad = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(blank):
        if required:
            report.error("blank", f"{column} is empty (a missing interval is left out, not written blank)", row=int(line[i]), column=column, value="")
            bad[i] = True
    unparsed = numbers.isna().to_numpy() & ~blank
    for i in np.flatnonzero(unparsed):
        report.error("not_numeric", f"{column} is not a number", row=int(line[i]), column=column, value=values.iloc[i])
    bad |= unparsed
    infinite = np.isinf(numbers.to_numpy())  # "inf", "1e400"
    for i in np.flatnonzero(infinite):
        report.error("not_finite", f"{column} is not a finite number", row=int(line[i]), column=column, value=values.iloc[i])
    bad |= infinite
    numbers = numbers.where(~infinite)
    limit = MAX_COUNT if integer else (MAX_ASA_S if column == "asa_s" else None)
    if limit is not None:
        too_big = (numbers > limit).to_numpy()
        unit = "contacts in one interval" if integer else "seconds"
        for i in np.flatnonzero(too_big):
            report.error("out_of_range", f"{column} is above {limit:,} {unit}", row=int(line[i]), column=column, value=values.iloc[i])
        bad |= too_big
    negative = (numbers < 0).to_numpy()
    for i in np.flatnonzero(negative):
        report.error("negative", f"{column} is negative", row=int(line[i]), column=column, value=values.iloc[i])
    bad |= negative
    if integer:
        fractional = (np.abs(numbers - np.round(numbers)) > 1e-9).to_numpy() & ~negative
        for i in np.flatnonzero(fractional):
            report.error("not_integer", f"{column} is a count and must be a whole number", row=int(line[i]), column=column, value=values.iloc[i])
        bad |= fractional
    return numbers, bad


def _check_consistency(frame: pd.DataFrame, raw: pd.DataFrame, bad: np.ndarray, report: ValidationReport,
                       line: np.ndarray, *, allow_flow_outs: bool = False) -> np.ndarray:
    """Row checks across columns; returns the rows that fail.

    * ``aht_s`` in (0 s, 4 h]; 0 (or blank) is allowed only where nothing was handled;
    * ``handled + abandoned <= offered`` unless ``allow_flow_outs`` (a vendor that counts
      offered in the interval a contact entered the queue and answers in the one it was
      answered in, or whose offered excludes flow-ins);
    * ``answered_within_sl <= offered``.
    """
    failed = np.zeros(len(frame), dtype=bool)
    if "aht_s" in frame:
        aht = frame["aht_s"].to_numpy(dtype=float)
        volume = (frame["handled"] if "handled" in frame else frame["offered"]).to_numpy(dtype=float)
        wrong = ((aht > MAX_AHT_S) | ((aht <= 0) & (np.nan_to_num(volume) > 0))) & ~bad
        for i in np.flatnonzero(wrong):
            report.error("aht_range", f"aht_s must lie in (0 s, {MAX_AHT_S} s] (4 hours) where contacts were handled",
                         row=int(line[i]), column="aht_s", value=raw["aht_s"].iloc[i])
        failed |= wrong
    offered = frame["offered"].to_numpy(dtype=float)
    if ("handled" in frame or "abandoned" in frame) and not allow_flow_outs:
        handled = frame["handled"].to_numpy(dtype=float) if "handled" in frame else np.zeros(len(frame))
        abandoned = frame["abandoned"].to_numpy(dtype=float) if "abandoned" in frame else np.zeros(len(frame))
        over = (np.nan_to_num(handled) + np.nan_to_num(abandoned) > offered) & ~bad & ~failed
        for i in np.flatnonzero(over):
            report.error("over_offered", "handled + abandoned is more than offered (a profile whose vendor counts "
                         "flow-outs or answers in a later interval allows this; --map files do not)",
                         row=int(line[i]), column="handled",
                         value=f"offered {offered[i]:g}, handled {handled[i]:g}, abandoned {abandoned[i]:g}")
        failed |= over
    if "answered_within_sl" in frame:
        within = frame["answered_within_sl"].to_numpy(dtype=float)
        over = (np.nan_to_num(within) > offered) & ~bad & ~failed
        for i in np.flatnonzero(over):
            report.error("over_offered", "answered_within_sl is more than offered", row=int(line[i]),
                         column="answered_within_sl", value=raw["answered_within_sl"].iloc[i])
        failed |= over
    return failed


def _resolve_duplicates(frame: pd.DataFrame, zone: ZoneInfo | None, report: ValidationReport) -> pd.DataFrame:
    """Merge the repeated fall-back hour (recognised by zone or offsets); report real duplicates."""
    dup = frame.duplicated(list(KEY_COLUMNS), keep=False)
    if not dup.any():
        return frame
    groups = frame[dup].groupby(list(KEY_COLUMNS), sort=False)
    merged_rows, drop_index = [], []
    nat = np.iinfo(np.int64).min
    for key, group in groups:
        stamp = key[0]
        instants = group["_utc"].to_numpy()
        same_instant = bool((instants != nat).all() and instants[0] == instants[-1])
        is_dst_repeat = (len(group) == 2 and zone is not None and not _unambiguous(stamp, zone)
                         and _exists(stamp, zone) and not same_instant)
        if is_dst_repeat:
            merged = group.iloc[0].copy()
            for column in COUNT_COLUMNS + ("handle_time_s",):
                if column in group:
                    merged[column] = group[column].sum(min_count=1)
            weight = group["handled"] if "handled" in group else group["offered"]
            for column in ("aht_s", "asa_s"):
                if column in group:
                    w = weight.fillna(0).to_numpy(dtype=float)
                    v = group[column].to_numpy(dtype=float)
                    merged[column] = float(np.nansum(v * w) / w.sum()) if w.sum() > 0 else float(np.nanmean(v))
            merged_rows.append(merged)
            drop_index.extend(group.index)
            report.warn(
                "dst_repeat",
                f"local time {stamp:%Y-%m-%d %H:%M} occurs twice (daylight-saving fall-back); the two intervals were merged (counts summed)",
                row=int(group["_line"].iloc[1]),
                column="interval_start",
            )
        else:
            first = int(group["_line"].iloc[0])
            if zone is None:
                hint = "; if this is the repeated hour of a daylight-saving fall-back, pass --timezone"
            elif not _unambiguous(stamp, zone) and same_instant:
                hint = "; both rows are the same instant, not the two passes of the fall-back hour"
            elif not _unambiguous(stamp, zone):
                hint = f"; the fall-back hour of {zone.key} occurs twice, not {len(group)} times"
            else:
                hint = f"; {stamp:%Y-%m-%d %H:%M} is not a repeated (fall-back) hour of {zone.key}"
            for _, row in group.iloc[1:].iterrows():
                report.error(
                    "duplicate",
                    f"duplicate key (interval_start, queue, channel) = ({stamp:%Y-%m-%dT%H:%M}, {key[1]}, {key[2]}) "
                    f"on this row and row {first}; first seen on row {first}{hint}",
                    row=int(row["_line"]),
                    column="interval_start",
                )
            drop_index.extend(group.index[1:])
    frame = frame.drop(index=drop_index)
    if merged_rows:
        frame = pd.concat([frame, pd.DataFrame(merged_rows)], ignore_index=False)
    return frame


def _unambiguous(stamp: pd.Timestamp, zone: ZoneInfo) -> bool:
    try:
        pd.Timestamp(stamp).tz_localize(zone, ambiguous="raise", nonexistent="raise")
        return True
    except Exception:  # AmbiguousTimeError / NonExistentTimeError
        return False


def _infer_minutes(frame: pd.DataFrame) -> int | None:
    """The most common positive step between consecutive intervals of each series (minutes)."""
    steps = []
    for _, group in frame.groupby(["queue", "channel"], sort=False):
        times = np.sort(group["interval_start"].to_numpy(dtype="datetime64[s]").astype(np.int64))
        diffs = np.diff(times)
        steps.append(diffs[diffs > 0])
    if not steps or sum(len(s) for s in steps) == 0:
        return None
    diffs = np.concatenate(steps)
    values, counts = np.unique(diffs, return_counts=True)
    return int(values[np.argmax(counts)] // 60) if values[np.argmax(counts)] % 60 == 0 else -1


def _check_grid(frame: pd.DataFrame, report: ValidationReport) -> int | None:
    """Infer the interval length and report times off its grid; returns minutes or None."""
    if frame.empty:
        return None
    minutes = _infer_minutes(frame)
    if minutes is None:
        report.warn("short", "only one interval per series: the interval length can't be inferred")
        return None
    per_series = {f"{q}/{c}": _infer_minutes(g) for (q, c), g in frame.groupby(["queue", "channel"], sort=True)}
    lengths = {m for m in per_series.values() if m is not None}
    if len(lengths) > 1:
        for series, length in per_series.items():
            if length is not None and length != minutes:
                shown = f"{length} minutes" if length > 0 else "not a whole number of minutes"
                report.error("interval_length_mixed",
                             f"series {series} has {shown} intervals, the rest of the file {minutes} minutes; "
                             "one file holds one interval length (aggregate or split it)",
                             column="interval_start", value=series)
        return None
    if minutes not in SUPPORTED_INTERVAL_MINUTES:
        shown = f"{minutes} minutes" if minutes > 0 else "not a whole number of minutes"
        report.error(
            "interval_length",
            f"the interval length is {shown}; supported: {', '.join(map(str, SUPPORTED_INTERVAL_MINUTES))} minutes",
            column="interval_start",
        )
        return None
    seconds = frame["interval_start"].dt.hour * 3600 + frame["interval_start"].dt.minute * 60 + frame["interval_start"].dt.second
    off = (seconds % (minutes * 60) != 0).to_numpy()
    for i in np.flatnonzero(off):
        report.error(
            "off_grid",
            f"interval_start is not on the {minutes}-minute grid (intervals start at multiples of {minutes} minutes after midnight)",
            row=int(frame["_line"].iloc[i]),
            column="interval_start",
            value=f"{frame['interval_start'].iloc[i]:%Y-%m-%dT%H:%M:%S}",
        )
    return minutes


def _report_gaps(frame: pd.DataFrame, minutes: int, report: ValidationReport) -> tuple[int, int]:
    """Report missing days and missing intervals inside each series' normal opening pattern.

    A weekday is normally open when at least half its dates have data; its opening span runs
    from the first to the last slot present on at least half of them. Returns the counts.
    """
    total_days = total_intervals = 0
    for (queue, channel), group in frame.groupby(["queue", "channel"], sort=False):
        times = group["interval_start"]
        dates = times.dt.normalize()
        slot = (times.dt.hour * 60 + times.dt.minute) // minutes
        weekday_dates = dates.drop_duplicates()
        all_dates = pd.date_range(dates.min(), dates.max(), freq="D")
        series = f"{queue}/{channel}"
        missing_days: list[pd.Timestamp] = []
        for weekday in range(7):
            seen = weekday_dates[weekday_dates.dt.day_of_week == weekday]
            expected = all_dates[all_dates.day_of_week == weekday]
            if len(seen) < max(2, 0.5 * len(expected)):
                continue  # normally closed on this weekday
            missing_days.extend(expected.difference(pd.DatetimeIndex(seen)))
            # the normal opening span on this weekday: slots present on at least half its dates
            on_weekday = dates.dt.day_of_week == weekday
            slot_share = slot[on_weekday].value_counts() / len(seen)
            normal = set(slot_share[slot_share >= 0.5].index)
            if not normal:
                continue
            span = range(min(normal), max(normal) + 1)
            present = pd.DataFrame({"date": dates[on_weekday], "slot": slot[on_weekday]})
            per_day = present.groupby("date")["slot"].apply(set)
            for day, slots in per_day.items():
                gaps = [s for s in span if s not in slots]
                if gaps and len(gaps) < len(span):
                    total_intervals += len(gaps)
                    first = day + pd.Timedelta(minutes=gaps[0] * minutes)
                    report.warn(
                        "gap_interval",
                        f"{series}: {len(gaps)} interval(s) missing on {day:%a %Y-%m-%d} inside the normal opening hours, first at {first:%H:%M} (missing data, not zero)",
                        column="interval_start",
                        value=f"{first:%Y-%m-%dT%H:%M}",
                    )
        for day in sorted(missing_days):
            report.warn("gap_day", f"{series}: no data on {day:%a %Y-%m-%d} (missing data, not zero)", column="interval_start", value=f"{day:%Y-%m-%d}")
        total_days += len(missing_days)
    return total_days, total_intervals


def _summary(frame: pd.DataFrame, minutes: int | None, rows_read: int, timezone: str | None) -> dict[str, Any]:
    if frame.empty:
        return {"rows_read": rows_read, "rows_accepted": 0}
    summary: dict[str, Any] = {
        "rows_read": rows_read,
        "rows_accepted": len(frame),
        "queues": ", ".join(sorted(frame["queue"].unique())),
        "channels": ", ".join(sorted(frame["channel"].unique())),
        "interval_minutes": minutes,
        "first_interval": f"{frame['interval_start'].min():%Y-%m-%d %H:%M}",
        "last_interval": f"{frame['interval_start'].max():%Y-%m-%d %H:%M}",
        "days_with_data": int(frame["interval_start"].dt.normalize().nunique()),
        "offered_total": int(frame["offered"].sum()),
        "optional_columns": ", ".join(c for c in OPTIONAL_COLUMNS[2:] if c in frame) or "none",
        "timezone": timezone or "local clock time as written",
    }
    return summary


def iter_problem_rows(report: ValidationReport) -> Iterable[dict[str, Any]]:
    """The report's problems as dicts (for tables in the app and JSON output)."""
    for p in report.problems:
        yield {"severity": p.severity, "kind": p.kind, "row": p.row, "column": p.column, "value": p.value, "message": p.message}

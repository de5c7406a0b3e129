"""Vendor export profiles and column mapping: read the file a centre already has.

A History file (:mod:`planner.io`) has the columns ``interval_start, queue, channel, offered,
handled, abandoned, aht_s, ...``. An ACD or ticketing export has its vendor's columns and
words. This module turns such a table into History columns before validation, in one of
three ways:

* a **mapping** given by the user: ``--map offered="Offer" --map interval_start="Interval
  Start"`` or a ``[mapping]`` table in a TOML file (History field -> the file's column);
* a **profile** forced with ``--profile NAME``;
* a profile **detected** from the header when the History columns are missing.

A :class:`Profile` is declarative: which column holds each field (several spellings
allowed), durations given as ``[h:]mm:ss`` or seconds, the vendor's channel words, whether
times are local or UTC, and whether the vendor's counting lets handled + abandoned exceed
offered in one interval. Two shapes exist: **interval** reports (one row per interval and
queue, like the History format) and **contact** logs (one row per call, chat or ticket with
its time; counted here into intervals of ``interval_minutes``).

Every profile cites the vendor documentation its columns were taken from. Five9's Call Log
report is documented in a PDF guide we could not read; its profile is written from Five9's
web-services reference (the call types) and from public integrations that quote the report's
live header and rows verbatim (cited in the profile).

Example:
    >>> sorted(PROFILES)[:3]
    ['amazon_connect', 'avaya_cms', 'five9']
    >>> detect_profile(["Interval Start", "Interval End", "Queue Name", "Media Type", "Offer",
    ...                 "Answer", "Abandon", "Avg Handle"]).name
    'genesys_cloud'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import ConfigError
from planner.io import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SECONDS_COLUMNS, ValidationReport
from scheduling.rules import GRIDS_MINUTES

__all__ = ["Profile", "PROFILES", "MappedTable", "detect_profile", "map_to_history", "parse_map_options",
           "read_mapping_file", "duration_seconds", "DEFAULT_EVENT_INTERVAL_MINUTES"]

HISTORY_FIELDS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DEFAULT_EVENT_INTERVAL_MINUTES = 15
_DURATION_RE = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Profile:
    """How one vendor's export maps onto the History format.

    ``columns``: History field (or, for contact logs, ``time``, ``outcome``, ``handle``) ->
    the header spellings that hold it, compared case-insensitively. ``detect``: headers that
    must all be present for detection. ``offered_from``: headers summed into ``offered`` when
    the vendor has no offered column. ``durations``: fields written ``[h:]mm:ss`` (or plain
    seconds). ``channel_words``: the vendor's channel values -> History channel, ahead of
    the general words of :data:`planner.io.CHANNEL_WORDS` (``None`` drops the row, e.g.
    outbound). ``outcomes`` (contact logs): value of the outcome column -> ``handled``,
    ``abandoned``, ``offered`` (neither) or ``None`` (not inbound: dropped). ``times``:
    ``"local"`` or ``"utc"`` (then ``--timezone`` is required). ``allow_flow_outs``: the
    vendor's interval counts can make handled + abandoned exceed offered. ``time_formats``
    (contact logs): ``strftime`` patterns tried in order for a vendor's own time shape. A
    contact log's ``answered_by`` column names the agent: a contact that was not abandoned and
    names no agent (empty or ``[None]``) was never agent work (self-service, voicemail, sent
    on) and is dropped. ``one_contact_per_id``: a contact's legs (rows sharing the ``id``
    column, e.g. a transfer) count as one contact, at its first leg's time.
    """

    name: str
    title: str
    docs: tuple[str, ...]
    kind: str  # "interval" | "contacts"
    columns: Mapping[str, tuple[str, ...]]
    detect: tuple[str, ...]
    notes: str = ""
    offered_from: tuple[str, ...] = ()
    durations: tuple[str, ...] = ()
    channel_words: Mapping[str, str | None] = field(default_factory=dict)
    default_channel: str | None = None
    outcomes: Mapping[str, str | None] = field(default_factory=dict)
    times: str = "local"
    allow_flow_outs: bool = False
    time_formats: tuple[str, ...] = ()
    one_contact_per_id: bool = False


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile(
        name="genesys_cloud",
        title="Genesys Cloud: Queues Performance (interval) export",
        docs=("https://help.mypurecloud.com/?p=334996 (performance view columns: Offered, Answered, Abandoned, "
              "Avg Handle)",
              "https://help.mypurecloud.com/faqs/offered-metric-not-always-equal-answered-plus-abandoned-metrics"),
        kind="interval",
        columns={"interval_start": ("interval start",), "queue": ("queue name", "queue"),
                 "channel": ("media type",), "offered": ("offer", "offered"), "handled": ("answer", "answered"),
                 "abandoned": ("abandon", "abandoned"), "aht_s": ("avg handle", "average handle")},
        detect=("interval start", "media type"),
        durations=("aht_s",),
        notes="Offered interactions are answered, abandoned or flow-outs (voicemail, callbacks, transfers out of "
              "the queue). Genesys counts Offered in the 30-minute interval a contact entered the queue and "
              "Answered/Abandoned in the interval it was answered or abandoned, so handled + abandoned may exceed "
              "offered in one interval: allowed for this profile. Times are in the workspace time zone chosen "
              "for the export. Avg Handle is read as [h:]mm:ss or seconds.",
        allow_flow_outs=True,
    ),
    Profile(
        name="amazon_connect",
        title="Amazon Connect: historical metrics report (queues, by interval)",
        docs=("https://docs.aws.amazon.com/connect/latest/APIReference/API_HistoricalMetric.html (UI names: "
              "Contacts queued, Contacts handled, Contacts abandoned; HANDLE_TIME in seconds)",
              "https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics.html (interval counting)"),
        kind="interval",
        columns={"interval_start": ("startinterval", "start interval", "interval start"), "queue": ("queue",),
                 "channel": ("channel",), "offered": ("contacts queued",), "handled": ("contacts handled",),
                 "abandoned": ("contacts abandoned",), "aht_s": ("average handle time", "handle time")},
        detect=("contacts queued", "contacts handled"),
        durations=("aht_s",),
        notes="Metric columns are the documented UI names. The interval column's header is not in the "
              "documentation we could read: StartInterval, Start interval and Interval start are accepted "
              "(or --map interval_start=...). Contact-record-driven metrics (handled, handle time) fall in the "
              "interval the contact disconnected, queued in the interval it was queued, so handled + abandoned "
              "may exceed queued in one interval: allowed. Channels VOICE, CHAT, TASK read as voice, chat, "
              "backoffice.",
        allow_flow_outs=True,
    ),
    Profile(
        name="avaya_cms",
        title="Avaya CMS: split/skill interval report",
        docs=("Avaya BCMS Operations guide, Issue 5.0 (2005), Split report header definitions (ACD CALLS, "
              "AVG SPEED ANS): https://www.manualshelf.com/manual/avaya/basic-call-management-system-bcms/"
              "user-s-manual-english/page-65.html",
              "AT&T/Avaya CMS User's guide, Daily Split Report (Num Calls Aband, Num ACD Calls, Flow In, Flow Out, "
              "Avg Talk Time, Avg After Call in minutes and seconds)"),
        kind="interval",
        columns={"date": ("date",), "interval_start": ("interval", "time"), "queue": ("split/skill", "split", "skill"),
                 "handled": ("acd calls", "num acd calls"), "abandoned": ("aban calls", "num calls aband"),
                 "talk_s": ("avg acd time", "avg talk time"), "acw_s": ("avg acw time", "avg after call"),
                 "asa_s": ("avg speed ans",)},
        detect=("acd calls", "aban calls"),
        offered_from=("handled", "abandoned"),
        durations=("talk_s", "acw_s", "asa_s"),
        default_channel="voice",
        notes="CMS has no offered column: offered = ACD Calls + Aban Calls (ACD Calls include calls that flowed "
              "in). Calls are counted in the interval they completed. aht_s = Avg ACD Time + Avg ACW Time "
              "(minutes:seconds). An interval label like '08:00-08:30' is read by its start; CMS prints the "
              "report date in the title, so the export needs a Date column per row (or the Interval column "
              "holding date and time).",
    ),
    Profile(
        name="talkdesk",
        title="Talkdesk: Calls report (Explore API), one row per call",
        docs=("https://docs.talkdesk.com/docs/calls-report (fields call_id, type, start_at (UTC), talk_time, "
              "hold_time, ring_groups; type values abandoned, inbound, missed, outbound, outbound_missed, "
              "short_abandoned, voicemail)",),
        kind="contacts",
        columns={"time": ("start_at",), "outcome": ("type",), "queue": ("ring_groups",),
                 "handle": ("talk_time", "hold_time"), "id": ("call_id",)},
        detect=("call_id", "start_at", "type"),
        outcomes={"inbound": "handled", "abandoned": "abandoned", "short_abandoned": "abandoned",
                  "missed": "offered", "voicemail": "offered", "outbound": None, "outbound_missed": None},
        default_channel="voice",
        times="utc",
        notes="start_at is UTC: --timezone is required. Inbound calls are handled, abandoned and short_abandoned "
              "abandoned, missed and voicemail offered only; outbound rows are dropped. Handle time = talk_time "
              "+ hold_time in seconds (the report has no after-call work). Counted in the interval the call "
              "started.",
    ),
    Profile(
        name="nice_cxone",
        title="NICE CXone: Call Detail data download, one row per contact",
        docs=("https://help.nicecxone.com/content/reporting/datadownloadreports/datadownloadmetrics.htm (Abandon Y/N, "
              "Active_Talk_Time and ACW_Seconds in seconds, start_date)",
              "https://help.nicecxone.com/fr-ca/content/reporting/datadownloadreports/reports/calldetailreport.htm "
              "(columns Contact_ID, Master_Contact_ID, Media_Name, Skill_Name, ...)"),
        kind="contacts",
        columns={"time": ("start_date",), "time_of_day": ("start_time",), "outcome": ("abandon",),
                 "queue": ("skill_name",), "channel": ("media_name",), "handle": ("active_talk_time", "acw_seconds"),
                 "id": ("contact_id",)},
        detect=("contact_id", "skill_name", "abandon"),
        outcomes={"y": "abandoned", "n": "handled"},
        notes="Abandon = Y is abandoned, N handled. Handle time = Active_Talk_Time + ACW_Seconds (hold time is "
              "not in Active_Talk_Time). The time column is start_date (with start_time when the export splits "
              "them); the documentation lists the columns but not their date format, so day/month order follows "
              "--dayfirst/--monthfirst. Counted in the interval the contact started.",
    ),
    Profile(
        name="zendesk",
        title="Zendesk Support: ticket export (API/JSON fields flattened to CSV), one row per ticket",
        docs=("https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (id, created_at, via.channel)",
              "https://support.zendesk.com/hc/en-us/articles/4408886165402 (CSV/JSON export)"),
        kind="contacts",
        columns={"time": ("created_at", "created at"), "channel": ("via.channel", "via_channel", "via"),
                 "queue": ("group_id", "group"), "id": ("id",)},
        detect=("id", "created_at"),
        channel_words={"email": "email", "web": "email", "web_form": "email", "web_widget": "email",
                       "mobile": "email", "mobile_sdk": "email", "api": "backoffice", "rule": "backoffice",
                       "system": "backoffice", "voice": "backoffice", "chat": "backoffice", "sms": "backoffice",
                       "twitter": "social", "facebook": "social", "instagram": "social", "any_channel": "social"},
        default_channel="email",
        times="utc",
        notes="Each ticket is one contact counted at created_at (UTC, so --timezone is required) as e-mail, "
              "social or back-office volume by its via channel: e-mail and web forms are email, Twitter, Facebook "
              "and other social channels social; tickets made by the API, rules or from a call or chat are "
              "back-office follow-up work. The column names are the API's; the admin CSV export's own header "
              "could not be checked, so --map it if it differs.",
    ),
    Profile(
        name="freshdesk",
        title="Freshdesk: tickets (API fields flattened to CSV), one row per ticket",
        docs=("https://developers.freshdesk.com/api/#tickets (id, created_at, source: 1 Email, 2 Portal, 3 Phone, "
              "7 Chat, 9 Feedback Widget, 10 Outbound Email)",),
        kind="contacts",
        columns={"time": ("created_at",), "channel": ("source",), "queue": ("group_id",), "id": ("id",)},
        detect=("id", "created_at", "source"),
        channel_words={"1": "email", "2": "email", "3": "backoffice", "7": "backoffice", "9": "email",
                       "10": None, "email": "email", "portal": "email", "phone": "backoffice", "chat": "backoffice",
                       "feedback widget": "email", "outbound email": None},
        times="utc",
        notes="Freshdesk has no native CSV ticket export; the API's fields are used. Tickets from e-mail, the portal "
              "and the feedback widget are email, from phone and chat back-office follow-up; outbound e-mail "
              "(source 10) is not inbound work and is dropped. created_at is UTC: --timezone is required.",
    ),
    Profile(
        name="five9",
        title="Five9: Call Log report, one row per call leg",
        docs=("Five9 Configuration Web Services API reference guide, data type callType (INBOUND, OUTBOUND, "
              "AUTODIAL, AGENT, INTERNAL, TEST, *_VOICEMAIL, OUTBOUND_PREVIEW), as scraped in "
              "https://github.com/Cloverhound/five9-cli docs/scrape/config-web-services_data-types_callType.md",
              "The Call Log report's header and rows as exported (CALL ID, TIMESTAMP 'Fri, 21 Aug 2026 09:00:06', "
              "CAMPAIGN, CALL TYPE, AGENT '[None]' when no agent, TALK TIME, AFTER CALL WORK TIME as hh:mm:ss, "
              "ABANDONED 0/1; a transfer's legs share a CALL ID), quoted verbatim in public integrations, e.g. "
              "https://github.com/Pathlight/tap-five9 tap_five9/schemas/call_log.json",
              "Five9 report columns with SKILL, CALLS count, ABANDONED count, HANDLE TIME, TALK TIME (hold "
              "included), AFTER CALL WORK TIME: https://github.com/angmarceau1971/five9-call-dashboard "
              "src/datasources/five9-update.js"),
        kind="contacts",
        columns={"time": ("timestamp",), "outcome": ("abandoned",), "queue": ("skill", "campaign"),
                 "channel": ("call type",), "handle": ("talk time", "after call work time"),
                 "answered_by": ("agent",), "id": ("call id",)},
        detect=("call id", "timestamp", "call type"),
        channel_words={"inbound": "voice", "outbound": None, "preview": None, "outbound preview": None,
                       "autodial": None, "manual": None, "agent": None, "internal": None, "test": None,
                       "3rd party transfer": None, "inbound voicemail": None, "internal voicemail": None,
                       "outbound voicemail": None},
        outcomes={"0": "handled", "1": "abandoned"},
        time_formats=("%a, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M:%S"),
        one_contact_per_id=True,
        notes="Inbound calls only: CALL TYPE Inbound is voice; outbound, preview, autodial, internal and test "
              "calls, voicemail legs and the 3rd-party-transfer leg of an inbound call are dropped. ABANDONED 1 is "
              "abandoned; 0 is handled when AGENT names an agent, and an inbound call with no agent ([None]) "
              "that was not abandoned (self-service in the IVR, sent to voicemail or transferred out) is not "
              "agent work and is dropped. Legs sharing a CALL ID are one call, counted at its first leg. Handle "
              "time = TALK TIME (hold included) + AFTER CALL WORK TIME. The queue is SKILL when the report has "
              "it, else CAMPAIGN. TIMESTAMP is in the time zone the report was run in (Five9's default is "
              "Pacific): export in the centre's zone.",
    ),
)}


@dataclass(frozen=True)
class MappedTable:
    """A table in History columns (text cells), the file line of each row, the file's header
    for each History field it came from, the profile used and its flow-out rule."""

    frame: pd.DataFrame
    line: np.ndarray
    source_columns: dict[str, str]
    profile: str | None = None
    allow_flow_outs: bool = False


def detect_profile(headers: Sequence[str]) -> Profile | None:
    """The profile whose detection headers are all in ``headers`` (case-insensitive); the most
    specific when several match; None when none does."""
    present = {str(h).strip().lower() for h in headers}
    matches = [p for p in PROFILES.values() if all(h in present for h in p.detect)]
    if not matches:
        return None
    return max(matches, key=lambda p: (len(p.detect), sum(any(h in present for h in hs) for hs in p.columns.values())))


def duration_seconds(values: pd.Series) -> pd.Series:
    """Durations as seconds (text): ``[h:]mm:ss`` converted, plain numbers and blanks kept,
    anything else kept as written (validation then names it).

    Example:
        >>> duration_seconds(pd.Series(["3:05", "1:00:00", "185", ""])).tolist()
        ['185', '3600', '185', '']
    """
    text = values.astype(str).str.strip()
    parts = text.str.extract(_DURATION_RE)
    timed = parts[1].notna()
    seconds = (pd.to_numeric(parts[0], errors="coerce").fillna(0) * 3600
               + pd.to_numeric(parts[1], errors="coerce") * 60 + pd.to_numeric(parts[2], errors="coerce"))
    return text.where(~timed, seconds.map(lambda v: f"{v:g}"))


def parse_map_options(items: Sequence[str] | None) -> dict[str, str]:
    """``["offered=Offer", 'interval_start="Interval Start"']`` -> ``{"offered": "Offer", ...}``;
    ``ValueError`` naming the bad item or field."""
    mapping: dict[str, str] = {}
    for item in items or ():
        field_name, sep, column = item.partition("=")
        field_name, column = field_name.strip(), column.strip().strip('"').strip("'")
        if not sep or not field_name or not column:
            raise ConfigError(f"--map {item!r}: write FIELD=COLUMN, e.g. --map offered=\"Offer\"")
        mapping[field_name] = column
    return _check_mapping(mapping, "--map")


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """The ``[mapping]`` table of a TOML file (History field = "file column")."""
    with Path(path).open("rb") as handle:
        data = tomllib.load(handle)
    table = data.get("mapping")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{path}: expected a [mapping] table of FIELD = \"COLUMN\" lines")
    return _check_mapping(dict(table), str(path))


def _check_mapping(mapping: dict[str, str], where: str) -> dict[str, str]:
    unknown = [f for f in mapping if f not in HISTORY_FIELDS]
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]!r} is not a History field; use one of {', '.join(HISTORY_FIELDS)}")
    return mapping


def _header(raw: pd.DataFrame, column: Any) -> str:
    """The file's own spelling of a (lower-cased) column."""
    return raw.attrs.get("headers", {}).get(column, str(column))


def _find(raw: pd.DataFrame, names: Sequence[str]) -> str | None:
    columns = {str(c).strip().lower(): c for c in raw.columns}
    for name in names:
        if name.strip().lower() in columns:
            return columns[name.strip().lower()]
    return None


def _channel_words(values: pd.Series, words: Mapping[str, str | None]) -> tuple[pd.Series, np.ndarray]:
    """Apply a profile's channel words; returns the values and the rows to drop (word -> None)."""
    key = values.astype(str).str.strip().str.lower()
    known = key.isin(list(words))
    mapped = key.map(lambda k: words.get(k, k))
    drop = (known & mapped.isna()).to_numpy()
    return values.where(~known, mapped.fillna("")), drop


def map_to_history(raw: pd.DataFrame, line: np.ndarray, report: ValidationReport, *,
                   mapping: Mapping[str, str] | None = None, profile: str | None = None,
                   timezone: str | None = None, interval_minutes: int | None = None,
                   date_order: str | None = None) -> MappedTable | None:
    """``raw`` (text cells, headers lower-cased) in History columns; None after reporting an
    error that stops validation (a mapped column missing, a UTC profile without a zone)."""
    if profile is not None and profile not in PROFILES:
        raise ConfigError(f"--profile {profile!r}: unknown; choose one of {', '.join(sorted(PROFILES))}")
    chosen = PROFILES[profile] if profile else None
    native = all(c in raw.columns for c in REQUIRED_COLUMNS)
    if chosen is None and not mapping and not native:
        chosen = detect_profile(raw.columns)
    if chosen is None and not mapping:
        return MappedTable(raw, line, {})
    if chosen is None:
        return _apply_mapping(raw, line, report, mapping or {})
    if chosen.times == "utc" and not timezone:
        report.error("timezone_required", f"{chosen.title} writes times in UTC; pass --timezone (the centre's IANA "
                     "zone, e.g. Europe/London) so contacts are counted in local intervals", column="interval_start")
        return None
    if chosen.kind == "contacts":
        return _count_contacts(raw, line, report, chosen, mapping or {}, timezone,
                               interval_minutes or DEFAULT_EVENT_INTERVAL_MINUTES, date_order)
    return _apply_interval_profile(raw, line, report, chosen, mapping or {})


def _apply_mapping(raw: pd.DataFrame, line: np.ndarray, report: ValidationReport, mapping: Mapping[str, str]
                   ) -> MappedTable | None:
    frame = pd.DataFrame(index=raw.index)
    sources: dict[str, str] = {}
    for field_name, header in mapping.items():
        column = _find(raw, [header])
        if column is None:
            report.error("missing_column", f"mapped column {header!r} (for {field_name}) is not in the file; the file "
                         f"has: {', '.join(map(str, raw.columns))}", column=header)
            return None
        values = raw[column]
        frame[field_name] = duration_seconds(values) if field_name in SECONDS_COLUMNS else values
        sources[field_name] = header
    for column in raw.columns:  # History-named columns the mapping did not replace are kept
        if column in HISTORY_FIELDS and column not in frame:
            frame[column] = raw[column]
    return MappedTable(frame, line, sources)


def _apply_interval_profile(raw: pd.DataFrame, line: np.ndarray, report: ValidationReport, profile: Profile,
                            mapping: Mapping[str, str]) -> MappedTable | None:
    columns = {**profile.columns, **{f: (h,) for f, h in mapping.items()}}
    found = {f: _find(raw, names) for f, names in columns.items()}
    sources = {f: _header(raw, c) for f, c in found.items() if c is not None and f in HISTORY_FIELDS}
    needed = ["interval_start"] + ([] if profile.offered_from else ["offered"])
    missing = [f for f in needed + list(profile.offered_from) if found.get(f) is None]
    if missing:
        report.error("missing_column", f"{profile.title}: no column for {', '.join(missing)} (looked for "
                     f"{'; '.join(' / '.join(columns[f]) for f in missing)}); the file has: "
                     f"{', '.join(map(str, raw.columns))}", column=missing[0])
        return None
    frame = pd.DataFrame(index=raw.index)
    start = raw[found["interval_start"]].astype(str).str.strip().str.replace(
        r"^(.*?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)\s*-\s*.*$", r"\1", regex=True)  # "08:00-08:30" -> "08:00"
    if found.get("date") is not None:
        start = raw[found["date"]].astype(str).str.strip() + " " + start
    frame["interval_start"] = start
    for field_name in ("queue", "channel", "offered", "handled", "abandoned", "answered_within_sl", "asa_s", "aht_s"):
        if found.get(field_name) is not None:
            values = raw[found[field_name]]
            frame[field_name] = duration_seconds(values) if field_name in profile.durations else values
    if profile.channel_words and "channel" in frame:
        frame["channel"], drop = _channel_words(frame["channel"], profile.channel_words)
        frame, line = frame.loc[~drop], line[~drop]
    if "channel" not in frame and profile.default_channel:
        frame["channel"] = profile.default_channel
    if profile.offered_from:
        parts = [pd.to_numeric(frame[f], errors="coerce") for f in profile.offered_from]
        total = sum(parts)
        frame["offered"] = total.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        sources["offered"] = " + ".join(sources[f] for f in profile.offered_from)
    if found.get("talk_s") is not None:
        talk = pd.to_numeric(duration_seconds(raw[found["talk_s"]]), errors="coerce")
        acw = (pd.to_numeric(duration_seconds(raw[found["acw_s"]]), errors="coerce").fillna(0)
               if found.get("acw_s") is not None else 0)
        frame["aht_s"] = (talk + acw).map(lambda v: "" if pd.isna(v) else f"{v:g}").loc[frame.index]
        sources["aht_s"] = " + ".join(_header(raw, found[f]) for f in ("talk_s", "acw_s") if found.get(f) is not None)
    return MappedTable(frame, line, sources, profile.name, profile.allow_flow_outs)


def _count_contacts(raw: pd.DataFrame, line: np.ndarray, report: ValidationReport, profile: Profile,
                    mapping: Mapping[str, str], timezone: str | None, interval_minutes: int,
                    date_order: str | None = None) -> MappedTable | None:
    """One row per contact -> one row per interval x queue x channel with offered, handled,
    abandoned, handle_time_s and aht_s; rows with errors are named and left out."""
    if interval_minutes not in GRIDS_MINUTES:
        raise ConfigError(f"--interval-minutes {interval_minutes}: use {', '.join(map(str, GRIDS_MINUTES[:-1]))} or "
                          f"{GRIDS_MINUTES[-1]}")
    columns = {**profile.columns, **{f: (h,) for f, h in mapping.items()}}
    found = {f: _find(raw, names) for f, names in columns.items() if f != "handle"}
    handle = [c for c in (_find(raw, [n]) for n in columns.get("handle", ())) if c is not None]
    if found.get("time") is None:
        report.error("missing_column", f"{profile.title}: no time column (looked for {' / '.join(columns['time'])})",
                     column=columns["time"][0])
        return None
    times, bad = _contact_times(raw, found, line, report, profile, timezone=timezone, date_order=date_order)
    channel, outcome, drop, bad = _contact_outcomes(raw, found, line, report, profile, bad)
    queue = (raw[found["queue"]].astype(str).str.strip().replace("", "main") if found.get("queue") is not None
             else pd.Series("main", index=raw.index))
    seconds, bad = _handle_seconds(raw, handle, line, report, outcome=outcome, drop=drop, bad=bad)
    keep = ~bad & ~drop
    if not keep.any():
        if report.ok:
            report.error("empty", f"{profile.title}: no inbound contacts in the file")
        return None
    start = times[keep].dt.floor(f"{interval_minutes}min")
    events = pd.DataFrame({"interval_start": start, "queue": queue[keep], "channel": channel[keep],
                           "handled": (outcome[keep] == "handled").astype(int),
                           "abandoned": (outcome[keep] == "abandoned").astype(int),
                           "handle_time_s": seconds[keep].where(outcome[keep] == "handled", 0.0),
                           "_line": line[keep]})
    if profile.one_contact_per_id and found.get("id") is not None:
        legs = len(events)
        events = _one_row_per_contact(events, raw[found["id"]].astype(str).str.strip()[keep], times[keep])
        report.summary["call_legs_merged"] = legs - len(events)
    report.summary["contacts_counted"] = len(events)
    report.summary["contacts_dropped"] = int((drop & ~bad).sum())
    return _counted_table(events, raw, found, handle, profile)


def _contact_times(raw: pd.DataFrame, found: dict, line: np.ndarray, report: ValidationReport, profile: Profile, *,
                   timezone: str | None, date_order: str | None) -> tuple[pd.Series, np.ndarray]:
    """Each contact's local time (the profile's time column, plus its time-of-day column when
    split), and the rows whose time can't be read (reported)."""
    time_text = raw[found["time"]].astype(str).str.strip()
    if found.get("time_of_day") is not None:
        time_text = time_text + " " + raw[found["time_of_day"]].astype(str).str.strip()
    bad = np.zeros(len(raw), dtype=bool)
    if profile.times == "utc":
        instants = pd.to_datetime(time_text, errors="coerce", utc=True, format="ISO8601")
        times = instants.dt.tz_convert(timezone).dt.tz_localize(None)
    elif profile.time_formats:
        times = _vendor_times(time_text, profile.time_formats)
    else:
        from planner.io import _parse_times

        times, _, _, bad_ts, _ = _parse_times(time_text, None, report, line, date_order)
        bad |= bad_ts
        times = pd.Series(times, index=raw.index)
    unparsed = times.isna().to_numpy() & ~bad
    for i in np.flatnonzero(unparsed):
        report.error("bad_timestamp", "not a date-time", row=int(line[i]), column=_header(raw, found["time"]),
                     value=time_text.iloc[i])
    return times, bad | times.isna().to_numpy()


def _contact_outcomes(raw: pd.DataFrame, found: dict, line: np.ndarray, report: ValidationReport, profile: Profile,
                      bad: np.ndarray) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """Each contact's channel and outcome (``offered``, ``handled``, ``abandoned``); the rows to
    drop (outbound, not agent work) and ``bad`` with unknown outcomes added (reported)."""
    drop = np.zeros(len(raw), dtype=bool)
    if found.get("channel") is not None:
        channel = raw[found["channel"]].astype(str).str.strip()
        if profile.channel_words:
            channel, dropped = _channel_words(channel, profile.channel_words)
            drop |= dropped
    else:
        channel = pd.Series(profile.default_channel or "voice", index=raw.index)
    outcome = pd.Series("offered", index=raw.index, dtype=object)
    if profile.outcomes and found.get("outcome") is not None:
        key = raw[found["outcome"]].astype(str).str.strip().str.lower()
        unknown = ~key.isin(list(profile.outcomes)) & ~drop  # a dropped row (outbound) may leave it blank
        for i in np.flatnonzero(unknown.to_numpy()):
            report.error("bad_outcome", f"unknown value; {profile.name} knows {', '.join(profile.outcomes)}",
                         row=int(line[i]), column=_header(raw, found["outcome"]), value=raw[found["outcome"]].iloc[i])
        bad = bad | unknown.to_numpy()
        mapped = key.map(lambda k: profile.outcomes.get(k, "offered"))
        drop |= (mapped.isna() & ~unknown).to_numpy()
        if found.get("answered_by") is not None:  # not abandoned and no agent: never agent work
            drop |= (mapped == "handled").to_numpy() & _no_agent(raw[found["answered_by"]])
        outcome = mapped.fillna("offered")
    return channel, outcome, drop, bad


def _handle_seconds(raw: pd.DataFrame, handle: list, line: np.ndarray, report: ValidationReport, *,
                    outcome: pd.Series, drop: np.ndarray, bad: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Each contact's handle time in seconds (the sum of the profile's handle columns), and
    ``bad`` with a handled contact's unreadable or negative time added (reported)."""
    seconds = pd.Series(0.0, index=raw.index)
    for column in handle:
        values = pd.to_numeric(duration_seconds(raw[column]).replace("", "0"), errors="coerce")
        wrong = ((values.isna() | ~np.isfinite(values) | (values < 0)).to_numpy() & (outcome == "handled").to_numpy()
                 & ~drop)
        for i in np.flatnonzero(wrong & ~bad):
            report.error("not_numeric", "handle time is not a non-negative number of seconds", row=int(line[i]),
                         column=_header(raw, column), value=raw[column].iloc[i])
        bad = bad | wrong
        seconds += values.fillna(0)
    return seconds, bad


def _counted_table(events: pd.DataFrame, raw: pd.DataFrame, found: dict, handle: list, profile: Profile) -> MappedTable:
    """The contacts counted per interval, queue and channel, as History text columns (offered,
    and handled, abandoned, handle_time_s and aht_s in seconds when the profile has them)."""
    grouped = events.groupby(["interval_start", "queue", "channel"], sort=True).agg(
        offered=("handled", "size"), handled=("handled", "sum"), abandoned=("abandoned", "sum"),
        handle_time_s=("handle_time_s", "sum"), _line=("_line", "min")).reset_index()
    frame = pd.DataFrame({"interval_start": grouped["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
                          "queue": grouped["queue"], "channel": grouped["channel"],
                          "offered": grouped["offered"].astype(str)})
    sources = {"interval_start": _header(raw, found["time"])}
    if profile.outcomes:
        frame["handled"] = grouped["handled"].astype(str)
        frame["abandoned"] = grouped["abandoned"].astype(str)
        sources["handled"] = sources["abandoned"] = _header(raw, found.get("outcome"))
    if handle:
        aht = grouped["handle_time_s"] / grouped["handled"].where(grouped["handled"] > 0)
        frame["handle_time_s"] = grouped["handle_time_s"].map(lambda v: f"{v:g}")
        frame["aht_s"] = aht.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        sources["handle_time_s"] = sources["aht_s"] = " + ".join(_header(raw, c) for c in handle)
    return MappedTable(frame, grouped["_line"].to_numpy(), sources, profile.name, profile.allow_flow_outs)


def _vendor_times(text: pd.Series, formats: Sequence[str]) -> pd.Series:
    """Times in a vendor's own shape (e.g. Five9's ``Fri, 21 Aug 2026 09:00:06``): each
    ``strftime`` pattern tried in turn on the rows the earlier ones could not read; NaT left."""
    times = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for pattern in formats:
        unread = times.isna()
        if not unread.any():
            break
        times[unread] = pd.to_datetime(text[unread], format=pattern, errors="coerce")
    return times


def _no_agent(values: pd.Series) -> np.ndarray:
    """Rows whose agent column names nobody: blank, or a vendor's ``[None]``."""
    return values.astype(str).str.strip().str.lower().isin(["", "[none]"]).to_numpy()


def _one_row_per_contact(events: pd.DataFrame, ids: pd.Series, times: pd.Series) -> pd.DataFrame:
    """A contact's legs (rows sharing an id: a transfer, a second queue) as one contact at its
    first leg's interval, queue and channel: handled when any leg was, abandoned when none was
    and one was abandoned, handle time summed over the legs."""
    legs = events.assign(_id=ids.to_numpy(), _time=times.to_numpy()).sort_values(["_id", "_time"], kind="stable")
    merged = legs.groupby("_id", sort=False).agg(
        interval_start=("interval_start", "first"), queue=("queue", "first"), channel=("channel", "first"),
        handled=("handled", "max"), abandoned=("abandoned", "max"), handle_time_s=("handle_time_s", "sum"),
        _line=("_line", "min"))
    merged["abandoned"] = merged["abandoned"].where(merged["handled"] == 0, 0)
    return merged.reset_index(drop=True)


def describe_profiles() -> str:
    """One paragraph per profile (name, what it reads, its documentation), for ``--help``."""
    return "\n".join(f"  {p.name:<15} {p.title}" for p in PROFILES.values())


def profile_names() -> list[str]:
    return sorted(PROFILES)


def as_dict(profile: Profile) -> dict[str, Any]:
    """A profile as plain data (for the app and JSON)."""
    return {"name": profile.name, "title": profile.title, "kind": profile.kind, "docs": list(profile.docs),
            "columns": {k: list(v) for k, v in profile.columns.items()}, "notes": profile.notes}

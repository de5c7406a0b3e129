"""The grids' vocabulary, defined once: per column name, the label a reader sees (with its
unit) and how its values are written.

:func:`planner.ui.components.grid` asks :func:`column_def` for every column of every grid, so
the pages pass the machine names of the data contracts (docs/architecture.md section 3) and
never write a header or format a number themselves. The values stay numbers in the browser:
AG Grid sorts and filters them as numbers and only *shows* them formatted, through the
``wfmFormat`` value formatter of ``assets/wfm_format.js``, which writes what
:func:`format_value` writes (the browser tests compare the two). CSV and XLSX downloads keep
the machine names and raw values: they are data contracts, not reports.

Formats (``ColumnFormat.kind``; ``digits`` decimals):

========== ======================================= =====================
kind       value                                   shown
========== ======================================= =====================
text       anything                                as it is
count      a whole number                          ``12,345``
number     a number                                ``1,234.5`` (digits)
money      an amount, currency-neutral             ``108,410`` (0) or ``25.04`` (2)
percent    a share 0..1                            ``85.1%``
signed_pct a signed share                          ``+1.2%``
seconds    seconds                                 ``12.3 s``
date       ``2025-06-02`` (ISO)                    ``Mon 2025-06-02``
datetime   ``2025-06-02 08:00`` (ISO)              ``Mon 2025-06-02 08:00``
timestamp  ``2026-11-29T13:02:05+00:00`` (UTC)     ``2026-11-29 13:02 UTC``
month      ``2025-06``                             ``Jun 2025``
yes_no     a boolean                               ``yes`` / ``no``
========== ======================================= =====================

A missing value (None, NaN) is shown blank. Money is "large" (0 decimals) for sums over a
week or a month and has 2 decimals for unit prices (cost per contact, hourly cost, extra cost).

Example:
    >>> column_def("cost_per_contact")["headerName"]
    'Cost per contact'
    >>> format_value(108410.4, "money", 0), format_value(0.851, "percent", 1), format_value(12.34, "seconds", 1)
    ('108,410', '85.1%', '12.3 s')
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scheduling.rules import WEEKDAYS

KINDS = ("text", "count", "number", "money", "percent", "signed_pct", "seconds", "date", "datetime", "timestamp",
         "month", "yes_no")
NUMERIC_KINDS = frozenset({"count", "number", "money", "percent", "signed_pct", "seconds"})


@dataclass(frozen=True)
class ColumnFormat:
    """How one column reads: ``label`` (with its unit where the cell does not show one),
    ``kind`` (one of :data:`KINDS`) and ``digits`` (decimals of number kinds)."""

    label: str
    kind: str = "text"
    digits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column format kind {self.kind!r}: not one of {', '.join(KINDS)}")
        if not 0 <= self.digits <= 6:
            raise ValueError(f"column format digits = {self.digits!r}: must be 0..6")


def _f(label: str, kind: str = "text", digits: int = 0) -> ColumnFormat:
    return ColumnFormat(label, kind, digits)


#: every column name a grid shows, once
COLUMNS: Mapping[str, ColumnFormat] = {
    # -- who, what, when ---------------------------------------------------------------------------
    "name": _f("Name"), "created_by": _f("Created by"), "actor": _f("Who"), "action": _f("Action"),
    "target": _f("Target"), "detail": _f("Detail"), "role": _f("Role"), "at": _f("When", "timestamp"),
    "created_at": _f("Created", "timestamp"), "updated_at": _f("Updated", "timestamp"),
    "published_at": _f("Published", "timestamp"), "published_by": _f("Published by"),
    "version": _f("Version", "count"), "plan_id": _f("Plan", "count"), "imported": _f("Imported", "timestamp"),
    "queue": _f("Queue"), "channel": _f("Channel"), "agent_id": _f("Agent"), "change_id": _f("Change"),
    "summary": _f("Change summary"), "note": _f("Note"), "method": _f("Re-forecast method"),
    "model": _f("Model"), "chosen": _f("Chosen"), "verdict": _f("Verdict"), "coverage_limit": _f("Coverage limit"),
    "service_goal": _f("Service goal"), "source": _f("Source file"),
    # -- the Data page -----------------------------------------------------------------------------
    "dataset": _f("Dataset"), "kind": _f("Kind"), "rows": _f("Rows", "count"), "interval_minutes": _f("Interval (min)", "count"),
    "from": _f("First interval", "datetime"), "to": _f("Last interval", "datetime"), "channels": _f("Channels"),
    "offered": _f("Offered (contacts)", "count"), "severity": _f("Severity"), "row": _f("Row", "count"),
    "column": _f("Column"), "value": _f("Value"), "message": _f("Message"),
    # -- dates and times ---------------------------------------------------------------------------
    "date": _f("Date", "date"), "label": _f("Label"), "effect": _f("Effect (factor)"),
    "interval_start": _f("Interval start", "datetime"), "week": _f("Week starting", "date"),
    "start_week": _f("Class starts", "date"), "productive_from": _f("Productive from", "date"),
    "full_from": _f("Fully productive from", "date"), "month": _f("Month", "month"),
    # -- forecast accuracy -------------------------------------------------------------------------
    "wape": _f("WAPE", "percent", 1), "bias": _f("Bias", "signed_pct", 1), "mase": _f("MASE", "number", 2),
    "noise_floor": _f("Noise floor (WAPE)", "percent", 1), "intervals": _f("Intervals", "count"),
    "actual": _f("Actual (contacts)", "count"), "forecast": _f("Forecast (contacts)", "count"),
    # -- plans and scenarios -----------------------------------------------------------------------
    "fte": _f("FTE", "number", 1), "paid_hours": _f("Paid hours (h)", "number", 1), "cost": _f("Cost (week)", "money"),
    "contacts": _f("Contacts", "count"), "cost_per_contact": _f("Cost per contact", "money", 2),
    "service_level": _f("Service level", "percent", 1), "p_meets_target": _f("P(every goal met)", "percent", 0),
    "occupancy": _f("Occupancy", "percent", 1), "abandon_rate": _f("Abandoned", "percent", 1),
    "understaffed_intervals": _f("Understaffed intervals", "count"), "cost_vs_base": _f("Cost vs base (week)", "money"),
    "fte_vs_base": _f("FTE vs base", "number", 1), "reached": _f("Reached", "yes_no"), "level": _f("Staffed for", "percent", 1),
    "volume": _f("Volume (contacts)", "count"), "asa_s": _f("ASA", "seconds", 1),
    # -- staffing targets (staffing.toml keys) -----------------------------------------------------
    "aht_s": _f("AHT", "seconds", 0), "target_sl": _f("Target service level", "percent", 0),
    "answer_s": _f("Answer within", "seconds", 0), "max_occupancy": _f("Max occupancy", "percent", 0),
    "shrinkage": _f("Shrinkage", "percent", 0), "patience_s": _f("Patience", "seconds", 0),
    "min_agents": _f("Min agents", "count"), "concurrency": _f("Sessions per agent", "count"),
    "due_minutes": _f("Due within (min)", "count"), "min_interval_sl": _f("Interval floor", "percent", 0),
    "risk": _f("Risk (share of scenarios)", "percent", 0),
    # -- will the roster meet its target (forecast scenarios) --------------------------------------
    "weekly_p10": _f("Week SL P10", "percent", 1), "weekly_p50": _f("Week SL P50", "percent", 1),
    "weekly_p90": _f("Week SL P90", "percent", 1), "p_weekly": _f("P(week goal met)", "percent", 0),
    "p_all_days": _f("P(every day met)", "percent", 0), "p_goal": _f("P(goal met)", "percent", 0),
    "erlang_p_goal": _f("P(goal met), Erlang only", "percent", 0), "meets_risk": _f("Meets risk", "yes_no"),
    "scenarios": _f("Scenarios", "count"), "p10": _f("Day SL P10", "percent", 1), "p50": _f("Day SL P50", "percent", 1),
    "p90": _f("Day SL P90", "percent", 1), "p_target": _f("P(day goal met)", "percent", 0),
    # -- intraday ----------------------------------------------------------------------------------
    "intervals_so_far": _f("Intervals so far", "count"), "actual_so_far": _f("Actual so far (contacts)", "count"),
    "forecast_so_far": _f("Forecast so far (contacts)", "count"), "wape_so_far": _f("WAPE so far", "percent", 1),
    "bias_so_far": _f("Bias so far", "signed_pct", 1), "multiplier": _f("Re-forecast factor", "number", 2),
    "day_forecast": _f("Day forecast (contacts)", "count"), "day_reforecast": _f("Day re-forecast (contacts)", "count"),
    "short_intervals": _f("Short intervals", "count"), "projected_service_level": _f("Projected service level", "percent", 1),
    "extra_cost": _f("Extra cost", "money", 2), "overtime_minutes": _f("Overtime (min)", "count"),
    "vto_minutes": _f("Voluntary time off (min)", "count"), "switched_minutes": _f("Switched channel (min)", "count"),
    "moved_activities": _f("Breaks and lunches moved", "count"),
    # -- rosters -----------------------------------------------------------------------------------
    "shifts": _f("Shifts", "count"), "hours": _f("Hours on site (h)", "number", 1),
    # -- capacity plans ----------------------------------------------------------------------------
    "capacity_id": _f("Capacity plan", "count"), "required_fte": _f("Required FTE", "number", 1),
    "available_fte": _f("Available FTE", "number", 1), "gap_fte": _f("Gap (FTE, available - required)", "number", 1),
    "hires_starting": _f("Hires starting (people)", "count"), "in_training": _f("In training (FTE)", "number", 1),
    "ramping": _f("Ramping up (FTE)", "number", 1), "headcount_fte": _f("Headcount (FTE)", "number", 1),
    "required_hours": _f("Required hours (h)", "number", 0), "hiring_can_close": _f("Hiring can close the gap", "yes_no"),
    "size": _f("Class size (people)", "number", 0), "fixed": _f("Already planned", "yes_no"),
    "staff_cost": _f("Staff cost", "money"), "trainee_cost": _f("Trainee cost", "money"),
    "hiring_cost": _f("Hiring cost", "money"), "total_cost": _f("Total cost", "money"),
    "hourly_cost": _f("Hourly cost", "money", 2),
    "starting_headcount_fte": _f("Headcount at start (FTE)", "number", 1),
    "ending_headcount_fte": _f("Headcount at end (FTE)", "number", 1),
    "required_fte_mean": _f("Required FTE, mean", "number", 1), "required_fte_peak": _f("Required FTE, peak week", "number", 1),
    "daily_average_fte_mean": _f("Daily-average FTE, mean (comparison)", "number", 1),
    "new_hires": _f("New hires (people)", "count"), "new_classes": _f("New classes", "count"),
    "planned_hires": _f("Hires already planned (people)", "number", 0),
    "weeks_short_unavoidable": _f("Weeks short before hiring can help", "count"),
    "attrition_per_month": _f("Attrition per month", "percent", 1),
    "paid_hours_per_fte_week": _f("Paid hours per FTE-week (h)", "number", 1),
}

#: a roster grid's day columns ("Mon 2025-06-02") are their own label
DAY_HEADER = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2}$")
#: per-channel columns of a scenario row ("service_level_voice", "p_target_chat")
PER_CHANNEL = re.compile(r"^(service_level|p_target)_([a-z_]+)$")


def column_format(name: str) -> ColumnFormat | None:
    """The format of column ``name``: from :data:`COLUMNS`, a roster day (its own label) or a
    per-channel scenario column (``service_level_voice`` -> "Service level, voice"); None for a
    name the vocabulary does not know (:func:`column_def` then makes a readable label)."""
    if name in COLUMNS:
        return COLUMNS[name]
    if DAY_HEADER.match(name):
        return ColumnFormat(name)
    match = PER_CHANNEL.match(name)
    if match:
        base = COLUMNS["service_level" if match.group(1) == "service_level" else "p_goal"]
        return ColumnFormat(f"{base.label}, {match.group(2)}", base.kind, base.digits)
    return None


def fallback_label(name: str) -> str:
    """A readable label for a name the vocabulary lacks: ``"foo_bar_s"`` -> ``"Foo bar (s)"``.

    >>> fallback_label("wait_minutes"), fallback_label("asa_s")
    ('Wait (min)', 'Asa (s)')
    """
    units = {"_s": " (s)", "_minutes": " (min)", "_hours": " (h)", "_fte": " (FTE)"}
    text, unit = name, ""
    for suffix, shown in units.items():
        if text.endswith(suffix) and len(text) > len(suffix):
            text, unit = text[: -len(suffix)], shown
            break
    text = text.replace("_", " ").strip()
    return (text[:1].upper() + text[1:] + unit) if text else name


def column_def(name: str, *, editable: bool = False) -> dict[str, Any]:
    """The AG Grid column definition of ``name``: ``field`` (the machine name), ``headerName``
    and, for formatted kinds, a ``valueFormatter`` (display only: sorting and filtering use the
    value) with numeric columns right-aligned and filtered as numbers. Editable grids show raw
    values (the editor edits what the cell shows)."""
    fmt = column_format(name)
    label = fmt.label if fmt is not None else fallback_label(name)
    out: dict[str, Any] = {"field": name, "headerName": label, "headerTooltip": name}
    if fmt is None or editable or fmt.kind == "text":
        return out
    out["valueFormatter"] = {"function": f"wfmFormat(params.value, '{fmt.kind}', {fmt.digits})"}
    out["cellDataType"] = False  # AG Grid's own types (a checkbox for booleans) would bypass the formatter
    if fmt.kind in NUMERIC_KINDS:
        out["type"] = "rightAligned"
        out["filter"] = "agNumberColumnFilter"
    return out


# -- the same formats in Python (tests compare the browser's cells with these) ----------------------
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value)) or value == ""


def _number(value: Any, digits: int) -> str:
    """Half away from zero on ``|value| x 10**digits``, as the browser's formatter rounds."""
    factor = 10.0 ** digits
    rounded = math.floor(abs(float(value)) * factor + 0.5) / factor
    return ("-" if float(value) < 0 and rounded != 0 else "") + f"{rounded:,.{digits}f}"


def format_value(value: Any, kind: str, digits: int = 0) -> str:
    """``value`` written as the grids show it (see the module's table); blank when missing.

    >>> format_value(-0.0123, "signed_pct", 1), format_value("2025-06-02 08:00", "datetime")
    ('-1.2%', 'Mon 2025-06-02 08:00')
    """
    if _missing(value):
        return ""
    if kind in NUMERIC_KINDS and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if kind == "count":
        return _number(value, 0)
    if kind in ("number", "money"):
        return _number(value, digits)
    if kind == "percent":
        return _number(float(value) * 100.0, digits) + "%"
    if kind == "signed_pct":
        text = _number(float(value) * 100.0, digits)
        return ("+" + text if not text.startswith("-") else text) + "%"
    if kind == "seconds":
        return _number(value, digits) + " s"
    if kind == "yes_no":
        return "yes" if value in (True, 1, "true", "True") else "no"
    text = str(value)
    if kind in ("date", "datetime"):
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            return text
        shown = f"{WEEKDAYS[day.weekday()]} {text[:10]}"
        return shown + (f" {text[11:16]}" if kind == "datetime" and len(text) >= 16 else "")
    if kind == "timestamp":
        if len(text) < 16 or text[10] not in "T ":
            return text
        zone = " UTC" if text.endswith(("+00:00", "Z")) else ""
        return f"{text[:10]} {text[11:16]}{zone}"
    if kind == "month":
        match = re.match(r"^(\d{4})-(\d{2})$", text[:7])
        return f"{MONTHS[int(match.group(2)) - 1]} {match.group(1)}" if match and 1 <= int(match.group(2)) <= 12 else text
    return text


def formatted(name: str, value: Any) -> str:
    """``value`` of column ``name`` as a grid shows it (unformatted text for unknown names)."""
    fmt = column_format(name)
    return format_value(value, fmt.kind, fmt.digits) if fmt is not None else ("" if _missing(value) else str(value))

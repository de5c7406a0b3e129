"""What the pages show, as plain data: read from the store, shaped for tables and figures.

The page modules are layout plus callbacks; everything they display comes from here (or from
:mod:`planner` directly), so it is tested without a browser.

Example:
    >>> from planner.store import Store
    >>> latest_plan(Store.open("sqlite://")) is None
    True
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wfm_errors import StoreError
from scheduling.rules import WEEKDAYS
from planner.store import PlanRecord, Store

DEMO_HINT = "Run 'planner demo' (or press 'Load the demo' on the Overview page) to load the sample data and build the example plan."


def datasets_rows(store: Store) -> list[dict[str, Any]]:
    """The stored datasets as table rows: name, kind, source file, rows, interval_minutes, first
    and last interval, channels, offered contacts, imported (numbers as numbers: the grid formats them)."""
    rows = []
    for record in store.list_datasets().to_dict("records"):
        summary = json.loads(record["summary_json"])
        rows.append(
            {
                "dataset": record["name"],
                "kind": record["kind"],
                "source": record["source_name"],
                "rows": int(record["row_count"]),
                "interval_minutes": record["interval_minutes"],
                "from": summary.get("first_interval", ""),
                "to": summary.get("last_interval", ""),
                "channels": summary.get("channels", ""),
                "offered": summary.get("offered_total", 0),
                "imported": record["created_at"],
            }
        )
    return rows


_TABLES: OrderedDict[tuple[str, int, str], pd.DataFrame] = OrderedDict()
_TABLES_LOCK = threading.Lock()
TABLE_CACHE_SIZE = 48  # decoded plan tables kept per server process (a stored plan never changes)


def _stored_table(store: Store, plan_id: int, name: str) -> pd.DataFrame:
    """A plan table with its time columns as datetimes, decoded once per process: stored plans
    are immutable, so the server's requests share the decoded frame (each gets a copy)."""
    key = (store.identity, int(plan_id), name)
    with _TABLES_LOCK:
        if key in _TABLES:
            _TABLES.move_to_end(key)
            return _TABLES[key].copy()
    frame = store.plan_table(plan_id, name)
    for column in ("interval_start", "shift_start", "shift_end", "start", "end"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    with _TABLES_LOCK:
        _TABLES[key] = frame
        while len(_TABLES) > TABLE_CACHE_SIZE:
            _TABLES.popitem(last=False)
    return frame.copy()


@dataclass
class PlanView:
    """The newest stored plan: id, name, config, summary and its tables (read on demand)."""

    store: Store
    plan_id: int
    name: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tables: list[str]
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        """A plan table with its time columns as datetimes; empty frame when the plan lacks it."""
        if name not in self._cache:
            if name not in self.tables:
                self._cache[name] = pd.DataFrame()
            else:
                self._cache[name] = _stored_table(self.store, self.plan_id, name)
        return self._cache[name]

    @property
    def week_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.config.get("start") or self.summary.get("week_start"))

    @property
    def days(self) -> int:
        return int(self.config.get("days") or self.summary.get("days") or 7)

    @property
    def interval_minutes(self) -> int:
        return int(self.config.get("interval_minutes") or self.summary.get("interval_minutes") or 15)

    @property
    def channels(self) -> list[str]:
        channels = self.summary.get("channels")
        if channels:
            return list(channels)
        requirements = self.table("requirements")
        return sorted(requirements["channel"].unique()) if len(requirements) else []


def _plan_view(store: Store, plan_id: int | None) -> PlanView | None:
    if plan_id is None:
        return None
    info = store.plan(plan_id)
    return PlanView(store, plan_id, info.name, info.config, info.summary, info.tables)


def plan_by_id(store: Store, plan_id: int) -> PlanView:
    """A stored plan by id; ``ValueError`` naming the id when it is not stored."""
    return _plan_view(store, int(plan_id))


def default_plan_id(store: Store) -> int | None:
    """The plan a page shows when none is asked for: the published plan (the newest
    publication's), else the newest plan; None when the store has no plan."""
    published = store.published_plan_id()
    return published if published is not None else store.latest_plan_id()


def visible_plans(store: Store, user=None) -> tuple[PlanRecord, ...]:
    """The plans ``user`` (a :class:`planner.accounts.User`; None = no accounts, all) may open,
    newest first: every plan with ``read_plan``; with ``read_published`` only, the plans that
    were ever published (the newest plan while nothing has been published, as intraday uses)."""
    records = store.plan_records()
    if user is None or user.can("read_plan"):
        return records
    if not user.can("read_published"):
        return ()
    published = tuple(r for r in records if r.published_version is not None)
    return published if published else records[:1]


def plan_status(record: PlanRecord) -> str:
    """``published (version 3)``, ``published as version 1, since replaced`` or ``draft``."""
    if record.published_version is None:
        return "draft"
    if record.is_published:
        return f"published (version {record.published_version})"
    return f"published as version {record.published_version}, since replaced"


def plan_week(record: PlanRecord) -> str:
    """``Mon 2025-06-02 - Sun 2025-06-08`` (the plan's days), or ``week not recorded``."""
    if not record.week_start:
        return "week not recorded"
    start = pd.Timestamp(record.week_start)
    end = start + pd.Timedelta(days=max(record.days, 1) - 1)
    return f"{start:%a %Y-%m-%d} - {end:%a %Y-%m-%d}"


def plan_caption(record: PlanRecord) -> str:
    """One line naming the plan shown: id, name, week, built when and by whom, published or draft.

    >>> r = PlanRecord(3, "Sample", "2025-06-02", 7, 15, "2026-11-29T13:02:05+00:00", "max", None, False)
    >>> plan_caption(r)
    'Plan 3: Sample; week Mon 2025-06-02 - Sun 2025-06-08; built 2026-11-29 13:02 UTC by max; draft'
    """
    built = f"built {record.created_at[:10]} {record.created_at[11:16]} UTC"
    built += f" by {record.created_by}" if record.created_by else " (builder not recorded)"
    return f"Plan {record.plan_id}: {record.name}; week {plan_week(record)}; {built}; {plan_status(record)}"


def plan_option_label(record: PlanRecord) -> str:
    """The picker's entry for a plan: ``3 - Sample - week of Mon 2025-06-02 - draft``."""
    week = f"week of {pd.Timestamp(record.week_start):%a %Y-%m-%d}" if record.week_start else "week not recorded"
    return f"{record.plan_id} - {record.name} - {week} - {plan_status(record)}"


def latest_plan(store: Store) -> PlanView | None:
    """The newest plan in the store, or None when there is none yet."""
    return _plan_view(store, store.latest_plan_id())


def published_plan(store: Store) -> PlanView | None:
    """The plan of the newest publication, or None when nothing is published."""
    return _plan_view(store, store.published_plan_id())


def operating_plan(store: Store) -> PlanView | None:
    """The plan intraday and the exports for payroll work from: the published one; while nothing
    has ever been published (a single-user store, the demo) the newest plan."""
    return published_plan(store) or latest_plan(store)


def publication_text(store: Store, plan_id: int) -> str:
    """``published as version 2 by ana at ...`` or ``draft (published: plan 3, version 1)``."""
    table = store.publications()
    mine = table[table["plan_id"] == plan_id]
    if len(mine):
        row = mine.iloc[0]
        current = " (the published plan)" if int(table["plan_id"].iloc[0]) == plan_id else " (a newer publication replaced it)"
        return f"Published as version {row['version']} by {row['published_by']} at {row['published_at']}{current}."
    if len(table):
        return f"Draft: not published. Published now: plan {table['plan_id'].iloc[0]} (version {table['version'].iloc[0]})."
    return "Draft: not published. Intraday and the exports use the newest plan until one is published."


def plan_history_dataset(store: Store, plan: PlanView) -> str | None:
    """The stored dataset the plan trained on: its ``dataset``, or the history dataset imported
    from the same file name as its ``history`` path; None when it is not in the store."""
    name = plan.config.get("dataset")
    if not name and plan.config.get("history"):
        source = Path(str(plan.config["history"])).name
        listing = store.list_datasets(kind="history")
        match = listing[listing["source_name"] == source]
        name = str(match["name"].iloc[0]) if len(match) else None
    return name or None


def plan_history(store: Store, plan: PlanView) -> pd.DataFrame | None:
    """The history the plan was trained on, from the store (None when not stored)."""
    name = plan_history_dataset(store, plan)
    if not name:
        return None
    try:
        return store.dataset(name)
    except ValueError:
        return None


def _fmt(value: Any, spec: str, missing: str = "n/a") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    return format(value, spec)


def overview_kpis(plan: PlanView) -> list[dict[str, str]]:
    """The headline numbers of a plan: label, value, note (units and definitions)."""
    s = plan.summary
    end = plan.week_start + pd.Timedelta(days=plan.days - 1)
    forecast = plan.table("forecast")
    volume = s.get("forecast_contacts", float(forecast["forecast"].sum()) if len(forecast) else None)
    definitions = s.get("definitions", {})
    return [
        {"label": "Week", "value": f"{plan.week_start:%a %d %b} - {end:%a %d %b %Y}", "note": f"{plan.days} days, {plan.interval_minutes}-min intervals"},
        {"label": "Channels", "value": ", ".join(plan.channels) or "none", "note": f"plan {plan.plan_id}: {plan.name}"},
        {"label": "Forecast volume", "value": _fmt(volume, ",.0f"), "note": "contacts in the week"},
        {"label": "FTE", "value": _fmt(s.get("fte"), ",.1f"), "note": definitions.get("fte", "paid hours / hours per FTE")},
        {"label": "Cost", "value": _fmt(s.get("cost"), ",.0f"), "note": definitions.get("cost", "paid hours x hourly cost")},
        {"label": "Cost per contact", "value": _fmt(s.get("cost_per_contact"), ",.2f"), "note": "cost / forecast contacts"},
        {"label": "Service level", "value": _fmt(s.get("service_level"), ".1%"), "note": "expected, volume-weighted, share of offered answered within T"},
        {"label": "Occupancy", "value": _fmt(s.get("occupancy"), ".1%"), "note": "handled workload / staffed time"},
    ]


def service_by_channel(plan: PlanView) -> list[dict[str, str]]:
    """Expected service per channel as table rows: ``channel, volume`` (contacts), ``service_level,
    occupancy, abandon_rate`` (shares 0..1) and ``asa_s`` (seconds); the grid formats them."""
    keys = ("channel", "volume", "service_level", "asa_s", "occupancy", "abandon_rate")
    return [{key: record.get(key) for key in keys} for record in plan.summary.get("service_by_channel", [])]


def plan_accuracy(store: Store, plan: PlanView) -> dict[str, pd.DataFrame] | None:
    """Accuracy of the plan's forecast snapshot against the newest actuals (None without any
    overlapping actuals): :func:`planner.forecast_runs.accuracy_report`'s tables."""
    from planner.forecast_runs import accuracy_report

    actuals = store.actuals()
    forecast = plan.table("forecast")
    if actuals.empty or forecast.empty:
        return None
    try:
        return accuracy_report(forecast, actuals)
    except ValueError:
        return None


def backtest_rows(plan: PlanView, *, queue: str, channel: str) -> list[dict[str, Any]]:
    """The backtest table of one series, mean over windows per model, the chosen model marked."""
    backtest, selection = plan.table("backtest"), plan.table("selection")
    if backtest.empty:
        return []
    part = backtest[(backtest["queue"] == queue) & (backtest["channel"] == channel)]
    if "level" in part:
        part = part[part["level"] == part["level"].iloc[0]] if len(part) else part
    columns = [c for c in ("wape", "bias", "mase", "noise_floor") if c in part]
    table = part.groupby("model", as_index=False)[columns].mean().sort_values("wape")
    chosen = ""
    if len(selection):
        sel = selection[(selection["queue"] == queue) & (selection["channel"] == channel)]
        chosen = str(sel["model"].iloc[0]) if len(sel) else ""
    rows = []
    for record in table.to_dict("records"):
        row = {"model": record["model"], "chosen": "chosen" if record["model"] == chosen or chosen.startswith(f"{record['model']}+") else ""}
        for column in columns:
            row[column] = round(float(record[column]), 4)
        rows.append(row)
    if chosen and not any(r["chosen"] for r in rows):
        sel = selection[(selection["queue"] == queue) & (selection["channel"] == channel)].iloc[0]
        rows.insert(0, {"model": chosen, "chosen": "chosen", **{c: round(float(sel[c]), 4) for c in columns if c in sel}})
    return rows


def scenario_rows(store: Store, plan: PlanView) -> pd.DataFrame:
    """The plan's scenarios as stored now (one tidy row each, with ``created_by``): those built
    with the plan and those made, renamed or deleted since, by anyone. A plan stored without a
    ``base`` row (a re-planned version of a plan) shows the ``base`` of its ``scenarios`` table."""
    rows = [{"name": r.name, **{k: v for k, v in r.result.items() if k != "name"}, "created_by": r.created_by}
            for r in store.scenario_records(plan.plan_id)]
    table = plan.table("scenarios")
    if "base" not in {row["name"] for row in rows} and "name" in table and (table["name"] == "base").any():
        base = table[table["name"] == "base"].drop(columns=[c for c in ("overrides",) if c in table]).iloc[0]
        rows.insert(0, {**base.to_dict(), "created_by": ""})
    return pd.DataFrame(rows)


def coverage_limit(plan: PlanView):
    """The plan's :class:`planner.week_schedule.CoverageLimit` from its summary (None for plans stored
    before it was recorded)."""
    from planner.week_schedule import CoverageLimit

    data = plan.summary.get("coverage_limit")
    return CoverageLimit.from_summary(data) if isinstance(data, dict) else None


def limit_text(plan: PlanView) -> str:
    """``limited by the agent pool: 37 intervals short, worst 12 agents at Tue ... (voice)``, or
    ``short of the requirement: ...``, or "" when no interval is a whole agent short."""
    limit = coverage_limit(plan)
    return limit.text() if limit is not None else ""


def build_warnings(plan: PlanView) -> list[str]:
    """What the plan's build warned about (summary.json ``warnings``: the forecast's, the base
    plan's, then other scenarios' prefixed with their name); [] for plans stored before they
    were kept."""
    said = plan.summary.get("warnings") or []
    return [str(text) for text in said if str(text).strip()]


def solver_text(plan: PlanView) -> str:
    """The solver's status, gap and time as one line. A plan limited by its agent pool is not
    called "Optimal": it is the best plan for the agents there are, and says so."""
    solver = plan.summary.get("solver") or {}
    if not solver:
        return "solver: no details stored"
    limit = coverage_limit(plan)
    if limit is not None and limit.limited_by_pool:
        parts = ["status limited by the agent pool (the best plan for the agents there are)"]
    else:
        parts = [f"status {solver.get('status', 'unknown')}"]
    if solver.get("gap") is not None:
        parts.append(f"gap {_fmt(solver.get('gap'), '.2%')}")
    if solver.get("objective") is not None:
        parts.append(f"objective {_fmt(solver.get('objective'), ',.1f')}")
    bound = solver.get("bound", solver.get("lower_bound"))  # plans stored before the MIP bound was kept
    if bound is not None:
        parts.append(f"lower bound {_fmt(bound, ',.1f')}")
    seconds = solver.get("solve_seconds", solver.get("seconds"))
    if seconds is not None:
        parts.append(f"{_fmt(seconds, ',.1f')} s")
    return "solver: " + ", ".join(parts)


WEEKDAY_NAMES = WEEKDAYS  # owned by scheduling.rules


def roster_week_grid(roster: pd.DataFrame, *, week_start: pd.Timestamp, days: int = 7) -> pd.DataFrame:
    """One row per agent, one column per day (``Mon 2025-06-02``) with the shifts of that day
    (``08:00-16:30 voice``, several joined by ``; ``, ``off`` without one), plus ``shifts`` and
    ``hours`` on site. The same cells as :func:`planner.exports.roster_grid`, vectorized for the page.

    >>> r = pd.DataFrame({"agent_id": ["A"], "date": ["2025-01-06"], "shift_start": ["2025-01-06T08:00"],
    ...                   "shift_end": ["2025-01-06T16:30"], "channel": ["voice"]})
    >>> roster_week_grid(r, week_start=pd.Timestamp("2025-01-06")).iloc[0, :3].tolist()
    ['A', '08:00-16:30 voice', 'off']
    """
    start_day = pd.Timestamp(week_start).normalize()
    headers = [f"{WEEKDAY_NAMES[d.weekday()]} {d:%Y-%m-%d}" for d in (start_day + pd.Timedelta(days=i) for i in range(days))]
    if roster.empty:
        return pd.DataFrame(columns=["agent_id", *headers, "shifts", "hours"])
    frame = roster.assign(_start=pd.to_datetime(roster["shift_start"]), _end=pd.to_datetime(roster["shift_end"]),
                          agent_id=roster["agent_id"].astype(str)).sort_values("_start")
    frame["_day"] = pd.to_datetime(frame["date"]).dt.normalize()
    frame["_text"] = frame["_start"].dt.strftime("%H:%M") + "-" + frame["_end"].dt.strftime("%H:%M") + " " + frame["channel"].astype(str)
    frame["_header"] = frame["_day"].map(lambda d: f"{WEEKDAY_NAMES[d.weekday()]} {d:%Y-%m-%d}")
    cells = frame.groupby(["agent_id", "_header"], sort=False)["_text"].agg("; ".join).unstack("_header")
    grid = cells.reindex(columns=headers).astype(object)
    grid = grid.where(grid.notna(), "off")
    grid["shifts"] = frame.groupby("agent_id").size()
    grid["hours"] = ((frame["_end"] - frame["_start"]).dt.total_seconds() / 3600.0).groupby(frame["agent_id"]).sum()
    grid = grid.reset_index().rename(columns={"index": "agent_id"})
    grid.columns.name = None
    return grid.sort_values("agent_id", ignore_index=True)[["agent_id", *headers, "shifts", "hours"]]


def roster_grid_rows(roster: pd.DataFrame, *, week_start: pd.Timestamp, days: int = 7) -> list[dict[str, Any]]:
    """The agent x day grid as the pages' grids take it (:func:`roster_week_grid`'s rows with
    hours rounded); no rows for an empty roster."""
    from planner.ui.components import records

    return records(roster_week_grid(roster, week_start=week_start, days=days)) if len(roster) else []


def history_window(store: Store, dataset: str, *, queue: str, channel: str, start: pd.Timestamp,
                   end: pd.Timestamp) -> pd.DataFrame:
    """Offered contacts of one series of a stored dataset with ``start <= interval_start < end``
    (``interval_start, queue, channel, offered``): one indexed query, not the whole dataset."""
    return store.dataset_window(dataset, queue=queue, channel=channel, start=start, end=end)


# -- forecast snapshots made on the Forecast page, for Staffing and Schedule -----------------------
@dataclass(frozen=True)
class SnapshotChoice:
    """A stored forecast snapshot as the pages offer it: id, dataset, first day, days, interval."""

    snapshot_id: int
    dataset: str | None
    first_day: pd.Timestamp
    days: int
    interval_minutes: int

    @property
    def label(self) -> str:
        return (f"snapshot {self.snapshot_id}: {self.dataset or '?'}, {self.first_day:%Y-%m-%d} + {self.days} days, "
                f"{self.interval_minutes} min")


def forecast_snapshots(store: Store, *, limit: int = 30) -> list[SnapshotChoice]:
    """The newest stored forecast snapshots (``limit`` of them), newest first."""
    listing = store.list_forecasts()
    out = []
    for record in listing.sort_values("id", ascending=False).head(limit).to_dict("records"):
        choice = snapshot_choice(store, int(record["id"]), record=record)
        if choice is not None:
            out.append(choice)
    return out


def snapshot_choice(store: Store, snapshot_id: int, *, record: dict | None = None) -> SnapshotChoice | None:
    """One snapshot's dates and grid (``ValueError`` naming it when it is not stored; None when
    it has no rows)."""
    if record is None:
        info = store.forecast_info(int(snapshot_id))
        record = {**info, "params_json": json.dumps(info["params"])}
    params = json.loads(record["params_json"]) if isinstance(record.get("params_json"), str) else record.get("params", {})
    if not record.get("horizon_start"):
        return None
    first = pd.Timestamp(record["horizon_start"]).normalize()
    last = pd.Timestamp(record["horizon_end"]).normalize()
    interval = params.get("interval_minutes")
    if not interval:
        frame = store.forecast(int(snapshot_id))
        steps = pd.Series(frame["interval_start"].unique()).sort_values().diff().dropna()
        interval = int(steps[steps > pd.Timedelta(0)].min().total_seconds() // 60)
    return SnapshotChoice(int(snapshot_id), record.get("dataset"), first, int((last - first).days) + 1, int(interval))
def uncertainty_view(plan: PlanView) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The plan's roster over forecast scenarios (summary.json ``uncertainty``): a one-line
    verdict, one row per channel (P10/P50/P90 of the weekly service level, P(goal met)) and
    one row per day and channel. Plans stored before it was computed give an explanation and
    empty frames."""
    report = plan.summary.get("uncertainty")
    if not report:
        return ("No forecast-scenario check stored with this plan (plans built before it was added): "
                "build the schedule again.", pd.DataFrame(), pd.DataFrame())
    channels = pd.DataFrame(report.get("per_channel", []))
    days = pd.DataFrame(report.get("per_day", []))
    p = report.get("p_meets_target")
    text = (f"Over {report.get('scenarios')} forecast scenarios (the forecast's backtested error, a day's intervals "
            f"moving together), the roster meets every channel's service goal in {_fmt(p, '.0%')} of them.")
    risk = plan.summary.get("risk")
    if risk and risk.get("text"):  # planned for a risk (planner.risk): what it cost over the point-forecast plan
        text += f" Planned for risk: {risk['text']}."
    return text, channels, days



# -- capacity plans (the Capacity page) --------------------------------------------------------------
CAPACITY_TERMS = (  # (label, summary.json definitions key), in the order the page lists them
    ("FTE", "fte"), ("Shrinkage", "shrinkage"), ("Attrition", "attrition"), ("Training and ramp-up", "training_and_ramp"),
    ("Required FTE", "required_fte"), ("Available FTE", "available_fte"), ("Gap", "gap_fte"),
    ("Hiring can close the gap", "hiring_can_close"), ("Cost", "cost"), ("Daily-average FTE (comparison)", "daily_average_fte"),
)
CHANNEL_COLUMNS = ("channel", "starting_headcount_fte", "ending_headcount_fte", "required_fte_mean", "required_fte_peak",
                   "daily_average_fte_mean", "new_hires", "new_classes", "planned_hires", "weeks_short_unavoidable",
                   "shrinkage", "attrition_per_month", "paid_hours_per_fte_week", "hourly_cost", "total_cost")


@dataclass(frozen=True)
class CapacityView:
    """A stored capacity plan as the Capacity page shows it: its record, summary (summary.json of
    ``planner capacity``) and its ``weekly``, ``hiring`` and ``monthly`` tables (machine names;
    the grids label and format them)."""

    record: Any  # planner.store.CapacityRecord
    summary: dict[str, Any]
    weekly: pd.DataFrame
    hiring: pd.DataFrame
    monthly: pd.DataFrame

    @property
    def channels(self) -> list[str]:
        return sorted(self.weekly["channel"].astype(str).unique()) if len(self.weekly) else []

    def definitions(self) -> list[tuple[str, str]]:
        """``(term, definition)`` for the terms the plan stored a definition of, in :data:`CAPACITY_TERMS` order."""
        stored = self.summary.get("definitions") or {}
        return [(label, stored[key]) for label, key in CAPACITY_TERMS if stored.get(key)]

    def channel_rows(self) -> pd.DataFrame:
        """One row per channel (:data:`CHANNEL_COLUMNS`): headcount at the start and the end, mean
        and peak required FTE, hires, the rules (shrinkage, attrition, paid hours, hourly cost) and cost."""
        rows = [{"channel": name, **values} for name, values in (self.summary.get("channels") or {}).items()]
        frame = pd.DataFrame(rows)
        return frame[[c for c in CHANNEL_COLUMNS if c in frame]] if len(frame) else frame

    def monthly_totals(self) -> pd.DataFrame:
        """Cost per month over all channels: ``month, headcount_fte`` (sum of the channels' mean),
        ``staff_cost, trainee_cost, hiring_cost, total_cost``."""
        columns = ["headcount_fte", "staff_cost", "trainee_cost", "hiring_cost", "total_cost"]
        if self.monthly.empty:
            return pd.DataFrame(columns=["month", *columns])
        return self.monthly.groupby("month", as_index=False, sort=True)[columns].sum()


def capacity_view(store: Store, capacity_id: int | str | None = None) -> CapacityView | None:
    """The stored capacity plan ``capacity_id`` (None: the newest); None when none is stored,
    ``ValueError`` naming an id that is not stored."""
    records = store.capacity_records()
    if capacity_id in (None, ""):
        if not records:
            return None
        record = records[0]
    else:
        text = str(capacity_id).strip()
        record = next((r for r in records if text.isdigit() and r.capacity_id == int(text)), None)
        if record is None:
            raise StoreError(f"capacity plan {text}: not in the store")
    stored = store.capacity_plan(record.capacity_id)
    return CapacityView(record, stored["summary"], stored["weekly"], stored["hiring"], stored["monthly"])


def capacity_caption(record) -> str:
    """One line naming a capacity plan: id, name, weeks, built when and by whom.

    >>> from planner.store import CapacityRecord
    >>> capacity_caption(CapacityRecord(2, "Sample", "2025-06-02", 26, ("voice",), 1.0, "2026-11-29T13:02:05+00:00", "cli:ana"))
    'Capacity plan 2: Sample; 26 weeks, Mon 2025-06-02 - Sun 2025-11-30; built 2026-11-29 13:02 UTC by cli:ana'
    """
    if record.start and record.weeks:
        first = pd.Timestamp(record.start)
        last = first + pd.Timedelta(weeks=record.weeks) - pd.Timedelta(days=1)
        span = f"{record.weeks} weeks, {first:%a %Y-%m-%d} - {last:%a %Y-%m-%d}"
    else:
        span = "weeks not recorded"
    built = f"built {record.created_at[:10]} {record.created_at[11:16]} UTC"
    built += f" by {record.created_by}" if record.created_by else " (builder not recorded)"
    return f"Capacity plan {record.capacity_id}: {record.name}; {span}; {built}"


def capacity_option_label(record) -> str:
    """The picker's entry: ``2 - Sample - from Mon 2025-06-02, 26 weeks``."""
    start = f"from {pd.Timestamp(record.start):%a %Y-%m-%d}" if record.start else "start not recorded"
    return f"{record.capacity_id} - {record.name} - {start}, {record.weeks or '?'} weeks"

"""Intraday (/intraday): today's forecast vs actual by interval, the re-forecast with its range,
the staffing gap and projected service level for the rest of the day; actuals uploadable and
the page refreshable; a re-plan of the rest of the day proposed, inspected and accepted (all or
the selected agents' changes) as a new version of the plan. It works from the plan picked at the
top, by default the published plan (the newest plan while none is published)."""

from __future__ import annotations

import json

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from planner.datasets import import_bytes
from planner.intraday import actuals_dataset_name, actuals_outside_plans, intraday
from planner.replan import ReplanOptions, accept_edits, propose
from planner.ui import components as ui
from planner.ui import context
from planner.ui.memo import cached, drawn
from planner.ui.figures import empty_figure, intraday_figure, replan_figure
from planner.ui.uploads import UPLOAD_LIMIT_BYTES, decode_upload
from planner.ui.plan_picker import PLAN_ID, page_plan, plan_link, shown_plan

dash.register_page(__name__, path="/intraday", name="Intraday", title="wfm-planner - Intraday")

REFRESH_MS = 5 * 60 * 1000
SUMMARY_COLUMNS = ["channel", "intervals_so_far", "actual_so_far", "forecast_so_far", "wape_so_far", "bias_so_far",
                   "multiplier", "method", "day_forecast", "day_reforecast", "short_intervals", "projected_service_level"]


def default_day(plan, store) -> str:
    """The newest plan day with actuals, else the plan's first day."""
    days = [plan.week_start + pd.Timedelta(days=i) for i in range(plan.days)]
    actuals = store.actuals()
    if len(actuals):
        seen = set(pd.to_datetime(actuals["interval_start"]).dt.normalize())
        with_data = [d for d in days if d in seen]
        if with_data:
            return f"{with_data[-1]:%Y-%m-%d}"
    return f"{days[0]:%Y-%m-%d}"


def day_result(store, plan, day: str):
    """:func:`planner.intraday.intraday` of ``plan`` (a PlanView) on ``day``, worked out once per
    server process for the same plan tables, configuration and newest actuals (compared by
    content: an upload changes the key)."""
    return cached("intraday.day_result", lambda *_frames, **_options: intraday(day, store=store, plan_id=plan.plan_id),
                  plan.table("forecast"), plan.table("coverage"), store.actuals(), day=str(day), plan_id=plan.plan_id,
                  store=store.identity, config=json.dumps(plan.config, sort_keys=True, default=str))


def day_view(day: str, channel: str | None = None, plan_id: int | None = None) -> html.Div:
    """Summary table, notes and the chart of one channel for ``day`` under the plan ``plan_id``
    (None: the published plan); ``ValueError`` when the plan does not cover the day."""
    store = context.store()
    plan = shown_plan(store, plan_id)
    result = day_result(store, plan, day)
    channels = sorted(result.intervals["channel"].unique())
    channel = channel if channel in channels else channels[0]
    summary = result.summary[[c for c in SUMMARY_COLUMNS if c in result.summary]]
    now = f"actuals up to {result.now:%H:%M}" if result.now is not None else "no actuals yet"
    return html.Div([
        html.P(f"{result.date:%A %Y-%m-%d}, plan {result.plan_id}; {now}.", id="intraday-now"),
        *[ui.message(note) for note in result.notes],
        ui.grid("intraday-summary", ui.records(summary, digits=3), pinned=("channel",), height=200),
        ui.field("channel", dcc.Dropdown(id="intraday-channel", options=channels, value=channel, clearable=False,
                                         style={"width": "220px"})),
        ui.graph("intraday-figure", drawn(intraday_figure, result.intervals, channel=channel, now=result.now)),
        html.P("Re-forecast: the morning's deviation from the plan carried into the rest of the day as learned from "
               "the plan's history (method per channel in the table, chosen by backtest; 'damped' = remaining forecast x "
               "(A + k) / (F + k) when no history can be read); range = 10-90%. Gap = scheduled agents (net of breaks) - required under the re-forecast. Projected service "
               "level: share of offered answered within T with the scheduled agents, rest of the day.",
               className="definitions"),
    ])


def layout(**query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    if plan is None or plan.table("coverage").empty:
        return html.Div([html.H2("Intraday"), picker, html.Div([ui.no_plan_message(), ui.graph("intraday-figure", empty_figure("No plan yet: run planner demo"))],
                                                      className="card")])
    days = [plan.week_start + pd.Timedelta(days=i) for i in range(plan.days)]
    day = default_day(plan, store)
    try:
        body = day_view(day, plan_id=plan.plan_id)
    except ValueError as exc:
        body = ui.message(ui.shown(exc), kind="error")
    return html.Div([
        html.H2("Intraday"),
        picker,
        html.Div([
            html.Div([
                ui.field("day", dcc.Dropdown(id="intraday-day", options=[f"{d:%Y-%m-%d}" for d in days], value=day,
                                             clearable=False, style={"width": "200px"})),
                html.Button("Refresh", id="intraday-refresh", n_clicks=0),
                html.Span("refreshes by itself every 5 minutes", className="definitions"),
                dcc.Interval(id="intraday-tick", interval=REFRESH_MS),
            ], className="row"),
            dcc.Loading(html.Div(body, id="intraday-body")),
        ], className="card"),
        replan_card(),
        html.Div([
            html.H3("Upload today's actuals"),
            html.P("Same format as history (interval_start, channel, offered ...); finer intervals are summed onto the plan's grid."),
            dcc.Upload(html.Div(["Drop an actuals file here or ", html.B("choose a file")]), id="intraday-upload",
                       max_size=UPLOAD_LIMIT_BYTES, className="upload"),
            html.Div(id="intraday-upload-result"),
        ], className="card"),
    ])


LEVERS = {"moves": "move breaks and lunches", "switch": "switch blended agents", "overtime": "overtime", "vto": "voluntary time off"}
CHANGE_COLUMNS = ["change_id", "agent_id", "summary", "extra_cost", "overtime_minutes", "vto_minutes", "switched_minutes",
                  "moved_activities"]


def replan_card() -> html.Div:
    """Controls for the re-plan of the rest of the day and the place its proposal is shown."""
    return html.Div([
        html.H3("Re-plan the rest of the day"),
        html.P("Proposes changes that cut the projected shortfall (contacts answered within T short of target under the "
               "re-forecast) at least extra cost: breaks and lunches moved within their windows, blended agents moved "
               "between channels, overtime (within the shift's latest end and the rest rule) and voluntary time off "
               "where overstaffed. Moves come first: paid hours never buy back what moves alone recover.",
               className="definitions"),
        html.Div([
            dcc.Checklist(id="replan-levers", options=[{"label": v, "value": k} for k, v in LEVERS.items()],
                          value=list(LEVERS), inline=True),
            ui.field("from", dcc.Input(id="replan-now", placeholder="HH:MM (default: end of actuals)", debounce=True,
                                       style={"width": "220px"})),
            html.Button("Propose", id="replan-propose", n_clicks=0),
        ], className="row"),
        dcc.Loading(html.Div(id="replan-body")),
        dcc.Store(id="replan-store"),
        html.Div([
            html.Button("Accept selected", id="replan-accept-selected", n_clicks=0),
            html.Button("Accept all", id="replan-accept-all", n_clicks=0),
        ], className="row"),
        html.Div(id="replan-accept-result"),
    ], className="card")


def proposal_view(day: str, *, levers: list[str], now: str | None, plan_id: int | None = None) -> tuple[html.Div, dict]:
    """The proposal for ``day`` under the plan ``plan_id`` (None: the published plan): totals,
    one row per changed agent, the before/after chart; and what accepting it needs (kept in the page)."""
    store = context.store()
    plan = shown_plan(store, plan_id)
    options = ReplanOptions(move_activities="moves" in levers, switch_channels="switch" in levers,
                            overtime="overtime" in levers, vto="vto" in levers)
    proposal = propose(day, store=store, plan_id=plan.plan_id, now=now or None, options=options)
    r = proposal.result
    recovered = r.shortfall_before - r.shortfall_after
    text = (f"From {proposal.now:%H:%M} ({r.status}, {r.seconds:.1f} s): {len(r.changes)} agent(s) change; shortfall "
            f"{r.shortfall_before:,.1f} -> {r.shortfall_after:,.1f} contacts answered within T "
            f"({recovered / r.shortfall_before:.0%} recovered); " if r.shortfall_before > 0 else
            f"From {proposal.now:%H:%M} ({r.status}, {r.seconds:.1f} s): {len(r.changes)} agent(s) change; no shortfall "
            "projected; ")
    text += f"extra cost {r.extra_cost:+,.2f} ({r.extra_paid_hours:+.2f} paid hours)." + "".join(f" Note: {n}." for n in r.notes)
    body = html.Div([
        html.P(text, id="replan-totals"),
        ui.grid("replan-changes", ui.records(r.changes, digits=2), pinned=("change_id",), height=260, selectable=True,
                columns=CHANGE_COLUMNS),
        ui.graph("replan-figure", replan_figure(r.projection)),
    ])
    kept = {"plan_id": proposal.plan_id, "date": f"{proposal.date:%Y-%m-%d}", "now": proposal.now.isoformat(),
            "edits": r.edits.astype(object).where(r.edits.notna(), None).astype(str).replace("None", None).to_dict("records"),
            "changes": r.changes.to_dict("records")}
    return body, kept


@callback(
    Output("replan-body", "children"),
    Output("replan-store", "data"),
    Input("replan-propose", "n_clicks"),
    State("intraday-day", "value"),
    State("replan-levers", "value"),
    State("replan-now", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def propose_replan(_clicks, day, levers, now, plan_id=None):
    try:
        return proposal_view(day, levers=levers or [], now=now, plan_id=plan_id)
    except (ValueError, RuntimeError) as exc:
        return ui.message(ui.shown(exc), kind="error"), None


@callback(
    Output("replan-accept-result", "children"),
    Input("replan-accept-selected", "n_clicks"),
    Input("replan-accept-all", "n_clicks"),
    State("replan-changes", "selectedRows"),
    State("replan-store", "data"),
    prevent_initial_call=True,
)
def accept_replan(_selected, _all, rows, kept):
    return accept_view(dash.ctx.triggered_id, rows, kept)


def accept_view(trigger: str | None, rows: list[dict] | None, kept: dict | None) -> html.Div:
    """Accept the kept proposal: the selected rows' changes (``trigger`` = the "Accept selected"
    button) or all of them; a message naming the new plan, or what went wrong."""
    if not kept:
        return ui.message("Propose a re-plan first.", kind="error")
    if trigger == "replan-accept-selected":
        if not rows:
            return ui.message("Select the changes to accept in the table first.", kind="error")
        ids = [int(r["change_id"]) for r in rows]
    else:
        ids = None
    edits = pd.DataFrame(kept["edits"])
    changes = pd.DataFrame(kept["changes"])
    if edits.empty:
        return ui.message("The proposal changes nothing.", kind="error")
    edits["change_id"] = edits["change_id"].astype(int)
    edits["activity_row"] = pd.to_numeric(edits["activity_row"]).astype("Int64")
    try:
        new_id = accept_edits(int(kept["plan_id"]), pd.Timestamp(kept["date"]), pd.Timestamp(kept["now"]), edits, changes,
                              store=context.store(), change_ids=ids)
    except ValueError as exc:
        return ui.message(ui.shown(exc), kind="error")
    which = "all changes" if ids is None else f"changes {', '.join(map(str, ids))}"
    return ui.message([f"Accepted {which}: stored as plan {new_id} (exports and calendars on the Schedule page follow it). ",
                       dcc.Link(f"Show plan {new_id}", href=plan_link("/intraday", new_id)), " to see the new projection."],
                      kind="ok", id="replan-accepted")


@callback(
    Output("intraday-body", "children"),
    Input("intraday-day", "value"),
    Input("intraday-refresh", "n_clicks"),
    Input("intraday-tick", "n_intervals"),
    Input("intraday-upload-result", "children"),
    State("intraday-channel", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def refresh(day, _clicks, _ticks, _uploaded, channel, plan_id=None):
    try:
        return day_view(day, channel, plan_id)
    except ValueError as exc:
        return ui.message(ui.shown(exc), kind="error")


@callback(
    Output("intraday-figure", "figure"),
    Input("intraday-channel", "value"),
    State("intraday-day", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def show_channel(channel, day, plan_id=None):
    store = context.store()
    plan = shown_plan(store, plan_id)
    result = day_result(store, plan, day)
    return drawn(intraday_figure, result.intervals, channel=channel, now=result.now)


@callback(
    Output("intraday-upload-result", "children"),
    Input("intraday-upload", "contents"),
    State("intraday-upload", "filename"),
    prevent_initial_call=True,
)
def upload_actuals(contents, filename):
    try:
        data = decode_upload(contents, filename)
        result = import_bytes(data, source_name=filename, dataset=actuals_dataset_name(filename), kind="actuals",
                              store=context.store())
    except ValueError as exc:
        return ui.message(ui.shown(exc), kind="error")
    if result.dataset_id is None:
        problems = "; ".join(p.describe() for p in result.report.errors[:3])
        return ui.message(f"{filename} has errors, nothing stored: {problems}", kind="error")
    stored = ui.message(f"Stored {filename} as actuals dataset {result.dataset!r}.", kind="ok")
    warning = actuals_outside_plans(context.store(), context.store().dataset(result.dataset))
    if warning is None:
        return stored
    return html.Div([stored, ui.message(warning, id="intraday-upload-warning")])

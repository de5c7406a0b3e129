"""Intraday (/intraday): today's forecast vs actual by interval, the re-forecast with its range,
the staffing gap and projected service level for the rest of the day; actuals uploadable and
the page refreshable. It works from the published plan (the newest plan while none is published)."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from planner.datasets import import_bytes
from planner.intraday import intraday
from planner.ui import components as ui
from planner.ui import context
from planner.ui.figures import empty_figure, intraday_figure
from planner.ui.uploads import UPLOAD_LIMIT_BYTES, decode_upload
from planner.ui.views import operating_plan

dash.register_page(__name__, path="/intraday", name="Intraday", title="wfm-planner - Intraday")

REFRESH_MS = 5 * 60 * 1000
SUMMARY_COLUMNS = ["channel", "intervals_so_far", "actual_so_far", "forecast_so_far", "wape_so_far", "bias_so_far",
                   "multiplier", "day_forecast", "day_reforecast", "short_intervals", "projected_service_level"]


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


def day_view(day: str, channel: str | None = None) -> html.Div:
    """Summary table, notes and the chart of one channel for ``day`` (``ValueError`` when no plan covers it)."""
    store = context.store()
    plan = operating_plan(store)
    result = intraday(day, store=store, plan_id=plan.plan_id)
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
        ui.graph("intraday-figure", intraday_figure(result.intervals, channel=channel, now=result.now)),
        html.P("Re-forecast: remaining forecast x damped ratio (A + k) / (F + k), range = 10-90% of the Poisson-Gamma "
               "count. Gap = scheduled agents (net of breaks) - required under the re-forecast. Projected service "
               "level: share of offered answered within T with the scheduled agents, rest of the day.",
               className="definitions"),
    ])


def layout(**_query) -> html.Div:
    store = context.store()
    plan = operating_plan(store)
    if plan is None or plan.table("coverage").empty:
        return html.Div([html.H2("Intraday"), html.Div([ui.no_plan_message(), ui.graph("intraday-figure", empty_figure("No plan yet: run planner demo"))],
                                                      className="card")])
    days = [plan.week_start + pd.Timedelta(days=i) for i in range(plan.days)]
    day = default_day(plan, store)
    try:
        body = day_view(day)
    except ValueError as exc:
        body = ui.message(str(exc), kind="error")
    return html.Div([
        html.H2("Intraday"),
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
        html.Div([
            html.H3("Upload today's actuals"),
            html.P("Same format as history (interval_start, channel, offered ...); finer intervals are summed onto the plan's grid."),
            dcc.Upload(html.Div(["Drop an actuals file here or ", html.B("choose a file")]), id="intraday-upload",
                       max_size=UPLOAD_LIMIT_BYTES, className="upload"),
            html.Div(id="intraday-upload-result"),
        ], className="card"),
    ])


@callback(
    Output("intraday-body", "children"),
    Input("intraday-day", "value"),
    Input("intraday-refresh", "n_clicks"),
    Input("intraday-tick", "n_intervals"),
    Input("intraday-upload-result", "children"),
    State("intraday-channel", "value"),
    prevent_initial_call=True,
)
def refresh(day, _clicks, _ticks, _uploaded, channel):
    try:
        return day_view(day, channel)
    except ValueError as exc:
        return ui.message(str(exc), kind="error")


@callback(
    Output("intraday-figure", "figure"),
    Input("intraday-channel", "value"),
    State("intraday-day", "value"),
    prevent_initial_call=True,
)
def show_channel(channel, day):
    store = context.store()
    plan = operating_plan(store)
    result = intraday(day, store=store, plan_id=plan.plan_id)
    return intraday_figure(result.intervals, channel=channel, now=result.now)


@callback(
    Output("intraday-upload-result", "children"),
    Input("intraday-upload", "contents"),
    State("intraday-upload", "filename"),
    prevent_initial_call=True,
)
def upload_actuals(contents, filename):
    try:
        data = decode_upload(contents, filename)
        result = import_bytes(data, source_name=filename, dataset=f"actuals_{filename.split('.')[0]}", kind="actuals",
                              store=context.store())
    except ValueError as exc:
        return ui.message(str(exc), kind="error")
    if result.dataset_id is None:
        problems = "; ".join(p.describe() for p in result.report.errors[:3])
        return ui.message(f"{filename} has errors, nothing stored: {problems}", kind="error")
    return ui.message(f"Stored {filename} as actuals dataset {result.dataset!r}.", kind="ok")

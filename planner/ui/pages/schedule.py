"""Schedule (/schedule): coverage vs requirement per interval (net of breaks), the roster as an
agent x day grid and a timeline of shifts and activities, solver status and gap, exports
(CSV, XLSX, per-agent iCal) and the plan rebuilt with progress (failures explained)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from planner.exports import write_ics, write_roster_xlsx
from planner.pipeline import shown_error
from planner.rostering import RuleViolationError
from planner.writers import csv_bytes
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import tracked
from planner.ui.figures import coverage_figure, empty_figure, roster_timeline
from planner.ui.jobs import plan_dataset
from planner.ui.views import (datasets_rows, latest_plan, plan_history_dataset, publication_text, roster_week_grid,
                              solver_text, uncertainty_view)

dash.register_page(__name__, path="/schedule", name="Schedule", title="wfm-planner - Schedule")


def day_options(plan) -> list[dict[str, str]]:
    days = [plan.week_start + pd.Timedelta(days=i) for i in range(plan.days)]
    return [{"label": f"{d:%a %Y-%m-%d}", "value": f"{d:%Y-%m-%d}"} for d in days]


def export_bytes(plan, kind: str) -> tuple[bytes, str]:
    """The roster export ``kind`` (``csv``, ``xlsx`` or ``ics``: a zip of per-agent calendars)."""
    roster, activities, coverage = plan.table("roster"), plan.table("activities"), plan.table("coverage")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        if kind == "csv":
            return csv_bytes(roster), f"roster_plan{plan.plan_id}.csv"
        if kind == "xlsx":
            write_roster_xlsx(roster, activities, coverage, target / "roster.xlsx", week_start=plan.week_start)
            return (target / "roster.xlsx").read_bytes(), f"roster_plan{plan.plan_id}.xlsx"
        if kind == "ics":
            paths = write_ics(roster, activities, target / "ics", timezone=plan.config.get("timezone") or "UTC",
                              calendar_name=plan.name)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in paths.values():
                    archive.write(path, arcname=Path(path).name)
            return buffer.getvalue(), f"calendars_plan{plan.plan_id}.zip"
    raise ValueError(f"export kind {kind!r} is not csv, xlsx or ics")


def build_panel(plan) -> html.Div:
    """The form that plans a week for a stored dataset (defaults: the current plan's)."""
    store = context.store()
    datasets = [r["dataset"] for r in datasets_rows(store) if r["kind"] == "history"]
    dataset = (plan_history_dataset(store, plan) if plan is not None else None) or (datasets[0] if datasets else None)
    return html.Div([
        html.H3("Build the schedule"),
        html.P("Forecasts the week from the dataset (training on the days before it), turns it into requirements, "
               "plans shifts and breaks (LP/MIP) and names agents. Service goals and shift rules: the current plan's, "
               "or the bundled sample's when there is no plan."),
        html.Div([
            ui.field("dataset", dcc.Dropdown(id="schedule-dataset", options=datasets, value=dataset, style={"width": "240px"})),
            ui.field("week start (a date)", dcc.Input(id="schedule-start", type="text",
                                                      value=f"{plan.week_start:%Y-%m-%d}" if plan is not None else "")),
            ui.field("interval (min)", dcc.Dropdown(id="schedule-interval", options=[15, 30, 60],
                                                    value=plan.interval_minutes if plan is not None else 15, clearable=False)),
            ui.field("holidays (country)", dcc.Input(id="schedule-country", type="text",
                                                     value=(plan.config.get("country") if plan is not None else "") or "")),
            html.Button("Build the schedule", id="schedule-build", n_clicks=0),
        ], className="row"),
        ui.progress_block("schedule"),
        html.Div(id="schedule-build-result"),
    ], className="card")


def uncertainty_panel(plan) -> html.Div:
    """Will the roster meet its targets when the forecast is off? P10/P50/P90 and P(goal met)."""
    text, channels, days = uncertainty_view(plan)
    parts = [html.H3("Will it meet the target? (forecast scenarios)"), html.P(text, id="schedule-uncertainty")]
    if len(channels):
        parts += [
            html.P("Service level = answered within answer_s / offered, over the week (or each day); "
                   "p_goal = share of scenarios meeting the channel's goal (the week for goals weekly and interval, "
                   "every day for daily); erlang_p_goal = the same judged by the queueing model at each scenario's "
                   "volume, without Poisson noise."),
            ui.grid("schedule-uncertainty-channels", ui.records(channels, digits=3), pinned=("channel",), height=160),
            ui.grid("schedule-uncertainty-days", ui.records(days, digits=3), pinned=("date",), height=260),
        ]
    return html.Div(parts, className="card")


def publish_panel(plan) -> html.Div:
    """Draft or published (which version, by whom); the publish button for those who may."""
    from planner.ui.auth import current_user

    user = current_user()
    may_publish = user is None or user.can("publish")
    return html.Div([
        html.P(publication_text(context.store(), plan.plan_id), id="schedule-publication"),
        html.Button("Publish this plan", id="schedule-publish", n_clicks=0, hidden=not may_publish),
        dcc.Store(id="schedule-plan-id", data=plan.plan_id),
        html.Div(id="schedule-publish-result"),
    ], style={"marginTop": "8px"})


def layout(**_query) -> html.Div:
    plan = latest_plan(context.store())
    if plan is None:
        return html.Div([html.H2("Schedule"),
                         html.Div([ui.no_plan_message(), ui.graph("schedule-coverage", empty_figure("No schedule yet: run planner demo"))],
                                  className="card"),
                         build_panel(plan)])
    if plan.table("roster").empty:
        short = int((plan.table("coverage")["scheduled"] + 1e-6 < plan.table("coverage")["required"]).sum()) if len(plan.table("coverage")) else 0
        explain = ui.message([html.B(f"Plan {plan.plan_id} ({plan.name}) has no shifts. "),
                              f"{solver_text(plan)}; {short} interval(s) below requirement. Check the shift rules "
                              "(start windows, contracts, max_agents) against the requirement, then build again."],
                             kind="error", id="schedule-empty")
        figure = (coverage_figure(plan.table("coverage"), channel=sorted(plan.table("coverage")["channel"].unique())[0])
                  if len(plan.table("coverage")) else empty_figure("No coverage"))
        return html.Div([html.H2("Schedule"), html.Div([explain, ui.graph("schedule-coverage", figure)], className="card"),
                         build_panel(plan)])
    channels = sorted(plan.table("coverage")["channel"].unique())
    days = day_options(plan)
    grid = roster_week_grid(plan.table("roster"), week_start=plan.week_start, days=plan.days)
    short = int((plan.table("coverage")["scheduled"] + 1e-6 < plan.table("coverage")["required"]).sum())
    return html.Div([
        html.H2("Schedule"),
        html.Div([
            html.H3(f"Plan {plan.plan_id}: {plan.name}"),
            html.P(solver_text(plan), id="schedule-solver"),
            html.P(f"{plan.table('roster')['agent_id'].nunique()} agents, {len(plan.table('roster'))} shifts; "
                   f"{short} interval(s) below requirement."),
            html.Div([
                html.Button("Download roster CSV", id="schedule-dl-csv", n_clicks=0, className="secondary"),
                html.Button("Download XLSX", id="schedule-dl-xlsx", n_clicks=0, className="secondary"),
                html.Button("Download iCal (zip)", id="schedule-dl-ics", n_clicks=0, className="secondary"),
                dcc.Download(id="schedule-download"),
            ], className="row"),
            publish_panel(plan),
        ], className="card"),
        html.Div([
            ui.field("channel", dcc.Dropdown(id="schedule-channel", options=channels, value=channels[0], clearable=False,
                                             style={"width": "220px"})),
            ui.graph("schedule-coverage", coverage_figure(plan.table("coverage"), channel=channels[0])),
        ], className="card"),
        uncertainty_panel(plan),
        html.Div([
            html.H3("Roster (agent x day)"),
            ui.grid("schedule-roster", ui.records(grid), pinned=("agent_id",), height=420),
        ], className="card"),
        html.Div([
            ui.field("day", dcc.Dropdown(id="schedule-day", options=days, value=days[0]["value"], clearable=False,
                                         style={"width": "220px"})),
            ui.graph("schedule-timeline", roster_timeline(plan.table("roster"), plan.table("activities"), day=days[0]["value"])),
        ], className="card"),
        build_panel(plan),
    ])


@callback(Output("schedule-coverage", "figure"), Input("schedule-channel", "value"), prevent_initial_call=True)
def show_coverage(channel):
    plan = latest_plan(context.store())
    return coverage_figure(plan.table("coverage"), channel=channel)


@callback(Output("schedule-timeline", "figure"), Input("schedule-day", "value"), prevent_initial_call=True)
def show_timeline(day):
    plan = latest_plan(context.store())
    return roster_timeline(plan.table("roster"), plan.table("activities"), day=day)


@callback(
    Output("schedule-download", "data"),
    Input("schedule-dl-csv", "n_clicks"),
    Input("schedule-dl-xlsx", "n_clicks"),
    Input("schedule-dl-ics", "n_clicks"),
    prevent_initial_call=True,
)
def download(_csv, _xlsx, _ics):
    kind = dash.ctx.triggered_id.rsplit("-", 1)[-1]
    data, filename = export_bytes(latest_plan(context.store()), kind)
    return dcc.send_bytes(data, filename)


@callback(
    Output("schedule-publish-result", "children"),
    Input("schedule-publish", "n_clicks"),
    State("schedule-plan-id", "data"),
    prevent_initial_call=True,
)
def publish(_clicks, plan_id):
    """Publish the plan shown (managers and admins: the server checks the role before this runs)."""
    store = context.store()
    try:
        version = store.publish_plan(int(plan_id))
    except (TypeError, ValueError) as exc:
        return ui.message(f"Not published: {exc}", kind="error")
    return ui.message(f"Plan {plan_id} published as version {version}: intraday, the exports and team leads use it now.",
                      kind="ok", id="schedule-published")


@callback(
    Output("schedule-build-result", "children"),
    Input("schedule-build", "n_clicks"),
    State("schedule-dataset", "value"),
    State("schedule-start", "value"),
    State("schedule-interval", "value"),
    State("schedule-country", "value"),
    background=True,
    running=[(Output("schedule-build", "disabled"), True, False)],
    progress=[Output("schedule-progress", "value"), Output("schedule-status", "children")],
    prevent_initial_call=True,
)
@tracked("plan build")
def build(set_progress, _clicks, dataset, start, interval, country):
    if not dataset:
        return ui.message("dataset: choose a stored history dataset (upload one on the Data page)", kind="error")
    store = context.store()
    plan = latest_plan(store)
    try:
        plan_id = plan_dataset(store, dataset=dataset, start=start, interval_minutes=interval, country=country,
                               staffing=plan.config.get("staffing") if plan is not None else None,
                               rules=plan.config.get("rules") if plan is not None else None,
                               progress=lambda share, text: set_progress((str(round(100 * share)), text)))
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return ui.message(f"The schedule could not be built: {shown_error(exc)}", kind="error")
    built = latest_plan(store)
    if built.table("roster").empty:
        return ui.message(f"Plan {plan_id} was built but has no shifts ({solver_text(built)}): the shift rules could not "
                          "cover the requirement.", kind="error")
    return ui.message([f"Plan {plan_id} built: {solver_text(built)}. ", dcc.Link("Show it", href="/schedule", refresh=True)],
                      kind="ok", id="schedule-built")

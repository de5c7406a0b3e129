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

from wfm_errors import InputError
from planner.exports import write_ics, write_roster_xlsx
from planner.pipeline import shown_error
from planner.week_schedule import RuleViolationError, grid_choices
from planner.writers import csv_bytes
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import Failed, progress_bar, tracked
from planner.ui.figures import coverage_figure, empty_figure, roster_timeline, timeline_caption
from planner.ui.jobs import fit_intraday_models_in_background, plan_dataset
from planner.ui.memo import drawn
from planner.ui.plan_picker import PLAN_ID, page_plan, plan_link, shown_plan
from planner.ui.views import (build_warnings, datasets_rows, forecast_snapshots, limit_text, plan_by_id,
                              plan_history_dataset, publication_text, roster_grid_rows, snapshot_choice, solver_text,
                              uncertainty_view)

dash.register_page(__name__, path="/schedule", name="Schedule", title="wfm-planner - Schedule")


TIMELINE_BOX_PX = 720  # the shift timeline scrolls inside a box this tall


def timeline_note(roster: pd.DataFrame, day) -> str:
    """The line above the shift timeline: which shifts it draws (all of the day's)."""
    caption = timeline_caption(roster, day=day)
    return f"The timeline draws {caption}, one row per agent; scroll inside it to see them all."


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
            paths = write_ics(roster, activities, target / "ics", timezone=plan.config.get("timezone") or None,
                              calendar_name=plan.name)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in paths.values():
                    archive.write(path, arcname=Path(path).name)
            return buffer.getvalue(), f"calendars_plan{plan.plan_id}.zip"
    raise InputError(f"export kind {kind!r} is not csv, xlsx or ics")


def build_rules(plan) -> dict:
    """The shift rules a build uses: the current plan's, else the bundled sample's."""
    if plan is not None and plan.config.get("rules"):
        return dict(plan.config["rules"])
    from planner.toml_files import read_toml
    from planner.demo import data_dir

    return read_toml(data_dir() / "sample" / "rules.toml")


def interval_choices(store, dataset: str | None, rules: dict, *, current: int | None = None):
    """(dropdown options, chosen value, note) for the interval of a build: only the grids the
    shift rules and the dataset's history allow are selectable; the note says why the others
    are not, in the user's words."""
    try:
        step = store.dataset_info(dataset).get("interval_minutes") if dataset else None
    except ValueError:
        step = None
    choices = grid_choices(rules, history_interval_minutes=step)
    options = [{"label": f"{c.minutes}" if c.usable else f"{c.minutes} (not possible)", "value": c.minutes,
                "disabled": not c.usable} for c in choices]
    usable = [c.minutes for c in choices if c.usable]
    value = current if current in usable else (usable[0] if usable else None)
    lines = [f"{c.minutes} min is not offered: {c.why_not}." for c in choices if not c.usable]
    if not usable:
        lines.insert(0, "No planning interval fits the shift rules and this dataset, so it can't be scheduled here.")
    note = [html.Span(line, style={"display": "block"}) for line in lines] or None
    return options, value, note


NEW_FORECAST = "new"


def snapshot_note(choice) -> html.Div | None:
    if choice is None:
        return None
    return ui.message(f"The schedule is built on forecast {choice.label}: its dataset, first day and interval are "
                      "filled in above; nothing is forecast again.", id="schedule-snapshot-note")


def chosen_snapshot(store, value):
    """The snapshot a forecast choice names, or None for a new forecast (or a snapshot not stored)."""
    if value in (None, "", NEW_FORECAST):
        return None
    try:
        return snapshot_choice(store, int(value))
    except (TypeError, ValueError):
        return None


def build_panel(plan, *, forecast=None) -> html.Div:
    """The form that plans a week for a stored dataset (defaults: the current plan's), or on a
    stored forecast snapshot (``forecast``: its id, e.g. from the Forecast page's link)."""
    store = context.store()
    datasets = [r["dataset"] for r in datasets_rows(store) if r["kind"] == "history"]
    dataset = (plan_history_dataset(store, plan) if plan is not None else None) or (datasets[0] if datasets else None)
    start = f"{plan.week_start:%Y-%m-%d}" if plan is not None else ""
    interval = plan.interval_minutes if plan is not None else 15
    forecasts = [{"label": "a new forecast of the dataset", "value": NEW_FORECAST}] + [
        {"label": c.label, "value": str(c.snapshot_id)} for c in forecast_snapshots(store)]
    snapshot = chosen_snapshot(store, forecast)
    if snapshot is not None:
        dataset, start, interval = snapshot.dataset, f"{snapshot.first_day:%Y-%m-%d}", snapshot.interval_minutes
    options, value, note = interval_choices(store, dataset, build_rules(plan), current=interval)
    return html.Div([
        html.H3("Build the schedule"),
        html.P("Forecasts the week from the dataset (training on the days before it), turns it into requirements, "
               "plans shifts and breaks (LP/MIP) and names agents. Service goals and shift rules: the current plan's, "
               "or the bundled sample's when there is no plan."),
        html.Div([
            ui.field("forecast", dcc.Dropdown(id="schedule-forecast", options=forecasts,
                                              value=str(snapshot.snapshot_id) if snapshot is not None else NEW_FORECAST,
                                              clearable=False, style={"width": "440px"})),
        ], className="row", style={"marginBottom": "8px"}),
        html.Div([
            ui.field("dataset", dcc.Dropdown(id="schedule-dataset", options=datasets, value=dataset, style={"width": "240px"})),
            ui.field("week start (a date)", dcc.Input(id="schedule-start", type="text", value=start)),
            ui.field("interval (min)", dcc.Dropdown(id="schedule-interval", options=options, value=value,
                                                    clearable=False, style={"width": "170px"})),
            ui.field("holidays (country)", dcc.Input(id="schedule-country", type="text",
                                                     value=(plan.config.get("country") if plan is not None else "") or "")),
            html.Button("Build the schedule", id="schedule-build", n_clicks=0),
        ], className="row"),
        html.P(note, id="schedule-interval-note", style={"fontSize": "13px", "color": "#555"}),
        html.Div(snapshot_note(snapshot), id="schedule-forecast-note"),
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
            ui.grid("schedule-uncertainty-channels", drawn(ui.records, channels, digits=3), pinned=("channel",), height=160),
            ui.grid("schedule-uncertainty-days", drawn(ui.records, days, digits=3), pinned=("date",), height=260),
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


def limit_message(plan) -> html.Div | None:
    """The plan's coverage limit in words ("limited by the agent pool: N intervals short, worst K
    agents at <time>"), shown above the solver line; nothing when no interval is an agent short."""
    text = limit_text(plan)
    if not text:
        return None
    return ui.message([html.B(text[0].upper() + text[1:] + ". "),
                       "More agents (agents.csv, contract max_agents) would cover it; the service level and cost "
                       "below are what these agents deliver."], kind="error", id="schedule-limit")


def layout(forecast=None, **query) -> html.Div:
    plan, picker = page_plan(context.store(), query.get("plan"))
    if plan is None:
        return html.Div([html.H2("Schedule"), picker,
                         html.Div([ui.no_plan_message(), ui.graph("schedule-coverage", empty_figure("No schedule yet: run planner demo"))],
                                  className="card"),
                         build_panel(plan, forecast=forecast)])
    if plan.table("roster").empty:
        short = int((plan.table("coverage")["scheduled"] + 1e-6 < plan.table("coverage")["required"]).sum()) if len(plan.table("coverage")) else 0
        explain = ui.message([html.B(f"Plan {plan.plan_id} ({plan.name}) has no shifts. "),
                              f"{solver_text(plan)}; {short} interval(s) below requirement. Check the shift rules "
                              "(start windows, contracts, max_agents) against the requirement, then build again."],
                             kind="error", id="schedule-empty")
        explain = html.Div([explain, ui.warnings_message(build_warnings(plan), id="schedule-warnings",
                                                         what=f"Building plan {plan.plan_id}")])
        figure = (coverage_figure(plan.table("coverage"), channel=sorted(plan.table("coverage")["channel"].unique())[0])
                  if len(plan.table("coverage")) else empty_figure("No coverage"))
        return html.Div([html.H2("Schedule"), picker, html.Div([explain, ui.graph("schedule-coverage", figure)], className="card"),
                         build_panel(plan, forecast=forecast)])
    channels = sorted(plan.table("coverage")["channel"].unique())
    days = day_options(plan)
    rows = drawn(roster_grid_rows, plan.table("roster"), week_start=plan.week_start, days=plan.days)
    short = int((plan.table("coverage")["scheduled"] + 1e-6 < plan.table("coverage")["required"]).sum())
    return html.Div([
        html.H2("Schedule"),
        picker,
        html.Div([
            html.H3(f"Plan {plan.plan_id}: {plan.name}"),
            limit_message(plan),
            html.P(solver_text(plan), id="schedule-solver"),
            ui.warnings_message(build_warnings(plan), id="schedule-warnings", what=f"Building plan {plan.plan_id}"),
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
            ui.graph("schedule-coverage", drawn(coverage_figure, plan.table("coverage"), channel=channels[0])),
        ], className="card"),
        uncertainty_panel(plan),
        html.Div([
            html.H3("Roster (agent x day)"),
            ui.grid("schedule-roster", rows, pinned=("agent_id",), height=420),
        ], className="card"),
        html.Div([
            ui.field("day", dcc.Dropdown(id="schedule-day", options=days, value=days[0]["value"], clearable=False,
                                         style={"width": "220px"})),
            html.P(timeline_note(plan.table("roster"), days[0]["value"]), id="schedule-timeline-note"),
            html.Div(ui.graph("schedule-timeline", drawn(roster_timeline, plan.table("roster"), plan.table("activities"),
                                                                         day=days[0]["value"])),
                     id="schedule-timeline-box", style={"maxHeight": f"{TIMELINE_BOX_PX}px", "overflowY": "auto"}),
        ], className="card"),
        build_panel(plan, forecast=forecast),
    ])


@callback(
    Output("schedule-interval", "options"),
    Output("schedule-interval", "value"),
    Output("schedule-interval-note", "children"),
    Input("schedule-dataset", "value"),
    Input("schedule-forecast", "value"),
    State("schedule-interval", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def offer_intervals(dataset, forecast, current, plan_id=None):
    """The intervals the chosen dataset and the shift rules allow, and why not the others (a
    chosen forecast snapshot's own interval first)."""
    store = context.store()
    snapshot = chosen_snapshot(store, forecast)
    if snapshot is not None:
        current = snapshot.interval_minutes
    return interval_choices(store, dataset, build_rules(shown_plan(store, plan_id)), current=current)


@callback(
    Output("schedule-dataset", "value"),
    Output("schedule-start", "value"),
    Output("schedule-forecast-note", "children"),
    Input("schedule-forecast", "value"),
    prevent_initial_call=True,
)
def use_snapshot(forecast):
    """A chosen forecast snapshot fills in its dataset and first day."""
    snapshot = chosen_snapshot(context.store(), forecast)
    if snapshot is None:
        return dash.no_update, dash.no_update, None
    return snapshot.dataset, f"{snapshot.first_day:%Y-%m-%d}", snapshot_note(snapshot)


@callback(Output("schedule-coverage", "figure"), Input("schedule-channel", "value"), State(PLAN_ID, "data"),
          prevent_initial_call=True)
def show_coverage(channel, plan_id=None):
    plan = shown_plan(context.store(), plan_id)
    return drawn(coverage_figure, plan.table("coverage"), channel=channel)


@callback(Output("schedule-timeline", "figure"), Output("schedule-timeline-note", "children"),
          Input("schedule-day", "value"), State(PLAN_ID, "data"), prevent_initial_call=True)
def show_timeline(day, plan_id=None):
    plan = shown_plan(context.store(), plan_id)
    return drawn(roster_timeline, plan.table("roster"), plan.table("activities"), day=day), timeline_note(plan.table("roster"), day)


@callback(
    Output("schedule-download", "data"),
    Input("schedule-dl-csv", "n_clicks"),
    Input("schedule-dl-xlsx", "n_clicks"),
    Input("schedule-dl-ics", "n_clicks"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def download(_csv, _xlsx, _ics, plan_id=None):
    """The export of the plan the page shows (not whichever plan is newest by now)."""
    kind = dash.ctx.triggered_id.rsplit("-", 1)[-1]
    data, filename = export_bytes(shown_plan(context.store(), plan_id), kind)
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
        return ui.message(f"Not published: {ui.shown(exc)}", kind="error")
    fit_intraday_models_in_background(store, int(plan_id))  # before a team lead's first Intraday view asks
    return ui.message(f"Plan {plan_id} published as version {version}: intraday, the exports and team leads use it now.",
                      kind="ok", id="schedule-published")


def snapshot_argument(forecast) -> dict:
    """``{"forecast_snapshot": id}`` when a stored snapshot is chosen (only then, so callers
    that plan without one keep their signature)."""
    if forecast in (None, "", NEW_FORECAST):
        return {}
    return {"forecast_snapshot": int(forecast)}


@callback(
    Output("schedule-build-result", "children"),
    Input("schedule-build", "n_clicks"),
    State("schedule-dataset", "value"),
    State("schedule-start", "value"),
    State("schedule-interval", "value"),
    State("schedule-country", "value"),
    State("schedule-forecast", "value"),
    State(PLAN_ID, "data"),
    background=True,
    running=[(Output("schedule-build", "disabled"), True, False)],
    progress=[Output("schedule-progress", "value"), Output("schedule-status", "children")],
    prevent_initial_call=True,
)
@tracked("plan build")
def build(set_progress, _clicks, dataset, start, interval, country, forecast=NEW_FORECAST, shown_id=None):
    if not dataset:
        return Failed(ui.message("dataset: choose a stored history dataset (upload one on the Data page)", kind="error"))
    if not interval:
        return Failed(ui.message("No planning interval fits the shift rules and this dataset (see the note above "
                                 "the progress bar): choose another dataset or change the shift rules.", kind="error"))
    store = context.store()
    plan = shown_plan(store, shown_id)  # its goals and rules are the defaults
    try:
        plan_id = plan_dataset(store, dataset=dataset, start=start, interval_minutes=interval, country=country,
                               staffing=plan.config.get("staffing") if plan is not None else None,
                               rules=plan.config.get("rules") if plan is not None else None,
                               progress=progress_bar(set_progress),
                               **snapshot_argument(forecast))
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return Failed(ui.message(f"The schedule could not be built: {ui.shown(shown_error(exc))}", kind="error"))
    built = plan_by_id(store, plan_id)  # this build's plan, whatever others built meanwhile
    if built.table("roster").empty:
        return Failed(html.Div([
            ui.message([f"Plan {plan_id} was built but has no shifts ({solver_text(built)}): the shift rules could not "
                        "cover the requirement. ", dcc.Link("Show it", href=plan_link("/schedule", plan_id))], kind="error"),
            ui.warnings_message(build_warnings(built), id="schedule-built-warnings", what=f"Building plan {plan_id}"),
        ]))
    return html.Div([
        ui.message([f"Plan {plan_id} built: {solver_text(built)}. A draft: pages already open keep showing their plan. ",
                    dcc.Link("Show it", href=plan_link("/schedule", plan_id), id="schedule-show-built")],
                   kind="ok", id="schedule-built"),
        ui.warnings_message(build_warnings(built), id="schedule-built-warnings", what=f"Building plan {plan_id}"),
    ])

"""Staffing (/staffing): requirements heatmap per channel, the service targets (editable, with
their definitions) and an Erlang calculator with its service-level curve."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from wfm_errors import InputError
from planner.calculator import erlang_calculator, sl_curve
from planner.staffing import requirements, staffing_from_mapping
from planner.ui import components as ui
from planner.ui import context
from planner.ui.memo import cached, drawn
from planner.ui.figures import empty_figure, requirements_heatmap, sl_curve_figure
from planner.ui.plan_picker import PLAN_ID, page_plan, shown_plan
from planner.ui.views import forecast_snapshots, snapshot_choice

dash.register_page(__name__, path="/staffing", name="Staffing", title="wfm-planner - Staffing")

TARGET_KEYS = ("aht_s", "target_sl", "answer_s", "max_occupancy", "shrinkage", "patience_s", "min_agents",
               "concurrency", "due_minutes", "service_goal", "min_interval_sl", "risk")
TEXT_KEYS = ("service_goal",)  # words, not numbers
DEFINITIONS = (
    ("Service level", "share of offered contacts answered within answer_s seconds; abandons count against "
                      "(Erlang C, or Erlang A when patience_s is set)."),
    ("Required agents", "net agents from the queueing model, grossed up for shrinkage: net / (1 - shrinkage), "
                        "never net x (1 + shrinkage)."),
    ("Occupancy", "handled workload / staffed time, capped by max_occupancy."),
    ("Chat and messaging", "agents hold concurrency sessions at once (capacity 1, 1.7, 2.5, 2.9, 3.5 for 1..5)."),
    ("Deferred channels", "email, social, back office: the work must be done within due_minutes open minutes."),
    ("Service goal", "what target_sl is judged on: every interval (interval), each day's volume-weighted service "
                     "level (daily) or the week's (weekly); min_interval_sl is the floor of every open interval "
                     "(default 0.5); risk the share of forecast scenarios in which the goal must hold."),
)
CALC_DEFAULTS = {"calls": 100, "interval_min": 30, "aht_s": 180, "answer_s": 20, "target_sl": 0.8,
                 "max_occupancy": 1.0, "shrinkage": 0.3, "patience_s": None}


def target_rows(staffing: dict) -> list[dict]:
    """One row per channel of a staffing mapping, the keys the page edits as columns."""
    return [{"channel": name, **{k: values.get(k) for k in TARGET_KEYS}} for name, values in staffing.get("channel", {}).items()]


def staffing_from_rows(rows: list[dict]) -> dict:
    """A staffing mapping from edited rows (blank cells left out; numbers parsed)."""
    channels = {}
    for row in rows:
        values = {}
        for key in TARGET_KEYS:
            value = row.get(key)
            if value in (None, ""):
                continue
            if key in TEXT_KEYS:
                values[key] = str(value).strip()
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"[channel.{row['channel']}] {key} = {value!r}: not a number") from None
            values[key] = int(number) if key in ("min_agents", "concurrency") and number == int(number) else number
        channels[row["channel"]] = values
    return {"channel": channels}


def calculator_view(values: dict):
    """KPI cards and the SL curve figure for the calculator's inputs (``ValueError`` on bad input)."""
    patience = values.get("patience_s")
    interval_s = float(values["interval_min"]) * 60
    common = dict(calls=values["calls"], interval_s=interval_s, aht_s=values["aht_s"], answer_s=values["answer_s"],
                  patience_s=None if patience in (None, "", 0) else patience)
    result = erlang_calculator(**common, target_sl=values["target_sl"], max_occupancy=values["max_occupancy"],
                               shrinkage=values["shrinkage"])
    cards = [
        {"label": "Agents needed", "value": f"{result.net_agents}", "note": f"net, on the phones ({result.model})"},
        {"label": "Scheduled", "value": f"{result.scheduled_agents:g}", "note": "net / (1 - shrinkage)"},
        {"label": "Service level", "value": f"{result.service_level:.1%}", "note": f"of offered within {float(values['answer_s']):g} s"},
        {"label": "ASA", "value": f"{result.asa_s:.1f} s", "note": "mean wait of answered"},
        {"label": "Occupancy", "value": f"{result.occupancy:.1%}", "note": "workload / staffed time"},
        {"label": "Abandon", "value": f"{result.p_abandon:.1%}", "note": "of offered (0 in Erlang C)"},
        {"label": "Traffic", "value": f"{result.traffic_erlangs:.2f}", "note": "Erlangs = calls x AHT / interval"},
    ]
    curve = sl_curve(**common)
    figure = sl_curve_figure(curve, target_sl=float(values["target_sl"]), required=result.net_agents,
                             answer_s=float(values["answer_s"]))
    return ui.kpi_cards(cards, id_prefix="calc"), figure


def _number_input(id: str, value, step="any") -> dcc.Input:
    return dcc.Input(id=id, type="number", value=value, step=step, debounce=True, style={"width": "110px"})


HEATMAP_HEIGHT_PX = 450


def heatmap_graph(figure) -> dcc.Graph:
    """The requirements heatmap at a fixed height: a responsive graph takes its container's
    height, which a loading wrapper has none of while it redraws, so the chart collapsed to
    nothing and spilled over the targets table and the recompute result."""
    graph = ui.graph("staffing-heatmap", figure)
    graph.style = {"height": f"{HEATMAP_HEIGHT_PX}px"}
    return graph


PLAN_FORECAST = "plan"


def forecast_options(plan, store) -> list[dict]:
    """The plan's own forecast, then the stored forecast snapshots (newest first)."""
    return [{"label": f"plan {plan.plan_id}'s forecast", "value": PLAN_FORECAST}] + [
        {"label": c.label, "value": str(c.snapshot_id)} for c in forecast_snapshots(store)]


def heading_text(plan, choice=None) -> str:
    """What the heatmap shows: the plan's requirements, or (``choice``: a chosen forecast snapshot,
    :func:`planner.ui.views.snapshot_choice`) that forecast's under the targets table."""
    if choice is not None:
        return f"Requirements of forecast {choice.label} under the targets below"
    return f"Requirements of plan {plan.plan_id} ({plan.name})"


def layout(forecast=None, **query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    calc_cards, calc_figure = cached("staffing.calculator_view", lambda **values: calculator_view(values), **CALC_DEFAULTS)
    if plan is None:
        plan_part = html.Div([ui.no_plan_message(), ui.graph("staffing-heatmap", empty_figure("No plan yet: run planner demo"))],
                             className="card")
    else:
        channels = plan.channels
        options = forecast_options(plan, store)
        chosen = str(forecast) if forecast is not None and str(forecast) in {o["value"] for o in options} else PLAN_FORECAST
        channel = channels[0]
        heading = heading_text(plan)
        if chosen == PLAN_FORECAST:
            figure, note = drawn(requirements_heatmap, plan.table("requirements"), channel=channel), None
        else:
            in_snapshot = sorted(pd.unique(store.forecast(int(chosen))["channel"]).tolist())
            channels = sorted(set(channels) | set(in_snapshot))
            channel = in_snapshot[0] if in_snapshot else channel
            heading = heading_text(plan, snapshot_choice(store, int(chosen)))
            try:
                figure, note = snapshot_heatmap(plan, int(chosen), channel, target_rows(plan.config.get("staffing", {})))
            except ValueError as exc:
                figure, note = empty_figure("No requirements"), ui.message(ui.shown(exc), kind="error")
        plan_part = html.Div([
            html.H3(heading, id="staffing-heading"),
            html.Div([
                ui.field("forecast", dcc.Dropdown(id="staffing-forecast", options=options, value=chosen, clearable=False,
                                                  style={"width": "460px"})),
                ui.field("channel", dcc.Dropdown(id="staffing-channel", options=channels, value=channel,
                                                 clearable=False, style={"width": "220px"})),
            ], className="row"),
            html.Div(note, id="staffing-forecast-note"),
            dcc.Loading(heatmap_graph(figure)),
            html.H3("Service targets"),
            html.P("Edit a cell and press 'Recompute' to see the requirements under the new targets "
                   "(the stored plan is not changed; rebuild it on the Schedule page)."),
            ui.grid("staffing-targets", target_rows(plan.config.get("staffing", {})), editable=True, height=200),
            html.Button("Recompute requirements", id="staffing-recompute", n_clicks=0, style={"marginTop": "8px"}),
            html.Div(id="staffing-recompute-result"),
            dcc.Store(id="staffing-requirements"),
        ], className="card")
    definitions = html.Dl([item for term, text in DEFINITIONS for item in (html.Dt(term), html.Dd(text))], className="definitions")
    calculator = html.Div([
        html.H3("Erlang calculator"),
        html.Div([
            ui.field("calls per interval", _number_input("calc-calls", CALC_DEFAULTS["calls"])),
            ui.field("interval (min)", _number_input("calc-interval_min", CALC_DEFAULTS["interval_min"])),
            ui.field("AHT (s)", _number_input("calc-aht_s", CALC_DEFAULTS["aht_s"])),
            ui.field("answer within (s)", _number_input("calc-answer_s", CALC_DEFAULTS["answer_s"])),
            ui.field("target SL (0-1)", _number_input("calc-target_sl", CALC_DEFAULTS["target_sl"])),
            ui.field("max occupancy", _number_input("calc-max_occupancy", CALC_DEFAULTS["max_occupancy"])),
            ui.field("shrinkage", _number_input("calc-shrinkage", CALC_DEFAULTS["shrinkage"])),
            ui.field("patience (s, blank = Erlang C)", _number_input("calc-patience_s", None)),
        ], className="row"),
        html.Div(id="calc-error"),
        html.Div(calc_cards, id="calc-results", style={"marginTop": "12px"}),
        ui.graph("calc-curve", calc_figure),
    ], className="card")
    return html.Div([html.H2("Staffing"), picker, plan_part, html.Div([html.H3("Definitions"), definitions], className="card"), calculator])


CALC_FIELDS = list(CALC_DEFAULTS)


@callback(
    Output("calc-results", "children"),
    Output("calc-curve", "figure"),
    Output("calc-error", "children"),
    [Input(f"calc-{name}", "value") for name in CALC_FIELDS],
    prevent_initial_call=True,
)
def update_calculator(*values):
    inputs = dict(zip(CALC_FIELDS, values))
    missing = [k for k, v in inputs.items() if v is None and k != "patience_s"]
    if missing:
        return dash.no_update, dash.no_update, ui.message(f"{missing[0]}: enter a number", kind="error")
    try:
        cards, figure = calculator_view(inputs)
    except ValueError as exc:
        return dash.no_update, dash.no_update, ui.message(ui.shown(exc), kind="error")
    return cards, figure, None


def snapshot_heatmap(plan, snapshot_id: int, channel: str, rows: list[dict]):
    """The heatmap of a stored forecast snapshot's requirements under the targets in ``rows``,
    and a note saying what it shows (``ValueError`` on bad targets)."""
    store = context.store()
    choice = snapshot_choice(store, snapshot_id)
    if choice is None:
        return empty_figure(f"Forecast snapshot {snapshot_id} has no rows"), None
    targets = staffing_from_mapping(staffing_from_rows(rows or []), source="targets table")
    table = requirements(store.forecast(snapshot_id), targets, interval_minutes=choice.interval_minutes)
    hours = table["required_agents"].sum() * choice.interval_minutes / 60
    note = ui.message(f"Showing the requirements of forecast {choice.label}, under the service targets below: "
                      f"{hours:,.0f} scheduled agent-hours over {choice.days} days. Build a schedule from it on the "
                      "Schedule page.", kind="ok", id="staffing-snapshot-note")
    if channel not in set(pd.unique(table["channel"])):
        return empty_figure(f"Forecast snapshot {snapshot_id} has no {channel} contacts"), note
    return requirements_heatmap(table, channel=channel), note


@callback(
    Output("staffing-heatmap", "figure"),
    Output("staffing-recompute-result", "children"),
    Output("staffing-forecast-note", "children"),
    Output("staffing-heading", "children"),
    Input("staffing-channel", "value"),
    Input("staffing-recompute", "n_clicks"),
    Input("staffing-forecast", "value"),
    State("staffing-targets", "rowData"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def show_heatmap(channel, clicks, source, rows, plan_id=None):
    """The heatmap of the chosen forecast: the plan's (recomputed under edited targets after
    'Recompute') or a stored snapshot's under the targets table."""
    store = context.store()
    plan = shown_plan(store, plan_id)
    if plan is None:
        return empty_figure("No plan yet"), None, None, dash.no_update
    if source not in (None, PLAN_FORECAST):
        heading = heading_text(plan, snapshot_choice(store, int(source)))
        try:
            figure, note = snapshot_heatmap(plan, int(source), channel, rows)
        except ValueError as exc:
            return dash.no_update, ui.message(ui.shown(exc), kind="error"), None, heading
        return figure, None, note, heading
    figure, note = update_heatmap(channel, clicks, rows, plan_id)
    return figure, note, None, heading_text(plan)


def update_heatmap(channel, clicks, rows, plan_id=None):
    """The plan's requirements heatmap, recomputed under the edited targets once 'Recompute' was pressed."""
    plan = shown_plan(context.store(), plan_id)
    if plan is None:
        return empty_figure("No plan yet"), None
    table, note = plan.table("requirements"), None
    if clicks:
        try:
            targets = staffing_from_mapping(staffing_from_rows(rows or []), source="targets table")
            table = requirements(plan.table("forecast"), targets, interval_minutes=plan.interval_minutes)
        except ValueError as exc:
            return dash.no_update, ui.message(ui.shown(exc), kind="error")
        stored = plan.table("requirements")
        note = ui.message(
            f"Under the edited targets the week needs {table['required_agents'].sum() * plan.interval_minutes / 60:,.0f} "
            f"scheduled agent-hours (plan: {stored['required_agents'].sum() * plan.interval_minutes / 60:,.0f}).",
            kind="ok", id="staffing-recomputed")
    if channel not in set(pd.unique(table["channel"])):
        return empty_figure(f"No requirements for {channel}"), note
    return requirements_heatmap(table, channel=channel), note

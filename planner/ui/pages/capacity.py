"""Capacity (/capacity), for finance: a stored capacity plan (``planner capacity`` stores each
plan it makes) - required vs available FTE by week per channel, the hiring classes, the cost by
month, and the definitions the numbers follow. The picker at the top chooses among the stored
capacity plans (the newest by default; ``/capacity?capacity=ID`` names one). Finance, managers
and admins may open it (``read_plan``); nothing on it changes the store."""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, clientside_callback, dcc, html

from planner.ui import components as ui
from planner.ui import context
from planner.ui.columns import formatted
from planner.ui.figures import capacity_cost_figure, capacity_figure
from planner.ui.views import CapacityView, capacity_caption, capacity_option_label, capacity_view

dash.register_page(__name__, path="/capacity", name="Capacity", title="wfm-planner - Capacity")

PICKER = "capacity-picker"
HOW_TO = ("No capacity plan in the store yet. Make one with 'planner capacity --config data/sample/capacity.toml "
          "--out out/capacity' (the bundled sample: 26 weeks, about a minute); every run is stored and listed here.")
WEEKLY_COLUMNS = ["week", "channel", "required_fte", "available_fte", "gap_fte", "hires_starting", "in_training",
                  "ramping", "headcount_fte", "hiring_can_close"]
HIRING_COLUMNS = ["start_week", "channel", "size", "fixed", "productive_from", "full_from"]
MONTHLY_COLUMNS = ["month", "headcount_fte", "staff_cost", "trainee_cost", "hiring_cost", "total_cost"]


def _chosen(store, requested: str | None) -> tuple[CapacityView | None, str | None]:
    """The capacity plan the address asks for (else the newest) and a problem to say, if any."""
    if requested in (None, ""):
        return capacity_view(store), None
    try:
        return capacity_view(store, requested), None
    except ValueError as exc:
        newest = capacity_view(store)
        shown = f" Showing capacity plan {newest.record.capacity_id}, the newest." if newest else ""
        return newest, f"The link asks for {ui.shown(exc)}.{shown}"


def picker_bar(store, view: CapacityView, problem: str | None) -> html.Div:
    options = [{"label": capacity_option_label(r), "value": r.capacity_id} for r in store.capacity_records()]
    return html.Div([
        html.Div([html.Span("Capacity plan", className="plan-label"),
                  dcc.Dropdown(id=PICKER, options=options, value=view.record.capacity_id, clearable=False,
                               searchable=True, className="plan-dropdown")], className="row plan-choice"),
        html.Div(capacity_caption(view.record), id="capacity-caption", className="plan-caption"),
        ui.message(problem, kind="error", id="capacity-problem") if problem else None,
    ], className="plan-bar card")


def headline(view: CapacityView) -> html.Div:
    """Total cost, hires, headcount at the start and the end, weeks short (all channels)."""
    channels = view.channel_rows()
    total = lambda column: float(channels[column].sum()) if column in channels else None  # noqa: E731
    items = [
        {"label": "Total cost", "value": formatted("total_cost", view.summary.get("total_cost")),
         "note": f"over {view.record.weeks} weeks: salary (trainees included) and hiring"},
        {"label": "New hires", "value": formatted("new_hires", view.summary.get("new_hires")),
         "note": f"people, in {formatted('new_classes', total('new_classes'))} new classes"},
        {"label": "Headcount", "value": f"{formatted('headcount_fte', total('starting_headcount_fte'))} -> "
                                        f"{formatted('headcount_fte', total('ending_headcount_fte'))}",
         "note": "FTE at the start and at the end, all channels"},
        {"label": "Weeks short", "value": formatted("weeks_short_unavoidable", total("weeks_short_unavoidable")),
         "note": "channel-weeks short before a new class can be productive"},
    ]
    return ui.kpi_cards(items, id_prefix="capacity")


def definitions(view: CapacityView) -> html.Div:
    terms = view.definitions()
    return html.Div([
        html.H3("Definitions"),
        html.Dl([part for term, text in terms for part in (html.Dt(term), html.Dd(text))], id="capacity-definitions"),
    ], className="card definitions")


def layout(**query) -> html.Div:
    store = context.store()
    view, problem = _chosen(store, query.get("capacity"))
    if view is None:
        return html.Div([html.H2("Capacity"),
                         ui.message(problem, kind="error", id="capacity-problem") if problem else None,
                         html.Div(ui.message(HOW_TO, id="capacity-none"), className="card")])
    return html.Div([
        html.H2("Capacity"),
        picker_bar(store, view, problem),
        headline(view),
        html.Div([
            html.H3("Required vs available FTE by week"),
            html.P("Required FTE: the week's interval requirements (scheduled staff, after shrinkage) in FTE; "
                   "available FTE: the headcount after attrition, with hires in training at 0 and ramping up.",
                   className="definitions"),
            *[ui.graph(f"capacity-fte-{channel}", capacity_figure(view.weekly, channel=channel)) for channel in view.channels],
        ], className="card"),
        html.Div([
            html.H3("Cost by month"),
            ui.graph("capacity-cost-figure", capacity_cost_figure(view.monthly)),
            ui.grid("capacity-monthly", view.monthly_totals(), columns=MONTHLY_COLUMNS, pinned=("month",), height=260),
            html.H4("By channel"),
            ui.grid("capacity-monthly-channels", view.monthly, columns=["channel", *MONTHLY_COLUMNS], height=260),
        ], className="card"),
        html.Div([
            html.H3("Hiring classes"),
            html.P("Classes already planned (in capacity.toml) and the cheapest new classes that close the gap.",
                   className="definitions"),
            ui.grid("capacity-hiring", view.hiring, columns=HIRING_COLUMNS, height=240),
        ], className="card"),
        html.Div([
            html.H3("Channels"),
            ui.grid("capacity-channels", view.channel_rows(), pinned=("channel",), height=200),
        ], className="card"),
        html.Div([
            html.H3("Week by week"),
            ui.grid("capacity-weekly", view.weekly, columns=WEEKLY_COLUMNS, pinned=("week",), height=420),
        ], className="card"),
        definitions(view),
    ], id="capacity-page")


# Choosing another capacity plan opens /capacity?capacity=ID (in the browser: no server callback).
clientside_callback(ClientsideFunction(namespace="capacityPicker", function_name="open"),
                    Input(PICKER, "value"), prevent_initial_call=True)

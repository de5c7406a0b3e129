"""Overview (/): the current plan at a glance, or how to get one (the demo, with progress)."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from planner.pipeline import shown_error
from planner.week_schedule import RuleViolationError
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import Failed, progress_bar, tracked
from planner.ui.memo import drawn
from planner.ui.figures import forecast_figure
from planner.ui.jobs import load_demo
from planner.ui.plan_picker import page_plan
from planner.ui.views import (DEMO_HINT, build_warnings, datasets_rows, limit_text, overview_kpis, plan_accuracy,
                              service_by_channel)

dash.register_page(__name__, path="/", name="Overview", title="wfm-planner - Overview")

LINKS = (
    ("Data", "/data", "import history and actuals, see the validation report"),
    ("Forecast", "/forecast", "history, forecast and 10-90% range, backtests, accuracy"),
    ("Staffing", "/staffing", "requirements heatmap, service targets, Erlang calculator"),
    ("Schedule", "/schedule", "coverage, roster grid and timeline, exports"),
    ("Scenarios", "/scenarios", "compare budget scenarios, the service-level vs cost frontier"),
    ("Capacity", "/capacity", "months ahead: required vs available FTE by week, hiring classes, cost by month"),
    ("Intraday", "/intraday", "today's forecast vs actual, re-forecast, staffing gap"),
)


def demo_panel(has_data: bool) -> html.Div:
    text = ("The store has data but no plan yet. " if has_data else "The store is empty. ") + DEMO_HINT
    return html.Div(
        [
            ui.message(text, id="no-plan"),
            html.Button("Load the demo", id="overview-demo-button", n_clicks=0),
            ui.progress_block("overview-demo"),
            html.Div(id="overview-demo-result"),
        ],
        className="card",
    )


def accuracy_block(store, plan) -> html.Div:
    report = plan_accuracy(store, plan)
    if report is None:
        return html.P("Forecast accuracy: no actuals for the plan's week yet (upload actuals on the Data page).",
                      id="overview-accuracy")
    queue = report["queue"]
    rows = ui.records(queue[["queue", "channel", "wape", "bias", "noise_floor", "intervals"]])
    return html.Div([
        html.H3("Forecast accuracy vs actuals (interval level)"),
        html.P("WAPE = sum|F - A| / sum A; bias = sum(F - A) / sum A; the noise floor is the WAPE that random "
               "arrivals alone would give at these volumes.", className="definitions"),
        ui.grid("overview-accuracy", rows, height=160),
    ])


def layout(**query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    title = html.H2("Overview")
    if plan is None:
        return html.Div([title, picker, demo_panel(bool(datasets_rows(store)))])
    links = html.Ul([html.Li([dcc.Link(label, href=href), f": {text}"]) for label, href, text in LINKS])
    limit = limit_text(plan)
    return html.Div([
        title,
        picker,
        ui.message(f"Plan {plan.plan_id} is {limit}.", kind="error", id="overview-limit") if limit else None,
        ui.warnings_message(build_warnings(plan), id="overview-warnings", what=f"Building plan {plan.plan_id}"),
        ui.kpi_cards(overview_kpis(plan)),
        html.Div(ui.graph("overview-forecast", drawn(forecast_figure, None, plan.table("forecast"),
                                                               title="Forecast of the week, all queues and channels")),
                 className="card"),
        html.Div([html.H3("Expected service by channel"), ui.grid("overview-service", service_by_channel(plan), height=260)],
                 className="card"),
        html.Div(accuracy_block(store, plan), className="card"),
        html.Div([html.H3("Next"), links], className="card"),
    ], id="overview-plan")


@callback(
    Output("overview-demo-result", "children"),
    Input("overview-demo-button", "n_clicks"),
    background=True,
    running=[(Output("overview-demo-button", "disabled"), True, False)],
    progress=[Output("overview-demo-progress", "value"), Output("overview-demo-status", "children")],
    prevent_initial_call=True,
)
@tracked("demo import and plan")
def run_demo(set_progress, _clicks):
    try:
        text = load_demo(context.store(), progress=progress_bar(set_progress))
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return Failed(ui.message(f"The demo stopped: {ui.shown(shown_error(exc))}", kind="error"))
    return ui.message([text, " ", dcc.Link("Reload the overview", href="/", refresh=True)], kind="ok")

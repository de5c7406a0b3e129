"""Forecast (/forecast): history, forecast and 10-90% range per queue and channel; the
backtest table with the chosen model marked; accuracy vs actuals next to the noise floor;
special days editable and the forecast re-run with progress."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from planner.forecast_runs import default_start, history_on_grid, start_gap_warning
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import Failed, progress_bar, tracked
from planner.ui.memo import drawn
from planner.ui.figures import empty_figure, forecast_figure
from planner.ui.jobs import forecast_dataset
from planner.ui.plan_picker import PLAN_ID, page_plan, shown_plan
from planner.ui.views import backtest_rows, datasets_rows, history_window, plan_accuracy, plan_history_dataset

dash.register_page(__name__, path="/forecast", name="Forecast", title="wfm-planner - Forecast")

HISTORY_WEEKS = 3  # history shown before the forecast


def series_options(forecast: pd.DataFrame) -> list[dict[str, str]]:
    keys = forecast[["queue", "channel"]].drop_duplicates().sort_values(["queue", "channel"])
    return [{"label": f"{q} / {c}", "value": f"{q}|{c}"} for q, c in keys.itertuples(index=False)]


def grid_minutes(forecast: pd.DataFrame, default: int | None = None) -> int | None:
    """The forecast's interval in minutes (the smallest step between its interval starts)."""
    starts = pd.Series(pd.to_datetime(forecast["interval_start"]).unique()).sort_values()
    steps = starts.diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    return int(steps.min().total_seconds() // 60) if len(steps) else default


def series_figure(forecast: pd.DataFrame, dataset: str | None, key: str, *, title: str):
    """History of the stored ``dataset`` (the weeks before the forecast), summed onto the
    forecast's interval grid, and the forecast of one ``queue|channel``: both in contacts per
    the same interval."""
    queue, channel = key.split("|", 1)
    fc = forecast[(forecast["queue"] == queue) & (forecast["channel"] == channel)]
    interval = grid_minutes(forecast)
    hist = None
    if dataset:
        starts = pd.to_datetime(fc["interval_start"])
        hist = history_window(context.store(), dataset, queue=queue, channel=channel,
                              start=starts.min() - pd.Timedelta(weeks=HISTORY_WEEKS), end=starts.max() + pd.Timedelta(minutes=1))
        if interval:
            hist = history_on_grid(hist, interval_minutes=interval)
    return drawn(forecast_figure, hist, fc, title=title, interval_minutes=interval)


def accuracy_rows(report: dict | None) -> list[dict]:
    if report is None:
        return []
    return [{"queue": r["queue"], "channel": r["channel"], "actual": r["actual"], "forecast": r["forecast"],
             "wape": r["wape"], "bias": r["bias"], "noise_floor": r["noise_floor"],
             "verdict": "within noise" if r["wape"] <= r["noise_floor"] * 1.1 else "above noise: worth a look",
             "intervals": r["intervals"]} for r in report["queue"].to_dict("records")]


def start_for(dataset: str | None, plan) -> str:
    """The default start of a forecast of ``dataset``: after its history (or the plan's week
    when it is the plan's own dataset)."""
    store = context.store()
    try:
        start = default_start(store, dataset, plan_start=plan.week_start if plan is not None else None,
                              plan_dataset=plan_history_dataset(store, plan) if plan is not None else None)
    except ValueError:
        start = None
    return f"{start:%Y-%m-%d}" if start is not None else ""


def gap_message(dataset: str | None, start: str | None):
    text = start_gap_warning(context.store(), dataset, start) if dataset else None
    return ui.message(text, id="fc-gap-warning") if text else None


def rerun_form(plan) -> html.Div:
    datasets = [r["dataset"] for r in datasets_rows(context.store()) if r["kind"] == "history"]
    default_dataset = plan_history_dataset(context.store(), plan) if plan is not None else None
    default_dataset = default_dataset or (datasets[0] if datasets else None)
    start = start_for(default_dataset, plan)
    return html.Div([
        html.H3("Re-run the forecast"),
        html.P("Trains only on the rows before the start date. Special days: date (YYYY-MM-DD), label and effect "
               "('closed' or a multiplier such as 0.6)."),
        html.Div([
            ui.field("dataset", dcc.Dropdown(id="fc-dataset", options=datasets, value=default_dataset, style={"width": "240px"})),
            ui.field("start", dcc.Input(id="fc-start", type="text", value=start, placeholder="2025-06-02")),
            ui.field("days", dcc.Input(id="fc-days", type="number", value=plan.days if plan else 7, min=1, max=56)),
            ui.field("interval (min)", dcc.Input(id="fc-interval", type="number", value=plan.interval_minutes if plan else 30)),
            ui.field("holidays (country)", dcc.Input(id="fc-country", type="text", value=(plan.config.get("country") if plan else "") or "")),
        ], className="row"),
        html.Div(gap_message(default_dataset, start), id="fc-start-warning", style={"marginTop": "8px"}),
        html.H4("Special days"),
        ui.grid("fc-special", [{"date": "", "label": "", "effect": ""} for _ in range(3)], editable=True, height=150,
                columns=["date", "label", "effect"]),
        html.Button("Run the forecast", id="fc-run", n_clicks=0, style={"marginTop": "8px"}),
        ui.progress_block("fc"),
        html.Div(id="fc-result"),
    ], className="card")


def layout(**query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    if plan is None or plan.table("forecast").empty:
        top = html.Div([ui.no_plan_message(), ui.graph("fc-figure", empty_figure("No forecast yet: run planner demo"))], className="card")
        return html.Div([html.H2("Forecast"), picker, top, rerun_form(plan)])
    forecast = plan.table("forecast")
    options = series_options(forecast)
    key = options[0]["value"]
    history = plan_history_dataset(store, plan)
    queue, channel = key.split("|", 1)
    report = plan_accuracy(store, plan)
    top = html.Div([
        html.H3(f"Forecast of plan {plan.plan_id} ({plan.name})"),
        ui.field("queue / channel", dcc.Dropdown(id="fc-series", options=options, value=key, clearable=False, style={"width": "260px"})),
        dcc.Loading(ui.graph("fc-figure", series_figure(forecast, history, key, title=f"{queue} / {channel}"))),
        html.H3("Backtest: models compared on rolling weekly origins"),
        html.P("Mean over the backtest windows; WAPE = sum|F - A| / sum A, bias = sum(F - A) / sum A, "
               "noise floor = the WAPE Poisson arrival noise alone gives. The chosen model is marked."),
        html.Div(ui.grid("fc-backtest", backtest_rows(plan, queue=queue, channel=channel), height=260,
                         columns=["model", "chosen", "wape", "bias", "mase", "noise_floor"]), id="fc-backtest-wrap"),
        html.H3("Accuracy vs actuals"),
        ui.grid("fc-accuracy", accuracy_rows(report), height=160,
                columns=["queue", "channel", "actual", "forecast", "wape", "bias", "noise_floor", "verdict", "intervals"])
        if report else html.P("No actuals overlap the plan's week yet: upload them on the Data page (kind 'actuals').",
                              id="fc-accuracy"),
    ], className="card")
    return html.Div([html.H2("Forecast"), picker, top, rerun_form(plan)])


@callback(
    Output("fc-figure", "figure"),
    Output("fc-backtest-wrap", "children"),
    Input("fc-series", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def show_series(key, plan_id=None):
    store = context.store()
    plan = shown_plan(store, plan_id)
    queue, channel = key.split("|", 1)
    figure = series_figure(plan.table("forecast"), plan_history_dataset(store, plan), key, title=f"{queue} / {channel}")
    return figure, ui.grid("fc-backtest", backtest_rows(plan, queue=queue, channel=channel), height=260,
                           columns=["model", "chosen", "wape", "bias", "mase", "noise_floor"])


@callback(Output("fc-start", "value"), Input("fc-dataset", "value"), State(PLAN_ID, "data"), prevent_initial_call=True)
def start_after_history(dataset, plan_id=None):
    """A new dataset starts the forecast after its own history by default."""
    return start_for(dataset, shown_plan(context.store(), plan_id))


@callback(Output("fc-start-warning", "children"), Input("fc-start", "value"), Input("fc-dataset", "value"),
          prevent_initial_call=True)
def warn_on_gap(start, dataset):
    return gap_message(dataset, start)


@callback(
    Output("fc-result", "children"),
    Input("fc-run", "n_clicks"),
    State("fc-dataset", "value"),
    State("fc-start", "value"),
    State("fc-days", "value"),
    State("fc-interval", "value"),
    State("fc-country", "value"),
    State("fc-special", "rowData"),
    background=True,
    running=[(Output("fc-run", "disabled"), True, False)],
    progress=[Output("fc-progress", "value"), Output("fc-status", "children")],
    prevent_initial_call=True,
)
@tracked("forecast")
def run_forecast(set_progress, _clicks, dataset, start, days, interval, country, special):
    if not dataset:
        return Failed(ui.message("dataset: choose a stored history dataset", kind="error"))
    store = context.store()
    try:
        snapshot = forecast_dataset(store, dataset=dataset, start=start, days=days, interval_minutes=interval,
                                    country=country, special_days=special or [],
                                    progress=progress_bar(set_progress))
    except (ValueError, OSError) as exc:
        return Failed(ui.message(ui.shown(exc), kind="error"))
    forecast = store.forecast(snapshot)
    key = series_options(forecast)[0]["value"]
    info = store.forecast_info(snapshot)
    selection = pd.DataFrame(info["params"].get("selection", []))
    columns = [c for c in ("queue", "channel", "model", "wape", "bias", "noise_floor") if c in selection]
    said = info["params"].get("warnings") or []
    warned = ui.message([html.B(f"The forecast warns ({len(said)}):"), html.Ul([html.Li(text) for text in said])],
                        id="fc-warnings") if said else None
    return html.Div([
        ui.message([f"Forecast snapshot {snapshot} stored: {len(forecast):,} rows, {forecast['forecast'].sum():,.0f} contacts. ",
                    "Use it: ", dcc.Link("requirements on Staffing", href=f"/staffing?forecast={snapshot}",
                                         id="fc-use-staffing", refresh=True),
                    ", ", dcc.Link("a schedule on Schedule", href=f"/schedule?forecast={snapshot}",
                                   id="fc-use-schedule", refresh=True), "."],
                   kind="ok", id="fc-done"),
        warned,
        ui.graph("fc-new-figure", series_figure(forecast, dataset, key, title=f"snapshot {snapshot}: {key.replace('|', ' / ')}")),
        ui.grid("fc-selection", ui.records(selection[columns]) if columns else [], height=180),
    ])

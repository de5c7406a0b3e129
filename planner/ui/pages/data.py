"""Data (/data): upload a history or actuals file, read the validation report, then store it;
list and delete datasets. Files are only parsed (planner.io.validate_history), never executed."""

from __future__ import annotations

import re

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from planner.datasets import import_bytes
from planner.io import UnreadableFileError, iter_problem_rows, validate_history
from planner.ui import components as ui
from planner.ui import context
from planner.ui.uploads import UPLOAD_LIMIT_BYTES, decode_upload
from planner.ui.views import datasets_rows

dash.register_page(__name__, path="/data", name="Data", title="wfm-planner - Data")

PROBLEM_COLUMNS = ["severity", "kind", "row", "column", "value", "message"]


def default_dataset_name(filename: str) -> str:
    """``us_bank_2003_5min.csv.gz`` -> ``us_bank_2003_5min``."""
    stem = re.sub(r"(\.(csv|parquet|pq|txt|gz))+$", "", filename, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "dataset"


def report_view(report) -> html.Div:
    """Validation report: verdict, summary, then every problem with row, column and value."""
    verdict = ("INVALID: fix the errors below; nothing was stored" if report.errors
               else "OK" + (" with warnings" if report.warnings else "") + ": ready to store")
    summary = [html.Li(f"{key.replace('_', ' ')}: {value}") for key, value in report.summary.items()]
    rows = [{k: ("" if v is None else str(v)) for k, v in row.items()} for row in iter_problem_rows(report)]
    return html.Div([
        ui.message(f"{report.file}: {len(report.errors)} errors, {len(report.warnings)} warnings. {verdict}",
                   kind="error" if report.errors else "ok", id="data-verdict"),
        html.Ul(summary, id="data-summary"),
        html.H4(f"Problems ({len(rows)})"),
        ui.grid("data-problems", rows, columns=PROBLEM_COLUMNS, height=260),
    ])


def layout(**_query) -> html.Div:
    return html.Div([
        html.H2("Data"),
        html.Div([
            html.H3("Upload a history or actuals file"),
            html.P(f"CSV (comma, semicolon or tab; may be gzip) or Parquet, up to {UPLOAD_LIMIT_BYTES // 2**20} MB. "
                   "Columns: interval_start, offered; optional queue, channel, handled, abandoned, aht_s, "
                   "handle_time_s, answered_within_sl, asa_s. The report is shown before anything is stored."),
            dcc.Upload(html.Div(["Drop a file here or ", html.B("choose a file")]), id="data-upload",
                       max_size=UPLOAD_LIMIT_BYTES, multiple=False, className="upload"),
            html.Div([
                ui.field("dataset name", dcc.Input(id="data-name", type="text", debounce=False)),
                ui.field("kind", dcc.Dropdown(id="data-kind", options=["history", "actuals"], value="history", clearable=False)),
                html.Button("Store the dataset", id="data-store", n_clicks=0, disabled=True),
            ], className="row", style={"marginTop": "10px"}),
            html.Div(id="data-store-result"),
            dcc.Loading(html.Div(id="data-report")),
        ], className="card"),
        html.Div([
            html.H3("Stored datasets"),
            html.Div(ui.grid("datasets", datasets_rows(context.store()), selectable=True, height=260,
                             columns=["dataset", "kind", "source", "rows", "interval", "from", "to", "channels", "offered", "imported"]),
                     id="data-datasets"),
            html.Button("Delete selected", id="data-delete", n_clicks=0, className="secondary", style={"marginTop": "8px"}),
            html.Div(id="data-delete-result"),
        ], className="card"),
    ])


@callback(
    Output("data-report", "children"),
    Output("data-store", "disabled"),
    Output("data-name", "value"),
    Input("data-upload", "contents"),
    State("data-upload", "filename"),
    prevent_initial_call=True,
)
def validate_upload(contents, filename):
    if not contents:
        return no_update, True, no_update
    try:
        data = decode_upload(contents, filename)
        _frame, report = validate_history(data, name=filename)
    except (ValueError, UnreadableFileError) as exc:
        return ui.message(str(exc), kind="error", id="data-verdict"), True, no_update
    return report_view(report), not report.ok, default_dataset_name(filename)


@callback(
    Output("data-store-result", "children"),
    Output("datasets", "rowData", allow_duplicate=True),
    Input("data-store", "n_clicks"),
    State("data-upload", "contents"),
    State("data-upload", "filename"),
    State("data-name", "value"),
    State("data-kind", "value"),
    prevent_initial_call=True,
)
def store_upload(_clicks, contents, filename, name, kind):
    if not contents:
        return ui.message("Upload a file first.", kind="error"), no_update
    try:
        data = decode_upload(contents, filename)
        result = import_bytes(data, source_name=filename, dataset=(name or "").strip(), kind=kind, store=context.store())
    except ValueError as exc:
        return ui.message(str(exc), kind="error"), no_update
    if result.dataset_id is None:
        return ui.message(f"{filename} has errors; nothing was stored.", kind="error"), no_update
    rows = result.report.summary.get("rows_accepted", 0)
    return (ui.message(f"Stored {filename} as dataset {result.dataset!r} ({kind}, {rows:,} rows).", kind="ok", id="data-stored"),
            datasets_rows(context.store()))


@callback(
    Output("data-delete-result", "children"),
    Output("datasets", "rowData", allow_duplicate=True),
    Input("data-delete", "n_clicks"),
    State("datasets", "selectedRows"),
    prevent_initial_call=True,
)
def delete_selected(_clicks, selected):
    if not selected:
        return ui.message("Select datasets in the table first."), no_update
    store = context.store()
    names = [row["dataset"] for row in selected]
    for name in names:
        store.delete_dataset(name)
    return ui.message(f"Deleted {', '.join(names)}.", kind="ok"), datasets_rows(store)

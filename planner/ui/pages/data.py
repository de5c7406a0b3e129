"""Data (/data): upload a history or actuals file, read the validation report, then store it;
list and delete datasets. Files are only parsed (planner.io.validate_history), never executed.

When the file has neither the History columns nor a known vendor profile's, the page shows
the file's columns with a mapping form (History field -> the file's column, or a vendor
profile, and the day/month order); "Preview" validates the file through that mapping and
draws the series before anything is stored, and "Store" then stores it with that mapping."""

from __future__ import annotations

import re

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from planner.datasets import import_bytes
from planner.io import UnreadableFileError, iter_problem_rows, table_headers, validate_history
from planner.profiles import PROFILES
from planner.ui import components as ui
from planner.ui import context
from planner.ui.memo import drawn
from planner.ui.figures import empty_figure, history_preview_figure
from planner.ui.uploads import UPLOAD_LIMIT_BYTES, decode_upload
from planner.ui.views import datasets_rows

dash.register_page(__name__, path="/data", name="Data", title="wfm-planner - Data")

PROBLEM_COLUMNS = ["severity", "kind", "row", "column", "value", "message"]
MAPPED_FIELDS = ("interval_start", "queue", "channel", "offered", "handled", "abandoned", "aht_s")
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def needs_mapping(report) -> bool:
    """Whether the upload matched neither the History columns nor a vendor profile."""
    return "profile" not in report.summary and any(p.kind == "missing_column" for p in report.errors)


def mapping_options(fields: dict, profile: str | None, date_order: str | None) -> dict:
    """The mapping form's values as :func:`planner.io.validate_history` options (empty kept out)."""
    mapping = {f: c for f, c in (fields or {}).items() if c}
    return {"mapping": mapping or None, "profile": profile or None, "date_order": date_order or None}


def mapping_panel() -> html.Div:
    """The form shown when detection fails: the file's columns, a column per History field,
    or a vendor profile; the day/month order; a preview chart."""
    return html.Div([
        html.H4("Map the file's columns"),
        html.P("No vendor profile matches this file's header. Say which column holds each field "
               "(interval_start and offered are needed), or choose the vendor's profile, then preview."),
        html.Div(id="data-columns"),
        html.Div([ui.field(name, dcc.Dropdown(id=f"data-map-{name}", options=[], placeholder="(none)"))
                  for name in MAPPED_FIELDS], className="row", style={"flexWrap": "wrap"}),
        html.Div([
            ui.field("or a vendor profile", dcc.Dropdown(id="data-profile", options=sorted(PROFILES),
                                                         placeholder="(none)")),
            ui.field("dates like 03/04/2025", dcc.Dropdown(id="data-date-order", placeholder="(decide from the file)",
                                                           options=[{"label": "day/month", "value": "dayfirst"},
                                                                    {"label": "month/day", "value": "monthfirst"}])),
            html.Button("Preview", id="data-preview", n_clicks=0),
        ], className="row", style={"marginTop": "8px"}),
        dcc.Graph(id="data-preview-chart", figure=drawn(empty_figure, message="map the columns, then preview"),
                  config=ui.GRAPH_CONFIG),
    ], id="data-mapping", className="card", style=HIDDEN)


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
            dcc.Store(id="data-mapping-store"),
        ], className="card"),
        mapping_panel(),
        html.Div([
            html.H3("Stored datasets"),
            html.Div(ui.grid("datasets", datasets_rows(context.store()), selectable=True, height=260,
                             columns=["dataset", "kind", "source", "rows", "interval_minutes", "from", "to", "channels", "offered", "imported"]),
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
        return ui.message(ui.shown(exc), kind="error", id="data-verdict"), True, no_update
    return report_view(report), not report.ok, default_dataset_name(filename)


@callback(
    Output("data-mapping", "style"),
    Output("data-columns", "children"),
    *[Output(f"data-map-{name}", "options") for name in MAPPED_FIELDS],
    *[Output(f"data-map-{name}", "value") for name in MAPPED_FIELDS],
    Output("data-mapping-store", "data"),
    Output("data-preview-chart", "figure"),
    Input("data-upload", "contents"),
    State("data-upload", "filename"),
    prevent_initial_call=True,
)
def show_mapping(contents, filename):
    """Show the mapping form (with the file's columns) when the upload needs one; else hide it."""
    blank = [[]] * len(MAPPED_FIELDS) + [None] * len(MAPPED_FIELDS)
    hidden = (HIDDEN, "", *blank, None, empty_figure("map the columns, then preview"))
    if not contents:
        return hidden
    try:
        data = decode_upload(contents, filename)
        _frame, report = validate_history(data, name=filename)
        if not needs_mapping(report):
            return hidden
        headers = table_headers(data, name=filename)
    except (ValueError, UnreadableFileError):
        return hidden
    columns = html.P(["The file's columns: ", html.B(", ".join(headers))], id="data-file-columns")
    lowered = {h.lower(): h for h in headers}
    preset = [lowered.get(name) for name in MAPPED_FIELDS]  # fields the file already names
    return (SHOWN, columns, *[headers] * len(MAPPED_FIELDS), *preset, None,
            empty_figure("map the columns, then preview"))


@callback(
    Output("data-report", "children", allow_duplicate=True),
    Output("data-store", "disabled", allow_duplicate=True),
    Output("data-preview-chart", "figure", allow_duplicate=True),
    Output("data-mapping-store", "data", allow_duplicate=True),
    Input("data-preview", "n_clicks"),
    State("data-upload", "contents"),
    State("data-upload", "filename"),
    *[State(f"data-map-{name}", "value") for name in MAPPED_FIELDS],
    State("data-profile", "value"),
    State("data-date-order", "value"),
    prevent_initial_call=True,
)
def preview_mapping(_clicks, contents, filename, *values):
    """Validate the upload through the form's mapping and draw its series; nothing is stored."""
    if not contents:
        return ui.message("Upload a file first.", kind="error", id="data-verdict"), True, no_update, None
    *fields, profile, date_order = values
    options = mapping_options(dict(zip(MAPPED_FIELDS, fields)), profile, date_order)
    try:
        data = decode_upload(contents, filename)
        frame, report = validate_history(data, name=filename, **options)
    except (ValueError, UnreadableFileError) as exc:
        return ui.message(ui.shown(exc), kind="error", id="data-verdict"), True, empty_figure(ui.shown(exc)), None
    figure = history_preview_figure(frame, title=f"Preview of {filename}: offered per interval")
    return report_view(report), not report.ok, figure, (options if report.ok else None)


@callback(
    Output("data-store-result", "children"),
    Output("datasets", "rowData", allow_duplicate=True),
    Input("data-store", "n_clicks"),
    State("data-upload", "contents"),
    State("data-upload", "filename"),
    State("data-name", "value"),
    State("data-kind", "value"),
    State("data-mapping-store", "data"),
    prevent_initial_call=True,
)
def store_upload(_clicks, contents, filename, name, kind, mapping=None):
    """Store the upload (through the previewed mapping, when there is one)."""
    if not contents:
        return ui.message("Upload a file first.", kind="error"), no_update
    try:
        data = decode_upload(contents, filename)
        result = import_bytes(data, source_name=filename, dataset=(name or "").strip(), kind=kind, store=context.store(),
                              **(mapping or {}))
    except ValueError as exc:
        return ui.message(ui.shown(exc), kind="error"), no_update
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

"""Small layout pieces shared by the pages: KPI cards, messages, grids, progress bars.

>>> kpi_cards([{"label": "FTE", "value": "12.5", "note": "paid hours / 40 h"}]).className
'kpis'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from planner.failures import user_text
from planner.ui.columns import column_def
from planner.ui.views import DEMO_HINT

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def kpi_cards(items: Sequence[dict[str, str]], *, id_prefix: str = "kpi") -> html.Div:
    """A row of cards: each ``{"label", "value", "note"}``."""
    return html.Div(
        [
            html.Div(
                [html.Div(item["label"], className="label"), html.Div(item["value"], className="value",
                                                                    id=f"{id_prefix}-{item['label'].lower().replace(' ', '-')}"),
                 html.Div(item.get("note", ""), className="note")],
                className="kpi",
            )
            for item in items
        ],
        className="kpis",
    )


def message(text: Any, *, kind: str = "", id: str | None = None) -> html.Div:
    """A highlighted message; ``kind`` is ``""`` (notice), ``"error"`` or ``"ok"``."""
    props = {"id": id} if id else {}
    return html.Div(text, className=f"message {kind}".strip(), **props)


def shown(exc: BaseException) -> str:
    """``exc`` in words for an error message: the user's mistake or "no usable plan" in its own
    words; a bug is logged with its traceback and named as one (:func:`planner.failures.user_text`)."""
    return user_text(exc, where="the app")


def warnings_message(said: Sequence[str], *, id: str, what: str = "The build") -> html.Div | None:
    """A list of warnings under a heading that counts them ("The build warned (2):"); None when there are none."""
    if not said:
        return None
    return message([html.B(f"{what} warned ({len(said)}):"), html.Ul([html.Li(text) for text in said])], id=id)


def no_plan_message(id: str = "no-plan") -> html.Div:
    return message([html.B("No plan in the store yet. "), DEMO_HINT, " ", dcc.Link("Go to the Overview", href="/")], id=id)


MAX_GRID_ROWS = 5000


def grid(id: str, rows: list[dict[str, Any]] | pd.DataFrame, *, height: int = 360, pinned: Sequence[str] = (),
         editable: bool = False, selectable: bool = False, columns: Sequence[str] | None = None) -> dag.AgGrid:
    """An AG Grid over ``rows`` (records or a frame), sortable and filterable; the first
    :data:`MAX_GRID_ROWS` rows only (downloads carry the rest).

    Columns are the rows' machine names (``cost_per_contact``); each is labelled and formatted
    by the one vocabulary, :func:`planner.ui.columns.column_def` ("Cost per contact", money
    with 2 decimals), and sorts by its value."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    records = records[:MAX_GRID_ROWS]  # the server sends at most this many rows to a browser
    names = list(columns) if columns is not None else (list(records[0]) if records else [])
    column_defs = [{**column_def(name, editable=editable), "editable": editable, **({"pinned": "left"} if name in pinned else {})}
                   for name in names]
    # every column rendered (the grids have a few dozen at most): auto-size then fits the columns
    # scrolled out of view too, and what is on the page is the whole table
    options: dict[str, Any] = {"animateRows": False, "suppressColumnVirtualisation": True}
    if selectable:
        options["rowSelection"] = {"mode": "multiRow"}
    return dag.AgGrid(
        id=id,
        rowData=records,
        columnDefs=column_defs,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90},
        columnSize="autoSize" if len(records) <= 40 else None,  # measuring every cell of a big grid is slow
        dashGridOptions=options,
        style={"height": f"{height}px", "width": "100%"},
        className="ag-theme-alpine",
    )


def graph(id: str, figure) -> dcc.Graph:
    return dcc.Graph(id=id, figure=figure, config=GRAPH_CONFIG)


def progress_block(prefix: str) -> html.Div:
    """A progress bar and a status line, driven by a background callback's ``progress=``."""
    return html.Div(
        [html.Progress(id=f"{prefix}-progress", value="0", max="100"), html.Span(id=f"{prefix}-status", style={"marginLeft": "10px"})],
        style={"margin": "8px 0"},
    )


def field(label: str, control) -> html.Label:
    return html.Label([label, control], className="field")


def records(frame: pd.DataFrame, *, digits: int = 4) -> list[dict[str, Any]]:
    """Frame rows for a grid: floats rounded for display, times as text, NaN as blank."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
    out = out.astype(object).where(pd.notna(out), None)
    return out.to_dict("records")

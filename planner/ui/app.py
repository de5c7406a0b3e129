"""The Dash app factory. ``app.py`` at the repository root is the shell that serves it.

Pages call :mod:`planner` functions only; no maths, LP models or file parsing in callbacks.
"""

from __future__ import annotations

import json

import dash
from dash import dash_table, dcc, html

from planner.store import Store, default_url

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def datasets_table(store: Store) -> list[dict]:
    """The stored datasets as table rows: name, kind, rows, interval, date range, channels."""
    listing = store.list_datasets()
    rows = []
    for record in listing.to_dict("records"):
        summary = json.loads(record["summary_json"])
        rows.append(
            {
                "dataset": record["name"],
                "kind": record["kind"],
                "source": record["source_name"],
                "rows": f"{record['row_count']:,}",
                "interval": f"{record['interval_minutes']} min",
                "from": summary.get("first_interval", ""),
                "to": summary.get("last_interval", ""),
                "channels": summary.get("channels", ""),
                "offered": f"{summary.get('offered_total', 0):,}",
                "imported": record["created_at"],
            }
        )
    return rows


def create_app(store_url: str | None = None) -> dash.Dash:
    """Build the app over the store at ``store_url`` (default: ``PLANNER_DB_URL`` or var/planner.db)."""
    url = store_url or default_url()
    app = dash.Dash(__name__, title="wfm-planner")

    def layout() -> html.Div:
        rows = datasets_table(Store.open(url))
        body = (
            dash_table.DataTable(
                id="datasets",
                data=rows,
                columns=[{"name": c, "id": c} for c in rows[0]],
                style_cell={"fontFamily": "sans-serif", "padding": "4px 8px"},
                sort_action="native",
            )
            if rows
            else html.P(id="no-datasets", children="The store is empty. Run 'planner demo' to load the sample data.")
        )
        return html.Div(
            [
                html.H1("wfm-planner"),
                html.P(f"Stored datasets ({len(rows)}) in {url}"),
                body,
                dcc.Markdown("Import more with `planner import FILE --dataset NAME`."),
            ],
            style={"maxWidth": "1200px", "margin": "24px auto", "fontFamily": "sans-serif"},
        )

    app.layout = layout  # a function: re-read the store on every page load
    return app

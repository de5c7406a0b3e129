"""Audit (/audit, admins): who changed what and when - imports, forecasts, plan builds,
publications, scenarios, account changes, deletes, sign-ins - plus the accounts and the
publication history."""

from __future__ import annotations

import dash
from dash import html

from planner.ui import components as ui
from planner.ui import context

dash.register_page(__name__, path="/audit", name="Audit", title="wfm-planner - Audit")

AUDIT_ROWS = 1000


def layout(**_query) -> html.Div:
    store = context.store()
    log = store.audit_log(limit=AUDIT_ROWS)
    return html.Div([
        html.H2("Audit"),
        html.Div([
            html.H3(f"Audit trail (newest {AUDIT_ROWS:,}; times UTC)"),
            html.P("Also from the command line: planner audit [--user NAME] [--action ACTION] [--csv]."),
            ui.grid("audit-grid", ui.records(log), columns=["at", "actor", "action", "target", "detail"], height=480),
        ], className="card"),
        html.Div([html.H3("Publications"), ui.grid("audit-publications", ui.records(store.publications()), height=200,
                                                   columns=["version", "plan_id", "published_by", "published_at"])],
                 className="card"),
        html.Div([html.H3("Accounts"), ui.grid("audit-users", ui.records(store.list_users()), height=200,
                                               columns=["name", "role", "created_at", "updated_at"]),
                  html.P("Add, remove and change accounts with planner users add|remove|passwd.")], className="card"),
    ])

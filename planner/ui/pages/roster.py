"""Roster (/roster): the published roster as team leads see it - which plan and version, who
published it and when, the agent x day grid, and the CSV/XLSX downloads."""

from __future__ import annotations

import dash
from dash import html

from planner.ui import components as ui
from planner.ui import context
from planner.ui.plan_picker import page_plan
from planner.ui.memo import drawn
from planner.ui.views import publication_text, roster_grid_rows, solver_text

dash.register_page(__name__, path="/roster", name="Roster", title="wfm-planner - Roster")


def layout(**query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    if plan is None:
        return html.Div([html.H2("Published roster"), picker, html.Div(ui.message(
            "Nothing is published yet: a manager publishes a plan on the Schedule page.", id="roster-none"), className="card")])
    roster = plan.table("roster")
    rows = drawn(roster_grid_rows, roster, week_start=plan.week_start, days=plan.days)
    return html.Div([
        html.H2("Published roster"),
        picker,
        html.Div([
            html.H3(f"Plan {plan.plan_id}: {plan.name}", id="roster-plan"),
            html.P(publication_text(store, plan.plan_id), id="roster-publication"),
            html.P(f"{roster['agent_id'].nunique() if len(roster) else 0} agents, {len(roster)} shifts; {solver_text(plan)}."),
            html.Div([
                html.A("Download roster CSV", href=f"/download/roster.csv?plan={plan.plan_id}", id="roster-dl-csv",
                       className="button"),
                html.A("Download XLSX", href=f"/download/roster.xlsx?plan={plan.plan_id}", id="roster-dl-xlsx",
                       className="button"),
            ], className="row"),
        ], className="card"),
        html.Div(ui.grid("roster-grid", rows, pinned=("agent_id",), height=520), className="card"),
    ])

"""Roster (/roster): the published roster as team leads see it - which plan and version, who
published it and when, the agent x day grid, and the CSV/XLSX downloads."""

from __future__ import annotations

import dash
from dash import html

from planner.ui import components as ui
from planner.ui import context
from planner.ui.views import operating_plan, publication_text, roster_week_grid, solver_text

dash.register_page(__name__, path="/roster", name="Roster", title="wfm-planner - Roster")


def layout(**_query) -> html.Div:
    store = context.store()
    plan = operating_plan(store)
    if plan is None:
        return html.Div([html.H2("Published roster"), html.Div(ui.message(
            "Nothing is published yet: a manager publishes a plan on the Schedule page.", id="roster-none"), className="card")])
    roster = plan.table("roster")
    grid = roster_week_grid(roster, week_start=plan.week_start, days=plan.days) if len(roster) else roster
    return html.Div([
        html.H2("Published roster"),
        html.Div([
            html.H3(f"Plan {plan.plan_id}: {plan.name}", id="roster-plan"),
            html.P(publication_text(store, plan.plan_id), id="roster-publication"),
            html.P(f"{roster['agent_id'].nunique() if len(roster) else 0} agents, {len(roster)} shifts; {solver_text(plan)}."),
            html.Div([
                html.A("Download roster CSV", href="/download/roster.csv", id="roster-dl-csv", className="button"),
                html.A("Download XLSX", href="/download/roster.xlsx", id="roster-dl-xlsx", className="button"),
            ], className="row"),
        ], className="card"),
        html.Div(ui.grid("roster-grid", ui.records(grid), pinned=("agent_id",), height=520), className="card"),
    ])

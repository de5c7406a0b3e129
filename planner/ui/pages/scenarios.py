"""Scenarios (/scenarios): compare the plan's scenarios side by side (table and bars); create a
scenario (or copy one and edit it) and run it with progress; the service-level vs cost
frontier and what a weekly budget buys."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from planner.rostering import RuleViolationError
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import tracked
from planner.ui.figures import capacity_figure, empty_figure, frontier_figure, scenario_bars
from planner.ui.jobs import budget_buys, capacity_sample, run_frontier, run_scenario, scenario_overrides
from planner.ui.views import latest_plan, scenario_rows

dash.register_page(__name__, path="/scenarios", name="Scenarios", title="wfm-planner - Scenarios")

TABLE_COLUMNS = ["name", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "p_meets_target",
                 "occupancy", "abandon_rate", "understaffed_intervals", "cost_vs_base", "fte_vs_base"]
GOALS = ("interval", "daily", "weekly")
FRONTIER_LEVELS = (0.7, 0.8, 0.9)


def comparison(stored: pd.DataFrame, added: list[dict] | None) -> pd.DataFrame:
    """Stored scenarios plus the ones created in this session; differences to ``base`` recomputed."""
    table = pd.concat([stored, pd.DataFrame(added or [])], ignore_index=True) if added else stored.copy()
    table = table.drop(columns=[c for c in ("overrides",) if c in table]).drop_duplicates("name", keep="last")
    if "base" in set(table["name"]):
        base = table[table["name"] == "base"].iloc[0]
        table["cost_vs_base"] = table["cost"] - base["cost"]
        table["fte_vs_base"] = table["fte"] - base["fte"]
    return table.reset_index(drop=True)


def comparison_view(table: pd.DataFrame) -> html.Div:
    columns = [c for c in TABLE_COLUMNS if c in table]
    return html.Div([
        ui.grid("scenarios-table", ui.records(table[columns], digits=3), pinned=("name",), height=240),
        ui.graph("scenarios-bars", scenario_bars(table)),
    ])


def contracts(plan) -> list[str]:
    return [c.get("name") for c in plan.config.get("rules", {}).get("contract", []) if c.get("name")]


def layout(**_query) -> html.Div:
    store = context.store()
    plan = latest_plan(store)
    if plan is None:
        return html.Div([html.H2("Scenarios"), html.Div([ui.no_plan_message(), ui.graph("scenarios-bars", empty_figure("No scenarios yet: run planner demo"))],
                                                       className="card")])
    stored = scenario_rows(store, plan)
    names = stored["name"].tolist() if len(stored) else []
    contract_fields = [ui.field(f"hourly cost {name}", dcc.Input(id={"type": "sc-cost", "contract": name}, type="number", step="any"))
                       for name in contracts(plan)]
    return html.Div([
        html.H2("Scenarios"),
        html.Div([
            html.H3(f"Compare: plan {plan.plan_id} ({plan.name})"),
            html.P("Cost = paid hours x contract hourly cost (agent pay only); FTE = paid hours / hours per FTE; service "
                   "level = expected share of offered answered within T, volume-weighted; cost per contact = cost / "
                   "forecast contacts."),
            html.Div(comparison_view(comparison(stored, None)), id="scenarios-compare"),
        ], className="card"),
        html.Div([
            html.H3("Create a scenario"),
            html.Div([
                ui.field("copy from", dcc.Dropdown(id="sc-copy", options=names, placeholder="(new)", style={"width": "200px"})),
                ui.field("name", dcc.Input(id="sc-name", type="text", value="volume +10%")),
                ui.field("volume factor", dcc.Input(id="sc-volume", type="number", value=1.1, step="any")),
                ui.field("handle-time factor", dcc.Input(id="sc-aht", type="number", value=1.0, step="any")),
                ui.field("target SL (immediate channels)", dcc.Input(id="sc-target", type="number", step="any")),
                ui.field("service goal (immediate channels)", dcc.Dropdown(id="sc-goal", options=list(GOALS),
                                                                           placeholder="(unchanged)",
                                                                           style={"width": "160px"})),
                *contract_fields,
            ], className="row"),
            html.Button("Run the scenario", id="sc-run", n_clicks=0, style={"marginTop": "8px"}),
            ui.progress_block("sc"),
            html.Div(id="sc-result"),
            dcc.Store(id="sc-added", storage_type="session"),
        ], className="card"),
        html.Div([
            html.H3("Service level vs cost"),
            html.P(f"Plans the week for each target ({', '.join(f'{x:.0%}' for x in FRONTIER_LEVELS)}) on every immediate "
                   "channel and reports the cheapest plan reaching at least each target."),
            html.Button("Compute the frontier", id="sc-frontier", n_clicks=0),
            ui.progress_block("sc-frontier"),
            html.Div(id="sc-frontier-result"),
            html.Div([
                ui.field("weekly budget", dcc.Input(id="sc-budget", type="number", step="any",
                                                    value=round(float(plan.summary.get("cost") or 0)) or None)),
                html.Button("What does it buy?", id="sc-budget-run", n_clicks=0),
            ], className="row", style={"marginTop": "12px"}),
            dcc.Loading(html.Div(id="sc-budget-result")),
        ], className="card"),
        html.Div([
            html.H3("Capacity plan by week: hiring and attrition"),
            html.P("From data/sample/capacity.toml: 26 weeks of forecast turned into required FTE per week (from interval "
                   "requirements, not a daily average), available FTE after attrition, training and ramp-up, the "
                   "cheapest hiring classes that close the gap, and the cost per month."),
            html.Button("Plan capacity", id="sc-capacity", n_clicks=0),
            ui.progress_block("sc-capacity"),
            html.Div(id="sc-capacity-result"),
        ], className="card"),
    ])


@callback(
    Output("sc-name", "value"),
    Output("sc-volume", "value"),
    Output("sc-aht", "value"),
    Output("sc-target", "value"),
    Input("sc-copy", "value"),
    prevent_initial_call=True,
)
def copy_scenario(name):
    if not name:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    store = context.store()
    plan = latest_plan(store)
    overrides = store.scenarios(plan.plan_id).set_index("name")["overrides"].get(name) or {}
    targets = [v for k, v in overrides.items() if k.endswith(".target_sl")]
    return (f"{name} (copy)", overrides.get("volume_factor", 1.0), overrides.get("aht_factor", 1.0),
            targets[0] if targets else None)


@callback(
    Output("sc-result", "children"),
    Output("sc-added", "data"),
    Output("scenarios-compare", "children"),
    Input("sc-run", "n_clicks"),
    State("sc-name", "value"),
    State("sc-volume", "value"),
    State("sc-aht", "value"),
    State("sc-target", "value"),
    State("sc-goal", "value"),
    State({"type": "sc-cost", "contract": dash.ALL}, "value"),
    State({"type": "sc-cost", "contract": dash.ALL}, "id"),
    State("sc-added", "data"),
    background=True,
    running=[(Output("sc-run", "disabled"), True, False)],
    progress=[Output("sc-progress", "value"), Output("sc-status", "children")],
    prevent_initial_call=True,
)
@tracked("scenario")
def run(set_progress, _clicks, name, volume, aht, target, goal, costs, cost_ids, added):
    store = context.store()
    plan = latest_plan(store)
    immediate = [c for c in plan.channels if c in ("voice", "chat", "messaging")]
    try:
        overrides = scenario_overrides(volume_factor=volume, aht_factor=aht, target_sl=target, channels=immediate,
                                       hourly_cost={i["contract"]: v for i, v in zip(cost_ids, costs)},
                                       service_goal=goal)
        row = run_scenario(store, plan, name=name or "", overrides=overrides,
                           progress=lambda share, text: set_progress((str(round(100 * share)), text)))
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return ui.message(f"The scenario could not be planned: {exc}", kind="error"), dash.no_update, dash.no_update
    store.add_scenario(plan.plan_id, row["name"], overrides=row["overrides"], result=row)  # kept, and audited
    added = [r for r in (added or []) if r.get("name") != row["name"]] + [row]
    table = comparison(scenario_rows(store, plan), added)
    return (ui.message(f"Scenario {row['name']!r}: cost {row['cost']:,.0f}, FTE {row['fte']:.1f}, service level "
                       f"{row['service_level']:.1%}.", kind="ok", id="sc-done"), added, comparison_view(table))


@callback(
    Output("sc-frontier-result", "children"),
    Input("sc-frontier", "n_clicks"),
    background=True,
    running=[(Output("sc-frontier", "disabled"), True, False)],
    progress=[Output("sc-frontier-progress", "value"), Output("sc-frontier-status", "children")],
    prevent_initial_call=True,
)
@tracked("frontier")
def frontier(set_progress, _clicks):
    store = context.store()
    plan = latest_plan(store)
    try:
        table = run_frontier(store, plan, levels=FRONTIER_LEVELS,
                             progress=lambda share, text: set_progress((str(round(100 * share)), text)))
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return ui.message(f"The frontier could not be computed: {exc}", kind="error")
    return html.Div([ui.graph("sc-frontier-figure", frontier_figure(table)), ui.grid("sc-frontier-table", ui.records(table), height=200)])


@callback(
    Output("sc-budget-result", "children"),
    Input("sc-budget-run", "n_clicks"),
    State("sc-budget", "value"),
    background=True,
    running=[(Output("sc-budget-run", "disabled"), True, False)],
    prevent_initial_call=True,
)
@tracked("budget question", has_progress=False)
def budget(_clicks, value):
    store = context.store()
    plan = latest_plan(store)
    try:
        result = budget_buys(store, plan, budget=value if value is not None else 0)
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return ui.message(f"The budget question could not be answered: {exc}", kind="error")
    parts = [f"{k.replace('_', ' ')}: {v:,.3g}" if isinstance(v, (int, float)) else f"{k.replace('_', ' ')}: {v}"
             for k, v in result.items() if not isinstance(v, (pd.DataFrame, dict, list))]
    return ui.message("; ".join(parts), kind="ok", id="sc-budget-answer")


def capacity_view(result) -> html.Div:
    """Charts per channel, the hiring classes and the cost per month of a capacity plan."""
    channels = sorted(result.weekly["channel"].unique())
    return html.Div([
        *[ui.graph(f"sc-capacity-{channel}", capacity_figure(result.weekly, channel=channel)) for channel in channels],
        html.H4("Hiring classes"),
        ui.grid("sc-capacity-hiring", ui.records(result.hiring), height=200),
        html.H4("Cost per month"),
        ui.grid("sc-capacity-monthly", ui.records(result.monthly, digits=0), height=240),
    ], id="sc-capacity-done")


@callback(
    Output("sc-capacity-result", "children"),
    Input("sc-capacity", "n_clicks"),
    background=True,
    running=[(Output("sc-capacity", "disabled"), True, False)],
    progress=[Output("sc-capacity-progress", "value"), Output("sc-capacity-status", "children")],
    prevent_initial_call=True,
)
@tracked("capacity plan")
def capacity(set_progress, _clicks):
    try:
        result = capacity_sample(progress=lambda share, text: set_progress((str(round(100 * share)), text)))
    except (ValueError, OSError) as exc:
        return ui.message(f"The capacity plan could not be made: {exc}", kind="error")
    return capacity_view(result)

"""Scenarios (/scenarios): the scenarios stored with the plan picked at the top, side by side
(table and bars), for everyone who opens that plan; create a scenario (blank, or a copy of any
of the plan's scenarios with all its overrides) and run it with progress; rename and delete
them; the service-level vs cost frontier and what a weekly budget buys."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from wfm_errors import InputError
from planner.pipeline import shown_error
from planner.week_schedule import RuleViolationError, SolveError
from planner.ui import components as ui
from planner.ui import context
from planner.ui.jobs_board import Failed, progress_bar, tracked
from planner.ui.memo import drawn
from planner.ui.figures import capacity_figure, empty_figure, frontier_figure, scenario_bars
from planner.ui.jobs import budget_buys, capacity_sample, run_frontier, run_scenario
from planner.ui.plan_picker import PLAN_ID, page_plan, shown_plan
from planner.ui.scenario_form import ScenarioForm, form_from_overrides, overrides_from_form
from planner.ui.views import scenario_rows

dash.register_page(__name__, path="/scenarios", name="Scenarios", title="wfm-planner - Scenarios")

TABLE_COLUMNS = ["name", "created_by", "fte", "paid_hours", "cost", "cost_per_contact", "service_level", "p_meets_target",
                 "occupancy", "abandon_rate", "understaffed_intervals", "cost_vs_base", "fte_vs_base", "coverage_limit"]
NEW_SCENARIO = ScenarioForm("volume +10%", volume_factor=1.1)  # what the form shows before a copy
GOALS = ("interval", "daily", "weekly")
FRONTIER_LEVELS = (0.7, 0.8, 0.9)


def comparison(stored: pd.DataFrame, added: list[dict] | None = None) -> pd.DataFrame:
    """The stored scenarios (plus ``added`` rows not stored, for callers that have some);
    differences to ``base`` recomputed."""
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
        ui.graph("scenarios-bars", drawn(scenario_bars, table)),
    ])


def contracts(plan) -> list[str]:
    return [c.get("name") for c in plan.config.get("rules", {}).get("contract", []) if c.get("name")]


def _may_change() -> bool:
    from planner.ui.auth import current_user

    user = current_user()
    return user is None or user.can("scenario")


def scenario_names(store, plan, *, editable: bool = False) -> list[str]:
    """The plan's scenarios by name, as the table lists them (``editable``: without ``base``,
    the plan itself)."""
    rows = scenario_rows(store, plan)
    names = rows["name"].tolist() if len(rows) else []
    return [n for n in names if not (editable and n == "base")]


def scenario_list_card(store, plan) -> html.Div:
    """The plan's stored scenarios compared, and renaming or deleting one."""
    return html.Div([
        html.H3(f"Compare: plan {plan.plan_id} ({plan.name})"),
        html.P("Cost = paid hours x contract hourly cost (agent pay only); FTE = paid hours / hours per FTE; service "
               "level = expected share of offered answered within T, volume-weighted; cost per contact = cost / "
               "forecast contacts. The scenarios are stored with this plan: everyone who opens it sees them."),
        html.Div(comparison_view(comparison(scenario_rows(store, plan))), id="scenarios-compare"),
        html.Div([
            ui.field("scenario", dcc.Dropdown(id="sc-manage-name", options=scenario_names(store, plan, editable=True),
                                              placeholder="(choose)", style={"width": "240px"})),
            ui.field("new name", dcc.Input(id="sc-new-name", type="text")),
            html.Button("Rename", id="sc-rename", n_clicks=0, className="secondary"),
            html.Button("Delete", id="sc-delete", n_clicks=0, className="secondary"),
        ], className="row", style={"marginTop": "8px"}, hidden=not _may_change()),
        html.Div(id="sc-manage-result"),
    ], className="card")


def _form_fields(form: ScenarioForm, plan) -> list:
    costs = [ui.field(f"hourly cost {name}", dcc.Input(id={"type": "sc-cost", "contract": name}, type="number", step="any",
                                                       value=form.hourly_cost.get(name)))
             for name in contracts(plan)]
    return [
        ui.field("name", dcc.Input(id="sc-name", type="text", value=form.name)),
        ui.field("volume factor", dcc.Input(id="sc-volume", type="number", value=form.volume_factor, step="any")),
        ui.field("handle-time factor", dcc.Input(id="sc-aht", type="number", value=form.aht_factor, step="any")),
        ui.field("target SL (immediate channels)", dcc.Input(id="sc-target", type="number", step="any", value=form.target_sl)),
        ui.field("service goal (immediate channels)", dcc.Dropdown(id="sc-goal", options=list(GOALS), value=form.service_goal,
                                                                   placeholder="(the plan's)", style={"width": "160px"})),
        *costs,
    ]


def create_card(store, plan) -> html.Div:
    """The form that creates a scenario of the plan: blank, or copied from one of its scenarios."""
    return html.Div([
        html.H3("Create a scenario"),
        html.Div([
            ui.field("copy from", dcc.Dropdown(id="sc-copy", options=scenario_names(store, plan), placeholder="(new)",
                                               style={"width": "200px"})),
            *_form_fields(NEW_SCENARIO, plan),
        ], className="row"),
        ui.field("other overrides (key = value lines, as in plan.toml [[scenario]]; e.g. shift.early.latest_start = \"11:00\")",
                 dcc.Textarea(id="sc-other", value=NEW_SCENARIO.other, style={"width": "100%", "height": "60px"})),
        html.Button("Run the scenario", id="sc-run", n_clicks=0, style={"marginTop": "8px"}),
        ui.progress_block("sc"),
        html.Div(id="sc-result"),
    ], className="card")


def layout(**query) -> html.Div:
    store = context.store()
    plan, picker = page_plan(store, query.get("plan"))
    if plan is None:
        return html.Div([html.H2("Scenarios"), picker,
                         html.Div([ui.no_plan_message(), ui.graph("scenarios-bars", empty_figure("No scenarios yet: run planner demo"))],
                                  className="card")])
    return html.Div([
        html.H2("Scenarios"),
        picker,
        scenario_list_card(store, plan),
        create_card(store, plan),
        finance_panel(plan),
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
    Output({"type": "sc-cost", "contract": dash.ALL}, "value"),
    Output("sc-other", "value"),
    Output("sc-goal", "value"),
    Input("sc-copy", "value"),
    State({"type": "sc-cost", "contract": dash.ALL}, "id"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def copy_scenario(name, cost_ids, plan_id=None):
    """Fill every field of the form from the stored scenario ``name``: its overrides, and the
    plan's own values where it sets none (nothing of what the form held before stays)."""
    if not name:
        return (dash.no_update,) * 4 + ([dash.no_update] * len(cost_ids or []), dash.no_update, dash.no_update)
    store = context.store()
    plan = shown_plan(store, plan_id)
    overrides = {} if name == "base" else store.scenario_record(plan.plan_id, name).overrides  # base: the plan as built
    form = form_from_overrides(f"{name} (copy)", overrides, channels=plan.channels, contracts=contracts(plan))
    costs = [form.hourly_cost.get(i["contract"]) for i in (cost_ids or [])]
    return form.name, form.volume_factor, form.aht_factor, form.target_sl, costs, form.other, form.service_goal


def _listing(store, plan):
    """What changes on the page when the plan's scenarios change: table, copy and manage lists."""
    return (comparison_view(comparison(scenario_rows(store, plan))), scenario_names(store, plan),
            scenario_names(store, plan, editable=True))


@callback(
    Output("sc-result", "children"),
    Output("scenarios-compare", "children"),
    Output("sc-copy", "options"),
    Output("sc-manage-name", "options"),
    Input("sc-run", "n_clicks"),
    State("sc-name", "value"),
    State("sc-volume", "value"),
    State("sc-aht", "value"),
    State("sc-target", "value"),
    State("sc-goal", "value"),
    State({"type": "sc-cost", "contract": dash.ALL}, "value"),
    State({"type": "sc-cost", "contract": dash.ALL}, "id"),
    State("sc-other", "value"),
    State("sc-copy", "value"),
    State(PLAN_ID, "data"),
    background=True,
    running=[(Output("sc-run", "disabled"), True, False)],
    progress=[Output("sc-progress", "value"), Output("sc-status", "children")],
    prevent_initial_call=True,
)
@tracked("scenario")
def run(set_progress, _clicks, name, volume, aht, target, goal, costs, cost_ids, other, copied_from, plan_id=None):
    """Plan the form's scenario over the shown plan and store it with that plan (audited)."""
    store = context.store()
    unchanged = (dash.no_update,) * 3
    try:
        plan = shown_plan(store, plan_id)
        form = ScenarioForm(str(name or "").strip(), volume, aht, target,
                            {i["contract"]: v for i, v in zip(cost_ids or [], costs or [])}, other or "", goal)
        overrides = overrides_from_form(form, channels=plan.channels)
        if form.name in scenario_names(store, plan):
            raise InputError(f"plan {plan.plan_id} has a scenario named {form.name!r} already: choose another name "
                             "(or rename or delete that one)")
        row = run_scenario(store, plan, name=form.name, overrides=overrides,
                           progress=progress_bar(set_progress))
        record = store.create_scenario(plan.plan_id, form.name, overrides=overrides, result=row, copied_from=copied_from)
    except (ValueError, OSError, ImportError, RuleViolationError) as exc:
        return Failed((ui.message(f"The scenario could not be planned: {ui.shown(shown_error(exc))}", kind="error"),
                       *unchanged))
    result = record.result
    wall = f" It is {result['coverage_limit']}." if result.get("coverage_limit") else ""
    return (ui.message(f"Scenario {record.name!r} of plan {plan.plan_id}: cost {result['cost']:,.0f}, FTE "
                       f"{result['fte']:.1f}, service level {result['service_level']:.1%}; stored with the plan.{wall}",
                       kind="ok", id="sc-done"), *_listing(store, plan))


@callback(
    Output("sc-manage-result", "children"),
    Output("scenarios-compare", "children", allow_duplicate=True),
    Output("sc-copy", "options", allow_duplicate=True),
    Output("sc-manage-name", "options", allow_duplicate=True),
    Output("sc-manage-name", "value"),
    Input("sc-rename", "n_clicks"),
    Input("sc-delete", "n_clicks"),
    State("sc-manage-name", "value"),
    State("sc-new-name", "value"),
    State(PLAN_ID, "data"),
    prevent_initial_call=True,
)
def manage(_rename, _delete, name, new_name, plan_id=None):
    """Rename or delete the chosen scenario of the shown plan (audited; ``base`` is the plan)."""
    store = context.store()
    unchanged = (dash.no_update,) * 4
    if not name:
        return (ui.message("Choose a scenario first.", kind="error"), *unchanged)
    try:
        plan = shown_plan(store, plan_id)
        if dash.ctx.triggered_id == "sc-rename":
            record = store.rename_scenario(plan.plan_id, name, new_name or "")
            text, chosen = f"Scenario {name!r} renamed to {record.name!r}.", record.name
        else:
            store.delete_scenario(plan.plan_id, name)
            text, chosen = f"Scenario {name!r} deleted from plan {plan.plan_id}.", None
    except ValueError as exc:
        return (ui.message(ui.shown(exc), kind="error"), *unchanged)
    return (ui.message(text, kind="ok", id="sc-managed"), *_listing(store, plan), chosen)


def finance_panel(plan) -> html.Div:
    """The frontier and "What does it buy?" card: both answer over solved plans of the staffing-level
    family (:mod:`planner.scenarios`), with progress and formatted results."""
    return html.Div([
        html.H3("Service level vs cost"),
        html.P(f"Plans the week for each target ({', '.join(f'{x:.0%}' for x in FRONTIER_LEVELS)}) on every immediate "
               "channel and shows the cheapest plan whose expected service level reaches each target (planned again at a "
               "higher staffing level when it falls short); a target no plan reaches is marked unreachable."),
        html.Button("Compute the frontier", id="sc-frontier", n_clicks=0),
        ui.progress_block("sc-frontier"),
        html.Div(id="sc-frontier-result"),
        html.Div([
            ui.field("weekly budget", dcc.Input(id="sc-budget", type="number", step="any",
                                                value=round(float(plan.summary.get("cost") or 0)) or None)),
            html.Button("What does it buy?", id="sc-budget-run", n_clicks=0),
        ], className="row", style={"marginTop": "12px"}),
        ui.progress_block("sc-budget"),
        html.Div(id="sc-budget-result"),
    ], className="card")


def frontier_view(table: pd.DataFrame) -> html.Div:
    """The frontier's chart, its table (formatted by the grid) and a line per unreachable target."""
    shown = table.assign(target_sl=table["target"], reached=table["reached"].astype(bool), note=table["note"].fillna(""))[
        ["target_sl", "reached", "service_level", "cost", "fte", "cost_per_contact", "name", "note"]]
    missed = table[~table["reached"].astype(bool)]
    notes = [ui.message(f"Target {row['target']:.0%}: {row['note']}.", kind="error") for row in missed.to_dict("records")]
    return html.Div([ui.graph("sc-frontier-figure", frontier_figure(table)),
                     html.Div(notes, id="sc-frontier-unreachable") if notes else None,
                     ui.grid("sc-frontier-table", ui.records(shown), height=200)], id="sc-frontier-done")


def budget_card(answer) -> html.Div:
    """A :class:`planner.scenarios.BudgetAnswer` as a card: cost, FTE, service level, what is
    left of the budget and what more money would buy."""
    row = answer.plan.row
    items = [
        {"label": "Cost", "value": f"{answer.plan.cost:,.0f}", "note": f"a week, of the budget {answer.budget:,.0f}"},
        {"label": "FTE", "value": f"{row['fte']:,.1f}", "note": "paid hours / hours per FTE"},
        {"label": "Service level", "value": f"{answer.plan.service_level:.1%}",
         "note": "expected, share of offered answered within T"},
        {"label": "Unspent", "value": f"{answer.unspent:,.0f}", "note": "budget - cost"},
    ]
    limit = row.get("coverage_limit") or ""
    return html.Div([
        html.H4(f"A weekly budget of {answer.budget:,.0f} buys {answer.plan.service_level:.1%} expected service level"),
        ui.kpi_cards(items, id_prefix="sc-budget"),
        html.P(["With more money: ", html.Span(answer.next_text(), id="sc-budget-next")]),
        ui.message(limit[0].upper() + limit[1:] + ".", kind="error") if limit else None,
        html.P(f"The best of {answer.known} plans of this week staffed for different service levels "
               f"({answer.solved} planned for this answer); the plan is staffed for {answer.plan.level:.1%}.",
               className="definitions"),
    ], className="card", id="sc-budget-card")


@callback(
    Output("sc-frontier-result", "children"),
    Input("sc-frontier", "n_clicks"),
    State(PLAN_ID, "data"),
    background=True,
    running=[(Output("sc-frontier", "disabled"), True, False)],
    progress=[Output("sc-frontier-progress", "value"), Output("sc-frontier-status", "children")],
    prevent_initial_call=True,
)
@tracked("frontier")
def frontier(set_progress, _clicks, plan_id=None):
    store = context.store()
    plan = shown_plan(store, plan_id)
    try:
        table = run_frontier(store, plan, levels=FRONTIER_LEVELS,
                             progress=progress_bar(set_progress))
    except (ValueError, OSError, ImportError, RuleViolationError, SolveError) as exc:
        return Failed(ui.message(f"The frontier could not be computed: {ui.shown(shown_error(exc))}", kind="error"))
    return frontier_view(table)


@callback(
    Output("sc-budget-result", "children"),
    Input("sc-budget-run", "n_clicks"),
    State("sc-budget", "value"),
    State(PLAN_ID, "data"),
    background=True,
    running=[(Output("sc-budget-run", "disabled"), True, False)],
    progress=[Output("sc-budget-progress", "value"), Output("sc-budget-status", "children")],
    prevent_initial_call=True,
)
@tracked("budget question")
def budget(set_progress, _clicks, value, plan_id=None):
    store = context.store()
    plan = shown_plan(store, plan_id)
    try:
        answer = budget_buys(store, plan, budget=value,
                             progress=progress_bar(set_progress))
    except (ValueError, OSError, ImportError, RuleViolationError, SolveError) as exc:
        return Failed(ui.message(f"The budget question could not be answered: {ui.shown(shown_error(exc))}",
                                 kind="error", id="sc-budget-error"))
    return budget_card(answer)


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
        result = capacity_sample(progress=progress_bar(set_progress))
    except (ValueError, OSError) as exc:
        return Failed(ui.message(f"The capacity plan could not be made: {ui.shown(exc)}", kind="error"))
    return capacity_view(result)

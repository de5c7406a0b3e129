"""The plan picker every plan page shows, and ``?plan=ID`` links.

A page's layout asks :func:`page_plan` for the plan to show: the one the link names
(``/schedule?plan=3``), else the default - the published plan, else the newest
(:func:`planner.ui.views.default_plan_id`). It gets the plan and a bar to put at the top of
the page: a dropdown of the plans the signed-in account may open, a line naming the plan
shown (id, week, built when and by whom, published or draft) and the plan's id in a
``dcc.Store`` (:data:`PLAN_ID`) that the page's callbacks read with ``State(PLAN_ID, "data")``
and resolve with :func:`shown_plan` - so a plan built or published meanwhile never changes what
a page already shows.

In the browser (two clientside callbacks, no server round trip): choosing another plan opens
the same page with ``?plan=ID``; the page's address and the menu links carry the plan shown, so
a copied link, a reload and moving between pages keep it.

Example (a page):
    def layout(**query):
        plan, picker = page_plan(context.store(), query.get("plan"))
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, clientside_callback, dcc, html

from wfm_errors import InputError
from planner.store import PlanRecord, Store
from planner.ui import components as ui
from planner.ui.views import PlanView, default_plan_id, plan_by_id, plan_caption, plan_option_label, visible_plans

PICKER = "plan-picker"
PLAN_ID = "plan-id"
CAPTION = "plan-caption"


def _user():
    from planner.ui.auth import current_user

    return current_user()


def _choose(records: tuple[PlanRecord, ...], store: Store) -> PlanRecord | None:
    if not records:
        return None
    wanted = default_plan_id(store)
    return next((r for r in records if r.plan_id == wanted), records[0])


def page_plan(store: Store, requested: str | None) -> tuple[PlanView | None, html.Div]:
    """The plan a page shows for the link's ``?plan=`` value ``requested`` (None: the default)
    and the picker bar. A link naming a plan that is not stored, or that the account may not
    open, shows the default plan under a message saying so. When the account may open no plan:
    ``(None, a bar holding only PLAN_ID = None)`` (the page says how to get a plan)."""
    user = _user()
    records = visible_plans(store, user)
    chosen, problem = None, None
    if requested not in (None, ""):
        text = str(requested).strip()
        if not text.isdigit():
            problem = f"The link asks for plan {text!r}, which is not a plan id."
        else:
            chosen = next((r for r in records if r.plan_id == int(text)), None)
            if chosen is None:
                exists = any(r.plan_id == int(text) for r in store.plan_records())
                problem = (f"Plan {text}: {user.name} ({user.role}) may open published plans only." if exists and user
                           else f"Plan {text} is not in the store.")
    default = _choose(records, store)
    if problem and default is not None:
        problem += f" Showing plan {default.plan_id}, the {'published' if default.is_published else 'newest'} plan."
    chosen = chosen or default
    if chosen is None:  # the page's callbacks still find PLAN_ID: None, the default plan when they run
        return None, html.Div([ui.message(problem, kind="error", id="plan-problem") if problem else None,
                               dcc.Store(id=PLAN_ID, data=None)])
    options = [{"label": plan_option_label(r), "value": r.plan_id} for r in records]
    bar = html.Div([
        html.Div([
            html.Span("Plan", className="plan-label"),
            dcc.Dropdown(id=PICKER, options=options, value=chosen.plan_id, clearable=False, searchable=True,
                         className="plan-dropdown"),
        ], className="row plan-choice"),
        html.Div(plan_caption(chosen), id=CAPTION, className="plan-caption"),
        ui.message(problem, kind="error", id="plan-problem") if problem else None,
        dcc.Store(id=PLAN_ID, data=chosen.plan_id),
    ], className="plan-bar card")
    return plan_by_id(store, chosen.plan_id), bar


def shown_plan(store: Store, plan_id: int | str | None) -> PlanView | None:
    """The plan a page's callback works on: the page's :data:`PLAN_ID` (None: the default, for
    callers without a page). A plan the signed-in account may not open is a ``ValueError``."""
    if plan_id in (None, ""):
        wanted = default_plan_id(store)
        return plan_by_id(store, wanted) if wanted is not None else None
    user = _user()
    if user is not None and not user.can("read_plan"):
        if int(plan_id) not in {r.plan_id for r in visible_plans(store, user)}:
            raise InputError(f"plan {plan_id}: {user.name} ({user.role}) may open published plans only")
    return plan_by_id(store, int(plan_id))


def plan_link(path: str, plan_id: int) -> str:
    """``/schedule?plan=3``: the page showing that plan.

    >>> plan_link("/schedule", 3)
    '/schedule?plan=3'
    """
    return f"{path}?plan={int(plan_id)}"


# Choosing a plan opens the same page for it (as a menu link does: history entry, no reload).
clientside_callback(ClientsideFunction(namespace="planPicker", function_name="open"),
                    Input(PICKER, "value"), prevent_initial_call=True)
# The plan shown goes into the page's address and the menu links (the caption's tooltip is the
# output only because Dash runs a callback for a new page when its output is on that page).
clientside_callback(ClientsideFunction(namespace="planPicker", function_name="follow"), Output(CAPTION, "title"),
                    Input(PLAN_ID, "data"))

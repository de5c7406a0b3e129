"""Which plan a page shows and what the scenario form holds, without a browser: the picker's
default (published, else newest), ``?plan=ID``, what each role may open, the caption; the
form <-> overrides round trip that makes a copy carry every field of its source; a link's
plan kept through sign-in."""

from __future__ import annotations

import flask
import pytest

from planner.accounts import User
from planner.store import LOCAL_ACTOR, Store, acting_as, current_actor
from planner.ui.plan_picker import page_plan, shown_plan
from planner.ui.scenario_form import ScenarioForm, form_from_overrides, overrides_from_form, parse_other
from planner.ui.views import default_plan_id, plan_caption, scenario_rows, visible_plans

CHANNELS = ["voice", "chat", "messaging", "email"]
CONTRACTS = ["full_time", "part_time"]


def _ids(component) -> dict[str, object]:
    found, stack = {}, [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "to_plotly_json"):
            if isinstance(getattr(node, "id", None), str):
                found[node.id] = node
            stack.append(getattr(node, "children", None))
    return found


@pytest.fixture
def three_plans():
    store = Store.open("sqlite://")
    ids = []
    for week, actor in (("2025-06-02", "ana"), ("2025-06-09", "bo"), ("2025-06-16", "cy")):
        with acting_as(actor):
            ids.append(store.save_plan(f"week of {week}", config={"start": week, "days": 7, "interval_minutes": 15},
                                       summary={}, tables={}, scenario_rows=[("base", {}, {"cost": 1.0})]))
    return store, ids


def as_user(user: User | None):
    app = flask.Flask(__name__)
    context = app.app_context()
    context.push()
    flask.g.planner_user = user
    return context


def test_the_default_is_the_published_plan_else_the_newest(three_plans):
    store, (first, second, third) = three_plans
    assert default_plan_id(store) == third
    plan, bar = page_plan(store, None)
    assert plan.plan_id == third
    parts = _ids(bar)
    assert parts["plan-id"].data == third and parts["plan-picker"].value == third
    assert [o["value"] for o in parts["plan-picker"].options] == [third, second, first]
    assert parts["plan-picker"].options[0]["label"] == f"{third} - week of 2025-06-16 - week of Mon 2025-06-16 - draft"
    assert parts["plan-caption"].children.startswith(f"Plan {third}: week of 2025-06-16; week Mon 2025-06-16 - Sun 2025-06-22; built ")
    assert parts["plan-caption"].children.endswith(" UTC by cy; draft")
    store.publish_plan(first)
    assert default_plan_id(store) == first and page_plan(store, None)[0].plan_id == first
    with acting_as("dee"):
        store.save_plan("a newer build", config={}, summary={}, tables={})
    assert page_plan(store, None)[0].plan_id == first  # a build never moves the default
    assert plan_caption(store.plan_record(first)).endswith("by ana; published (version 1)")
    store.publish_plan(second)
    assert plan_caption(store.plan_record(first)).endswith("published as version 1, since replaced")


def test_a_link_names_the_plan_and_a_wrong_one_says_so(three_plans):
    store, (first, second, third) = three_plans
    plan, bar = page_plan(store, str(second))
    assert plan.plan_id == second and "plan-problem" not in _ids(bar)
    for asked, text in (("abc", "The link asks for plan 'abc', which is not a plan id."),
                        ("99", "Plan 99 is not in the store.")):
        plan, bar = page_plan(store, asked)
        assert plan.plan_id == third
        assert _ids(bar)["plan-problem"].children == f"{text} Showing plan {third}, the newest plan."
    assert shown_plan(store, second).plan_id == second and shown_plan(store, None).plan_id == third
    empty = Store.open("sqlite://")
    plan, bar = page_plan(empty, None)
    assert plan is None and shown_plan(empty, None) is None
    assert _ids(bar)["plan-id"].data is None  # the page's callbacks (a first build) still run


def test_a_lead_may_open_published_plans_only(three_plans):
    store, (first, second, third) = three_plans
    context = as_user(User("lea", "lead"))
    try:
        assert [r.plan_id for r in visible_plans(store, User("lea", "lead"))] == [third]  # nothing published yet: the newest
        store.publish_plan(first)
        store.publish_plan(second)
        plan, bar = page_plan(store, None)
        assert plan.plan_id == second
        assert [o["value"] for o in _ids(bar)["plan-picker"].options] == [second, first]  # not the draft
        assert page_plan(store, str(first))[0].plan_id == first  # an earlier published week stays readable
        plan, bar = page_plan(store, str(third))
        assert plan.plan_id == second
        assert _ids(bar)["plan-problem"].children.startswith(f"Plan {third}: lea (lead) may open published plans only.")
        with pytest.raises(ValueError, match=f"plan {third}: lea \\(lead\\) may open published plans only"):
            shown_plan(store, third)  # a callback sent by hand with a draft's id
    finally:
        context.pop()
    assert visible_plans(store, User("fin", "finance")) == store.plan_records()
    assert visible_plans(store, User("nobody", "unknown role")) == ()


def test_scenario_rows_are_the_stored_ones_with_who_made_them(three_plans):
    store, (first, _second, _third) = three_plans
    with acting_as("fin"):
        store.create_scenario(first, "pay rise", overrides={"contract.full_time.hourly_cost": 26.0}, result={"cost": 2.0})
    rows = scenario_rows(store, shown_plan(store, first))
    assert rows[["name", "cost", "created_by"]].values.tolist() == [["base", 1.0, "ana"], ["pay rise", 2.0, "fin"]]
    store.rename_scenario(first, "pay rise", "pay rise 2026")
    assert scenario_rows(store, shown_plan(store, first))["name"].tolist() == ["base", "pay rise 2026"]
    # a re-planned version is stored with its plan's tables but no scenario rows: its base still shows
    import pandas as pd

    table = pd.DataFrame({"name": ["base", "volume +10%"], "cost": [5.0, 6.0]})
    version = store.save_plan("re-plan", config={}, summary={}, tables={"scenarios": table})
    assert scenario_rows(store, shown_plan(store, version))[["name", "cost"]].values.tolist() == [["base", 5.0]]
    store.create_scenario(version, "after the re-plan", overrides={"volume_factor": 1.1}, result={"cost": 7.0})
    assert scenario_rows(store, shown_plan(store, version))["name"].tolist() == ["base", "after the re-plan"]


SOURCES = [
    {},
    {"volume_factor": 1.2, "aht_factor": 0.9},
    {"contract.full_time.hourly_cost": 26.0},
    {"channel.voice.target_sl": 0.9, "channel.chat.target_sl": 0.9, "channel.messaging.target_sl": 0.9},
    {"channel.voice.target_sl": 0.9, "channel.chat.target_sl": 0.85, "channel.messaging.target_sl": 0.9},  # not one target
    {"channel.voice.target_sl": 0.9, "channel.email.due_minutes": 120, "shift.early.latest_start": "11:00",
     "rules.coverage": "hard", "contract.part_time.max_agents": 40, "shift.late.days": ["Mon", "Tue"],
     "channel.voice.answer_s": 30, "volume_factor": 1.1, "contract.part_time.hourly_cost": 22.5},
    {"channel.voice.service_goal": "weekly", "channel.chat.service_goal": "weekly",
     "channel.messaging.service_goal": "weekly"},  # one goal: the form's dropdown
    {"channel.voice.service_goal": "daily", "channel.chat.service_goal": "interval",
     "channel.messaging.service_goal": "daily"},  # not one goal: kept as other lines
]


@pytest.mark.parametrize("overrides", SOURCES, ids=range(len(SOURCES)))
def test_a_copied_form_describes_exactly_the_source(overrides):
    form = form_from_overrides("source", overrides, channels=CHANNELS, contracts=CONTRACTS)
    assert overrides_from_form(form, channels=CHANNELS) == overrides
    assert set(form.hourly_cost) == set(CONTRACTS)  # every contract field is set: the plan's value or the source's
    goals = {v for k, v in overrides.items() if k.endswith(".service_goal")}
    assert form.service_goal == (goals.pop() if len(goals) == 1 else None)


def test_copying_base_clears_every_field():
    form = form_from_overrides("base (copy)", {}, channels=CHANNELS, contracts=CONTRACTS)
    assert form == ScenarioForm("base (copy)", 1.0, 1.0, None, {"full_time": None, "part_time": None}, "")
    pay_rise = form_from_overrides("x", {"contract.full_time.hourly_cost": 30.0, "channel.voice.target_sl": 0.95,
                                         "channel.chat.target_sl": 0.95, "channel.messaging.target_sl": 0.95},
                                   channels=CHANNELS, contracts=CONTRACTS)
    assert (pay_rise.target_sl, dict(pay_rise.hourly_cost)) == (0.95, {"full_time": 30.0, "part_time": None})


def test_bad_form_values_are_named():
    def form(**values):
        fields = {"name": "s", "volume_factor": 1.0, "aht_factor": 1.0, "target_sl": None, "hourly_cost": {}, "other": ""}
        return ScenarioForm(**{**fields, **values})

    cases = [
        (form(volume_factor="lots"), "volume factor: 'lots' is not a number"),
        (form(volume_factor=-1), "volume_factor = -1.0 must be a positive number"),
        (form(target_sl=1.5), "target SL: 1.5 must be a share between 0 and 1"),
        (form(hourly_cost={"full_time": -3}), "hourly cost full_time: -3 must be >= 0"),
        (form(other="shift.early.latest_start = 11:00"), "other overrides, line 1: 'shift.early.latest_start = 11:00'"),
        (form(other="\n# a comment\nvolume_factor = 1.3", volume_factor=1.2), "volume_factor is also set by a field"),
        (form(other="rules.coverage = 'hard'\nrules.coverage = 'soft'"), "line 2: rules.coverage is given twice"),
        (form(other="colour.voice = 'red'"), "unknown override 'colour.voice'"),
        (form(other='name = "other"'), "use the name field"),
    ]
    for bad, text in cases:
        with pytest.raises(ValueError, match=text.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
            overrides_from_form(bad, channels=CHANNELS)
    assert parse_other("\n  # nothing\n\n") == {}


def test_a_links_plan_is_kept_through_sign_in(tmp_path):
    from planner.accounts import add_user
    from planner.ui.app import create_app

    url = f"sqlite:///{tmp_path / 'team.db'}"
    add_user(Store.open(url), "max", role="manager", password="max-password")
    client = create_app(url).server.test_client()
    with acting_as(LOCAL_ACTOR):  # the requests run in this thread and set its actor: put it back after
        answer = client.get("/schedule?plan=3")
        assert answer.status_code == 302 and answer.headers["Location"] == "/login?next=/schedule%3Fplan%3D3"
        assert client.get("/data").headers["Location"] == "/login?next=/data"
        signed = client.post("/login", data={"name": "max", "password": "max-password", "next": "/schedule?plan=3"},
                             headers={"Origin": "http://localhost"})
    assert signed.status_code == 302 and signed.headers["Location"] == "/schedule?plan=3"
    assert current_actor() == LOCAL_ACTOR


def test_no_page_reads_the_newest_plan():
    """Pages show the plan picked (plan_picker.page_plan / shown_plan): a page or callback that
    asks for "the newest plan" would follow other users' builds again."""
    from pathlib import Path

    from planner.ui.app import PAGES_FOLDER as folder

    offenders = [f"{path.name}:{number}" for path in sorted(folder.glob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if "latest_plan(" in line or "operating_plan(" in line]
    assert offenders == []  # use planner.ui.plan_picker.shown_plan(store, plan_id) with State(PLAN_ID, "data")

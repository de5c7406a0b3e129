"""The pages' figures and grids are drawn once per server process and kept (planner.ui.memo),
keyed by the content of what they are drawn from: a new or republished plan, a deleted dataset
or new actuals show on the very next page load, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.store import LOCAL_ACTOR, Store, acting_as
from planner.ui import memo


# -- the cache itself ------------------------------------------------------------------------------
def test_cached_keys_by_content_not_by_object():
    memo.clear()
    calls = []

    def total(frame, *, scale):
        calls.append(1)
        return float(frame["x"].sum()) * scale

    frame = pd.DataFrame({"x": [1.0, 2.0], "t": pd.to_datetime(["2025-06-02 08:00", "2025-06-02 08:15"])})
    assert memo.cached("total", total, frame, scale=2) == 6.0
    assert memo.cached("total", total, frame.copy(), scale=2) == 6.0  # an equal frame: no rebuild
    assert len(calls) == 1 and memo.stats()["hits"] == 1
    changed = frame.copy()
    changed.loc[1, "x"] = 3.0
    assert memo.cached("total", total, changed, scale=2) == 8.0  # one value differs
    assert memo.cached("total", total, frame, scale=3) == 9.0  # another option
    assert memo.cached("total", total, frame.assign(x=frame["x"].astype("float32")), scale=2) == 6.0  # another dtype
    assert memo.cached("total", total, frame.rename(columns={"t": "u"}), scale=2) == 6.0  # another column name
    assert memo.cached("total", total, frame.iloc[:1], scale=2) == 2.0  # a row fewer
    assert len(calls) == 6
    assert memo.cached("other", total, frame, scale=2) == 6.0 and len(calls) == 7  # names keep builders apart


def test_frame_key_tells_frames_apart():
    a = pd.DataFrame({"x": [1, 2]})
    assert memo.frame_key(a) == memo.frame_key(a.copy())
    assert memo.frame_key(a) != memo.frame_key(a[::-1].reset_index(drop=True))  # same values, other order
    assert memo.frame_key(a) != memo.frame_key(a.set_index(pd.Index([5, 6])))  # other index
    assert memo.frame_key(pd.DataFrame()) != memo.frame_key(pd.DataFrame(columns=["x"]))
    assert memo.frame_key(None) == "none"


def test_least_recently_used_entries_go_first(monkeypatch):
    memo.clear()
    monkeypatch.setattr(memo, "CACHE_ENTRIES", 3)
    built = []

    def build(*, n):
        built.append(n)
        return n

    for n in (1, 2, 3):
        memo.cached("n", build, n=n)
    memo.cached("n", build, n=1)  # used again: now the newest
    memo.cached("n", build, n=4)  # evicts 2, the least recently used
    assert memo.stats()["entries"] == 3
    memo.cached("n", build, n=1)
    memo.cached("n", build, n=2)
    assert built == [1, 2, 3, 4, 2]


def test_drawn_needs_a_named_builder_and_hashable_options():
    with pytest.raises(ValueError, match="no stable name"):
        memo.drawn(lambda frame: frame, pd.DataFrame())
    with pytest.raises(TypeError):
        memo.cached("x", lambda **o: o, option={1, 2})  # a set: unhashable


# -- through the app, on both databases -------------------------------------------------------------
def _page(client, content: str, outputs: list[dict], path: str) -> str:
    body = {"output": content, "outputs": outputs,
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    answer = client.post("/_dash-update-component", data=json.dumps(body),
                         headers={"Origin": "http://localhost", "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_data(as_text=True)


def _component(page: str, ident: str) -> dict:
    """The props of the component with id ``ident`` in a page-content answer."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == ident:
                found.append(node["props"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(page))
    assert found, f"no component {ident!r} on the page"
    return found[0]


def _text(props: dict) -> str:
    children = props.get("children")
    return children if isinstance(children, str) else json.dumps(children)


@pytest.mark.slow  # the sample plan, then a page load per check
def test_new_and_republished_plans_deleted_datasets_and_new_actuals_show_on_the_next_load(any_store_url):
    from planner.ui.app import create_app
    from planner.ui.views import plan_by_id, plan_history_dataset

    from .conftest import store_sample_plan

    store = Store.open(any_store_url)
    first = store_sample_plan(store)
    store.publish_plan(first)
    info = store.plan(first)
    tables = {name: store.plan_table(first, name) for name in info.tables}
    client = create_app(any_store_url).server.test_client()
    with acting_as(LOCAL_ACTOR):  # the requests run in this thread and set its actor
        deps = client.get("/_dash-dependencies").get_json()
        content = next(d["output"] for d in deps if "_pages_content" in d["output"])
        outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
                   for o in content.strip(".").split("...")]

        def load(path):
            return _page(client, content, outputs, path)

        roster = load("/roster")
        agents = {row["agent_id"] for row in _component(roster, "roster-grid")["rowData"]}
        assert f"Plan {first}:" in _text(_component(roster, "roster-plan")) and len(agents) > 2
        for path in ("/", "/forecast", "/schedule"):
            load(path)  # everything drawn and kept
        load("/roster")
        assert memo.stats()["hits"] > 0

        # a new plan version (two agents fewer; no history named, so intraday fits no models) published:
        # the pages that show the published plan move to it
        kept = sorted(agents)[2:]
        smaller = tables["roster"][tables["roster"]["agent_id"].astype(str).isin(kept)].reset_index(drop=True)
        second = store.save_plan(info.name, config={**info.config, "history": None}, summary=info.summary,
                                 tables={**tables, "roster": smaller}, forecast_id=info.forecast_id)
        store.publish_plan(second)
        roster = load("/roster")
        assert f"Plan {second}:" in _text(_component(roster, "roster-plan"))
        assert {row["agent_id"] for row in _component(roster, "roster-grid")["rowData"]} == set(kept)
        schedule = load("/schedule")
        assert {row["agent_id"] for row in _component(schedule, "schedule-roster")["rowData"]} == set(kept)

        # actuals uploaded for the plan's first morning, then deleted: intraday follows each time
        assert "no actuals yet" in _text(_component(load("/intraday"), "intraday-now"))
        history = plan_history_dataset(store, plan_by_id(store, first))
        assert history == "sample_centre"
        rows = store.dataset(history)
        day = pd.Timestamp(info.config["start"])
        week_before = rows[(rows["interval_start"] >= day - pd.Timedelta(days=7))
                           & (rows["interval_start"] < day - pd.Timedelta(days=7, hours=-10))]
        morning = week_before.assign(interval_start=week_before["interval_start"] + pd.Timedelta(days=7))
        assert len(morning)
        store.save_dataset("morning", morning.reset_index(drop=True), kind="actuals", source_name="morning.csv", raw=b"",
                           interval_minutes=15)
        now = _text(_component(load("/intraday"), "intraday-now"))
        assert "actuals up to 10:00" in now, now
        store.delete_dataset("morning")
        assert "no actuals yet" in _text(_component(load("/intraday"), "intraday-now"))

        # the first plan published again (version 3): its roster is back
        store.publish_plan(first)
        roster = load("/roster")
        assert f"Plan {first}:" in _text(_component(roster, "roster-plan"))
        assert "version 3" in _text(_component(roster, "roster-publication"))
        assert {row["agent_id"] for row in _component(roster, "roster-grid")["rowData"]} == agents

        # the plan's history dataset deleted: the forecast chart loses its history trace, the Data page the row
        traces = [t.get("name") for t in _component(load("/forecast"), "fc-figure")["figure"]["data"]]
        assert "history (offered)" in traces, traces
        store.delete_dataset(history)
        traces = [t.get("name") for t in _component(load("/forecast"), "fc-figure")["figure"]["data"]]
        assert "history (offered)" not in traces and "forecast" in traces, traces
        assert history not in {row["dataset"] for row in _component(load("/data"), "datasets")["rowData"]}


def test_threads_asking_at_once_build_once():
    """A fresh server's threads asking for the same figure at once: one builds, the others wait for it."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    memo.clear()
    calls = []
    start = threading.Barrier(6)

    def slow(frame):
        calls.append(1)
        time.sleep(0.2)
        return len(frame)

    def ask(_):
        start.wait()
        return memo.cached("slow", slow, pd.DataFrame({"x": range(5)}))

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(ask, range(6))) == [5] * 6
    assert len(calls) == 1

    def broken(frame):
        raise ValueError("bad data")

    for _ in range(2):  # a failed build is not kept, and does not block the next try
        with pytest.raises(ValueError, match="bad data"):
            memo.cached("broken", broken, pd.DataFrame({"x": [1]}))


@pytest.mark.slow  # one real fit of the sample plan's intraday models (seconds)
def test_the_server_fits_the_default_plans_intraday_models_before_its_workers_fork(tmp_path, monkeypatch, capsys):
    """``planner app`` fits the Intraday page's default plan's models in the master process, so
    the workers inherit them and no page load waits for (or repeats) the fit."""
    import planner.intraday as module
    from planner.commands.app import warm_intraday

    from .conftest import store_sample_plan

    store = Store.open(f"sqlite:///{tmp_path / 'warm.db'}")
    warm_intraday(store)  # no plan yet: nothing to fit, nothing printed
    assert capsys.readouterr().out == ""
    plan_id = store_sample_plan(store)
    module.forget_models()
    warm_intraday(store)
    assert f"intraday models of plan {plan_id} fitted" in capsys.readouterr().out
    fits = []
    monkeypatch.setattr(module, "fit_models", lambda *args: fits.append(args) or {})
    day = f"{pd.Timestamp(store.plan(plan_id).config['start']):%Y-%m-%d}"
    result = module.intraday(day, store=Store.open(store.engine.url.render_as_string(hide_password=False)),
                             plan_id=plan_id)
    assert fits == []  # a worker's Store (another engine, same URL) finds them
    assert set(result.summary["method"]) != {"damped"}, result.summary[["channel", "method"]]


def test_two_in_memory_stores_in_one_process_show_their_own_plan_tables():
    """Every in-memory store has the URL ``sqlite://`` and its first plan the id 1: the decoded
    table cache must still tell them apart (it keyed on the URL and returned the first store's rows)."""
    from planner.ui.views import plan_by_id

    shown = []
    for offered in (11.0, 22.0):
        store = Store.open("sqlite://")
        table = pd.DataFrame({"interval_start": ["2025-06-02 08:00"], "channel": ["voice"], "offered": [offered]})
        plan_id = store.save_plan("week", config={}, summary={}, tables={"requirements": table})
        assert plan_id == 1
        shown.append(float(plan_by_id(store, plan_id).table("requirements")["offered"].iloc[0]))
    assert shown == [11.0, 22.0]


def test_publishing_fits_the_plans_intraday_models_in_the_background(tmp_path, monkeypatch):
    """The app starts the fit when a plan is published, so a team lead's first Intraday view of
    it reads the kept models instead of fitting them (a minute or more of CPU on a real plan)."""
    import planner.intraday as module
    from planner.ui.jobs import fit_intraday_models_in_background

    from .conftest import store_sample_plan

    store = Store.open(f"sqlite:///{tmp_path / 'publish.db'}")
    plan_id = store_sample_plan(store)
    assert module.MODEL_TABLE not in store.plan(plan_id).tables
    store.publish_plan(plan_id)
    module.forget_models()
    fit_intraday_models_in_background(store, plan_id).join(timeout=600)
    assert module.MODEL_TABLE in store.plan(plan_id).tables
    fits = []
    module.forget_models()
    monkeypatch.setattr(module, "fit_models", lambda *args: fits.append(args) or {})
    day = f"{pd.Timestamp(store.plan(plan_id).config['start']):%Y-%m-%d}"
    module.intraday(day, store=store, plan_id=plan_id)
    assert fits == []  # the page reads the models the publish fitted

"""Sign-in, roles and limits on the real production server (gunicorn through `planner app`),
spoken to over HTTP: what each role may open and do is checked on the server, also for
callbacks sent by hand; single-user mode without accounts; publish and the download routes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from planner.accounts import SIGN_IN_FAILED, add_user
from planner.store import Store

PASSWORDS = {"ada": "ada-password", "max": "max-password", "fin": "fin-password", "lea": "lea-password"}
ROLES = {"ada": "admin", "max": "manager", "fin": "finance", "lea": "lead"}


def team_store(url: str) -> Store:
    from .conftest import store_sample_plan

    store = Store.open(url)
    store_sample_plan(store)
    for name, role in ROLES.items():
        add_user(store, name, role=role, password=PASSWORDS[name])
    return store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def team_server(request, tmp_path_factory):
    """The production server over a team's store, on SQLite and on a real PostgreSQL server."""
    from .conftest import serve

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('team-store') / 'planner.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    team_store(url)
    process, base = serve(url, extra_env={"PLANNER_CACHE_DIR": str(tmp_path_factory.mktemp("team-cache"))})
    yield base, url
    process.terminate()
    process.wait(timeout=20)


def signed_in(base: str, name: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(base + "login", data={"name": name, "password": PASSWORDS[name], "next": "/"},
                          headers={"Origin": base.rstrip("/")}, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return session


def callback(base: str, session: requests.Session, fragment: str, *, inputs, state=(), origin: str | None = None):
    """POST a callback by hand: the real callback's output spec from /_dash-dependencies."""
    deps = session.get(base + "_dash-dependencies", auth=None).json()
    spec = next(d for d in deps if fragment in d["output"])
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in spec["output"].strip(".").split("...")]
    body = {"output": spec["output"], "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": list(inputs),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs], "state": list(state)}
    return session.post(base + "_dash-update-component", data=json.dumps(body),
                        headers={"Content-Type": "application/json", "Origin": origin or base.rstrip("/")})


def test_nothing_is_served_before_sign_in(team_server):
    base, _url = team_server
    page = requests.get(base + "data", allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/data"
    for path in ("_dash-layout", "_dash-dependencies", "download/roster.csv"):
        answer = requests.get(base + path, allow_redirects=False)
        assert answer.status_code == 401 and "Basic" in answer.headers["WWW-Authenticate"], path
    assert requests.get(base + "login").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(team_server):
    base, _url = team_server
    answers = [requests.post(base + "login", data={"name": name, "password": "not-it-at-all"},
                             headers={"Origin": base.rstrip("/")}, allow_redirects=False) for name in ("fin", "nobody")]
    assert [a.status_code for a in answers] == [401, 401]
    assert SIGN_IN_FAILED in answers[0].text and answers[0].text == answers[1].text
    basic = [requests.get(base + "download/roster.csv", auth=(name, "not-it-at-all")) for name in ("fin", "nobody")]
    assert [b.status_code for b in basic] == [401, 401] and basic[0].text == basic[1].text


def test_finance_creates_scenarios_but_a_hand_sent_delete_or_publish_is_rejected(team_server):
    base, url = team_server
    store = Store.open(url)
    plan_id = store.latest_plan_id()
    fin, boss = signed_in(base, "fin"), signed_in(base, "max")
    delete = dict(inputs=[{"id": "data-delete", "property": "n_clicks", "value": 1}],
                  state=[{"id": "datasets", "property": "selectedRows", "value": [{"dataset": "us_bank_2003"}]}])
    refused = callback(base, fin, "data-delete-result", **delete)
    assert refused.status_code == 403 and "'delete' permission" in refused.text
    publish = dict(inputs=[{"id": "schedule-publish", "property": "n_clicks", "value": 1}],
                   state=[{"id": "schedule-plan-id", "property": "data", "value": plan_id}])
    assert callback(base, fin, "schedule-publish-result", **publish).status_code == 403
    assert "us_bank_2003" in set(store.list_datasets()["name"]) and store.published_plan_id() is None
    # the same requests from a manager go through: the check is the role, not the request
    assert callback(base, boss, "schedule-publish-result", **publish).status_code == 200
    assert store.published_plan_id() == plan_id
    assert callback(base, boss, "data-delete-result", **delete).status_code == 200
    assert "us_bank_2003" not in set(store.list_datasets()["name"])
    log = store.audit_log()
    assert [["max", "delete", "dataset us_bank_2003"], ["max", "publish", f"plan {plan_id}"]] == \
        log[log["action"].isin(["delete", "publish"])][["actor", "action", "target"]].values.tolist()
    # finance may read plans and costs: the Scenarios page content
    page = callback(base, fin, "_pages_content", inputs=[{"id": "_pages_location", "property": "pathname", "value": "/scenarios"},
                                                       {"id": "_pages_location", "property": "search", "value": ""}])
    assert page.status_code == 200 and "Create a scenario" in page.text


def test_a_lead_sees_the_published_roster_and_intraday_only(team_server):
    base, url = team_server
    store = Store.open(url)
    if store.published_plan_id() is None:
        store.publish_plan(store.latest_plan_id())
    lea = signed_in(base, "lea")
    home = lea.get(base, allow_redirects=False)
    assert home.status_code == 302 and home.headers["Location"] == "/roster"
    for path in ("data", "schedule", "scenarios", "audit", "forecast"):
        assert lea.get(base + path, allow_redirects=False).status_code == 403, path
    assert lea.get(base + "roster").status_code == 200 and lea.get(base + "intraday").status_code == 200
    for path, status in (("/roster", 200), ("/intraday", 200), ("/scenarios", 403), ("/", 403)):
        page = callback(base, lea, "_pages_content", inputs=[{"id": "_pages_location", "property": "pathname", "value": path},
                                                           {"id": "_pages_location", "property": "search", "value": ""}])
        assert page.status_code == status, path
    csv = requests.get(base + "download/roster.csv", auth=("lea", PASSWORDS["lea"]))
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    roster = store.plan_table(store.published_plan_id(), "roster")
    assert len(csv.text.strip().splitlines()) == len(roster) + 1
    xlsx = requests.get(base + "download/roster.xlsx", auth=("lea", PASSWORDS["lea"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    draft = requests.get(base + f"download/roster.csv?plan={store.published_plan_id()}", auth=("lea", PASSWORDS["lea"]))
    assert draft.status_code == 200
    other = store.save_plan("a newer draft", config={}, summary={}, tables={})
    assert requests.get(base + f"download/roster.csv?plan={other}", auth=("lea", PASSWORDS["lea"])).status_code == 403


def test_cross_origin_and_oversized_requests_are_refused(team_server):
    base, _url = team_server
    boss = signed_in(base, "max")
    publish = dict(inputs=[{"id": "schedule-publish", "property": "n_clicks", "value": 1}],
                   state=[{"id": "schedule-plan-id", "property": "data", "value": 1}])
    forged = callback(base, boss, "schedule-publish-result", origin="http://evil.example", **publish)
    assert forged.status_code == 403 and "cross-origin" in forged.text
    no_origin = boss.post(base + "_dash-update-component", data="{}", headers={"Content-Type": "application/json"})
    assert no_origin.status_code == 403  # a cookie alone never changes anything
    from planner.ui.auth import MAX_REQUEST_BYTES

    big = boss.post(base + "_dash-update-component", data=b"x" * (MAX_REQUEST_BYTES + 1),
                    headers={"Content-Type": "application/json", "Origin": base.rstrip("/")})
    assert big.status_code == 413


def test_sign_out_ends_the_session(team_server):
    base, _url = team_server
    ada = signed_in(base, "ada")
    assert ada.get(base + "audit").status_code == 200
    ada.get(base + "logout")
    assert ada.get(base + "audit", allow_redirects=False).status_code == 302


def test_without_accounts_the_app_is_single_user_and_refuses_a_public_host(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'solo.db'}"
    monkeypatch.setenv("PLANNER_DB_URL", url)
    done = subprocess.run([sys.executable, "-m", "planner.cli", "app", "--host", "0.0.0.0", "--port", "8999"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--host 0.0.0.0: refused: no accounts yet" in done.stderr and "planner users add" in done.stderr
    from planner.ui.app import create_app

    client = create_app(url).server.test_client()
    assert client.get("/").status_code == 200  # loopback: served without sign-in
    assert client.get("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 403  # anyone else: refused

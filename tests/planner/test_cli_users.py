"""`planner users`, `planner publish` and `planner audit`: accounts with salted hashes, named errors
with exit 2, publications and the audit trail from the command line."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from planner.accounts import SIGN_IN_FAILED, authenticate, failure_delay_s
from planner.cli import main
from planner.store import Store


def run(args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], input=stdin, capture_output=True, text=True)


def add(monkeypatch, name: str, role: str, password: str = "good-password") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["users", "add", name, "--role", role, "--password-stdin"])


def test_users_add_list_passwd_remove(store_url, monkeypatch, capsys):
    assert add(monkeypatch, "ana", "manager") == 0
    assert add(monkeypatch, "lea", "lead") == 0
    store = Store.open(store_url)
    stored = store.user("ana")["password_hash"]
    assert stored.startswith("$argon2id$") and "good-password" not in stored
    assert store.user("lea")["password_hash"] != stored  # salted: the same password hashes differently
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ana" in listing and "manager" in listing and "lea" in listing and "argon2" not in listing
    monkeypatch.setattr(sys, "stdin", io.StringIO("another-password\n"))
    assert main(["users", "passwd", "ana", "--password-stdin"]) == 0
    assert authenticate(store, "ana", "good-password") is None
    assert authenticate(store, "ana", "another-password").role == "manager"
    assert main(["users", "remove", "lea"]) == 0
    assert store.list_users()["name"].tolist() == ["ana"]
    log = store.audit_log()
    assert log["action"].tolist() == ["user remove", "user passwd", "user add", "user add"]
    assert log["actor"].str.startswith("cli:").all()


@pytest.mark.parametrize(("args", "stdin", "expected"), [
    (["users", "add", "bo", "--role", "boss", "--password-stdin"], "good-password\n", "role 'boss': not one of admin, manager, finance, lead"),
    (["users", "add", "bo", "--role", "lead", "--password-stdin"], "\n", "password: must not be empty"),
    (["users", "add", "bo", "--role", "lead", "--password-stdin"], "short\n", "password: 5 characters is shorter than the minimum 8"),
    (["users", "add", "b o", "--role", "lead", "--password-stdin"], "good-password\n", "user name 'b o'"),
    (["users", "add", "bo", "--role", "lead"], "", "standard input is not a terminal"),
    (["users", "remove", "nobody"], "", "user 'nobody': no such user"),
    (["users", "passwd", "nobody", "--password-stdin"], "good-password\n", "user 'nobody': no such user"),
    (["publish", "7"], "", "plan 7: not in the store"),
    (["audit", "--limit", "-1"], "", "--limit: -1 must be >= 0"),
])
def test_bad_input_is_a_named_error_with_exit_two(store_url, monkeypatch, capsys, args, stdin, expected):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(args) == 2
    assert expected in capsys.readouterr().err


def test_a_duplicate_user_is_a_named_error(store_url):
    assert run(["users", "add", "ana", "--role", "manager", "--password-stdin"], "good-password\n").returncode == 0
    done = run(["users", "add", "ana", "--role", "lead", "--password-stdin"], "good-password\n")
    assert done.returncode == 2 and "user 'ana': already exists" in done.stderr


def test_an_unreachable_database_is_one_line_with_the_password_masked(monkeypatch):
    monkeypatch.setenv("PLANNER_DB_URL", "postgresql+psycopg://ana:s3cret@127.0.0.1:9/planner")
    done = run(["users", "list"])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "postgresql+psycopg://ana:***@127.0.0.1:9/planner" in lines[0]
    assert "s3cret" not in done.stderr and "refused" in lines[0].lower()


def test_wrong_password_and_unknown_user_look_the_same_and_repeated_failures_are_delayed(store, monkeypatch):
    from planner.accounts import add_user

    add_user(store, "ana", role="finance", password="good-password")
    waits: list[float] = []
    assert authenticate(store, "ana", "wrong", sleep=waits.append) is None
    assert authenticate(store, "nobody", "wrong", sleep=waits.append) is None  # same None, same message in the app
    assert waits == []
    for _ in range(4):
        authenticate(store, "ana", "wrong", sleep=waits.append)
    assert waits == [1.0, 2.0]  # from the 3rd recent failure on: 1 s, 2 s, 4 s, ... (capped at 8 s)
    assert authenticate(store, "ana", "good-password", sleep=waits.append).role == "finance"  # delayed too, then OK
    assert waits == [1.0, 2.0, 4.0]
    assert authenticate(store, "ana", "wrong", sleep=waits.append) is None and len(waits) == 3  # success reset the count
    assert [failure_delay_s(n) for n in (0, 2, 3, 5, 10)] == [0.0, 0.0, 1.0, 4.0, 8.0]
    assert "unknown user or wrong password" in SIGN_IN_FAILED


def test_publish_and_audit_from_the_command_line(store_url, capsys):
    store = Store.open(store_url)
    import pandas as pd

    first = store.save_plan("w1", config={}, summary={}, tables={"roster": pd.DataFrame({"agent_id": ["A"]})})
    second = store.save_plan("w2", config={}, summary={}, tables={"roster": pd.DataFrame({"agent_id": ["B"]})})
    assert main(["publish", str(first)]) == 0 and main(["publish"]) == 0
    assert f"published plan {second} as version 2" in capsys.readouterr().out
    assert store.published_plan_id() == second
    assert main(["publish", "--list"]) == 0
    assert main(["audit", "--action", "publish", "--csv"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if ",publish," in line]
    assert len(rows) == 2 and rows[0].split(",")[3] == f"plan {second}"


def test_the_audit_csv_neutralizes_formula_cells(store_url, capsys):
    store = Store.open(store_url)
    store.record("import", "=HYPERLINK(\"http://x\")", "@SUM(A1)")
    assert main(["audit", "--csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK(" in out and "'@SUM(A1)" in out
    assert not any(cell.startswith(("=", "@", "+", "-")) for line in out.splitlines() for cell in line.split(","))

"""The `planner` command: validate, import and demo exit codes and messages; --help everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import build_parser, main
from planner.store import Store

GOOD = "interval_start,offered\n2024-03-04T08:00,3\n2024-03-04T08:15,4\n2024-03-04T08:30,5\n"


def test_validate_real_series_exit_zero(us_bank_path, il_bank_path, capsys):
    assert main(["validate", str(us_bank_path)]) == 0
    assert main(["validate", str(il_bank_path)]) == 0
    out = capsys.readouterr().out
    assert "interval minutes: 5" in out and "interval minutes: 6" in out and "missing days: 6" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("interval_start,calls\n2024-03-04T08:00,3\n", "required column(s) offered missing"),
        (GOOD + "2024-03-04T08:45,-2\n", "row 5, column 'offered': offered is negative (value '-2')"),
        (GOOD + "not a time,2\n", "row 5, column 'interval_start'"),
        (GOOD + "2024-03-04T08:15,9\n", "duplicate key"),
        ("", "the file is empty"),
    ],
)
def test_validate_errors_exit_one_with_named_cause(tmp_path, capsys, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(["validate", str(path)]) == 1
    assert expected in capsys.readouterr().out


def test_validate_unreadable_exit_two_without_traceback(tmp_path):
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\x00\x00" * 100)
    for args in ([str(binary)], [str(tmp_path / "missing.csv")], [str(tmp_path)]):
        done = subprocess.run([sys.executable, "-m", "planner.cli", "validate", *args], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "planner validate: error:" in done.stderr
    assert "not a text file" in subprocess.run(
        [sys.executable, "-m", "planner.cli", "validate", str(binary)], capture_output=True, text=True
    ).stderr


def test_bad_arguments_exit_two(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2
    assert main([]) == 2


def test_import_stores_and_reimport_replaces(store_url, tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text(GOOD)
    assert main(["import", str(path), "--dataset", "h"]) == 0
    path.write_text(GOOD + "2024-03-04T08:45,6\n")
    assert main(["import", str(path), "--dataset", "h"]) == 0
    assert len(Store.open(store_url).dataset("h")) == 4
    assert "stored dataset 'h'" in capsys.readouterr().out


def test_import_of_a_bad_file_stores_nothing(store_url, tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(GOOD + "2024-03-04T08:45,x\n")
    assert main(["import", str(good), "--dataset", "h"]) == 0
    assert main(["import", str(bad), "--dataset", "h"]) == 2
    assert main(["import", str(bad), "--dataset", "other"]) == 2
    err = capsys.readouterr().err
    assert "nothing was stored" in err and "not a number (value 'x')" in err
    store = Store.open(store_url)
    assert store.list_datasets()["name"].tolist() == ["h"] and len(store.dataset("h")) == 3


def test_demo_is_idempotent(store_url, capsys):
    assert main(["demo", "--no-plan"]) == 0
    assert main(["demo", "--no-plan"]) == 0
    listing = Store.open(store_url).list_datasets()
    assert sorted(listing["name"]) == ["anonymous_bank_1999", "sample_centre", "us_bank_2003"]
    assert dict(zip(listing["name"], listing["row_count"]))["us_bank_2003"] == 27_716


def test_demo_reuse_only_keeps_a_current_example_plan(store_url, sample_dir, capsys):
    from planner.demo import stored_example_plan
    from planner.pipeline import json_ready
    from planner.plan_config import load_plan_config

    config = load_plan_config(sample_dir / "plan.toml")
    assert main(["demo", "--no-plan"]) == 0
    store = Store.open(store_url)
    assert stored_example_plan(store, config) is None  # samples but no plan yet
    stored = json_ready({"staffing": config.staffing, "rules": config.rules})
    plan_id = store.save_plan(config.name, config=stored, summary={}, tables={})
    assert stored_example_plan(store, config) == plan_id
    capsys.readouterr()
    assert main(["demo", "--reuse"]) == 0
    assert f"plan {plan_id}" in capsys.readouterr().out
    assert len(store.list_plans()) == 1  # nothing rebuilt
    # other rules, or a sample dataset that is not the bundled file: not current
    other_rules = json_ready({"staffing": config.staffing, "rules": {**config.rules, "min_rest_hours": 8}})
    store.save_plan(config.name, config=other_rules, summary={}, tables={})
    assert stored_example_plan(store, config) is None
    store.save_plan(config.name, config=stored, summary={}, tables={})
    assert stored_example_plan(store, config) is not None
    assert main(["import", str(sample_dir.parent / "us_bank_2003_5min.csv.gz"), "--dataset", "sample_centre"]) == 0
    assert stored_example_plan(store, config) is None


def test_every_subcommand_has_help_with_an_example(capsys):
    from planner.commands import COMMANDS

    names = [command.name for command in COMMANDS]
    assert {"validate", "import", "demo", "app"} <= set(names)
    parser = build_parser()
    overview = parser.format_help()
    for name in names:
        assert name in overview, f"planner --help does not list {name}"
        with pytest.raises(SystemExit) as done:
            parser.parse_args([name, "--help"])
        assert done.value.code == 0
        assert "Example" in capsys.readouterr().out, f"planner {name} --help has no example"


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "planner"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "validate" in done.stdout

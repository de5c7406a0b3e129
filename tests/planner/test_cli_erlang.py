"""`planner erlang`: single case (table, JSON), batch CSV, errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from scheduling.erlang import metrics

CLASSIC = ["erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180", "--answer-s", "20",
           "--target-sl", "0.8"]


def test_single_case_table(capsys):
    assert main(CLASSIC + ["--shrinkage", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "required agents (net): 14" in out
    assert "scheduled agents: 20" in out
    line = next(x for x in out.splitlines() if x.startswith(">"))
    assert line.split()[1:4] == ["14", "0.8884", "0.1741"]
    assert "13         0.7956" in out


def test_single_case_json_erlang_a(capsys):
    assert main(CLASSIC + ["--patience-s", "180", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["model"] == "erlang_a"
    n = payload["required_agents"]
    want = metrics(100, 1800, 180, [n - 1, n], 20, patience_s=180)["service_level"]
    assert want[1] >= 0.8 > want[0]
    assert payload["metrics"]["service_level"] == pytest.approx(float(want[1]))
    assert payload["scheduled_agents"] == n  # no shrinkage


def test_json_unstable_queue_has_null_asa(capsys):
    assert main(["erlang", "--calls", "100", "--interval-s", "1800", "--aht-s", "180", "--answer-s", "20",
                 "--agents", "8", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["required_agents"] is None
    assert payload["metrics"]["asa_s"] is None and payload["metrics"]["service_level"] == 0.0


@pytest.mark.parametrize("extra,message", [
    (["--target-sl", "1.2"], "target_sl = 1.2"),
    (["--calls", "-5"], "calls = -5.0"),
    (["--aht-s", "0"], "aht_s = 0.0"),
    (["--shrinkage", "1"], "--shrinkage = 1.0"),
])
def test_single_case_bad_input_exit_2(capsys, extra, message):
    args = list(CLASSIC)
    for i in range(0, len(extra), 2):
        if extra[i] in args:
            args[args.index(extra[i]) + 1] = extra[i + 1]
        else:
            args += extra[i:i + 2]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner erlang: error:") and message in err
    assert "Traceback" not in err


def test_missing_arguments_exit_2(capsys):
    assert main(["erlang", "--calls", "100"]) == 2
    assert "missing --interval-s" in capsys.readouterr().err


def test_batch(tmp_path, capsys):
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "calls,interval_s,aht_s,answer_s,agents,target_sl,max_occupancy,patience_s\n"
        "100,1800,180,20,,0.8,,\n"        # classic: 14 agents
        "100,1800,180,20,13,,,\n"         # evaluate 13
        "100,1800,180,20,8,,,\n"          # unstable: asa inf
        "100,1800,180,20,,0.8,0.6,\n"     # occupancy binds: ceil(10 / 0.6) = 17
        "100,1800,180,20,,0.8,,180\n"     # Erlang A
        "30000,1800,300,20,,0.8,,\n"      # 5,000 Erlangs: 5,019
        "0,1800,180,20,,0.8,,\n"          # nothing to answer
    )
    out = tmp_path / "results.csv"
    assert main(["erlang", "--batch", str(cases), "--out", str(out)]) == 0
    res = pd.read_csv(out)
    added = ["traffic_erlangs", "p_wait", "service_level", "asa_s", "occupancy", "p_abandon", "required_agents"]
    assert list(res.columns)[-7:] == added
    assert res.loc[0, "required_agents"] == 14
    assert pd.isna(res.loc[1, "required_agents"])
    assert res.loc[1, "service_level"] == pytest.approx(0.7956, abs=5e-5)
    assert np.isinf(res.loc[2, "asa_s"]) and "inf" in out.read_text().splitlines()[3]
    assert res.loc[3, "required_agents"] == 17
    assert res.loc[4, "p_abandon"] > 0 and res.loc[0, "p_abandon"] == 0
    assert res.loc[5, "required_agents"] == 5019
    assert res.loc[6, "required_agents"] == 0 and res.loc[6, "service_level"] == 1.0


@pytest.mark.parametrize("row,message", [
    ("100,1800,abc,20,0.8", "row 3, column aht_s = 'abc'"),
    ("-4,1800,180,20,0.8", "row 3, column calls = '-4'"),
    ("100,1800,180,20,1.5", "row 3, column target_sl = '1.5'"),
    ("100,,180,20,0.8", "row 3, column interval_s = '': empty"),
])
def test_batch_bad_rows_named(tmp_path, capsys, row, message):
    cases = tmp_path / "cases.csv"
    cases.write_text("calls,interval_s,aht_s,answer_s,target_sl\n100,1800,180,20,0.8\n" + row + "\n")
    out = tmp_path / "results.csv"
    assert main(["erlang", "--batch", str(cases), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(cases) in err
    assert not out.exists()


def test_batch_missing_column_and_file(tmp_path, capsys):
    cases = tmp_path / "cases.csv"
    cases.write_text("calls,interval_s,aht_s\n1,2,3\n")
    assert main(["erlang", "--batch", str(cases), "--out", str(tmp_path / "r.csv")]) == 2
    assert "missing column(s) answer_s" in capsys.readouterr().err
    assert main(["erlang", "--batch", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["erlang", "--help"])
    assert "Example:" in capsys.readouterr().out

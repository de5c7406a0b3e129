"""The execution layer on this machine: a script without a ``__main__`` guard, HiGHS threads in
the parent, failures named by scenario, bad options. (A real external cluster: test_dask_cluster.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from execution import Executor, TaskFailed
from planner.pipeline import run_scenarios
from planner.plan_config import Scenario, load_plan_config

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    # no `if __name__ == "__main__":` guard on purpose
    import warnings
    import highspy
    import numpy as np
    from execution import Executor
    from forecasting import forecast_frame
    from planner.synthetic import generate_many_queues

    h = highspy.Highs()          # HiGHS threads alive in this process before the cluster starts
    h.setOptionValue("output_flag", False)
    h.addVar(0.0, 10.0)
    h.changeColCost(0, -1.0)
    h.run()
    assert h.getInfo().objective_function_value == -10.0
    history, _ = generate_many_queues(series=3, weeks=5, interval_minutes=60, seed=1)
    kinds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Executor(workers=2, on_start=lambda info: kinds.append(info.kind)) as ex:
            spread = forecast_frame(history, start="2025-02-10", days=7, interval_minutes=60,
                                    method="decomposition", backtest_windows=1, executor=ex).frame
        here = forecast_frame(history, start="2025-02-10", days=7, interval_minutes=60,
                              method="decomposition", backtest_windows=1, executor=Executor(in_process=True)).frame
    assert kinds == ["local"], kinds
    assert spread.equals(here)
    print("ok", len(spread))
''')


@pytest.mark.slow
def test_a_script_without_main_guard_runs_on_a_local_cluster_after_highs(tmp_path):
    script = tmp_path / "plain_script.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == f"ok {3 * 7 * 24}"


def test_a_failing_scenario_is_named_with_its_cause():
    config = load_plan_config(ROOT / "data" / "sample" / "plan.toml")
    bad = Scenario("too good", {"channel.voice.target_sl": 1.5})
    with pytest.raises(TaskFailed) as failed:
        run_scenarios(config, pd.DataFrame(), (bad,), executor=Executor(in_process=True))
    assert failed.value.label == "scenario 'too good'"
    assert "target_sl" in failed.value.cause and "1.5" in failed.value.cause


def test_in_process_map_keeps_order_and_reports_progress():
    seen: list[tuple[int, int]] = []
    results: dict[int, int] = {}
    with Executor(in_process=True) as ex:
        out = ex.map(pow, [3, 1, 2], common=(2,), labels=["a", "b", "c"], progress=lambda d, t: seen.append((d, t)),
                     on_result=results.__setitem__)
    assert out == [8, 2, 4] and seen == [(1, 3), (2, 3), (3, 3)] and results == {0: 8, 1: 2, 2: 4}
    assert ex.info.kind == "in-process" and ex.client is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(workers=0), "workers must be >= 1"),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Executor(**kwargs)


def test_labels_must_match_items():
    with pytest.raises(ValueError, match="2 item"):
        Executor(in_process=True).map(pow, [1, 2], labels=["a"])

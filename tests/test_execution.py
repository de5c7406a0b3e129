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
    seen: list[tuple[str, float]] = []
    results: dict[int, int] = {}
    with Executor(in_process=True) as ex:
        out = ex.map(pow, [3, 1, 2], common=(2,), labels=["a", "b", "c"], progress=lambda text, share: seen.append((text, share)),
                     on_result=results.__setitem__)
    assert out == [8, 2, 4] and seen == [("1/3", 1 / 3), ("2/3", 2 / 3), ("3/3", 1.0)] and results == {0: 8, 1: 2, 2: 4}
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


def _spin(seconds: float) -> float:
    """Busy for ``seconds`` of this thread's CPU time (a CPU-bound task)."""
    import time

    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass
    return seconds


def _worker_threads() -> dict[str, str]:
    import os

    return {name: os.environ.get(name, "") for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def _blas_threads(_item=None) -> list[int]:
    """The thread counts of the BLAS/OpenMP pools loaded in this process (numpy's OpenBLAS at least)."""
    import numpy  # noqa: F401 - loads the BLAS
    from threadpoolctl import threadpool_info

    return sorted({pool["num_threads"] for pool in threadpool_info()})


def test_tasks_run_here_with_one_blas_thread_and_the_pools_come_back_after(monkeypatch):
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with threadpool_limits(limits=2):  # what a 2-core machine starts with, whatever this one has
        before = _blas_threads()
        with Executor(in_process=True) as ex:
            inside = ex.map(_blas_threads, [0, 1], labels=["a", "b"])
        assert inside == [[1], [1]]
        assert _blas_threads() == before == [2]
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # the user's choice stands
        with Executor(in_process=True) as ex:
            assert ex.map(_blas_threads, [0], labels=["a"]) == [[2]]


def test_task_stats_are_measured_inside_each_task_in_input_order():
    with Executor(in_process=True) as ex:
        ex.map(_spin, [0.2, 0.05], labels=["long", "short"])
    long, short = ex.task_stats
    assert (long.label, short.label, long.worker) == ("long", "short", "in-process")
    assert 0.2 <= long.thread_cpu_s <= long.cpu_s + 1e-3 and long.thread_cpu_s <= long.wall_s + 1e-3
    assert 0.05 <= short.thread_cpu_s < long.thread_cpu_s
    assert long.finished <= short.started + 1e-3  # one after another, here


@pytest.mark.slow
def test_local_workers_get_one_blas_thread_each_and_report_their_task_stats(monkeypatch):
    import os

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with Executor(workers=2, in_process=False) as ex:
        out = ex.map(_spin, [0.3, 0.3, 0.3, 0.3], labels=list("abcd"))
        threads = list(ex.client.run(_worker_threads).values())
        pools = list(ex.client.run(_blas_threads).values())
    assert out == [0.3] * 4
    each = "1"  # one BLAS/OpenMP thread per task, as under a Dask nanny
    assert threads == [{"OMP_NUM_THREADS": each, "OPENBLAS_NUM_THREADS": each, "MKL_NUM_THREADS": each}] * 2
    assert pools == [[1], [1]]
    assert [s.label for s in ex.task_stats] == list("abcd")
    assert all(s.worker.startswith("tcp://127.0.0.1:") and s.pid != os.getpid() and s.thread_cpu_s >= 0.3
               for s in ex.task_stats)
    assert len({s.pid for s in ex.task_stats}) == 2  # both workers ran tasks (1 thread each, 4 tasks)


def test_longest_first_orders_by_cost_and_keeps_ties_in_input_order():
    from execution import longest_first

    assert longest_first([1.0, 5.0, 1.0, 3.0, 5.0]) == [1, 4, 3, 0, 2]
    assert longest_first([]) == []
    with pytest.raises(ValueError, match="NaN"):
        longest_first([1.0, float("nan")])
    with pytest.raises(ValueError, match="3 item"):
        Executor(in_process=True).map(pow, [1, 2, 3], labels=list("abc"), costs=[1.0])


def test_in_process_runs_keep_input_order_whatever_the_costs():
    with Executor(in_process=True) as ex:
        out = ex.map(_spin, [0.01, 0.03, 0.02], labels=list("abc"), costs=[1.0, 3.0, 2.0])
    assert out == [0.01, 0.03, 0.02]
    assert [s.label for s in ex.task_stats] == list("abc")
    assert ex.task_stats[0].finished <= ex.task_stats[1].started + 1e-3


def _imported(name: str) -> bool:
    """Whether module ``name`` was imported in this process before this task ran."""
    import sys

    return name in sys.modules


@pytest.mark.slow
def test_a_cluster_runs_the_costliest_tasks_first_and_workers_import_the_warm_modules_first():
    warm = "statsmodels.tsa.seasonal"  # nothing of a fresh dask worker imports statsmodels
    with Executor(workers=1, in_process=False) as ex:
        cold = ex.map(_imported, [warm], labels=["cold"])
        # one worker with one thread runs one task at a time: the start order is the run order
        out = ex.map(_spin, [0.05, 0.2, 0.1, 0.15], labels=list("abcd"), costs=[1, 4, 2, 3])
        warmed = ex.map(_imported, [warm], labels=["warmed"], warm=(warm,))
        ex.map(_imported, [warm], labels=["again"], warm=(warm,))  # registered once, nothing to redo
        plugins = ex.client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert cold == [False] and warmed == [True]
    assert out == [0.05, 0.2, 0.1, 0.15]  # results in input order
    batch = ex.task_stats[1:5]
    assert [s.label for s in batch] == list("abcd")  # stats in input order too
    assert [s.label for s in sorted(batch, key=lambda s: s.started)] == ["b", "d", "c", "a"]
    assert [name for name in next(iter(plugins.values())) if name.startswith("warm-imports")] == [
        f"warm-imports-{warm}"]

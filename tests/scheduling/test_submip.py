"""Neighbourhood MIPs in a child process (scheduling.shifts.submip): the same answers as HiGHS
in this process, and a run that does not end by its stop time is killed at once (issue 11:
HiGHS ran a 6 s neighbourhood MIP for 17-27 s in root cut separation)."""

from __future__ import annotations

import itertools
import os
import time

import highspy
import numpy as np
import pytest

from scheduling.shifts.submip import SubMipProcess

# how far past its stop time a killed run may return (the kill, the child's exit, the pipes
# closed): measured 0.016-0.069 s over 5 kills at load 17 (/tmp script, 00:08 UTC 11-30); the
# bound leaves room for a more loaded machine
KILL_LATENESS_S = 1.0


def _highs(cost, rows, lower_rhs, upper_rhs, *, upper_col) -> highspy.Highs:
    """An integer model: min cost.x, lower_rhs <= rows.x <= upper_rhs, 0 <= x <= upper_col, x integer."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    a = np.asarray(rows, dtype=float)
    n_row, n_col = a.shape
    for j in range(n_col):
        h.addVar(0.0, float(upper_col))
        h.changeColCost(j, float(cost[j]))
    for i in range(n_row):
        nz = np.flatnonzero(a[i])
        h.addRow(float(lower_rhs[i]), float(upper_rhs[i]), len(nz), nz.astype(np.int32), a[i, nz])
    h.changeColsIntegrality(n_col, np.arange(n_col, dtype=np.int32), np.full(n_col, highspy.HighsVarType.kInteger))
    return h


def test_the_child_finds_the_exhaustive_optimum_and_keeps_fixed_columns():
    rng = np.random.default_rng(3)
    n_col, n_row = 6, 4
    rows = rng.integers(0, 4, size=(n_row, n_col))
    need = rng.integers(3, 9, size=n_row)
    cost = rng.integers(2, 9, size=n_col).astype(float)
    h = _highs(cost, rows, need, np.full(n_row, highspy.kHighsInf), upper_col=4)
    start = np.full(n_col, 4.0)  # feasible: every row gets at least 4 x its nonzeros
    columns = np.arange(n_col, dtype=np.int32)

    def brute(fixed: dict[int, int]) -> float:
        best = float("inf")
        for x in itertools.product(range(5), repeat=n_col):
            if any(x[j] != v for j, v in fixed.items()):
                continue
            if (rows @ np.array(x) >= need).all():
                best = min(best, float(cost @ np.array(x)))
        return best

    with SubMipProcess(h) as worker:
        free = worker.solve(columns, np.zeros(n_col), np.full(n_col, 4.0), start, time_limit_s=20.0, grace_s=5.0,
                            stop_at=time.perf_counter() + 60.0)
        # columns 0 and 1 fixed at 4 and 0: a neighbourhood of the others
        lower, upper = np.zeros(n_col), np.full(n_col, 4.0)
        lower[0] = upper[0] = 4.0
        upper[1] = 0.0
        part = worker.solve(columns, lower, upper, start, time_limit_s=20.0, grace_s=5.0,
                            stop_at=time.perf_counter() + 60.0)
        assert worker.starts == 1 and worker.kills == 0
    assert free is not None and free.optimal and free.status == "Optimal"
    assert free.objective == pytest.approx(brute({}))
    assert part is not None and part.optimal
    assert part.objective == pytest.approx(brute({0: 4, 1: 0}))
    assert part.col_value[0] == pytest.approx(4.0) and part.col_value[1] == pytest.approx(0.0)
    assert part.objective >= free.objective - 1e-9
    # the same model in this process agrees
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(free.objective)


def _market_split(seed: int, m: int = 5, n: int = 40) -> highspy.Highs:
    """A market split instance (Cornuejols and Dawande): sum_j a_ij x_j = floor(sum_j a_ij / 2),
    x binary; branch and bound takes far longer than the tests wait."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    rhs = np.floor(a.sum(axis=1) / 2)
    # slack columns s+ and s- per row keep it feasible; minimise their sum
    rows = np.hstack([a, np.eye(m), -np.eye(m)])
    cost = np.concatenate([np.zeros(n), np.ones(2 * m)])
    h = _highs(cost, rows, rhs, rhs, upper_col=1)
    h.changeColsBounds(2 * m, np.arange(n, n + 2 * m, dtype=np.int32), np.zeros(2 * m), np.full(2 * m, 1e4))
    return h


def _market_split_run(seed: int):
    """A market split model and a run of it: (h, columns, lower, upper, start, rhs), the start
    feasible (x = 0, s+ = rhs: objective sum(rhs))."""
    h = _market_split(seed)
    lp = h.getLp()
    n = h.getNumCol()
    columns = np.arange(n, dtype=np.int32)
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    rhs = np.asarray(lp.row_lower_)
    m = len(rhs)
    start = np.zeros(n)
    start[n - 2 * m:n - m] = rhs
    return h, columns, lower, upper, start, rhs


def test_a_run_past_its_stop_time_is_killed_and_the_next_run_starts_a_new_child():
    h, columns, lower, upper, start, rhs = _market_split_run(7)
    with SubMipProcess(h) as worker:
        # HiGHS's own limit far away (as when it overruns it): only the stop time ends the run
        ran = time.perf_counter()
        result = worker.solve(columns, lower, upper, start, time_limit_s=300.0, grace_s=300.0, stop_at=ran + 3.0)
        late = time.perf_counter() - (ran + 3.0)
        assert result is None
        assert worker.kills == 1
        assert -0.01 <= late <= KILL_LATENESS_S
        # a new child for the next run, which ends at HiGHS's own short limit with a plan no
        # worse than its start
        result = worker.solve(columns, lower, upper, start, time_limit_s=0.5, grace_s=30.0,
                              stop_at=time.perf_counter() + 60.0)
        assert worker.starts == 2 and worker.kills == 1
    assert result is not None and not result.optimal
    assert result.col_value is not None and result.objective <= rhs.sum() + 1e-9
    assert worker.kills == 1  # closing a child that waits for work is not a kill


def test_a_child_that_dies_without_answering_twice_is_an_os_error(monkeypatch):
    # e.g. highspy missing in the child's interpreter: the improvement then runs its MIPs in
    # its own process (scheduling.shifts.improve) instead of restarting a dead child per MIP
    import scheduling.shifts.submip as submip

    monkeypatch.setattr(submip.sys, "executable", "/bin/false")
    h = _highs([1.0, 1.0], [[1, 1]], [1], [highspy.kHighsInf], upper_col=3)
    columns = np.arange(2, dtype=np.int32)
    args = (columns, np.zeros(2), np.full(2, 3.0), np.array([1.0, 0.0]))
    ran = time.perf_counter()
    with pytest.raises(OSError):  # the dead child's pipe (broken) or its missing answer, at the latest twice
        with SubMipProcess(h) as worker:
            for _ in range(2):
                assert worker.solve(*args, time_limit_s=5.0, grace_s=1.0, stop_at=time.perf_counter() + 30.0) is None
    assert time.perf_counter() - ran < 10.0  # found out at once, not at the stop time


def test_a_lower_priority_holds_for_every_child_including_one_started_after_a_kill():
    """``nice``: the portfolio's neighbourhood child runs below the branch and bound's threads;
    the child started anew after a kill gets the same lowered priority."""
    h, columns, lower, upper, start, rhs = _market_split_run(7)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with SubMipProcess(h, nice=7) as worker:
        first = worker.pid
        assert os.getpriority(os.PRIO_PROCESS, first) == min(19, own + 7)
        result = worker.solve(columns, lower, upper, start, time_limit_s=300.0, grace_s=300.0,
                              stop_at=time.perf_counter() + 1.0)
        assert result is None and worker.kills == 1
        result = worker.solve(columns, lower, upper, start, time_limit_s=0.5, grace_s=30.0,
                              stop_at=time.perf_counter() + 60.0)
        second = worker.pid
        assert second != first and worker.starts == 2
        assert os.getpriority(os.PRIO_PROCESS, second) == min(19, own + 7)
    assert result is not None and result.objective <= rhs.sum() + 1e-9
    with SubMipProcess(h, start=False) as plain:  # the default: as this process
        plain._spawn()
        assert os.getpriority(os.PRIO_PROCESS, plain.pid) == own
    with pytest.raises(ValueError, match="nice=20"):
        SubMipProcess(h, nice=20, start=False)


def test_an_offer_is_handed_at_once_again_while_not_taken_and_dropped_once_highs_has_as_good():
    from scheduling.shifts.submip import OFFER_RETRY_S, PendingOffer

    offer = PendingOffer()
    assert not offer.due(float("inf"), 0.0)  # nothing offered
    offer.replace(np.array([1.0, 2.0]), 10.0)
    assert offer.due(float("inf"), 0.5)  # at once
    assert not offer.due(12.0, 0.6)  # HiGHS's incumbent still worse: dropped by its presolve, not again yet
    assert offer.due(12.0, 0.5 + OFFER_RETRY_S)  # again (HiGHS may have presolved anew since)
    offer.replace(np.array([1.0, 1.0]), 9.0)  # a newer plan: at once, whenever the last try was
    assert offer.due(12.0, 0.6 + OFFER_RETRY_S)
    assert not offer.due(9.0, 100.0)  # taken (or HiGHS found as good): never again
    assert offer.values is None and not offer.due(12.0, 200.0)


def _taken_within(a: dict, plan: np.ndarray, seconds: float) -> float:
    """HiGHS's incumbent (with the constant) after ``seconds`` of branch and bound on the model
    ``a``, ``plan`` handed to its first user-solution callback."""
    from scheduling.shifts.submip import load_arrays

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    load_arrays(h, a, {"time_limit": seconds})
    handed = []

    def user_solution(event):
        if not handed:
            event.data_in.setSolution(plan)
            handed.append(True)

    h.cbMipUserSolution.subscribe(user_solution)
    h.run()
    assert handed
    return h.getInfo().objective_function_value if h.getInfo().primal_solution_status == 2 else float("inf")


def test_an_offer_on_a_column_presolve_removes_is_moved_off_it_at_no_cost_and_then_taken():
    """Family seed 25: the LP rounding's first plan places a break where HiGHS's presolve fixes
    that placement at 0, so HiGHS drops the plan from its user-solution callback ("untransformed
    violations") and has found none as cheap after 2 s; OfferRepair moves the break to another
    placement of the same shift, every row kept at the same cost, and HiGHS takes it at once."""
    import time

    from scheduling.shifts import heuristics, solve
    from scheduling.shifts.improve import integer_columns
    from scheduling.mip_child import ConcurrentMip
    from scheduling.shifts.submip import OfferRepair, arrays_matrix, load_arrays, model_arrays
    from tests.scheduling.test_lp_under_load import _family_model

    model = _family_model(25)
    assert model.solve(mip=False, time_limit_s=120.0, crossover=False)[0] == "Optimal"
    assert solve.crossover_basis(model, deadline=time.perf_counter() + 120.0, progress=lambda _s: None)
    integer = integer_columns(model).integer
    a = model_arrays(model.prob.solverModel, integer)  # the concurrent branch and bound's copy, taken here
    tours = heuristics.spread_dive(model, progress=lambda _s: None)
    status, cost, _ = heuristics.round_lp(model, progress=lambda _s: None, candidates=tours)
    assert status in ("Optimal", "Feasible")
    plan = model.incumbent.copy()
    assert float(a["col_cost"] @ plan + a["offset"]) == pytest.approx(cost, rel=1e-9)

    repair = OfferRepair(a, {}, integer, np.zeros(len(integer)), np.full(len(integer), highspy.kHighsInf))
    removed = repair.removed()
    assert len(removed) and set(removed) <= set(integer.tolist())
    assert (np.abs(plan[removed]) > 0.5).any()  # the plan uses a column presolve removes
    moved = repair.repaired(plan)
    assert repair.repaired_count == 1
    assert not (np.abs(moved[removed]) > 0.5).any()
    assert float(a["col_cost"] @ moved) <= float(a["col_cost"] @ plan) + 1e-6  # never dearer
    activity = arrays_matrix(a) @ moved
    assert (activity >= a["row_lower"] - 1e-6).all() and (activity <= a["row_upper"] + 1e-6).all()  # every row kept
    assert np.abs(moved[integer] - np.round(moved[integer])).max() < 1e-6
    assert repair.repaired(moved) is moved  # a plan on no removed column goes as it is

    offered = float(a["col_cost"] @ moved + a["offset"])
    assert _taken_within(a, plan, 2.0) > offered + 1.0  # dropped: HiGHS's own plan is dearer
    assert _taken_within(a, moved, 2.0) <= offered + 1e-6  # taken

    # the child does it: the plan as it was offered to the portfolio's run, which ends at its
    # 3 s limit holding that plan (or one as cheap)
    copy = highspy.Highs()
    copy.setOptionValue("output_flag", False)
    load_arrays(copy, a, {})
    with ConcurrentMip(copy, options={"threads": 1}) as child:
        child.begin(integer, np.zeros(len(integer)), np.full(len(integer), highspy.kHighsInf), None, time_limit_s=3.0)
        child.offer(plan)
        deadline = time.perf_counter() + 60.0
        while child.ended() is None and child.failure() is None and time.perf_counter() < deadline:
            time.sleep(0.05)
        answer = child.finish()
    assert not answer.killed and answer.col_value is not None
    assert float(a["col_cost"] @ answer.col_value + a["offset"]) <= offered + 1e-6


def test_a_solver_child_ends_when_its_parent_is_killed_in_the_middle_of_a_run():
    """A planner killed in the middle of a solve (SIGKILL: no cleanup) leaves no solver child
    running on to its time limit: the child's input ends, and it exits at once. The parent here
    is a process of its own that begins a market split run with a 600 s limit in a child (one
    that sends nothing before its answer, as a neighbourhood's run) and is then killed."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import threading, time\n"
        "from tests.scheduling.test_submip import _market_split_run\n"
        "from scheduling.shifts.submip import SubMipProcess\n"
        "h, columns, lower, upper, start, _rhs = _market_split_run(0)\n"
        "sub = SubMipProcess(h)\n"
        "run = dict(time_limit_s=600.0, grace_s=1.0, stop_at=time.perf_counter() + 600.0)\n"
        "threading.Thread(target=sub.solve, args=(columns, lower, upper, start), kwargs=run, daemon=True).start()\n"
        "time.sleep(2.0)\n"  # the model and the run sent: HiGHS is solving, and sends nothing until it ends
        "print('child', sub.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        while not line.startswith("child "):  # HiGHS's banner first
            line = parent.stdout.readline()
        child_pid = int(line.split()[1])
        os.kill(child_pid, 0)  # running
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.perf_counter() + 10.0
        while time.perf_counter() < deadline:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                break
            with open(f"/proc/{child_pid}/stat") as stat:  # a zombie (exited, not yet reaped) counts as ended
                if stat.read().split(") ")[-1].startswith("Z"):
                    break
            time.sleep(0.05)
        else:
            os.kill(child_pid, signal.SIGKILL)
            pytest.fail("the solver child was still running 10 s after its parent was killed")
    finally:
        if parent.poll() is None:
            parent.kill()

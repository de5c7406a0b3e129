"""Background jobs are registered with their owner and progress, so a reloaded page still shows
them; a job whose process is gone shows as stopped."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planner.store import Store, acting_as
from planner.ui import context
from planner.ui.jobs_board import Failed, running_lines, tracked


def test_a_tracked_job_records_owner_progress_and_outcome(store_url):
    context.set_store_url(store_url)
    store = Store.open(store_url)
    seen = []

    @tracked("plan build")
    def build(set_progress, value):
        set_progress(("40", "scheduling"))
        assert running_lines(context.store()) == [f"plan build by max since {store.jobs()['started_at'][0][11:16]} UTC: 40% scheduling"]
        return value * 2

    @tracked("forecast")
    def broken(set_progress):
        raise ValueError("no history")

    with acting_as("max"):
        assert build(seen.append, 21) == 42
    with acting_as("fin"), pytest.raises(ValueError):
        broken(seen.append)
    assert seen == [("40", "scheduling")]
    table = store.jobs()
    assert table[["kind", "owner", "status"]].values.tolist() == [["forecast", "fin", "failed"], ["plan build", "max", "done"]]
    assert running_lines(store) == []


def test_a_job_that_stops_on_the_users_input_is_failed_and_its_progress_line_says_where(store_url):
    context.set_store_url(store_url)
    store = Store.open(store_url)
    seen = []

    @tracked("plan build")
    def build(set_progress):
        set_progress(("30", "planning 1 scenario(s)"))
        return Failed("The schedule could not be built: no rule-abiding roster")

    @tracked("forecast")
    def refused(set_progress):
        return Failed("dataset: choose a stored history dataset")

    with acting_as("max"):
        assert build(seen.append) == "The schedule could not be built: no rule-abiding roster"
        assert refused(seen.append) == "dataset: choose a stored history dataset"
    assert seen == [("30", "planning 1 scenario(s)"),
                    ("30", "Stopped at planning 1 scenario(s): see the message below."),
                    ("0", "Stopped: see the message below.")]
    assert store.jobs()[["kind", "status"]].values.tolist() == [["forecast", "failed"], ["plan build", "failed"]]
    assert running_lines(store) == []


def test_a_job_whose_process_died_shows_as_stopped(store_url):
    import socket

    store = Store.open(store_url)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with acting_as("ana"):
        job = store.start_job("scenario", host=socket.gethostname(), pid=gone.pid)
    assert running_lines(store) == []
    assert store.jobs().set_index("id").loc[job, "status"] == "stopped"

"""One progress signature (wfm_progress.Progress): its helpers, and the two consumers - the
``planner`` command's bar and the app's job progress - reading the same calls the same way.
Each producer's own test records its progress with tests.progress_check.Recorder (execution:
test_execution, forecasting: test_api, scheduling: test_activities, week_schedule: test_risk,
pipeline: test_pipeline, scenario search: test_finance, capacity plan: test_capacity, the app's
jobs: ui/test_pages)."""

from __future__ import annotations

import re

import pytest

from planner.progress import stage_bar
from planner.ui.jobs_board import progress_bar
from tests.progress_check import Recorder
from wfm_progress import quiet, within

CALLS = [("reading history", 0.0), ("forecasting series 1/2", 0.25), ("building model", None),
         ("writing outputs", 0.9), ("done", 1.0)]


def test_within_maps_a_part_onto_its_share_of_the_whole_and_keeps_unknown_shares_unknown():
    outer = Recorder()
    part = within(outer, 0.2, 0.6, prefix="forecasting ")
    part("series 1/4", 0.25)
    part("building model")
    part("series 4/4", 1.0)
    assert outer.calls == [("forecasting series 1/4", pytest.approx(0.3)), ("forecasting building model", None),
                           ("forecasting series 4/4", pytest.approx(0.6))]
    assert within(None, 0.0, 1.0) is quiet and quiet("anything", 0.5) is None
    with pytest.raises(ValueError, match="0 <= start <= end <= 1"):
        within(outer, 0.6, 0.2)


def test_the_recorder_refuses_the_old_shapes():
    progress = Recorder()
    for old in [(0.5, "text"), (3, 10)]:  # (share, text) of the old app jobs, (done, total) of the old maps
        with pytest.raises(AssertionError):
            progress(*old)
    with pytest.raises(AssertionError):
        progress("text", 1.5)
    assert progress.calls == []


def test_the_command_bar_and_the_app_job_read_the_same_calls_the_same_way(capsys):
    shown = []
    app = progress_bar(shown.append)
    with stage_bar("plan") as command:
        for text, share in CALLS:
            app(text, share)
            command(text, share)
    # the app: (percent, text); a call without a share keeps the percent
    assert shown == [("0", "reading history"), ("25", "forecasting series 1/2"), ("25", "building model"),
                     ("90", "writing outputs"), ("100", "done")]
    bar = capsys.readouterr().err
    final = re.split(r"[\r\n]", bar.strip())[-1]
    assert re.match(r"plan: 100%\|[^|]*\|[ ,]*done$", final), final  # tqdm puts ", " before a postfix
    # the command's bar shows the same percent and text after each call
    for percent, text in shown:
        assert re.search(rf"plan: +{percent}%\|[^|]*\|[ ,]*{re.escape(text)}", bar), (percent, text, bar)

"""Background jobs that outlive the page: each long job of the app (forecast, plan build,
scenarios, demo) is registered in the store with its owner and progress, so a reloaded page (or
another user) still sees it running, whose it is and how far it got.

:func:`tracked` wraps a background callback; the line at the top of every page lists the
running jobs. A job whose process is gone (killed, server restarted) shows as ``stopped``.

Example:
    @callback(..., background=True, progress=[...])
    @tracked("plan build")
    def build(set_progress, ...):
        plan_dataset(..., progress=progress_bar(set_progress))
"""

from __future__ import annotations

import functools
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import dash
from dash import Input, Output, callback, dcc, html

from wfm_progress import Progress
from planner.ui import context

REFRESH_MS = 5000
PROGRESS_WRITE_S = 1.0  # at most one progress write per second and job


@dataclass(frozen=True)
class Failed:
    """What a tracked callback returns when its job did not do its work (the user's input or rules
    stopped it): ``output`` is shown as usual, the job is recorded as failed, and the progress line
    says where it stopped instead of standing at its last step as if still at work."""

    output: Any


def progress_bar(set_progress) -> Progress:
    """The app's job progress as a :class:`wfm_progress.Progress` (the calls the ``planner``
    command's bar reads, :func:`planner.progress.stage_bar`): ``progress(text, share)`` sets a
    :func:`planner.ui.components.progress_block`'s bar to the share in percent and its line to the
    text; ``share`` None leaves the bar where it is."""
    percent = ["0"]

    def progress(text: str, share: float | None = None, /) -> None:
        if share is not None:
            percent[0] = str(round(100 * share))
        set_progress((percent[0], text))

    return progress


def tracked(kind: str, *, has_progress: bool = True):
    """Register the wrapped background callback's runs as jobs of the signed-in account. A run that
    returns :class:`Failed` is recorded as failed and its progress line says where it stopped."""

    def wrap(function):
        @functools.wraps(function)
        def run(*args):
            store = context.store()
            job_id = store.start_job(kind, host=socket.gethostname(), pid=os.getpid())
            last = [0.0]
            shown = ["0", ""]  # the progress bar's value and line as the user last saw them
            if has_progress:
                set_progress, rest = args[0], args[1:]

                def progress(value):
                    set_progress(value)
                    shown[:] = value
                    now = time.monotonic()
                    if now - last[0] >= PROGRESS_WRITE_S:
                        last[0] = now
                        share, text = value
                        store.update_job(job_id, share=float(share) / 100, text=text)

                args = (progress, *rest)
            status = "failed"
            try:
                result = function(*args)
                if isinstance(result, Failed):
                    if has_progress:
                        where = f" at {shown[1]}" if shown[1] else ""
                        set_progress((shown[0], f"Stopped{where}: see the message below."))
                    return result.output
                status = "done"
                return result
            finally:
                store.update_job(job_id, status=status, share=1.0 if status == "done" else None)

        return run

    return wrap


def _alive(host: str, pid: int) -> bool:
    if host != socket.gethostname():
        return True  # another machine's job: trust its status
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_lines(store) -> list[str]:
    """One line per running job: ``plan build by max since 10:31 UTC: 45% scheduling``."""
    lines = []
    for job in store.jobs(status="running").to_dict("records"):
        since = str(job["started_at"])[11:16]
        if not _alive(job["host"], job["pid"]):
            store.update_job(int(job["id"]), status="stopped")
            continue
        progress = f": {job['share']:.0%} {job['text']}" if job["text"] else ""
        lines.append(f"{job['kind']} by {job['owner']} since {since} UTC{progress}")
    return lines


def board() -> html.Div:
    return html.Div([html.Div(id="jobs-running", className="jobs"), dcc.Interval(id="jobs-tick", interval=REFRESH_MS)])


@callback(Output("jobs-running", "children"), Input("jobs-tick", "n_intervals"))
def show_running(_ticks):
    lines = running_lines(context.store())
    if not lines:
        return dash.no_update if _ticks else ""
    return html.Span("Running: " + "; ".join(lines), id="jobs-running-text")

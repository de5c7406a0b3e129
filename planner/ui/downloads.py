"""Download routes for scripts and payroll, behind the same sign-in as the pages:

- ``/download/roster.csv`` and ``/download/roster.xlsx``: the published roster (the plan intraday
  uses: :func:`planner.ui.views.operating_plan`); ``?plan=ID`` picks a plan (needs ``read_plan``
  unless it is, or once was, a published plan: the plans the Roster page's picker offers a lead).

Example:
    curl -u lea:PASSWORD -o roster.csv http://HOST:8050/download/roster.csv
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import flask

from wfm_errors import InputError
from planner.exports import write_csv, write_roster_xlsx
from planner.ui import context
from planner.ui.auth import Denied, _plain, require
from planner.ui.views import PlanView, operating_plan, visible_plans

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def roster_bytes(plan: PlanView, kind: str) -> bytes:
    """The plan's roster as CSV (one row per shift) or XLSX (grid, shifts, activities, coverage)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"roster.{kind}"
        if kind == "csv":
            write_csv(plan.table("roster"), target)
        elif kind == "xlsx":
            write_roster_xlsx(plan.table("roster"), plan.table("activities"), plan.table("coverage"), target,
                              week_start=plan.week_start)
        else:
            raise InputError(f"export kind {kind!r}: not csv or xlsx")
        return target.read_bytes()


def download_roster(kind: str):
    if kind not in MEDIA_TYPES:
        return _plain(404, f"no export of kind {kind!r}: use roster.csv or roster.xlsx")
    store = context.store()
    try:
        require("read_published")
        published = operating_plan(store)
        wanted = flask.request.args.get("plan")
        if wanted is not None:
            if not wanted.isdigit():
                return _plain(400, f"plan: {wanted!r} is not a plan id")
            if published is None or int(wanted) != published.plan_id:
                user = require("read_published")
                if int(wanted) not in {r.plan_id for r in visible_plans(store, user)}:
                    require("read_plan")
                info = store.plan(int(wanted))
                published = PlanView(store, int(wanted), info.name, info.config, info.summary, info.tables)
    except Denied as exc:
        return _plain(403, str(exc))
    except ValueError as exc:
        return _plain(404, str(exc))
    if published is None:
        return _plain(404, "nothing published yet: a manager publishes a plan on the Schedule page or with 'planner publish'")
    data = roster_bytes(published, kind)
    store.record("download", f"plan {published.plan_id}", {"kind": kind})
    return flask.Response(data, 200, {"Content-Type": MEDIA_TYPES[kind],
                                      "Content-Disposition": f'attachment; filename="roster_plan{published.plan_id}.{kind}"'})


def install(server: flask.Flask) -> None:
    server.add_url_rule("/download/roster.<kind>", "planner_download_roster", download_roster, methods=["GET"])

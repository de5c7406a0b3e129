"""``planner app`` with a rule violation injected after solving (a test server, never shipped).

Every roster the server builds has its first lunch moved 3 h earlier, outside its window - the
injection the CLI tests make with monkeypatch (tests/planner/test_cli_schedule.py), here done
before the server starts so that its gunicorn workers and the jobs they fork inherit it.

    python tests/ui/rule_breaking_app.py app --port 8060
"""

from __future__ import annotations

import dataclasses
import sys

import pandas as pd

import planner.week_schedule
from planner.cli import main

_real_build_roster = planner.week_schedule.build_roster


def build_roster_with_a_lunch_out_of_its_window(plan, rules, *, agents=None):
    """The real roster with one lunch moved 3 h early (the plan itself is untouched)."""
    roster = _real_build_roster(plan, rules, agents=agents)
    acts = roster.activities.copy()
    k = acts.index[acts["activity"] == "lunch"][0]
    acts.loc[k, ["start", "end"]] = [acts.loc[k, "start"] - pd.Timedelta(hours=3),
                                     acts.loc[k, "end"] - pd.Timedelta(hours=3)]
    return dataclasses.replace(roster, activities=acts)


planner.week_schedule.build_roster = build_roster_with_a_lunch_out_of_its_window

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Actuals uploads: a plain dataset name, and a warning when they are dated outside every plan."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.cli import main
from planner.intraday import actuals_dataset_name, actuals_outside_plans


@pytest.mark.parametrize("filename, name", [
    ("actuals_2025-06-03.csv", "actuals_2025-06-03"),
    ("Actuals-2025-06-03.csv.gz", "actuals_2025-06-03"),
    ("acd.today.csv", "actuals_acd.today"),
    ("ACD today (2).xlsx", "actuals_ACD_today_2"),
    ("actuals.csv", "actuals_upload"),
    ("../../etc/passwd", "actuals_passwd"),
])
def test_actuals_dataset_name(filename, name):
    assert actuals_dataset_name(filename) == name


def _actuals(*days: str) -> pd.DataFrame:
    times = [pd.Timestamp(d) + pd.Timedelta(hours=8, minutes=15 * k) for d in days for k in range(4)]
    return pd.DataFrame({"interval_start": times, "queue": "main", "channel": "voice", "offered": 5})


def test_actuals_inside_a_plan_get_no_warning(store, day_plan):
    assert actuals_outside_plans(store, _actuals("2025-06-03")) is None


def test_actuals_outside_every_plan_are_named(store, day_plan):
    text = actuals_outside_plans(store, _actuals("2003-10-20", "2003-10-21"))
    assert text == ("These actuals were stored, but they are dated Mon 2003-10-20 .. Tue 2003-10-21, outside every "
                    f"plan's dates (plan {day_plan}: 2025-06-03 .. 2025-06-03), so intraday can't compare them with a "
                    "forecast. Check the file's dates, or build a plan for those days.")
    part = actuals_outside_plans(store, _actuals("2025-06-03", "2025-06-04"))
    assert "1 of their 2 days (Wed 2025-06-04) are outside every plan's dates" in part


def test_actuals_without_any_plan(store):
    assert actuals_outside_plans(store, _actuals("2025-06-03")) == (
        "These actuals can't be compared with a forecast yet: they are dated Tue 2025-06-03, and there is no plan "
        "in the store.")


def test_cli_actuals_names_the_dataset_once_and_warns(store, day_plan, tmp_path, capsys):
    path = tmp_path / "actuals_2003-10-20.csv"
    _actuals("2003-10-20").assign(interval_start=lambda f: f["interval_start"].dt.strftime("%Y-%m-%dT%H:%M")).to_csv(
        path, index=False)
    assert main(["actuals", str(path)]) == 0
    captured = capsys.readouterr()
    assert "stored actuals 'actuals_2003-10-20'" in captured.out
    assert "planner actuals: warning: These actuals were stored, but they are dated Mon 2003-10-20" in captured.err
    assert store.list_datasets(kind="actuals")["name"].tolist() == ["actuals_2003-10-20"]
    inside = tmp_path / "today.csv"
    _actuals("2025-06-03").to_csv(inside, index=False)
    assert main(["actuals", str(inside)]) == 0
    assert "warning" not in capsys.readouterr().err

"""Budget scenarios warm-started from the base plan (issue 11): the base is planned first, every
other scenario's shift plan begins from its tours, and the results are the same with one
worker (in this process) and with a two-worker Dask cluster.

The US bank week of tests/planner/test_pipeline.py (hourly grid): its plans end within
``gap_rel`` of the bound, so they do not depend on the machine's speed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from execution import Executor
from forecasting.scenarios import forecast_spread
from planner.pipeline import BASE, build_forecast, load_plan_history, run_scenarios
from planner.plan_config import load_plan_config
from planner.uncertainty import with_spread
from tests.planner.test_pipeline import PLAN_TOML, write_config

# the base, a volume scenario (other requirements: its own LP) and a pay rise (the base's
# requirements: warm-started from the base plan)
WARM_TOML = PLAN_TOML[:PLAN_TOML.index('[[scenario]]\nname = "voice 90/20"')] + """[[scenario]]
name = "pay rise 8%"
contract.full_time.hourly_cost = 25.92
contract.part_time.hourly_cost = 22.68
"""


@pytest.fixture(scope="module")
def config_and_forecast(tmp_path_factory, us_bank_path):
    folder = tmp_path_factory.mktemp("warm")
    config = load_plan_config(write_config(folder, us_bank_path, WARM_TOML))
    history = load_plan_history(config, None)
    with Executor(workers=1) as executor:
        forecast = build_forecast(config, history, executor=executor)
    spread = forecast_spread(forecast.frame, forecast.selection, forecast.backtest)
    return config, with_spread(forecast.frame, spread)


def _facts(outcomes):
    rows = {name: {k: o.row[k] for k in ("cost", "fte", "paid_hours", "service_level", "solver_status")}
            for name, o in outcomes.items()}
    tours = {name: o.tours.sort_values(list(o.tours.columns)).reset_index(drop=True) for name, o in outcomes.items()}
    return rows, tours


@pytest.mark.slow
def test_scenarios_start_from_the_base_and_agree_on_one_and_two_workers(config_and_forecast):
    config, forecast = config_and_forecast
    scenarios = (BASE, *config.scenarios)
    finished = []
    with Executor(workers=1, in_process=True) as here:
        one = run_scenarios(config, forecast, scenarios, executor=here, on_done=lambda o: finished.append(o.scenario.name))
    assert finished[0] == "base" and sorted(finished) == sorted(s.name for s in scenarios)
    with Executor(workers=2) as cluster:
        two = run_scenarios(config, forecast, scenarios, executor=cluster)
    assert list(one) == list(two) == [s.name for s in scenarios]
    rows_one, tours_one = _facts(one)
    rows_two, tours_two = _facts(two)
    assert rows_one == rows_two
    for name in tours_one:
        pd.testing.assert_frame_equal(tours_one[name], tours_two[name])
    assert "warm start" not in one["base"].solver.improvements[0].method
    assert "warm start" not in one["volume +10%"].solver.improvements[0].method
    assert "warm start from the base plan" in one["pay rise 8%"].solver.improvements[0].method
    for outcome in one.values():  # within gap_rel (0.01, the default) of each plan's own bound
        assert outcome.solver.status == "Optimal" and 0.0 <= outcome.solver.gap <= 0.01 + 1e-9

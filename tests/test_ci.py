"""`.ci/run` runs `make test`, and its exit status is the test run's: red tests make CI red."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(os.environ.get("PLANNER_INNER_CI") == "1", reason="already inside .ci/run")
@pytest.mark.parametrize(("body", "code"), [("assert 1 + 1 == 2", 0), ("assert 1 + 1 == 3", 1)])
def test_ci_run_propagates_the_test_result(tmp_path, body, code):
    probe = tmp_path / "test_probe.py"
    probe.write_text(f"def test_probe():\n    {body}\n")
    env = {**os.environ, "PYTEST_ARGS": f"{probe} -p no:cacheprovider --rootdir {tmp_path}", "PLANNER_INNER_CI": "1"}
    done = subprocess.run(["bash", ".ci/run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert (done.returncode != 0) == bool(code), done.stdout[-2000:] + done.stderr[-2000:]
    assert ("1 passed" in done.stdout) == (code == 0)

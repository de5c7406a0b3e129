"""scheduling.cpu_idle: /proc/stat read into idle cores (the portfolio's gate)."""

from __future__ import annotations

import sys
import time

import pytest

from scheduling.cpu_idle import CpuTimes, cpu_times, idle_cores, parse_proc_stat

STAT = """cpu  100 5 50 800 40 3 2 0 7 0
cpu0 50 2 25 400 20 1 1 0 3 0
cpu1 50 3 25 400 20 2 1 0 4 0
intr 12345 0 0
ctxt 999
"""


def test_the_summed_line_gives_idle_and_total_ticks_and_the_cpu_lines_the_cores():
    # idle 800 + iowait 40; total: user, nice, system, idle, iowait, irq, softirq, steal (guest is in user)
    reading = parse_proc_stat(STAT, taken_at=1.0)
    assert reading == CpuTimes(idle_ticks=840, total_ticks=100 + 5 + 50 + 800 + 40 + 3 + 2 + 0, cores=2, taken_at=1.0)


@pytest.mark.parametrize("text", ["", "intr 1 2\n", "cpu  1 2 3\ncpu0 1 2 3\n", "cpu  a b c d e\ncpu0 1 1 1 1 1\n",
                                  "cpu  1 2 3 4 5 6 7 8\n"])
def test_a_text_without_a_whole_reading_gives_none(text):
    assert parse_proc_stat(text, taken_at=0.0) is None


def test_idle_cores_is_the_idle_share_of_the_ticks_times_the_cores():
    before = CpuTimes(idle_ticks=1000, total_ticks=2000, cores=2, taken_at=0.0)
    # 200 ticks passed over 2 cores, 50 of them idle: a quarter of the time, half a core
    assert idle_cores(before, CpuTimes(1050, 2200, 2, 1.0)) == pytest.approx(0.5)
    assert idle_cores(before, CpuTimes(1200, 2200, 2, 1.0)) == pytest.approx(2.0)  # nothing ran
    assert idle_cores(before, CpuTimes(1000, 2200, 2, 1.0)) == pytest.approx(0.0)  # every core busy
    assert idle_cores(before, CpuTimes(1000, 2000, 2, 1.0)) is None  # no tick passed: too short to say
    assert idle_cores(before, CpuTimes(1100, 2200, 4, 1.0)) is None  # cores came or went


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_this_process_spinning_is_not_counted_idle():
    # a third of a second of this process's own work on one core: whatever else runs, at most
    # the other cores (and the part of this one the process did not get) stood idle
    before, cpu0 = cpu_times(), time.process_time()
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        pass
    after, cpu1 = cpu_times(), time.process_time()
    assert before is not None and after is not None and after.cores >= 1
    own_cores = (cpu1 - cpu0) / (after.taken_at - before.taken_at)
    assert idle_cores(before, after) <= after.cores - own_cores + 0.1  # a tick (10 ms) each side


def test_no_reading_where_the_file_cannot_be_read(tmp_path):
    assert cpu_times(tmp_path / "missing") is None

"""How many of this machine's cores stood idle over a stretch of time, from ``/proc/stat`` (Linux).

The shift plan's portfolio (:mod:`scheduling.shifts.improve`) runs HiGHS branch and bound in a
second process beside the neighbourhood search. On an idle core that is time nobody else
wanted; on a machine whose cores are all taken it is time taken from the search, and the plan
gets worse (benchmarks/RESULTS.md schedule_family, 2026-11-30: family seed 25 at load 2.4-4.8
on 2 cores 1.0208 x its bound with the portfolio, 1.0145 without; quiet, 1.0042 with it).
:func:`scheduling.shifts.plan_shifts` therefore starts the second process only when at least
part of a core stood idle while it built and rounded the plan (:func:`idle_cores` between a
snapshot at its start and one when the improvement begins).

Units: ticks of the kernel's clock (USER_HZ), cores, ``time.perf_counter()`` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuTimes", "cpu_times", "parse_proc_stat", "idle_cores"]

PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuTimes:
    """One reading of the machine's processor time: ``idle_ticks`` (idle and waiting for I/O)
    and ``total_ticks`` summed over ``cores`` cores, taken at ``taken_at``."""

    idle_ticks: int
    total_ticks: int
    cores: int
    taken_at: float


def parse_proc_stat(text: str, *, taken_at: float) -> CpuTimes | None:
    """The reading in ``/proc/stat``'s text: its first ``cpu`` line (every core summed: user,
    nice, system, idle, iowait, irq, softirq, steal; guest time is inside user and nice, so not
    added again) and its count of ``cpuN`` lines. None when the text has no such line."""
    total_line, cores = None, 0
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if name == "cpu":
            total_line = rest
        elif name.startswith("cpu") and name[3:].isdigit():
            cores += 1
    if total_line is None or cores == 0:
        return None
    try:
        ticks = [int(v) for v in total_line.split()[:8]]
    except ValueError:
        return None
    if len(ticks) < 5:
        return None
    return CpuTimes(idle_ticks=ticks[3] + ticks[4], total_ticks=sum(ticks), cores=cores, taken_at=taken_at)


def cpu_times(path: Path = PROC_STAT) -> CpuTimes | None:
    """The machine's processor time now, or None where ``/proc/stat`` cannot be read (not Linux)."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return parse_proc_stat(text, taken_at=time.perf_counter())


def idle_cores(before: CpuTimes, after: CpuTimes) -> float | None:
    """Cores idle on average between two readings (0 to ``cores``), or None when no tick passed
    between them (too short a stretch to say) or the machine's cores changed."""
    total = after.total_ticks - before.total_ticks
    if total <= 0 or after.cores != before.cores:
        return None
    idle = max(0, after.idle_ticks - before.idle_ticks)
    return after.cores * min(1.0, idle / total)

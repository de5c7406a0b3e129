"""The LP/MIP solver every scheduling model uses: HiGHS (highspy) by default, CBC as fallback.

HiGHS prints a licence banner on stdout the first time a process creates a solver, whatever
its output options say; :func:`lp_solver` creates that first instance with stdout silenced so
command output and exported files stay clean.
"""

from __future__ import annotations

import os
import sys

import pulp

try:
    import highspy
except ImportError:  # CBC fallback
    highspy = None

_banner_done = False


def _silence_banner() -> None:
    global _banner_done
    if _banner_done or highspy is None:
        return
    _banner_done = True
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no usable stdout (e.g. a detached process): nothing to keep clean
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def lp_solver(*, time_limit_s: float, gap_rel: float, mip: bool = True, **options) -> pulp.LpSolver:
    """HiGHS with the time limit and relative gap given, or CBC when highspy is missing."""
    highs = pulp.HiGHS(msg=False, timeLimit=time_limit_s, gapRel=gap_rel, mip=mip, **options)
    if highs.available():
        _silence_banner()
        return highs
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=gap_rel, mip=mip)

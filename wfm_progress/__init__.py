"""One progress signature for every package: ``progress(text, share)``.

A long job tells whoever watches it what it is doing (``text``, words for a person) and how much
of its own work is done (``share``, 0..1), or ``None`` when it cannot know (the shift solver's
steps: it stops on a gap or a time limit, not after a known amount of work). The ``planner``
command's bar (``planner.progress.stage_bar``) and the app's job progress
(``planner.ui.jobs_board.progress_bar``) consume this one shape; every producer
(``execution.Executor.map``, ``forecasting.forecast_frame``, ``scheduling.shifts.plan_shifts``,
``planner.pipeline.plan``, the scenario searches, the capacity plan, the app's jobs) emits it.

Like :mod:`wfm_errors`, this package imports nothing from the project, so ``forecasting``,
``scheduling``, ``execution`` and ``planner`` all import it without importing each other.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "quiet", "within"]


class Progress(Protocol):
    """``progress(text, share)``: ``text`` says what is being done; ``share`` (0..1) is how much
    of the producer's work is done, ``None`` when unknown (a consumer keeps its bar where it is)."""

    def __call__(self, text: str, share: float | None = None, /) -> None: ...


def quiet(text: str, share: float | None = None, /) -> None:
    """The progress of nobody watching: does nothing."""


def within(progress: Progress | None, start: float, end: float, *, prefix: str = "") -> Progress:
    """A :class:`Progress` for one part of a job: its shares 0..1 are reported to ``progress`` as
    ``start``..``end`` (``None`` stays ``None``), its text with ``prefix`` in front.
    ``progress=None`` gives :func:`quiet`."""
    if not 0.0 <= start <= end <= 1.0:
        raise ValueError(f"within: need 0 <= start <= end <= 1, got {start}, {end}")
    if progress is None:
        return quiet
    outer = progress

    def part(text: str, share: float | None = None, /) -> None:
        outer(prefix + text, None if share is None else start + (end - start) * share)

    return part

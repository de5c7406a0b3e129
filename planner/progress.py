"""The ``planner`` command's progress: a tqdm bar on stderr that is a :class:`wfm_progress.Progress`.

``progress(text, share)`` (share 0..1 of the command's work, None when unknown) - the same
calls the app's job progress (:func:`planner.ui.jobs_board.progress_bar`) reads.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from wfm_progress import Progress


@contextmanager
def stage_bar(desc: str) -> Iterator[Progress]:
    """``with stage_bar("plan") as progress: run(progress=progress)`` - a percent bar naming the
    stage; a call with ``share`` None changes the text and leaves the bar where it is."""
    with tqdm(total=100, desc=desc, unit="%", file=sys.stderr, bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}") as bar:

        def progress(text: str, share: float | None = None, /) -> None:
            if share is not None:
                bar.update(max(0, round(100 * share) - bar.n))
            bar.set_postfix_str(text)  # redraws: the percent and the text of this call shown together

        yield progress

"""A tqdm progress bar on stderr driven by ``progress(stage, share)`` callbacks (share 0..1)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def stage_bar(desc: str) -> Iterator[Callable[[str, float], None]]:
    """``with stage_bar("plan") as progress: run(progress=progress)`` - a percent bar naming the stage."""
    with tqdm(total=100, desc=desc, unit="%", file=sys.stderr, bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}") as bar:

        def progress(stage: str, share: float) -> None:
            bar.set_postfix_str(stage)
            bar.update(max(0, round(100 * share) - bar.n))

        yield progress

"""A :class:`wfm_progress.Progress` for tests: records every call and fails on any other shape."""

from __future__ import annotations


class Recorder:
    """``progress(text, share)``: ``text`` a non-empty str, ``share`` None or a number in [0, 1];
    any other call (another order, a count, a missing text) fails the test where it is made."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []

    def __call__(self, text, share=None, /) -> None:
        assert isinstance(text, str) and text, f"progress text must be a non-empty str, got {text!r}"
        assert share is None or (isinstance(share, (int, float)) and not isinstance(share, bool)
                                 and 0.0 <= share <= 1.0), f"progress share must be None or in [0, 1], got {share!r}"
        self.calls.append((text, None if share is None else float(share)))

    @property
    def texts(self) -> list[str]:
        return [text for text, _ in self.calls]

    @property
    def shares(self) -> list[float]:
        """The shares given (calls without one left out)."""
        return [share for _, share in self.calls if share is not None]

"""The production server (gunicorn, several workers, threads) answers its very first requests
with the whole app, however many arrive at once."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

#: first requests sent at once: more than the server's worker threads (2 workers x 4)
AT_ONCE = 24


def _callbacks(url: str) -> list[str]:
    with urllib.request.urlopen(url + "_dash-dependencies", timeout=300) as answer:
        return sorted(callback["output"] for callback in json.loads(answer.read()))


def test_first_requests_at_once_all_see_every_callback(tmp_path):
    """Dash finishes setting itself up on a process's first request, after flagging the set-up as
    done: a request on another thread meanwhile got the app without the callbacks of its pages,
    and the browser showed the menu over an empty page (seen in the browser tests under load)."""
    from .conftest import serve

    process, url = serve(f"sqlite:///{tmp_path / 'planner.db'}")
    try:
        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(pool.map(lambda _: _callbacks(url), range(AT_ONCE)))
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert all(answer == answers[0] for answer in answers), sorted({len(a) for a in answers})
    assert "_pages_content.children" in " ".join(answers[0])   # the pages' router
    assert "staffing-heatmap.figure" in " ".join(answers[0])   # a page's own callback

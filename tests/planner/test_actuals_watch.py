"""``planner actuals --watch DIR``: each landed file is added to one actuals dataset; a file
with errors is reported and skipped whole; the watch stops by --once or --max-files."""

from __future__ import annotations

import threading
import time

import pandas as pd

from planner.cli import main
from planner.commands.actuals import watch


def _drop(folder, name: str, rows: list[tuple[str, str, int]]) -> None:
    text = "interval_start,channel,offered\n" + "".join(f"{t},{c},{v}\n" for t, c, v in rows)
    (folder / name).write_text(text)


def test_once_ingests_good_files_and_skips_a_bad_one_whole(store, tmp_path, capsys):
    drops = tmp_path / "drops"
    drops.mkdir()
    _drop(drops, "0800.csv", [("2025-06-03T08:00", "voice", 12), ("2025-06-03T08:00", "chat", 3)])
    time.sleep(0.01)
    _drop(drops, "0815.csv", [("2025-06-03T08:15", "voice", 14), ("2025-06-03T08:15", "chat", -1)])  # bad row
    time.sleep(0.01)
    _drop(drops, "0830.csv", [("2025-06-03T08:30", "voice", 9), ("2025-06-03T08:00", "voice", 13)])  # corrects 08:00
    (drops / "notes.md").write_text("not an actuals file")
    code = main(["actuals", "--watch", str(drops), "--once"])
    captured = capsys.readouterr()
    assert code == 1  # a file was skipped
    assert "skipped 0815.csv" in captured.err and "row 3" in captured.err and "'offered'" in captured.err
    assert "ingested 0800.csv" in captured.out and "ingested 0830.csv" in captured.out
    rows = store.actuals().sort_values(["channel", "interval_start"])
    assert store.list_datasets(kind="actuals")["name"].tolist() == ["actuals_live"]
    got = {(str(t), c): v for t, c, v in rows[["interval_start", "channel", "offered"]].itertuples(index=False)}
    # nothing of the bad file (not even its good voice row); the later file's 08:00 replaces the first's
    assert got == {("2025-06-03 08:00:00", "chat"): 3, ("2025-06-03 08:00:00", "voice"): 13,
                   ("2025-06-03 08:30:00", "voice"): 9}


def test_files_landing_while_watching_are_taken_once_complete(store, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "code", watch(drops, dataset="live", timezone=None, poll_s=0.05, once=False, max_files=2, store=store)))
    thread.start()
    time.sleep(0.2)
    _drop(drops, "a.csv", [("2025-06-03T09:00", "voice", 5)])
    time.sleep(0.3)
    _drop(drops, "b.csv", [("2025-06-03T09:15", "voice", 6)])
    thread.join(timeout=20)
    assert not thread.is_alive() and result["code"] == 0
    frame = store.dataset("live")
    assert frame["offered"].tolist() == [5, 6]
    assert pd.to_datetime(frame["interval_start"]).max() == pd.Timestamp("2025-06-03 09:15")


def test_watch_mistakes_exit_2(store, tmp_path, capsys):
    assert main(["actuals", "--watch", str(tmp_path / "missing"), "--once"]) == 2
    assert main(["actuals"]) == 2
    assert main(["actuals", "x.csv", "--watch", str(tmp_path)]) == 2
    assert main(["actuals", "--watch", str(tmp_path), "--max-files", "0"]) == 2
    assert "not a folder" in capsys.readouterr().err

"""``planner actuals FILE``: import today's actuals (same contract as a History file)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from planner.commands.inputs import PROFILES_HELP, add_input_options, input_options
from planner.datasets import import_file
from planner.io import read_bytes, validate_history
from planner.store import Store

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".txt")

EXAMPLE = """\
The file is validated like a History file; nothing is stored when it has errors (exit 2).
Re-importing the same dataset name replaces it (use one name per day, or the default).

With --watch DIR it ingests each new interval file (.csv, .csv.gz, .parquet) as it lands in
DIR - the exports an ACD drops every 15 or 30 minutes - adding its rows to one actuals dataset
(default "actuals_live"; an interval already stored is replaced by the newer file's). A file
with errors is reported and skipped, never half-imported. It runs until Ctrl-C, or stops
after --max-files files, or with --once after the files present now.

Example:
  planner actuals acd_today.csv
  planner actuals acd_today.csv --dataset actuals_2025-06-03
  planner actuals --watch /data/acd_drops --poll-s 10
"""


EPILOG = EXAMPLE + "\n" + PROFILES_HELP


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner actuals``."""
    parser.add_argument("file", metavar="FILE", nargs="?", help="CSV (optionally .gz) or Parquet in the History format")
    parser.add_argument("--watch", metavar="DIR", help="ingest each new file that lands in DIR")
    parser.add_argument("--poll-s", type=float, default=5.0, metavar="S", help="--watch: seconds between looks (default 5)")
    parser.add_argument("--once", action="store_true", help="--watch: ingest the files there now, then stop")
    parser.add_argument("--max-files", type=int, metavar="N", help="--watch: stop after N files (ingested or skipped)")
    parser.add_argument("--dataset", metavar="NAME", help="dataset name (default: actuals_<file name without its extension and any actuals_ prefix>)")
    parser.add_argument("--timezone", metavar="TZ", help="IANA zone of the file's local times")
    add_input_options(parser)


def run(args: argparse.Namespace) -> int:
    if args.watch:
        if args.file:
            print("planner actuals: error: give FILE or --watch DIR, not both", file=sys.stderr)
            return 2
        if args.poll_s <= 0 or (args.max_files is not None and args.max_files < 1):
            print("planner actuals: error: --poll-s must be > 0 and --max-files >= 1", file=sys.stderr)
            return 2
        return watch(Path(args.watch), dataset=args.dataset or "actuals_live", timezone=args.timezone,
                     poll_s=args.poll_s, once=args.once, max_files=args.max_files)
    if not args.file:
        print("planner actuals: error: give FILE or --watch DIR", file=sys.stderr)
        return 2
    from planner.intraday import actuals_dataset_name, actuals_outside_plans

    name = args.dataset or actuals_dataset_name(Path(args.file).name)
    result = import_file(args.file, dataset=name, kind="actuals", timezone=args.timezone, **input_options(args))
    if not result.report.ok:
        print(result.report.format(), file=sys.stderr)
        print(f"planner actuals: error: {args.file} has {len(result.report.errors)} error(s); nothing was stored", file=sys.stderr)
        return 2
    summary = result.report.summary
    print(f"stored actuals {name!r}: {summary['rows_accepted']:,} rows, {summary['first_interval']} .. {summary['last_interval']}")
    store = Store.open()
    warning = actuals_outside_plans(store, store.dataset(name))
    if warning:
        print(f"planner actuals: warning: {warning}", file=sys.stderr)
    return 0


def ingest(path: Path, *, dataset: str, timezone: str | None, store: Store) -> tuple[bool, str]:
    """Validate one dropped file and add its rows to ``dataset`` in one transaction (rows of an
    interval, queue and channel already stored are replaced). ``(False, report)`` on errors:
    nothing is stored."""
    data = read_bytes(path)
    frame, report = validate_history(data, name=path.name, timezone=timezone)
    if not report.ok:
        return False, report.format()
    known = set(store.list_datasets()["name"])
    if dataset in known:
        if dataset not in set(store.list_datasets(kind="actuals")["name"]):
            return False, f"dataset {dataset!r} exists and is not an actuals dataset"
        old = store.dataset(dataset)
        frame = pd.concat([old, frame], ignore_index=True).drop_duplicates(["interval_start", "queue", "channel"], keep="last")
        frame = frame.sort_values(["queue", "channel", "interval_start"], ignore_index=True)
    store.save_dataset(dataset, frame, raw=data, source_name=path.name, kind="actuals",
                       interval_minutes=report.summary.get("interval_minutes"), timezone=timezone,
                       summary=report.summary, report_text=report.format())
    return True, f"{len(frame):,} rows in {dataset!r}, up to {frame['interval_start'].max()}"


def watch(folder: Path, *, dataset: str, timezone: str | None, poll_s: float, once: bool,
          max_files: int | None, store: Store | None = None) -> int:
    """Ingest files landing in ``folder`` (oldest first) until stopped; 1 if any was skipped."""
    if not folder.is_dir():
        print(f"planner actuals: error: --watch {folder}: not a folder", file=sys.stderr)
        return 2
    store = store or Store.open()
    seen: dict[Path, tuple[float, int]] = {}
    pending: dict[Path, tuple[float, int]] = {}
    done = skipped = 0
    print(f"watching {folder} for actuals files (dataset {dataset!r}); Ctrl-C stops", flush=True)
    try:
        while True:
            files = sorted((p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES)
                            and not p.name.startswith(".")), key=lambda p: (p.stat().st_mtime, p.name))
            for path in files:
                stat = path.stat()
                signature = (stat.st_mtime, stat.st_size)
                if seen.get(path) == signature:
                    continue
                # a file still being written changes between two looks: take it once it stands still
                if not once and pending.get(path) != signature:
                    pending[path] = signature
                    continue
                seen[path] = signature
                pending.pop(path, None)
                ok, text = ingest(path, dataset=dataset, timezone=timezone, store=store)
                if ok:
                    done += 1
                    print(f"ingested {path.name}: {text}", flush=True)
                else:
                    skipped += 1
                    print(text, file=sys.stderr)
                    print(f"planner actuals: skipped {path.name}: it has errors; nothing of it was stored", file=sys.stderr, flush=True)
                if max_files is not None and done + skipped >= max_files:
                    return 1 if skipped else 0
            if once:
                return 1 if skipped else 0
            time.sleep(poll_s)
    except KeyboardInterrupt:
        print(f"stopped: {done} file(s) ingested, {skipped} skipped")
        return 0

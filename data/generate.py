"""Write the synthetic multi-channel sample: data/sample/history.csv.gz and truth.csv.gz.

Usage: .venv/bin/python data/generate.py [--seed 7] [--weeks 21] [--start 2025-01-06]
       .venv/bin/python data/generate.py --many-queues 500 --out many.parquet [--seed 15] [--weeks 10]
The same arguments give the same bytes (fixed seed, gzip without a timestamp). ``--many-queues N``
writes N seeded queue x channel series (planner.synthetic.generate_many_queues: several channels,
20 to 20,000 contacts a week, some with holidays and gaps) as one History file (.parquet or .csv.gz)
and its series table beside it (``*.series.csv``) - the data of benchmarks/many_queues.py.
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

from planner.synthetic import generate_centre, generate_many_queues

HERE = Path(__file__).resolve().parent / "sample"


def _write_gzip_csv(frame, path: Path) -> None:
    text = frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S", float_format="%.4f")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode())
    path.write_bytes(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--start", default="2025-01-06")
    parser.add_argument("--many-queues", type=int, metavar="N", help="write N many-queue series instead")
    parser.add_argument("--out", type=Path, help="the History file for --many-queues (.parquet or .csv.gz)")
    args = parser.parse_args()
    if args.many_queues:
        if args.out is None or not args.out.name.endswith((".parquet", ".csv.gz")):
            parser.error("--many-queues needs --out FILE.parquet or FILE.csv.gz")
        history, table = generate_many_queues(series=args.many_queues, weeks=args.weeks or 10, start=args.start,
                                              seed=15 if args.seed is None else args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.out.name.endswith(".parquet"):
            history.to_parquet(args.out, index=False)
        else:
            _write_gzip_csv(history, args.out)
        series_path = args.out.with_name(args.out.name.split(".")[0] + ".series.csv")
        table.to_csv(series_path, index=False)
        print(f"wrote {len(history):,} history rows of {len(table)} series to {args.out} (series in {series_path})")
        return
    args.seed = 7 if args.seed is None else args.seed
    args.weeks = 21 if args.weeks is None else args.weeks
    history, truth = generate_centre(start=args.start, weeks=args.weeks, seed=args.seed)
    HERE.mkdir(exist_ok=True)
    _write_gzip_csv(history, HERE / "history.csv.gz")
    _write_gzip_csv(truth, HERE / "truth.csv.gz")
    print(f"wrote {len(history):,} history rows and {len(truth):,} truth rows to {HERE}")


if __name__ == "__main__":
    main()

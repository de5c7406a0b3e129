"""Write the synthetic multi-channel sample: data/sample/history.csv.gz and truth.csv.gz.

Usage: .venv/bin/python data/generate.py [--seed 7] [--weeks 21] [--start 2025-01-06]
The same arguments give the same bytes (fixed seed, gzip without a timestamp).
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

from planner.synthetic import generate_centre

HERE = Path(__file__).resolve().parent / "sample"


def _write_gzip_csv(frame, path: Path) -> None:
    text = frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S", float_format="%.4f")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(text.encode())
    path.write_bytes(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks", type=int, default=21)
    parser.add_argument("--start", default="2025-01-06")
    args = parser.parse_args()
    history, truth = generate_centre(start=args.start, weeks=args.weeks, seed=args.seed)
    HERE.mkdir(exist_ok=True)
    _write_gzip_csv(history, HERE / "history.csv.gz")
    _write_gzip_csv(truth, HERE / "truth.csv.gz")
    print(f"wrote {len(history):,} history rows and {len(truth):,} truth rows to {HERE}")


if __name__ == "__main__":
    main()

"""``planner staff FORECAST.csv --config staffing.toml --out REQUIREMENTS.csv``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from wfm_errors import InputError
from planner.staffing import load_staffing, requirements
from planner.writers import write_csv

EXAMPLE = """\
The forecast needs columns interval_start, queue, channel, forecast (lo, hi, model and aht_s
are optional; aht_s per row is used where present). REQUIREMENTS.csv has interval_start, queue,
channel, volume, aht_s, required_agents (scheduled = net / (1 - shrinkage)), workload_minutes,
due_minutes (deferred channels) and the columns that explain each number.

Example:
  planner staff out/forecast.csv --config data/sample/staffing.toml --out out/requirements.csv
"""


def arguments(p: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner staff``."""
    p.add_argument("forecast", metavar="FORECAST.csv", help="forecast CSV (docs/architecture.md section 3)")
    p.add_argument("--config", required=True, metavar="staffing.toml", help="service goals per channel")
    p.add_argument("--out", required=True, metavar="REQUIREMENTS.csv", help="where to write the requirements")
    p.add_argument("--interval-minutes", type=int, default=None, metavar="M",
                   help="interval length (default: inferred from the timestamps)")


def read_forecast_csv(path: str | Path) -> pd.DataFrame:
    """Read and check a Forecast CSV; ``ValueError`` names the file, row (CSV line), column and value."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"queue": str, "channel": str, "interval_start": str, "model": str})
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV: {exc}") from None
    missing = [c for c in ("interval_start", "queue", "channel", "forecast") if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} "
                         f"(found: {', '.join(map(str, frame.columns))})")
    for col in ("interval_start", "queue", "channel"):
        empty = frame[col].isna()
        if empty.any():
            i = int(np.argmax(empty.to_numpy()))
            raise InputError(f"{path}: row {i + 2}, column {col}: empty")
    times = pd.to_datetime(frame["interval_start"], format="ISO8601", errors="coerce")
    if times.isna().any():
        i = int(np.argmax(times.isna().to_numpy()))
        raise InputError(f"{path}: row {i + 2}, column interval_start = {frame['interval_start'].iloc[i]!r}: "
                         f"not an ISO-8601 date-time")
    for col in ("forecast", "lo", "hi", "aht_s"):
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        given = frame[col].notna()
        bad = given & (values.isna() | ~np.isfinite(values.fillna(0.0)) | (values < 0))
        if col == "forecast":
            bad |= ~given
        if col == "aht_s":
            bad |= given & (values <= 0)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            rule = "must be a number > 0" if col == "aht_s" else "must be a number >= 0"
            raise InputError(f"{path}: row {i + 2}, column {col} = {_cell(frame[col].iloc[i])}: {rule}")
        frame[col] = values
    frame["interval_start"] = times
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # CSV line numbers, so later messages name the row
    return frame


def _cell(value) -> str:
    """A CSV cell as the user wrote it (no numpy type wrapper)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def run(args: argparse.Namespace) -> int:
    targets = load_staffing(args.config)
    forecast = read_forecast_csv(args.forecast)
    try:
        req = requirements(forecast, targets, interval_minutes=args.interval_minutes)
    except ValueError as exc:
        raise InputError(f"{args.forecast}: {exc}") from None
    out = req.copy()
    if hasattr(out["interval_start"].dt, "tz") and out["interval_start"].dt.tz is not None:
        out["interval_start"] = out["interval_start"].map(lambda t: t.isoformat())
    else:
        out["interval_start"] = out["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    write_csv(out, args.out, create_folder=False)
    per = req.groupby("channel")["required_agents"].agg(["max", "sum"])
    lines = [f"wrote {len(req):,} rows to {args.out}"]
    for channel, row in per.iterrows():
        lines.append(f"  {channel:<10} peak {row['max']:.1f} scheduled agents")
    print("\n".join(lines), file=sys.stderr)
    return 0

"""Forecast accuracy benchmark on the two real call-arrival series (issue 4).

Both series aggregated to 30 minutes, horizon 7 days from weekly origins:
  * US bank 2003 (``--country US``): the 4 last full weeks.
  * Anonymous Bank 1999 (``--country IL``): 6 origins over the year, including the weeks of
    Passover (late March) and Yom Kippur / Sukkot (late September).

For each origin: WAPE of ``method="auto"``, of every model of the registry, of the benchmark
"mean of the same interval over the previous 4 weeks" and the Poisson noise floor (of the auto
forecast), plus seconds per call; then the time of one ``planner forecast`` call on the full year
of 6-minute data. Prints a table and appends the result to benchmarks/RESULTS.md under
``## forecast_accuracy``.

Run:  .venv/bin/python benchmarks/forecast_accuracy.py [--quick] [--series us|il]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from results import append_section

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecasting import MODELS, forecast_frame  # noqa: E402
from forecasting.metrics import noise_floor_wape, wape  # noqa: E402

SERIES = {
    "us_bank_2003": ("us_bank_2003_5min", "US",
                     ["2003-09-29", "2003-10-06", "2003-10-13", "2003-10-20"]),
    "anonymous_bank_1999": ("anonymous_bank_1999_6min", "IL",
                            ["1999-02-14", "1999-03-28", "1999-05-16", "1999-07-18",
                             "1999-09-19", "1999-11-21"]),
}
MINUTES = 30
HORIZON_DAYS = 7


def data_path(stem: str) -> Path:
    gz = ROOT / "data" / f"{stem}.csv.gz"
    return gz if gz.exists() else Path("/work/shared/data") / f"{stem}.csv"


def load(stem: str) -> pd.DataFrame:
    frame = pd.read_csv(data_path(stem), parse_dates=["interval_start"])
    return frame.assign(queue="main", channel="voice")


def observed(history: pd.DataFrame, start: pd.Timestamp) -> pd.Series:
    """Actual 30-minute volumes of the horizon (NaN where any 6/5-minute row is missing)."""
    end = start + pd.Timedelta(days=HORIZON_DAYS)
    part = history[(history.interval_start >= start) & (history.interval_start < end)]
    bucket = part.interval_start.dt.floor(f"{MINUTES}min")
    step = int((history.interval_start.iloc[1] - history.interval_start.iloc[0]) / pd.Timedelta(minutes=1))
    sums = part.groupby(bucket)["offered"].sum().astype(float)
    sums[part.groupby(bucket)["offered"].count() < MINUTES // step] = np.nan
    grid = pd.date_range(start, end, freq=f"{MINUTES}min", inclusive="left")
    return sums.reindex(grid)


def four_week_mean(history: pd.DataFrame, start: pd.Timestamp) -> np.ndarray:
    """The benchmark: mean of the same interval over the previous 4 weeks (missing skipped)."""
    step = int((history.interval_start.iloc[1] - history.interval_start.iloc[0]) / pd.Timedelta(minutes=1))
    train = history[history.interval_start < start]
    s = train.set_index("interval_start")["offered"].astype(float)
    bucket = s.index.floor(f"{MINUTES}min")
    sums = s.groupby(bucket).sum()
    sums[s.groupby(bucket).count() < MINUTES // step] = np.nan
    grid = pd.date_range(start, start + pd.Timedelta(days=HORIZON_DAYS), freq=f"{MINUTES}min",
                         inclusive="left")
    lags = [sums.reindex(grid - pd.Timedelta(weeks=k)).to_numpy() for k in range(1, 5)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(np.nanmean(lags, axis=0))


def run_series(name: str, quick: bool) -> list[dict]:
    stem, country, origins = SERIES[name]
    history = load(stem)
    rows = []
    models = ["auto"] + ([] if quick else [m for m in MODELS if m != "ensemble"])
    for origin in origins:
        start = pd.Timestamp(origin)
        actual = observed(history, start)
        bench = four_week_mean(history, start)
        row = {"series": name, "origin": origin, "benchmark_4wk": wape(actual, bench)}
        for method in models:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = forecast_frame(history, start=start, days=HORIZON_DAYS,
                                        interval_minutes=MINUTES, country=country, method=method,
                                        backtest_windows=6 if method == "auto" else 0)
            seconds = time.perf_counter() - t0
            fc = result.frame.set_index("interval_start")["forecast"].reindex(actual.index).to_numpy()
            row[method] = wape(actual, fc)
            if method == "auto":
                row["auto_model"] = result.frame["model"].iloc[0]
                row["auto_s"] = seconds
                row["noise_floor"] = noise_floor_wape(np.where(np.isnan(actual), np.nan, fc))
                row["auto_lo_hi_coverage"] = float(np.nanmean(
                    (actual >= result.frame["lo"].to_numpy()) & (actual <= result.frame["hi"].to_numpy())
                    & ~np.isnan(actual)) / np.mean(~np.isnan(actual)))
        rows.append(row)
        print(f"{name} {origin}: auto {row['auto']:.4f} ({row['auto_model']}, {row['auto_s']:.1f} s) "
              f"benchmark {row['benchmark_4wk']:.4f} floor {row['noise_floor']:.4f}", flush=True)
    return rows


WIDE_METHODS = ("decomposition", "decomposition_long")


def wide_us() -> tuple[int, dict[str, float], float]:
    """US bank, every weekly origin from June to the end (21), each model of WIDE_METHODS fixed
    (no selection, so it runs fast): mean WAPE per model and of the 4-week mean."""
    history = load("us_bank_2003_5min")
    ours: dict[str, list[float]] = {m: [] for m in WIDE_METHODS}
    bench = []
    for start in pd.date_range("2003-06-02", "2003-10-20", freq="7D"):
        actual = observed(history, start)
        bench.append(wape(actual, four_week_mean(history, start)))
        for method in WIDE_METHODS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = forecast_frame(history, start=start, days=HORIZON_DAYS,
                                        interval_minutes=MINUTES, country="US", method=method,
                                        backtest_windows=0)
            fc = result.frame.set_index("interval_start")["forecast"].reindex(actual.index).to_numpy()
            ours[method].append(wape(actual, fc))
    return len(bench), {m: float(np.mean(v)) for m, v in ours.items()}, float(np.mean(bench))


def cli_timing() -> tuple[float, int]:
    """Seconds of one `planner forecast` call on the full year of 6-minute data (30-min grid)."""
    path = data_path("anonymous_bank_1999_6min")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PLANNER_DB_URL=f"sqlite:///{tmp}/bench.db")
        cmd = [str(ROOT / ".venv/bin/planner"), "forecast", str(path), "--start", "2000-01-01",
               "--days", "7", "--interval-minutes", "30", "--country", "IL",
               "--out", f"{tmp}/fc.csv"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        return time.perf_counter() - t0, proc.returncode


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub table (numbers to 4 decimals) without optional dependencies."""
    def cell(v) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="auto and benchmark only")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--series", choices=["all", "us", "il"], default="all",
                        help="only one series, no wide US run and no CLI timing (implies --no-record)")
    args = parser.parse_args()
    partial = args.series != "all"
    names = {"all": list(SERIES), "us": ["us_bank_2003"], "il": ["anonymous_bank_1999"]}[args.series]
    rows = []
    for name in names:
        rows.extend(run_series(name, args.quick))
    table = pd.DataFrame(rows)
    if not partial:
        n_wide, ours_wide, bench_wide = wide_us()
        cli_s, rc = cli_timing()
    lines = []
    for name, grp in table.groupby("series", sort=False):
        cols = ["origin", "auto_model", "auto", "benchmark_4wk", "noise_floor", "auto_s",
                "auto_lo_hi_coverage"] + [c for c in grp if c in MODELS]
        shown = grp[cols].copy()
        mean = shown.drop(columns=["origin", "auto_model"]).mean(numeric_only=True)
        shown.loc[len(shown) + 100] = {"origin": "mean", "auto_model": "", **mean.to_dict()}
        gain = 1 - mean["auto"] / mean["benchmark_4wk"]
        lines.append(f"### {name} (30 min, 7-day horizon)\n")
        lines.append(markdown(shown))
        lines.append(f"\nauto vs 4-week mean: {gain:+.1%} lower WAPE on average (target >= 15%)\n")
    if partial:
        print("\n".join(lines))
        return 0
    for method, value in ours_wide.items():
        lines.append(f"US bank, all {n_wide} weekly origins 2003-06-02..2003-10-20, {method} fixed: "
                     f"WAPE {value:.4f} vs 4-week mean {bench_wide:.4f} "
                     f"({1 - value / bench_wide:+.1%} lower)\n")
    lines.append(f"`planner forecast` on the full year of 6-minute data (Anonymous Bank, 30-min grid, "
                 f"auto, IL): {cli_s:.1f} s (exit {rc}; target <= 60 s)\n")
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        record(text)
    return 0


def record(text: str) -> None:
    """Append this run under ``## forecast_accuracy`` of RESULTS.md, stamped with date and machine."""
    stamp = (f"Run {dt.datetime.now().isoformat(timespec='seconds')} on {platform.platform()}, "
             f"nproc {os.cpu_count()}; command `.venv/bin/python benchmarks/forecast_accuracy.py`\n")
    append_section("forecast_accuracy", f"{stamp}\n{text}")


if __name__ == "__main__":
    sys.exit(main())

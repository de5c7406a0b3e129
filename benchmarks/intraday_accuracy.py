"""Intraday re-forecast accuracy (issue 13): the rest of the day from the morning.

For every series (US bank 2003, Anonymous Bank 1999, the sample's four channels), 30-minute
intervals, weekly plans: the plan's forecast is ``forecasting.forecast_frame(method="auto")``
trained on the history before the week's Monday (Sunday for the Israeli bank), as
``planner plan`` makes it. On each day of the week with actuals, at 10:00, 12:00 and 14:00,
the rest of the day (from the cut to midnight) is forecast by

* the plan (unchanged),
* the naive ratio update: rest x actual so far / plan so far,
* ours: :func:`forecasting.intraday.fit_intraday_model` fitted on the history before the week
  against what the plan's model forecast for the 16 weeks before (``past_forecasts``), its
  method chosen there by backtest, and updated with the day's actuals so far (and, when the
  backtest kept it, the prior level from the week's ordinary days before this one; on a bridge
  day, the per-slot prior from the week's bridge days before it; on an evening weekday the
  backtest kept, the shape of the last two such days),

and scored by pooled rest-of-day WAPE (sum |F - A| / sum A over every day and interval after
the cut) and the share of rest-of-day intervals inside our 10-90 % band; the noise floor is the WAPE a
forecast equal to the true rate would still show (Poisson arrivals), at the plan's forecast.

Tuning vs report: the method's settings (candidate list, baseline, band calibration grid)
were tuned on the TUNE weeks below; the table reports the REPORT weeks only (>= 40 days per
series), which no setting was chosen on.

Run:  .venv/bin/python benchmarks/intraday_accuracy.py [--series us,il,sample] [--tune]
Appends to benchmarks/RESULTS.md under ``## intraday_accuracy``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from pathlib import Path

from results import append_section

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecasting import forecast_frame  # noqa: E402
from forecasting.api import aggregate  # noqa: E402
from forecasting.calendar import REGULAR, Calendar  # noqa: E402
from forecasting.intraday import fit_intraday_model, naive_ratio, past_forecasts  # noqa: E402
from forecasting.metrics import poisson_mad  # noqa: E402
from planner.synthetic import true_rates  # noqa: E402

MINUTES = 30
CUTS = ("10:00", "12:00", "14:00")


def _weeks(first: str, count: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(first) + pd.Timedelta(weeks=i) for i in range(count)]


# name -> (file, channel or None, country, tune weeks, report weeks)
# the generator's true rates behind a synthetic series (planner.synthetic): the perfect forecast
TRUTH = {"sample": "sample/truth.csv.gz"}
SERIES = {
    "us": ("us_bank_2003_5min.csv.gz", None, "US", _weeks("2003-06-30", 4), _weeks("2003-08-11", 10)),
    "il": ("anonymous_bank_1999_6min.csv.gz", None, "IL", _weeks("1999-06-06", 4), _weeks("1999-09-05", 7)),
    "sample": ("sample/history.csv.gz", ("voice", "chat", "messaging", "email"), "US",
               _weeks("2025-02-17", 3), _weeks("2025-04-14", 7)),
}


def load(file: str) -> pd.DataFrame:
    frame = pd.read_csv(ROOT / "data" / file, parse_dates=["interval_start"])
    if "queue" not in frame:
        frame = frame.assign(queue="main", channel="voice")
    return frame


def series_arrays(frame: pd.DataFrame, channel: str, end: pd.Timestamp) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rows = frame[(frame["channel"] == channel) & (frame["interval_start"] < end)]
    step = int((np.diff(np.sort(rows["interval_start"].unique())).min()) / np.timedelta64(1, "m"))
    ts, y, _ = aggregate(rows[["interval_start", "offered"]], step_minutes=step, interval_minutes=MINUTES, end=end)
    return ts, y


def plan_forecast(frame: pd.DataFrame, channel: str, country: str, week: pd.Timestamp) -> pd.DataFrame:
    """The week-ahead forecast ``planner plan`` would make (cached under $INTRADAY_BENCH_CACHE when set)."""
    cache = os.environ.get("INTRADAY_BENCH_CACHE")
    path = Path(cache) / f"{channel}_{country}_{week:%Y%m%d}_{len(frame)}.pkl" if cache else None
    if path is not None and path.exists():
        return pd.read_pickle(path)
    train = frame[(frame["channel"] == channel) & (frame["interval_start"] < week)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = forecast_frame(train, start=week, days=7, interval_minutes=MINUTES, country=country,
                              backtest_windows=4, max_workers=1).frame
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        plan.to_pickle(path)
    return plan


def run_week(frame: pd.DataFrame, channel: str, country: str, week: pd.Timestamp, acc: dict) -> None:
    plan = plan_forecast(frame, channel, country, week)
    ts, y = series_arrays(frame, channel, week)
    baseline = past_forecasts(y, ts, model=str(plan["model"].iloc[0]), interval_minutes=MINUTES, country=country,
                              cache=acc.setdefault("past", {}))
    calendar = Calendar(country)
    model = fit_intraday_model(y, ts, interval_minutes=MINUTES, baseline=baseline,
                               calendar=None if acc.get("no_calendar") else calendar)
    acc.setdefault("methods", []).append(model.method + ("+prev" if model.previous_weight > 0 else "")
                                         + ("+evening" if model.evening_shape is not None else ""))
    ts_all, y_all = series_arrays(frame, channel, week + pd.Timedelta(days=7))
    truth = pd.Series(y_all, index=ts_all)
    slots = 1440 // MINUTES
    before: list[tuple[np.ndarray, np.ndarray]] = []  # the week's ordinary days so far: (forecast, actual)
    earlier: list[tuple[int, np.ndarray, np.ndarray]] = []  # every day of the week so far: (kind, forecast, actual)
    for d in range(7):
        day = week + pd.Timedelta(days=d)
        grid = pd.date_range(day, periods=slots, freq=f"{MINUTES}min")
        a = truth.reindex(grid).to_numpy(dtype=float)
        f = plan.set_index("interval_start")["forecast"].reindex(grid).to_numpy(dtype=float)
        if np.isnan(a).all() or np.nansum(a) == 0:
            continue
        acc["days"] = acc.get("days", 0) + 1
        kind = REGULAR if acc.get("no_calendar") else int(calendar.intraday_kinds([day])[0])
        # only days before this one (whole days, as a lead has them the next morning)
        previous = None if acc.get("no_previous") or not before else tuple(np.array(z) for z in zip(*before))
        acc["special_days"] = acc.get("special_days", 0) + (kind != REGULAR)
        same = [(ef, ea) for ek, ef, ea in earlier if ek == kind != REGULAR]
        same_kind = tuple(np.array(z) for z in zip(*same)) if same and not acc.get("no_previous") else None
        for cut_text in CUTS:
            cut = (pd.Timedelta(cut_text + ":00") // pd.Timedelta(minutes=MINUTES))
            seen = np.arange(slots) < cut
            seen &= ~np.isnan(a)
            rest = (np.arange(slots) >= cut) & ~np.isnan(a)
            ours = model.update(f, np.where(seen, a, np.nan), day_kind=kind, previous=previous, same_kind=same_kind,
                                weekday=day.day_of_week)
            naive = naive_ratio(f, np.where(seen, a, 0.0), seen)
            row = acc.setdefault(cut_text, dict(actual=0.0, plan=0.0, naive=0.0, ours=0.0, inside=0.0, n=0.0, floor=0.0,
                                                forecast=0.0))
            row["floor"] += poisson_mad(np.nan_to_num(f[rest])).sum()
            if "rates" in acc:  # the perfect forecast: the generator's true rate
                m = acc["rates"].reindex(grid).fillna(0.0).to_numpy(dtype=float)
                row["true"] = row.get("true", 0.0) + np.abs(m[rest] - a[rest]).sum()
                row["true_expected"] = row.get("true_expected", 0.0) + poisson_mad(m[rest]).sum()
                row["rate"] = row.get("rate", 0.0) + m[rest].sum()
            row["forecast"] += np.nan_to_num(f[rest]).sum()
            row["actual"] += a[rest].sum()
            row["plan"] += np.abs(f[rest] - a[rest]).sum()
            row["naive"] += np.abs(naive[rest] - a[rest]).sum()
            row["ours"] += np.abs(ours.mean[rest] - a[rest]).sum()
            band = rest & (f > 0)
            row["inside"] += ((a[band] >= ours.lo[band]) & (a[band] <= ours.hi[band])).sum()
            row["n"] += band.sum()
            acc.setdefault("by_day", []).append(dict(
                day=f"{day:%Y-%m-%d %a}", kind=kind, cut=cut_text, actual=a[rest].sum(), plan=np.abs(f[rest] - a[rest]).sum(),
                naive=np.abs(naive[rest] - a[rest]).sum(), ours=np.abs(ours.mean[rest] - a[rest]).sum(),
                plan_rest=np.nan_to_num(f[rest]).sum(), ours_rest=ours.mean[rest].sum(),
                inside=int(((a[band] >= ours.lo[band]) & (a[band] <= ours.hi[band])).sum()), n=int(band.sum())))
        if kind == REGULAR:
            before.append((f, a))
        earlier.append((kind, f, a))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", default="us,il,sample", help="comma list of us, il, sample")
    parser.add_argument("--tune", action="store_true", help="score the TUNE weeks instead (not appended)")
    parser.add_argument("--no-calendar", action="store_true",
                        help="the update without the day's calendar kind (as before issue 13 step 1; not appended)")
    parser.add_argument("--no-previous", action="store_true",
                        help="the update without the previous days' prior (as before issue 13 session 24; not appended)")
    parser.add_argument("--by-day", metavar="CSV", help="also write each day's rest-of-day errors per cut to CSV")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = []
    verdicts = []
    by_day: list[pd.DataFrame] = []
    special_days: dict[str, int] = {}
    floor_lines = []
    for key in args.series.split(","):
        file, channels, country, tune, report = SERIES[key]
        frame = load(file)
        truth = pd.read_csv(ROOT / "data" / TRUTH[key], parse_dates=["interval_start"]) if key in TRUTH else None
        for channel in channels or ("voice",):
            name = key if channels is None else f"{key}/{channel}"
            acc: dict = {"no_calendar": args.no_calendar, "no_previous": args.no_previous}
            if truth is not None:
                acc["rates"] = true_rates(truth, channel, interval_minutes=MINUTES)
            for week in (tune if args.tune else report):
                if key == "il":  # the Israeli week starts on Sunday
                    week = week - pd.Timedelta(days=week.day_of_week + 1) if week.day_of_week != 6 else week
                run_week(frame, channel, country, week, acc)
            methods = pd.Series(acc["methods"]).value_counts().to_dict()
            first, last = ((tune if args.tune else report)[0], (tune if args.tune else report)[-1] + pd.Timedelta(days=6))
            for cut in CUTS:
                r = acc[cut]
                plan, naive, ours = r["plan"] / r["actual"], r["naive"] / r["actual"], r["ours"] / r["actual"]
                cover = r["inside"] / r["n"] if r["n"] else float("nan")
                floor = r["floor"] / r["forecast"] if r["forecast"] else float("nan")
                lines.append(f"| {name} | {acc['days']} ({first:%Y-%m-%d}..{last:%Y-%m-%d}) | {cut} | {floor:.4f} | {plan:.4f} | {naive:.4f} "
                             f"({naive / plan:.2f}) | {ours:.4f} ({ours / plan:.2f}) | {cover:.3f} | "
                             f"{', '.join(f'{m} x{c}' for m, c in methods.items())} |")
                if "true" in r:
                    perfect = r["true"] / r["actual"]
                    floor_lines.append(
                        f"| {name} | {cut} | {perfect:.4f} | {r['true_expected'] / r['rate']:.4f} | {plan:.4f} "
                        f"({plan / perfect:.3f}) | {ours:.4f} ({ours / perfect:.3f}) | {0.8 * plan:.4f} | "
                        f"{'impossible' if 0.8 * plan < perfect else 'possible'} |")
                beats = ours < naive
                ok_ratio = ours <= 0.8 * plan if cut == "12:00" else True
                verdicts.append((name, cut, beats, ok_ratio, 0.75 <= cover <= 0.85))
            print("\n".join(lines[-3:]), flush=True)
            by_day.append(pd.DataFrame(acc["by_day"]).assign(series=name))
            special_days[name] = acc.get("special_days", 0)
    elapsed = time.perf_counter() - started
    if args.by_day:
        pd.concat(by_day, ignore_index=True).to_csv(args.by_day, index=False)
    header = ("| series | days (report weeks) | cut | noise floor | plan WAPE | naive ratio (x plan) | ours (x plan) | "
              "10-90 % coverage | method chosen per week |\n|---|---|---|---:|---:|---:|---:|---:|---|")
    met_ratio = all(v[3] for v in verdicts)
    met_naive = all(v[2] for v in verdicts)
    met_cover = all(v[4] for v in verdicts)
    missed = [f"{v[0]} {v[1]}" for v in verdicts if not (v[2] and v[3] and v[4])]
    summary = (f"Targets: ours <= 0.80 x plan at 12:00 on every series: {'met' if met_ratio else 'NOT met'}; "
               f"better than the naive ratio at every cut on every series: {'met' if met_naive else 'NOT met'}; "
               f"coverage within 0.75-0.85: {'met' if met_cover else 'NOT met'}"
               + (f" (misses: {', '.join(missed)})" if missed else "") + ".")
    text = (f"### {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} - {platform.platform()}, nproc {os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f}\n\nCommand: `.venv/bin/python benchmarks/intraday_accuracy.py"
            f"{' --series ' + args.series if args.series != 'us,il,sample' else ''}{' --tune' if args.tune else ''}` "
            f"({'TUNE' if args.tune else 'REPORT'} weeks, 30-min intervals, rest of day = cut to midnight; {elapsed:.0f} s; "
            f"{'no day kinds' if args.no_calendar else 'holidays, eves and bridge days updated as such: ' + ', '.join(f'{k} {v} days' for k, v in special_days.items())})\n\n"
            + header + "\n" + "\n".join(lines) + "\n\n" + summary + "\n"
            + ("" if not floor_lines else
               "\nThe perfect forecast on the same days and intervals (series with a known truth: the generator's "
               "true rate, data/sample/truth.csv.gz, summed per 30 min; its WAPE on the sampled counts, and the "
               "closed form sum E|N - m| / sum m it should be near): no forecast does better in expectation, so x0.80 of the "
               "plan is impossible where 0.80 x the plan's WAPE lies below it.\n\n"
               "| series | cut | perfect rate WAPE | expected (closed form) | plan WAPE (x perfect) | ours (x perfect) | "
               "0.80 x plan | x0.80 |\n|---|---|---:|---:|---:|---:|---:|---|\n" + "\n".join(floor_lines) + "\n"))
    print(text)
    if not args.tune and not args.no_calendar and not args.no_previous:
        append_section("intraday_accuracy", text, intro="Rest-of-day WAPE of the intraday re-forecast vs the plan's "
                       "forecast and the naive ratio update (issue 13); written by benchmarks/intraday_accuracy.py.")


if __name__ == "__main__":
    main()

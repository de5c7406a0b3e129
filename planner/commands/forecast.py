"""``planner forecast HISTORY --start T --days D --interval-minutes M ... --out F.csv``."""

from __future__ import annotations

import argparse

from wfm_errors import InputError
from forecasting import MODELS
from forecasting.api import SUPPORTED_MINUTES
from planner.cluster import add_arguments, command_executor
from planner.progress import stage_bar

EXAMPLE = """\
Trains only on rows before --start; picks the model per queue and channel by rolling-origin
backtest (--method auto), prints the choice and its backtest accuracy, writes the Forecast CSV
(interval_start, queue, channel, forecast, lo, hi, model[, aht_s]) and keeps the snapshot in
the store (PLANNER_DB_URL or var/planner.db).

Example:
  planner forecast data/us_bank_2003_5min.csv.gz --start 2003-10-20 --days 7 \\
      --interval-minutes 30 --country US --out forecast.csv
  planner forecast data/anonymous_bank_1999_6min.csv.gz --start 1999-09-19 --days 7 \\
      --interval-minutes 30 --country IL --method decomposition --out il.csv
  planner forecast many_queues.parquet --start 2025-03-17 --days 7 --interval-minutes 30 \\
      --scheduler tcp://10.0.0.5:8786 --out many.csv    # the series on an existing Dask cluster
"""


def arguments(p: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner forecast``."""
    p.add_argument("history", metavar="HISTORY", help="History file (CSV, .csv.gz or Parquet)")
    p.add_argument("--start", required=True, metavar="T",
                   help="first forecast interval, local time on the grid, e.g. 2003-10-20 or 2003-10-20T07:00")
    p.add_argument("--days", required=True, type=int, metavar="D", help="days to forecast")
    p.add_argument("--interval-minutes", required=True, type=int, metavar="M",
                   choices=SUPPORTED_MINUTES, help=f"forecast grid: {', '.join(map(str, SUPPORTED_MINUTES[:-1]))} or "
                   f"{SUPPORTED_MINUTES[-1]}")
    p.add_argument("--country", metavar="CC", help="public holidays of this country, e.g. US, IL, GB")
    p.add_argument("--subdivision", metavar="SUB", help="state/province for the holidays, e.g. CA")
    p.add_argument("--method", default="auto", metavar="NAME",
                   help="auto (best by backtest) or one of: " + ", ".join(MODELS))
    p.add_argument("--special-days", metavar="FILE", help="CSV date,label,effect (closed or a multiplier)")
    p.add_argument("--opening-hours", metavar="TEXT",
                   help="override learned hours, e.g. 'Mon-Fri 08:00-18:00; Sat 09:00-13:00'")
    p.add_argument("--timezone", metavar="TZ", help="IANA zone of the history's local times")
    p.add_argument("--out", required=True, metavar="F.csv", help="where to write the forecast")
    p.add_argument("--no-store", action="store_true", help="do not save the snapshot in the store")
    from planner.commands.inputs import add_input_options

    add_input_options(p)
    add_arguments(p)


def run(args: argparse.Namespace) -> int:
    from planner.commands.inputs import input_options
    from planner.forecast_runs import run_forecast

    if args.days < 1:
        raise InputError(f"--days must be >= 1, got {args.days}")
    with command_executor(args) as executor, stage_bar("forecast") as progress:  # connects (or fails) before the bar is drawn
        result, snapshot = run_forecast(
            args.history, start=args.start, days=args.days, interval_minutes=args.interval_minutes,
            country=args.country, subdivision=args.subdivision, method=args.method,
            special_days_path=args.special_days, opening_hours=args.opening_hours,
            timezone=args.timezone, out=args.out, save=not args.no_store, progress=progress,
            history_options=input_options(args), executor=executor)
    sel = result.selection
    print(f"{'queue':<12} {'channel':<10} {'model':<48} {'wape':>7} {'bias':>7} {'floor':>7} {'windows':>7}")
    for row in sel.itertuples():
        print(f"{row.queue:<12} {row.channel:<10} {row.model:<48} {_pct(row.wape)} {_pct(row.bias)} "
              f"{_pct(row.noise_floor)} {row.windows:>7}" + (f"  ({row.note})" if row.note else ""))
    total = result.frame["forecast"].sum()
    print(f"wrote {len(result.frame)} rows ({total:,.0f} contacts) to {args.out}"
          + (f"; snapshot {snapshot} saved" if snapshot is not None else ""))
    return 0


def _pct(value: float) -> str:
    return f"{value:>7.1%}" if value == value else f"{'-':>7}"

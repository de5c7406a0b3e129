"""``planner erlang``: one staffing case as a table or JSON, or a batch of cases from a CSV."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from wfm_errors import InputError
from planner.cli import UsageError
from planner.writers import write_csv
from scheduling.erlang import SL_DEFINITIONS, metrics, required_agents

EXAMPLE = """\
Erlang C when --patience-s is left out, Erlang A (callers abandon) when it is given.
Service level counts abandons against (of offered) unless --sl-definition says otherwise;
ASA is the mean wait of answered contacts. Scheduled agents = net / (1 - shrinkage), rounded up.

Batch: CASES.csv has columns calls, interval_s, aht_s, answer_s and any of agents, target_sl,
max_occupancy, patience_s (empty = Erlang C). RESULTS.csv repeats them and adds
traffic_erlangs, p_wait, service_level, asa_s, occupancy, p_abandon, required_agents
(metrics at `agents` when given, else at required_agents; infinite values are written inf).

Example:
  planner erlang --calls 100 --interval-s 1800 --aht-s 180 --answer-s 20 --target-sl 0.8 --shrinkage 0.3
  planner erlang --batch cases.csv --out results.csv
"""

REQUIRED = ("calls", "interval_s", "aht_s", "answer_s")
OPTIONAL = ("agents", "target_sl", "max_occupancy", "patience_s")
ADDED = ("traffic_erlangs", "p_wait", "service_level", "asa_s", "occupancy", "p_abandon", "required_agents")
# column -> (rule, predicate on a float array)
RULES = {
    "calls": ("must be a number >= 0", lambda v: v >= 0),
    "interval_s": ("must be a number > 0", lambda v: v > 0),
    "aht_s": ("must be a number > 0", lambda v: v > 0),
    "answer_s": ("must be a number >= 0", lambda v: v >= 0),
    "agents": ("must be a whole number >= 0", lambda v: (v >= 0) & (v == np.floor(v))),
    "target_sl": ("must be a number in (0, 1)", lambda v: (v > 0) & (v < 1)),
    "max_occupancy": ("must be a number in (0, 1]", lambda v: (v > 0) & (v <= 1)),
    "patience_s": ("must be a number > 0 (empty = Erlang C)", lambda v: v > 0),
}


def arguments(p: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner erlang``."""
    p.add_argument("--calls", type=float, help="contacts offered in the interval")
    p.add_argument("--interval-s", type=float, help="interval length, seconds")
    p.add_argument("--aht-s", type=float, help="average handle time, seconds")
    p.add_argument("--answer-s", type=float, help="service-level threshold T, seconds")
    p.add_argument("--target-sl", type=float, help="target share answered within T, e.g. 0.8")
    p.add_argument("--max-occupancy", type=float, default=1.0, help="maximum occupancy (default 1)")
    p.add_argument("--shrinkage", type=float, default=0.0, help="share of paid time unavailable (default 0)")
    p.add_argument("--patience-s", type=float, help="mean patience, seconds: Erlang A (default: Erlang C)")
    p.add_argument("--agents", type=int, help="evaluate this many agents instead of (or as well as) the target")
    p.add_argument("--max-asa-s", type=float, help="maximum ASA, seconds")
    p.add_argument("--max-abandon", type=float, help="maximum abandon rate (Erlang A)")
    p.add_argument("--sl-definition", choices=SL_DEFINITIONS, default="offered",
                   help="service level of offered (default), of answered, or excluding short abandons")
    p.add_argument("--short-abandon-s", type=float, default=0.0, help="short-abandon threshold, seconds")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--batch", metavar="CASES.csv", help="compute every row of a CSV of cases")
    p.add_argument("--out", metavar="RESULTS.csv", help="output of --batch")


def run(args: argparse.Namespace) -> int:
    if args.batch:
        single = [f"--{k.replace('_', '-')}" for k in ("calls", "interval_s", "aht_s", "answer_s", "target_sl",
                                                         "patience_s", "agents") if getattr(args, k) is not None]
        if single:
            raise UsageError(f"--batch takes its cases from the CSV; remove {', '.join(single)}")
        if not args.out:
            raise UsageError("--batch needs --out RESULTS.csv")
        return run_batch(Path(args.batch), Path(args.out))
    missing = [f"--{k.replace('_', '-')}" for k in REQUIRED if getattr(args, k) is None]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (or use --batch CASES.csv)")
    if args.target_sl is None and args.agents is None:
        raise UsageError("give --target-sl (to find the agents needed) or --agents (to evaluate a staffing)")
    if args.out:
        raise UsageError("--out is for --batch; the single case prints to the screen")
    if not 0 <= args.shrinkage < 1:
        raise InputError(f"--shrinkage = {args.shrinkage}: must be in [0, 1)")
    return run_single(args)


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def run_single(args: argparse.Namespace) -> int:
    common = dict(patience_s=args.patience_s, sl_definition=args.sl_definition, short_abandon_s=args.short_abandon_s)
    case = (args.calls, args.interval_s, args.aht_s)
    net = None
    if args.target_sl is not None:
        net = int(required_agents(*case, args.answer_s, args.target_sl, max_occupancy=args.max_occupancy,
                                  max_asa_s=args.max_asa_s, max_abandon=args.max_abandon, **common))
    focus = args.agents if args.agents is not None else net
    if focus < 0:
        raise InputError(f"--agents = {focus}: must be >= 0")
    rows = np.arange(max(focus - 2, 0), focus + 3)
    if net is not None and net not in rows:
        rows = np.unique(np.concatenate([rows, [net]]))
    table = metrics(*case, rows, args.answer_s, **common)
    model = "erlang_a" if args.patience_s is not None else "erlang_c"
    traffic = float(table["traffic_erlangs"][0])
    scheduled_exact = None if net is None else net / (1.0 - args.shrinkage)
    scheduled = None if net is None else int(math.ceil(round(scheduled_exact, 9)))
    records = []
    for i, n in enumerate(rows):
        records.append({"agents": int(n), **{k: float(table[k][i]) for k in
                                             ("service_level", "p_wait", "asa_s", "occupancy", "p_abandon")}})
    if args.json:
        payload = {
            "model": model,
            "inputs": {k: getattr(args, k) for k in ("calls", "interval_s", "aht_s", "answer_s", "target_sl",
                                                    "max_occupancy", "shrinkage", "patience_s", "agents",
                                                    "max_asa_s", "max_abandon", "sl_definition",
                                                    "short_abandon_s")},
            "traffic_erlangs": traffic,
            "required_agents": net,
            "scheduled_agents": scheduled,
            "scheduled_agents_exact": scheduled_exact,
            "at_agents": focus,
            "metrics": {k: _finite_or_none(v) for k, v in records[list(rows).index(focus)].items()},
            "table": [{k: _finite_or_none(v) for k, v in r.items()} for r in records],
            "note": "infinite values (an unstable queue) are null; service_level is of "
                    f"{args.sl_definition}; asa_s is the mean wait of answered contacts",
        }
        json.dump(payload, sys.stdout, indent=2)
        print()
        return 0
    name = "Erlang A (M/M/n+M)" if model == "erlang_a" else "Erlang C (M/M/n)"
    out = [f"{name}: {args.calls:g} contacts x {args.aht_s:g} s / {args.interval_s:g} s = {traffic:.3f} Erlangs"]
    if args.patience_s is not None:
        out.append(f"mean patience {args.patience_s:g} s; service level of {args.sl_definition}")
    if net is not None:
        goals = [f"{args.target_sl:.0%} answered within {args.answer_s:g} s"]
        if args.max_occupancy < 1:
            goals.append(f"occupancy <= {args.max_occupancy:.0%}")
        if args.max_asa_s is not None:
            goals.append(f"ASA <= {args.max_asa_s:g} s")
        if args.max_abandon is not None:
            goals.append(f"abandon <= {args.max_abandon:.1%}")
        out.append("target: " + ", ".join(goals))
        out.append(f"required agents (net): {net}")
        out.append(f"scheduled agents: {scheduled}  = ceil({net} / (1 - {args.shrinkage:g}) = {scheduled_exact:.2f})")
    out.append("")
    out.append(f"{'':2}{'agents':>6}  {'service_level':>13}  {'p_wait':>7}  {'asa_s':>9}  {'occupancy':>9}  {'p_abandon':>9}")
    for r in records:
        mark = ">" if r["agents"] == net else ("*" if r["agents"] == args.agents else " ")
        out.append(f"{mark:2}{r['agents']:>6}  {r['service_level']:>13.4f}  {r['p_wait']:>7.4f}  "
                   f"{r['asa_s']:>9.2f}  {r['occupancy']:>9.3f}  {r['p_abandon']:>9.4f}")
    if net is not None:
        out.append("> fewest agents meeting every target")
    print("\n".join(out))
    return 0


def run_batch(cases: Path, out: Path) -> int:
    try:
        frame = pd.read_csv(cases, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{cases}: not a readable CSV: {exc}") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{cases}: missing column(s) {', '.join(missing)} "
                         f"(need {', '.join(REQUIRED)}; optional {', '.join(OPTIONAL)})")
    clash = [c for c in ADDED if c in frame.columns]
    if clash:
        raise InputError(f"{cases}: column(s) {', '.join(clash)} are results; remove them from the cases")
    values: dict[str, np.ndarray] = {}
    for col in REQUIRED + OPTIONAL:
        if col not in frame.columns:
            values[col] = np.full(len(frame), np.nan)
            continue
        text = frame[col].str.strip()
        num = pd.to_numeric(text, errors="coerce").to_numpy(float)
        empty = (text == "").to_numpy()
        rule, ok = RULES[col]
        with np.errstate(invalid="ignore"):
            bad = ~empty & (np.isnan(num) | ~np.isfinite(num) | ~ok(np.nan_to_num(num, nan=-1.0)))
        if col in REQUIRED:
            bad |= empty
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{cases}: row {i + 2}, column {col} = {frame[col].iloc[i]!r}: "
                             f"{'empty' if empty[i] else rule}")
        values[col] = np.where(empty, np.nan, num)
    neither = np.isnan(values["agents"]) & np.isnan(values["target_sl"])
    if neither.any():
        i = int(np.argmax(neither))
        raise InputError(f"{cases}: row {i + 2}: give agents or target_sl (both are empty)")
    has_target = ~np.isnan(values["target_sl"])
    req = np.full(len(frame), -1, dtype=np.int64)
    if has_target.any():
        idx = np.nonzero(has_target)[0]
        occ = np.where(np.isnan(values["max_occupancy"][idx]), 1.0, values["max_occupancy"][idx])
        req[idx] = required_agents(values["calls"][idx], values["interval_s"][idx], values["aht_s"][idx],
                                   values["answer_s"][idx], values["target_sl"][idx], max_occupancy=occ,
                                   patience_s=values["patience_s"][idx])
    at = np.where(np.isnan(values["agents"]), req, values["agents"]).astype(np.int64)
    m = metrics(values["calls"], values["interval_s"], values["aht_s"], at, values["answer_s"],
                patience_s=values["patience_s"])
    result = frame.copy()
    for key in ADDED[:-1]:
        result[key] = m[key]
    result["required_agents"] = pd.array(np.where(has_target, req, 0), dtype="Int64")
    result.loc[~has_target, "required_agents"] = pd.NA
    write_csv(result, out, create_folder=False)
    print(f"wrote {len(result):,} cases to {out}", file=sys.stderr)
    return 0

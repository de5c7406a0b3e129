"""The bundled sample: what ``planner demo`` (and so ``make run``) loads into the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from planner.datasets import ImportResult, import_file
from planner.store import Store


def data_dir() -> Path:
    """The project's ``data/`` folder (``PLANNER_DATA_DIR`` overrides)."""
    override = os.environ.get("PLANNER_DATA_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class SampleFile:
    dataset: str
    relative_path: str
    description: str


SAMPLE_FILES: tuple[SampleFile, ...] = (
    SampleFile("sample_centre", "sample/history.csv.gz", "synthetic multi-channel centre (voice, chat, messaging, email), 15 min"),
    SampleFile("us_bank_2003", "us_bank_2003_5min.csv.gz", "US bank calls per 5 min, weekdays 07:00-21:00, Mar-Oct 2003"),
    SampleFile("anonymous_bank_1999", "anonymous_bank_1999_6min.csv.gz", "Israeli bank calls per 6 min, 24 h, 1999"),
)


def import_samples(store: Store, *, on_file: Callable[[SampleFile], None] | None = None) -> list[ImportResult]:
    """Import every bundled sample file (re-running replaces them: idempotent).

    ``on_file`` is called after each file is stored (for progress).
    """
    results = []
    for sample in SAMPLE_FILES:
        result = import_file(data_dir() / sample.relative_path, dataset=sample.dataset, store=store)
        if not result.report.ok:  # the bundled files are valid; this is a broken checkout
            raise ValueError(f"bundled sample {sample.relative_path} is invalid: {result.report.errors[0].describe()}")
        results.append(result)
        if on_file:
            on_file(sample)
    return results


def stored_example_plan(store: Store, config) -> int | None:
    """The id of the example plan already in ``store`` when it is current: every sample
    dataset holds exactly the bundled file's bytes and the latest plan named like ``config``
    was built with the same staffing and rules. None when anything differs (or is missing)."""
    from planner.writers import json_ready

    for sample in SAMPLE_FILES:
        try:
            if store.dataset_raw(sample.dataset) != (data_dir() / sample.relative_path).read_bytes():
                return None
        except ValueError:  # not stored
            return None
    plans = store.list_plans()
    named = plans[plans["name"] == config.name]
    if named.empty:
        return None
    plan_id = int(named["id"].max())
    stored = store.plan(plan_id).config
    fresh = json_ready({"staffing": config.staffing, "rules": config.rules})
    if stored.get("staffing") != fresh["staffing"] or stored.get("rules") != fresh["rules"]:
        return None
    return plan_id

"""Importing files into the store: validate, then store rows and raw upload in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.io import ValidationReport, read_bytes, validate_history
from planner.store import Store


@dataclass(frozen=True)
class ImportResult:
    dataset: str
    dataset_id: int | None  # None when the file had errors and nothing was stored
    report: ValidationReport


def import_bytes(
    data: bytes,
    *,
    source_name: str,
    dataset: str,
    kind: str = "history",
    timezone: str | None = None,
    store: Store | None = None,
    **options: Any,
) -> ImportResult:
    """Validate an upload and store it unless it has errors (then the store is untouched).

    ``options`` are :func:`planner.io.validate_history`'s (``mapping``, ``profile``,
    ``date_order``, ``interval_minutes``): what is stored is the History table they produce,
    with the raw upload beside it.
    """
    frame, report = validate_history(data, name=source_name, timezone=timezone, **options)
    if not report.ok:
        return ImportResult(dataset, None, report)
    store = store or Store.open()
    dataset_id = store.save_dataset(
        dataset,
        frame,
        raw=data,
        source_name=source_name,
        kind=kind,
        interval_minutes=report.summary.get("interval_minutes"),
        timezone=timezone,
        summary=report.summary,
        report_text=report.format(),
    )
    return ImportResult(dataset, dataset_id, report)


def import_file(
    path: str | Path,
    *,
    dataset: str,
    kind: str = "history",
    timezone: str | None = None,
    store: Store | None = None,
    **options: Any,
) -> ImportResult:
    """:func:`import_bytes` on a file (its name is kept as the source name)."""
    return import_bytes(
        read_bytes(path), source_name=Path(path).name, dataset=dataset, kind=kind, timezone=timezone, store=store,
        **options,
    )

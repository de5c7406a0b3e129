"""Planner-side glue for staffing: read staffing.toml into service targets, build requirements.

``staffing.toml`` (docs/architecture.md section 7) has one ``[channel.X]`` table per channel; see
:class:`scheduling.requirements.ServiceTarget` for the keys. The pipeline calls
:func:`load_staffing` (a file) or :func:`staffing_from_mapping` (a table already parsed, e.g.
the inline ``[staffing]`` of plan.toml) and then :func:`requirements`.

Example:
    >>> targets = staffing_from_mapping({"channel": {"voice": {"aht_s": 180, "shrinkage": 0.3}}})
    >>> targets["voice"].shrinkage
    0.3
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wfm_errors import ConfigError
from planner.toml_files import read_toml
from scheduling.erlang import metrics, required_agents
from scheduling.requirements import CHANNELS, REQUIREMENT_COLUMNS, ServiceTarget, requirements

__all__ = [
    "load_staffing",
    "staffing_from_mapping",
    "ServiceTarget",
    "requirements",
    "metrics",
    "required_agents",
    "REQUIREMENT_COLUMNS",
    "CHANNELS",
]


def staffing_from_mapping(d: Mapping[str, Any], *, source: str = "staffing.toml") -> dict[str, ServiceTarget]:
    """Service targets per channel from a parsed staffing table ``{"channel": {name: {...}}}``.

    Errors are ``ValueError`` naming ``source``, the table and the key.
    """
    if not isinstance(d, Mapping):
        raise ConfigError(f"{source}: expected a table with [channel.NAME] sections, got {d!r}")
    unknown = sorted(set(d) - {"channel"})
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} at the top level "
                         f"(service goals go in [channel.NAME] tables)")
    table = d.get("channel")
    if not table:
        raise ConfigError(f"{source}: no [channel.NAME] tables (channels: {', '.join(CHANNELS)})")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: 'channel' must be a table of [channel.NAME] sections")
    return {name: ServiceTarget.from_mapping(values, channel=name, source=source) for name, values in table.items()}


def load_staffing(path: str | Path) -> dict[str, ServiceTarget]:
    """Read staffing.toml; errors name the file (``ValueError``) or say it is missing (``OSError``)."""
    return staffing_from_mapping(read_toml(path), source=str(path))

"""Reading the TOML files (docs/architecture.md section 7): parse with the file named, resolve paths.

The domain types themselves live where their rules are known: service targets in
:mod:`scheduling.requirements`, shift rules in :mod:`scheduling.rules`. This module
reads the files, resolves relative paths and turns TOML syntax errors into messages
that name the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from wfm_errors import ConfigError


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file (``ValueError``) or say it is missing (``OSError``)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file") from None


def resolve(base_file: str | Path, value: str | Path) -> Path:
    """A path written in a config file, relative to that file's folder unless absolute."""
    value = Path(value).expanduser()
    return value if value.is_absolute() else (Path(base_file).resolve().parent / value)

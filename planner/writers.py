"""The one module that writes files: every file any command or the app writes goes through here.

Two promises:

* **atomic** - a single file is written to a temporary file beside its target and moved into
  place with ``os.replace`` (:func:`atomic_write`); a folder of outputs is built beside its
  target and swapped in whole (:func:`write_outputs`). A failure part-way leaves the previous
  content (or nothing), never a mix or a half-written file.
* **neutralized** - user-provided text (agent ids, queue, channel and activity names) can
  reach a spreadsheet, where a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is read as a formula (CSV injection, OWASP). :func:`neutralize` prefixes
  such text with a single quote; numbers stay numbers. :func:`write_csv` and
  :func:`write_json` neutralize every text value they write.

File names built from agent ids go through :func:`safe_filename` / :func:`unique_filenames`.
Formatting of particular files (the Excel roster, iCalendar feeds) lives in
:mod:`planner.exports`, which hands the bytes to this module.

Example:
    >>> neutralize("=1+2")
    "'=1+2"
    >>> neutralize(-3.5)
    -3.5
    >>> safe_filename("../Ann Lee")
    'Ann_Lee'
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wfm_errors import InputError

__all__ = [
    "FORMULA_PREFIXES",
    "neutralize",
    "neutralize_frame",
    "json_ready",
    "safe_filename",
    "unique_filenames",
    "atomic_write",
    "write_bytes",
    "write_text",
    "write_csv",
    "write_json",
    "csv_bytes",
    "write_outputs",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_FILENAME_CHARS = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# -- neutralization --------------------------------------------------------------------------
def neutralize(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    ``'``; anything else (numbers, including negative ones, dates, missing values) is
    returned unchanged.

    Example:
        >>> neutralize("@SUM(A1)"), neutralize("voice"), neutralize(-2)
        ("'@SUM(A1)", 'voice', -2)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralize`.

    Text, object and categorical columns are mapped; numeric, boolean and date-time columns
    are kept as they are (a negative number is not text). Column names are neutralized too.

    Example:
        >>> neutralize_frame(pd.DataFrame({"agent_id": ["-1", "A"], "x": [-1, 2]})).values.tolist()
        [["'-1", -1], ['A', 2]]
    """
    out = frame.copy()
    types = pd.api.types
    for column in out.columns:
        series = out[column]
        if not (types.is_numeric_dtype(series) or types.is_bool_dtype(series)
                or types.is_datetime64_any_dtype(series) or types.is_timedelta64_dtype(series)):
            out[column] = series.astype(object).map(neutralize)
    out.columns = [neutralize(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


# -- file names ------------------------------------------------------------------------------
def safe_filename(agent_id: Any) -> str:
    """A file name stem from an agent id: only ``[A-Za-z0-9._-]``, no leading dot, at most
    100 characters, never empty (``agent`` when nothing usable is left).

    Runs of other characters (spaces, slashes, accents) become one ``_``; leading dots and
    underscores are stripped so ``..`` can never name a parent folder.

    Example:
        >>> safe_filename("a/b\\\\c"), safe_filename("..."), safe_filename("Zoë Smith")
        ('a_b_c', 'agent', 'Zo_Smith')
    """
    text = _UNSAFE.sub("_", str(agent_id))
    text = text.lstrip("._-").rstrip("_")
    text = text[:MAX_FILENAME_CHARS].rstrip("_")
    if not text or text in (".", ".."):
        return "agent"
    return text


def unique_filenames(ids: Iterable[Any]) -> dict[Any, str]:
    """A distinct safe file name stem per id (case-insensitively distinct, for Windows and
    macOS file systems); ids that sanitize to the same stem get ``-2``, ``-3``... in the
    order given.

    Example:
        >>> unique_filenames(["a b", "a_b", "A_B"])
        {'a b': 'a_b', 'a_b': 'a_b-2', 'A_B': 'A_B-3'}
    """
    taken: set[str] = set()
    names: dict[Any, str] = {}
    for agent_id in ids:
        if agent_id in names:
            continue
        stem = safe_filename(agent_id)
        candidate, n = stem, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"-{n}"
            candidate = stem[: MAX_FILENAME_CHARS - len(suffix)] + suffix
        taken.add(candidate.lower())
        names[agent_id] = candidate
    return names


# -- atomic writes ---------------------------------------------------------------------------
def atomic_write(path: str | Path, write: Callable[[Path], None], *, create_folder: bool = True) -> None:
    """Call ``write(tmp)`` for a temporary file beside ``path``, then ``os.replace`` it.

    The file gets a normal file's mode (0666 less the umask), not ``mkstemp``'s private
    0600. If ``write`` raises, the temporary file is removed and ``path`` is untouched. The
    folder of ``path`` is created when missing, or with ``create_folder=False`` an
    ``OSError`` names it.

    Example:
        >>> atomic_write("out/x.txt", lambda tmp: tmp.write_text("x"))   # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    folder = path.parent if str(path.parent) else Path(".")
    if create_folder:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise FileNotFoundError(2, f"folder {folder} does not exist", str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_atomic_write = atomic_write  # the name planner.exports used


def write_bytes(data: bytes, path: str | Path) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_once(text: str, path: str | Path, *, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``text`` (UTF-8, file mode ``mode``) unless it exists; True when
    this call created it. The text is written to a temporary file beside ``path`` first and
    hard-linked into place, which fails when ``path`` exists: a reader never sees the file
    empty or part-written, and of several processes racing to create it exactly one wins."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(tmp_name, mode)
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp_name)


def write_text(text: str, path: str | Path) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically. The caller neutralizes if it is a table."""
    write_bytes(text.encode("utf-8"), path)


def json_ready(value: Any) -> Any:
    """``value`` ready for JSON: numpy scalars as Python numbers, NaN and infinities as
    ``null``, timestamps and paths as text, tuples and sets as lists. Text is kept verbatim
    (JSON is read by programs, not opened as a spreadsheet).

    Example:
        >>> json_ready({"agent": "=X", "n": np.int64(2), "x": float("nan")})
        {'agent': '=X', 'n': 2, 'x': None}
    """
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(payload: Any, path: str | Path, *, indent: int = 2) -> None:
    """Write ``payload`` as JSON (see :func:`json_ready`) atomically."""
    text = json.dumps(json_ready(payload), indent=indent, default=str)
    write_text(text + "\n", path)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as neutralized UTF-8 CSV bytes (no index): what :func:`write_csv` writes,
    for downloads served from memory.

    Example:
        >>> csv_bytes(pd.DataFrame({"agent_id": ["=cmd"]}))
        b"agent_id\\n'=cmd\\n"
    """
    return neutralize_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path, *, create_folder: bool = True) -> None:
    """Write ``frame`` as UTF-8 CSV (no index), neutralized, atomically.

    Example:
        >>> write_csv(pd.DataFrame({"agent_id": ["=cmd"]}), "/tmp/x.csv")   # doctest: +SKIP
    """
    safe = neutralize_frame(frame)

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            safe.to_csv(handle, index=False)

    atomic_write(Path(path), write, create_folder=create_folder)


def write_outputs(folder: str | Path, files: Mapping[str, Callable[[Path], None]]) -> None:
    """Build an output folder as a whole: each ``files[name](path)`` writes ``folder/name``.

    The callables run against a temporary folder beside ``folder``; only when all succeed is
    it swapped in (the old folder is renamed aside, the new one renamed into place, the old
    one removed). If any callable raises, the temporary folder is removed and ``folder``
    keeps its previous content; the exception propagates.

    Example:
        >>> write_outputs("out", {"a.csv": lambda p: write_csv(frame, p)})   # doctest: +SKIP
    """
    folder = Path(folder)
    resolved = folder.resolve()
    protected = {Path.cwd().resolve(), Path.home().resolve(), Path(resolved.anchor)}
    if resolved in protected or resolved in Path.cwd().resolve().parents:
        raise InputError(f"--out {folder}: is the current folder, one of its parents or the home folder; "
                         "the output folder is replaced as a whole, so give a folder of its own")
    parent = resolved.parent
    parent.mkdir(parents=True, exist_ok=True)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder}: exists and is not a folder")
    for name in files:
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"write_outputs: file name {name!r} must be a relative path inside the folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new.", dir=parent))
    try:
        for name, write in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=parent))
        old.rmdir()
        os.replace(folder, old)
    try:
        os.replace(staging, folder)
    except BaseException:
        if old is not None:
            os.replace(old, folder)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

"""Appending a benchmark run to its own section of benchmarks/RESULTS.md.

Each benchmark owns one ``## name`` section; a run is appended at the end of that section
and every other section is left as it is. The file is re-read right before writing.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def append_section(name: str, text: str, *, intro: str = "", path: Path = RESULTS) -> None:
    """Append ``text`` to section ``## name`` (created with ``intro`` when missing)."""
    heading = f"## {name}"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    lines = current.split("\n")
    if heading not in lines:
        current = current.rstrip("\n") + f"\n\n{heading}\n\n{intro}\n".rstrip("\n") + "\n"
        lines = current.split("\n")
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "\n".join(lines[start:end]).rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    rest = "\n".join(lines[end:])
    path.write_text(("\n".join(lines[:start]) + "\n" + section + ("\n" + rest if rest.strip() else "")).lstrip("\n"), encoding="utf-8")

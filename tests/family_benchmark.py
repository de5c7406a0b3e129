"""benchmarks/schedule_family.py, loaded as a module for tests that build its weeks (the
benchmarks folder is not a package; the script is the one generator of the family)."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

FAMILY_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "schedule_family.py"


@cache
def family() -> ModuleType:
    """The benchmark script as a module, loaded once."""
    spec = importlib.util.spec_from_file_location("schedule_family_for_test", FAMILY_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module

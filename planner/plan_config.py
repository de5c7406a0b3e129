"""``plan.toml``: what to plan, and the scenarios that override it (docs/architecture.md section 7).

A plan config names the history (a file, or a dataset in the store), the week to plan
(``start``, ``days``, ``interval_minutes``), the holiday ``country``, the service goals
(``staffing``: a path to staffing.toml or an inline ``[staffing]`` table), the shift rules
(``rules``: a path or inline ``[rules]``), optionally ``agents`` (agents.csv) and
``[[scenario]]`` tables. Paths are relative to the config file.

A scenario overrides any of those values with dotted keys, written flat or as TOML tables:

- ``volume_factor = 1.1``, ``aht_factor = 0.95`` scale the forecast;
- ``channel.voice.target_sl = 0.9`` (any key of a staffing channel);
- ``contract.full_time.hourly_cost = 26``, ``contract.full_time.max_agents = 80``;
- ``shift.early.latest_start = "11:00"`` (any key of a shift template);
- ``rules.coverage = "hard"`` (any top-level key of the rules).

>>> flatten({"channel": {"voice": {"target_sl": 0.9}}, "volume_factor": 1.1})
{'channel.voice.target_sl': 0.9, 'volume_factor': 1.1}
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wfm_errors import ConfigError
from planner.toml_files import read_toml, resolve

KNOWN_KEYS = {
    "name", "history", "dataset", "start", "days", "interval_minutes", "country", "subdivision",
    "timezone", "method", "special_days", "opening_hours", "staffing", "rules", "agents",
    "fte_hours_per_week", "simulate", "replications", "scenario", "backtest_windows",
    "mapping", "profile", "date_order",
}
SCENARIO_SCALARS = {"volume_factor", "aht_factor"}
SCENARIO_PREFIXES = ("channel.", "contract.", "shift.", "rules.")


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides (flat dotted keys)."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def volume_factor(self) -> float:
        return float(self.overrides.get("volume_factor", 1.0))

    @property
    def aht_factor(self) -> float:
        return float(self.overrides.get("aht_factor", 1.0))


PLANNING_GRIDS_MINUTES = (15, 30, 60)  # the grids the app and `planner plan` offer for a week's schedule


def _grids_text() -> str:
    return f"{', '.join(map(str, PLANNING_GRIDS_MINUTES[:-1]))} or {PLANNING_GRIDS_MINUTES[-1]}"


@dataclass(frozen=True)
class PlanConfig:
    """Everything :func:`planner.pipeline.plan` needs; build with :func:`load_plan_config`."""

    name: str
    source: Path
    start: pd.Timestamp
    days: int
    interval_minutes: int
    staffing: dict[str, Any]  # the staffing.toml mapping (``{"channel": {...}}``)
    rules: dict[str, Any]  # the rules.toml mapping
    history: Path | None = None
    dataset: str | None = None
    agents: Path | None = None
    country: str | None = None
    subdivision: str | None = None
    timezone: str | None = None
    method: str = "auto"
    special_days: Path | None = None
    opening_hours: str | None = None
    backtest_windows: int = 3
    fte_hours_per_week: float = 40.0
    simulate: bool = True
    mapping: tuple[tuple[str, str], ...] = ()  # [mapping] History field -> the history file's column
    profile: str | None = None  # a vendor profile of planner.profiles
    date_order: str | None = None  # "dayfirst" | "monthfirst" for dates like 03/04/2025

    @property
    def history_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`planner.io.load_history` for this plan's history file."""
        return {"mapping": dict(self.mapping) or None, "profile": self.profile, "date_order": self.date_order}
    replications: int = 10
    scenarios: tuple[Scenario, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The config as the store keeps it with a plan (paths as text, ``start`` as
        ``YYYY-MM-DD``; the scenarios are stored apart, one row each). Values are as held
        (:func:`planner.pipeline.json_ready` makes them JSON).

        >>> PlanConfig("week", Path("plan.toml"), pd.Timestamp("2025-06-02"), 7, 15, {}, {}).to_record()["start"]
        '2025-06-02'
        """
        return {
            "name": self.name,
            "source": str(self.source),
            "start": f"{self.start:%Y-%m-%d}",
            "days": self.days,
            "interval_minutes": self.interval_minutes,
            "country": self.country,
            "timezone": self.timezone,
            "history": str(self.history) if self.history else None,
            "dataset": self.dataset,
            "method": self.method,
            "staffing": self.staffing,
            "rules": self.rules,
            "agents": str(self.agents) if self.agents else None,
            "fte_hours_per_week": self.fte_hours_per_week,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], *, name: str = "", source: str = "",
                    scenarios: tuple[Scenario, ...] = ()) -> PlanConfig:
        """The config a stored plan was built from, rebuilt from :meth:`to_record`'s record:
        files it names (history, agents) are used when they still exist, else left out (the
        history is then the record's ``dataset``, None when it has none); ``name`` and
        ``source`` are used when the record has none; ``scenarios`` come from the store's rows."""

        def existing(value: Any) -> Path | None:
            return Path(value) if value and Path(value).is_file() else None

        history = existing(record.get("history"))
        return cls(
            name=str(record.get("name") or name), source=Path(record.get("source") or source),
            start=pd.Timestamp(record["start"]), days=int(record.get("days", 7)),
            interval_minutes=int(record["interval_minutes"]), staffing=record["staffing"], rules=record["rules"],
            history=history, dataset=record.get("dataset") if history is None else None,
            agents=existing(record.get("agents")), country=record.get("country"), timezone=record.get("timezone"),
            method=str(record.get("method") or "auto"), fte_hours_per_week=float(record.get("fte_hours_per_week") or 40.0),
            scenarios=tuple(scenarios),
        )


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables as flat dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _section(data: dict[str, Any], key: str, base: Path) -> tuple[dict[str, Any], str]:
    """An inline table, or the TOML file a path points to; returns (mapping, where)."""
    value = data.get(key)
    if value is None:
        raise ConfigError(f"{base}: '{key}' is missing: give a path to {key}.toml or an inline [{key}] table")
    if isinstance(value, dict):
        return copy.deepcopy(value), f"{base} [{key}]"
    if isinstance(value, str):
        path = resolve(base, value)
        return read_toml(path), str(path)
    raise ConfigError(f"{base}: '{key}' must be a path or a table, not {value!r}")


def _optional_path(data: dict[str, Any], key: str, base: Path) -> Path | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{base}: '{key}' must be a path, not {value!r}")
    path = resolve(base, value)
    if not path.exists():
        raise ConfigError(f"{base}: {key} = {value!r}: no such file ({path})")
    return path


def _positive_int(data: dict[str, Any], key: str, base: Path, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None:
        raise ConfigError(f"{base}: '{key}' is missing")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{base}: {key} = {value!r} must be a positive whole number")
    return value


def parse_scenarios(items: Any, base: Path | str) -> tuple[Scenario, ...]:
    """``[[scenario]]`` tables as :class:`Scenario` objects; bad keys and values are named."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ConfigError(f"{base}: 'scenario' must be [[scenario]] tables")
    scenarios, seen = [], set()
    for index, table in enumerate(items, start=1):
        if not isinstance(table, dict):
            raise ConfigError(f"{base}: [[scenario]] #{index} must be a table")
        name = str(table.get("name") or f"scenario {index}")
        if name in seen or name == "base":
            raise ConfigError(f"{base}: [[scenario]] #{index}: the name {name!r} is already used")
        seen.add(name)
        overrides = flatten({k: v for k, v in table.items() if k != "name"})
        for key, value in overrides.items():
            if key in SCENARIO_SCALARS:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ConfigError(f"{base}: [[scenario]] {name!r}: {key} = {value!r} must be a positive number")
            elif not key.startswith(SCENARIO_PREFIXES) or key.count(".") < (1 if key.startswith("rules.") else 2):
                raise ConfigError(
                    f"{base}: [[scenario]] {name!r}: unknown override {key!r}; use volume_factor, aht_factor, "
                    "channel.CHANNEL.KEY, contract.NAME.KEY, shift.NAME.KEY or rules.KEY"
                )
        scenarios.append(Scenario(name, overrides))
    return tuple(scenarios)


def load_plan_config(path: str | Path) -> PlanConfig:
    """Read and check ``plan.toml``; every error names the file, key and value."""
    path = Path(path)
    data = read_toml(path)
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}")
    history = _optional_path(data, "history", path)
    dataset = data.get("dataset")
    if history is None and not dataset:
        raise ConfigError(f"{path}: give 'history' (a file) or 'dataset' (a stored dataset's name)")
    if "start" not in data:
        raise ConfigError(f"{path}: 'start' is missing (the first day to plan, e.g. start = \"2025-06-02\")")
    try:
        start = pd.Timestamp(data["start"].isoformat() if isinstance(data["start"], (dt.date, dt.datetime)) else data["start"])
    except (ValueError, TypeError):
        raise ConfigError(f"{path}: start = {data['start']!r} is not a date") from None
    if start != start.normalize():
        raise ConfigError(f"{path}: start = {data['start']!r} must be a date at midnight (plans cover whole days)")
    interval_minutes = _positive_int(data, "interval_minutes", path, 15)
    if interval_minutes not in PLANNING_GRIDS_MINUTES:
        raise ConfigError(f"{path}: interval_minutes = {interval_minutes} must be {_grids_text()}")
    staffing, _ = _section(data, "staffing", path)
    rules, rules_where = _section(data, "rules", path)
    rules.setdefault("interval_minutes", interval_minutes)
    if rules["interval_minutes"] != interval_minutes:
        raise ConfigError(
            f"{rules_where}: interval_minutes = {rules['interval_minutes']} differs from the plan's "
            f"interval_minutes = {interval_minutes}"
        )
    first_weekday = rules.get("week_start")
    if first_weekday is not None and first_weekday != f"{start:%a}":
        raise ConfigError(
            f"{rules_where}: week_start = {first_weekday!r} but the plan's start = {start:%Y-%m-%d} is a "
            f"{start:%A}: the planning week starts on the plan's start (drop week_start or move start)"
        )
    days = _positive_int(data, "days", path, 7)
    if days != 7:
        raise ConfigError(f"{path}: days = {days}: the scheduler plans one week (days = 7)")
    mapping = _history_mapping(data, path)
    profile = data.get("profile") or None
    if profile is not None:
        from planner.profiles import PROFILES

        if profile not in PROFILES:
            raise ConfigError(f"{path}: profile = {profile!r} is unknown; use one of {', '.join(sorted(PROFILES))}")
    date_order = data.get("date_order") or None
    if date_order not in (None, "dayfirst", "monthfirst"):
        raise ConfigError(f"{path}: date_order = {date_order!r} must be \"dayfirst\" or \"monthfirst\"")
    return PlanConfig(
        name=str(data.get("name") or path.stem),
        source=path.resolve(),
        start=start,
        days=days,
        interval_minutes=interval_minutes,
        staffing=staffing,
        rules=rules,
        history=history,
        dataset=str(dataset) if dataset else None,
        agents=_optional_path(data, "agents", path),
        country=data.get("country") or None,
        subdivision=data.get("subdivision") or None,
        timezone=data.get("timezone") or None,
        method=str(data.get("method", "auto")),
        special_days=_optional_path(data, "special_days", path),
        opening_hours=data.get("opening_hours") or None,
        backtest_windows=_positive_int(data, "backtest_windows", path, 3),
        fte_hours_per_week=float(data.get("fte_hours_per_week", 40.0)),
        simulate=bool(data.get("simulate", True)),
        replications=_positive_int(data, "replications", path, 10),
        scenarios=parse_scenarios(data.get("scenario"), path),
        mapping=mapping,
        profile=profile,
        date_order=date_order,
    )


def _history_mapping(data: dict[str, Any], path: Path) -> tuple[tuple[str, str], ...]:
    """The ``[mapping]`` table (History field = "column of the history file"), checked."""
    table = data.get("mapping")
    if table is None:
        return ()
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{path}: [mapping] must hold FIELD = \"COLUMN\" lines, e.g. offered = \"Offer\"")
    from planner.profiles import HISTORY_FIELDS

    unknown = [k for k in table if k not in HISTORY_FIELDS]
    if unknown:
        raise ConfigError(f"{path}: [mapping] {unknown[0]!r} is not a History field; use one of {', '.join(HISTORY_FIELDS)}")
    return tuple(table.items())


def apply_overrides(staffing: dict[str, Any], rules: dict[str, Any], scenario: Scenario, *, where: str = "scenario") -> tuple[dict, dict]:
    """Copies of the staffing and rules mappings with the scenario's overrides applied."""
    staffing, rules = copy.deepcopy(staffing), copy.deepcopy(rules)
    label = f"{where} {scenario.name!r}"
    for key, value in scenario.overrides.items():
        if key in SCENARIO_SCALARS:
            continue
        head, _, rest = key.partition(".")
        if head == "rules":
            rules[rest] = value
            continue
        name, _, field_name = rest.partition(".")
        if head == "channel":
            channels = staffing.setdefault("channel", {})
            if name not in channels:
                raise ConfigError(f"{label}: {key}: channel {name!r} is not in the staffing config (has: {', '.join(channels)})")
            channels[name][field_name] = value
        else:
            table_key = "contract" if head == "contract" else "shift"
            tables = rules.get(table_key, [])
            matches = [t for t in tables if t.get("name") == name]
            if not matches:
                known = ", ".join(str(t.get("name")) for t in tables)
                raise ConfigError(f"{label}: {key}: no [[{table_key}]] named {name!r} in the rules (has: {known})")
            matches[0][field_name] = value
    return staffing, rules

"""Shift rules for one planning week: contracts, shift templates, activities.

The rules come from ``rules.toml`` (docs/architecture.md section 7) and are validated once,
here, with messages that name the offending rule. Everything downstream trusts a
:class:`RuleSet`. Times are minutes (``length_minutes``, ``earliest_after_start``)
or ``"HH:MM"`` clock strings in the file; inside they are minutes after midnight.

Example::

    >>> rules = RuleSet.from_mapping({
    ...     "interval_minutes": 60,
    ...     "contract": [{"name": "ft", "days_per_week": 5, "consecutive_days_off": 2,
    ...                   "hourly_cost": 1.0}],
    ...     "shift": [{"name": "day", "contract": "ft", "channels": ["voice"],
    ...                "length_minutes": 480, "earliest_start": "08:00", "latest_start": "08:00"}],
    ... })
    >>> len(day_patterns(rules.contracts[0], max_consecutive_days=rules.max_consecutive_days))
    7
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfm_errors import RulesError

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GRIDS_MINUTES: tuple[int, ...] = (5, 6, 10, 15, 30, 60)  # every interval length the project supports (history, forecast, requirements, rules)
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class Activity:
    """A break, lunch or other activity inside a shift; minutes after the shift start."""

    kind: str
    length_minutes: int
    paid: bool
    earliest_after_start: int
    latest_after_start: int

    def offsets(self, interval_minutes: int) -> tuple[int, ...]:
        """Possible start offsets (minutes after shift start) on the grid."""
        return tuple(range(self.earliest_after_start, self.latest_after_start + 1, interval_minutes))


@dataclass(frozen=True)
class Contract:
    """Weekly terms of employment: days worked, days off, pay and headcount cap."""

    name: str
    min_days: int
    max_days: int
    consecutive_days_off: int = 0
    hourly_cost: float = 0.0
    max_agents: int | None = None


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift shape: length, paid minutes, start window (minutes after midnight) and activities.

    Activities are identified by their place in ``activities``; several may share a kind
    (two ``"break"`` activities plus a ``"lunch"``), each with its own window, length and
    paid flag. Their windows may overlap: one agent takes them one after another in
    :func:`activity_order`, never two at once.

    ``latest_start`` may exceed 1440 when the start window crosses midnight (a
    ``"22:00"``..``"01:00"`` window is 1320..1500); the shift still belongs to the
    day its window opens.
    """

    name: str
    contract: str
    channels: tuple[str, ...]
    length_minutes: int
    paid_minutes: int
    earliest_start: int
    latest_start: int
    start_step_minutes: int
    activities: tuple[Activity, ...] = ()
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    def start_minutes(self) -> tuple[int, ...]:
        """Every allowed start, minutes after the shift day's midnight (may be >= 1440)."""
        return tuple(range(self.earliest_start, self.latest_start + 1, self.start_step_minutes))

    def placement_offsets(self, interval_minutes: int) -> tuple[tuple[int, ...], ...]:
        """Per activity (template order), the start offsets on the grid that leave room to take
        all of the shift's activities one after another (:func:`placement_windows`)."""
        return tuple(tuple(range(earliest, latest + 1, interval_minutes))
                     for earliest, latest in placement_windows(self.activities))


@dataclass(frozen=True)
class RuleSet:
    """All shift rules of a planning week plus the solver options.

    ``coverage`` is ``"hard"`` (every interval at or above requirement, cost minimal)
    or ``"soft"`` (``under_penalty`` per agent-hour short, in the cost currency).
    ``over_penalty`` is charged per agent-hour above requirement. The solver stops at
    ``time_limit_s`` or within ``gap_rel`` of the bound. ``week_start`` is the calendar
    weekday the planning week starts on (0 = Monday, 6 = Sunday); ``None`` starts it on the
    day of the first requirement (the plan's ``start``).
    """

    interval_minutes: int
    contracts: tuple[Contract, ...]
    shifts: tuple[ShiftTemplate, ...]
    min_rest_hours: float = 11.0
    max_consecutive_days: int = 6
    wrap_week: bool = True
    coverage: str = "soft"
    under_penalty: float = 1000.0
    over_penalty: float = 0.01
    time_limit_s: float = 60.0
    gap_rel: float = 0.01
    week_start: int | None = None

    def contract(self, name: str) -> Contract:
        """The contract called ``name``."""
        for contract in self.contracts:
            if contract.name == name:
                return contract
        raise RulesError(f"contract {name!r} is not defined; defined: {[c.name for c in self.contracts]}")

    def channels(self) -> set[str]:
        """Every channel some shift template serves."""
        return {channel for shift in self.shifts for channel in shift.channels}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "rules.toml") -> RuleSet:
        """Validate a parsed ``rules.toml`` and build the rule set.

        Raises ``ValueError`` naming ``source``, the rule and the value, e.g.
        ``rules.toml: [[shift]] 'early' [[shift.activity]] 'lunch': length_minutes=25 is not
        a multiple of interval_minutes=15``. Unknown keys only warn.
        """
        return _parse_rules(data, source)


def day_patterns(
    contract: Contract, *, max_consecutive_days: int, wrap: bool = True, weekdays: tuple[int, ...] | None = None
) -> tuple[tuple[int, ...], ...]:
    """Every 7-day work pattern (1 = works, the planning week's first day first) the contract allows.

    A pattern works between ``min_days`` and ``max_days`` days, never more than
    ``max_consecutive_days`` in a row, and (when ``consecutive_days_off`` > 0) has a
    run of at least that many days off; runs wrap around the week when ``wrap``.
    ``weekdays`` limits the days that may be worked (indexes into the pattern; the shift
    model passes the days of the planning week that fall on a template's weekdays).

    >>> c = Contract("ft", 5, 5, consecutive_days_off=2)
    >>> day_patterns(c, max_consecutive_days=6)[0]
    (1, 1, 1, 1, 1, 0, 0)
    """
    allowed = set(range(7) if weekdays is None else weekdays)
    found = []
    for bits in itertools.product((1, 0), repeat=7):
        if not contract.min_days <= sum(bits) <= contract.max_days:
            continue
        if any(bits[d] and d not in allowed for d in range(7)):
            continue
        if _longest_run(bits, 1, wrap) > max_consecutive_days:
            continue
        if contract.consecutive_days_off and sum(bits) < 7:
            if _longest_run(bits, 0, wrap) < contract.consecutive_days_off:
                continue
        found.append(tuple(bits))
    return tuple(found)


def _longest_run(bits: tuple[int, ...], value: int, wrap: bool) -> int:
    seq = bits + bits if wrap else bits
    best = run = 0
    for bit in seq:
        run = run + 1 if bit == value else 0
        best = max(best, run)
    return min(best, len(bits))


def activity_order(activities: tuple[Activity, ...]) -> tuple[int, ...]:
    """The order an agent takes a shift's activities in: by ``earliest_after_start``, then
    ``latest_after_start``, then place in the template (indexes into ``activities``)."""
    return tuple(sorted(range(len(activities)), key=lambda k: (activities[k].earliest_after_start,
                                                                activities[k].latest_after_start, k)))


def placement_windows(activities: tuple[Activity, ...]) -> tuple[tuple[int, int], ...]:
    """Start windows (minutes after the shift start; per activity, in template order) that let
    every activity of one shift be taken one after another in :func:`activity_order` without
    overlapping: each starts no earlier than the previous one can end and no later than leaves
    room for the next. A window with earliest > latest means the activities cannot all fit.

    >>> a = Activity("break", 15, True, 60, 120)
    >>> placement_windows((a, Activity("break", 15, True, 60, 120)))
    ((60, 105), (75, 120))
    """
    order = activity_order(activities)
    earliest = {k: activities[k].earliest_after_start for k in order}
    latest = {k: activities[k].latest_after_start for k in order}
    for before, after in zip(order, order[1:]):
        earliest[after] = max(earliest[after], earliest[before] + activities[before].length_minutes)
    for before, after in reversed(list(zip(order, order[1:]))):
        latest[before] = min(latest[before], latest[after] - activities[before].length_minutes)
    return tuple((earliest[k], latest[k]) for k in range(len(activities)))


# ---------------------------------------------------------------- validation helpers

_TOP_KEYS = {
    "interval_minutes", "min_rest_hours", "max_consecutive_days", "wrap_week", "coverage",
    "under_penalty", "over_penalty", "time_limit_s", "gap_rel", "contract", "shift", "week_start",
}
_CONTRACT_KEYS = {"name", "days_per_week", "consecutive_days_off", "hourly_cost", "max_agents"}
_SHIFT_KEYS = {
    "name", "contract", "channels", "length_minutes", "paid_minutes", "earliest_start",
    "latest_start", "start_step_minutes", "activity", "days",
}
_ACTIVITY_KEYS = {"kind", "length_minutes", "paid", "earliest_after_start", "latest_after_start"}


def _warn_unknown(where: str, mapping: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(mapping) - known)
    if unknown:
        warnings.warn(f"{where}: unknown keys ignored: {', '.join(unknown)}", stacklevel=4)


def _number(where: str, key: str, value: Any, *, kind: type = float, minimum: float | None = None,
            positive: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RulesError(f"{where}: {key}={value!r} is not a number")
    if kind is int and float(value) != int(value):
        raise RulesError(f"{where}: {key}={value!r} is not a whole number")
    value = kind(value)
    if positive and value <= 0:
        raise RulesError(f"{where}: {key}={value!r} must be positive")
    if minimum is not None and value < minimum:
        raise RulesError(f"{where}: {key}={value!r} must be at least {minimum}")
    return value


def _on_grid(where: str, key: str, value: int, grid: int) -> None:
    if value % grid:
        raise RulesError(f"{where}: {key}={value} is not a multiple of interval_minutes={grid}")


def _clock(where: str, key: str, value: Any) -> int:
    if not isinstance(value, str) or len(value.split(":")) != 2:
        raise RulesError(f"{where}: {key}={value!r} is not a clock time 'HH:MM'")
    hours, minutes = value.split(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) <= 23 and int(minutes) <= 59):
        raise RulesError(f"{where}: {key}={value!r} is not a clock time 'HH:MM'")
    return int(hours) * 60 + int(minutes)


def _table_list(where: str, key: str, value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise RulesError(f"{where}: [[{key}]] must be a list of tables")
    return value


def _name(where: str, table: Mapping[str, Any], index: int) -> str:
    name = table.get("name", table.get("kind"))
    if not isinstance(name, str) or not name.strip():
        raise RulesError(f"{where} number {index + 1}: missing 'name'")
    return name


def _parse_contract(table: Mapping[str, Any], index: int, source: str) -> Contract:
    name = _name(f"{source}: [[contract]]", table, index)
    where = f"{source}: [[contract]] {name!r}"
    _warn_unknown(where, table, _CONTRACT_KEYS)
    days = table.get("days_per_week", 5)
    if isinstance(days, list):
        if len(days) != 2:
            raise RulesError(f"{where}: days_per_week={days!r} must be an int or [min, max]")
        low = _number(where, "days_per_week", days[0], kind=int)
        high = _number(where, "days_per_week", days[1], kind=int)
    else:
        low = high = _number(where, "days_per_week", days, kind=int)
    if not 1 <= low <= high <= 7:
        raise RulesError(f"{where}: days_per_week={days!r} must lie within 1..7 with min <= max")
    off = _number(where, "consecutive_days_off", table.get("consecutive_days_off", 0), kind=int, minimum=0)
    if off and high + off > 7 and low + off > 7:
        raise RulesError(f"{where}: consecutive_days_off={off} leaves no room for days_per_week={days!r}")
    cost = _number(where, "hourly_cost", table.get("hourly_cost", 0.0), minimum=0)
    cap = table.get("max_agents")
    if cap is not None:
        cap = _number(where, "max_agents", cap, kind=int, minimum=0)
    return Contract(name, low, high, off, cost, cap)


def _parse_activity(table: Mapping[str, Any], index: int, shift_where: str, grid: int,
                    length: int) -> Activity:
    kind = _name(f"{shift_where} [[shift.activity]]", table, index)
    where = f"{shift_where} [[shift.activity]] {kind!r}"
    _warn_unknown(where, table, _ACTIVITY_KEYS)
    act_len = _number(where, "length_minutes", table.get("length_minutes"), kind=int, positive=True)
    _on_grid(where, "length_minutes", act_len, grid)
    if act_len >= length:
        raise RulesError(f"{where}: length_minutes={act_len} is not shorter than the shift's length_minutes={length}")
    earliest = _number(where, "earliest_after_start", table.get("earliest_after_start", 0), kind=int, minimum=0)
    latest = _number(where, "latest_after_start", table.get("latest_after_start", earliest), kind=int, minimum=0)
    _on_grid(where, "earliest_after_start", earliest, grid)
    _on_grid(where, "latest_after_start", latest, grid)
    if latest < earliest:
        raise RulesError(f"{where}: latest_after_start={latest} is before earliest_after_start={earliest}")
    if latest + act_len > length:
        raise RulesError(
            f"{where}: window ends at {latest + act_len} min, outside the shift's length_minutes={length}"
        )
    paid = table.get("paid", True)
    if not isinstance(paid, bool):
        raise RulesError(f"{where}: paid={paid!r} must be true or false")
    return Activity(kind, act_len, paid, earliest, latest)


def _parse_shift(table: Mapping[str, Any], index: int, source: str, grid: int,
                 contracts: dict[str, Contract], min_rest_hours: float) -> ShiftTemplate:
    name = _name(f"{source}: [[shift]]", table, index)
    where = f"{source}: [[shift]] {name!r}"
    _warn_unknown(where, table, _SHIFT_KEYS)
    contract = table.get("contract")
    if contract not in contracts:
        raise RulesError(f"{where}: contract={contract!r} is not a [[contract]]; defined: {sorted(contracts)}")
    channels = table.get("channels", ["voice"])
    if isinstance(channels, str):
        channels = [channels]
    if not channels or not all(isinstance(c, str) and c for c in channels):
        raise RulesError(f"{where}: channels={channels!r} must be a non-empty list of channel names")
    length = _number(where, "length_minutes", table.get("length_minutes"), kind=int, positive=True)
    _on_grid(where, "length_minutes", length, grid)
    if length + min_rest_hours * 60 > MINUTES_PER_DAY:
        raise RulesError(
            f"{where}: length_minutes={length} plus min_rest_hours={min_rest_hours:g} exceeds 24 h, "
            "so the shift can never be worked on consecutive days"
        )
    activities = tuple(
        _parse_activity(a, i, where, grid, length)
        for i, a in enumerate(_table_list(where, "shift.activity", table.get("activity", [])))
    )
    windows = placement_windows(activities)
    for k, (earliest, latest) in enumerate(windows):
        if earliest > latest:
            names = ", ".join(f"{activities[j].kind!r} (number {j + 1}, {activities[j].length_minutes} min from "
                              f"{activities[j].earliest_after_start}..{activities[j].latest_after_start})"
                              for j in activity_order(activities))
            raise RulesError(
                f"{where}: activity {activities[k].kind!r} (number {k + 1}) cannot fit: taken one after another "
                f"in the order {names}, it could start no earlier than {earliest} min and no later than "
                f"{latest} min after the shift start"
            )
    unpaid = sum(a.length_minutes for a in activities if not a.paid)
    paid = _number(where, "paid_minutes", table.get("paid_minutes", length - unpaid), kind=int, positive=True)
    if paid > length:
        raise RulesError(f"{where}: paid_minutes={paid} exceeds length_minutes={length}")
    earliest = _clock(where, "earliest_start", table.get("earliest_start", "00:00"))
    latest = _clock(where, "latest_start", table.get("latest_start", table.get("earliest_start", "00:00")))
    if latest < earliest:
        latest += MINUTES_PER_DAY  # the window crosses midnight
    step = _number(where, "start_step_minutes", table.get("start_step_minutes", grid), kind=int, positive=True)
    _on_grid(where, "start_step_minutes", step, grid)
    _on_grid(where, "earliest_start", earliest, grid)
    _on_grid(where, "latest_start", latest, grid)
    days = table.get("days", list(WEEKDAYS))
    if not isinstance(days, list) or not all(d in WEEKDAYS for d in days) or not days:
        raise RulesError(f"{where}: days={days!r} must be a list of {', '.join(WEEKDAYS)}")
    return ShiftTemplate(
        name=name, contract=contract, channels=tuple(channels), length_minutes=length,
        paid_minutes=paid, earliest_start=earliest, latest_start=latest, start_step_minutes=step,
        activities=activities, weekdays=tuple(sorted(WEEKDAYS.index(d) for d in days)),
    )


def _parse_rules(data: Mapping[str, Any], source: str) -> RuleSet:
    if not isinstance(data, Mapping):
        raise RulesError(f"{source}: expected a table of rules, got {type(data).__name__}")
    _warn_unknown(source, data, _TOP_KEYS)
    grid = _number(source, "interval_minutes", data.get("interval_minutes", 15), kind=int)
    if grid not in GRIDS_MINUTES:
        raise RulesError(f"{source}: interval_minutes={grid} must be one of {GRIDS_MINUTES}")
    rest = _number(source, "min_rest_hours", data.get("min_rest_hours", 11), minimum=0)
    max_consecutive = _number(source, "max_consecutive_days", data.get("max_consecutive_days", 6), kind=int)
    if not 1 <= max_consecutive <= 7:
        raise RulesError(f"{source}: max_consecutive_days={max_consecutive} must lie within 1..7")
    wrap = data.get("wrap_week", True)
    if not isinstance(wrap, bool):
        raise RulesError(f"{source}: wrap_week={wrap!r} must be true or false")
    coverage = data.get("coverage", "soft")
    if coverage not in ("soft", "hard"):
        raise RulesError(f"{source}: coverage={coverage!r} must be 'soft' or 'hard'")
    under = _number(source, "under_penalty", data.get("under_penalty", 1000.0), minimum=0)
    over = _number(source, "over_penalty", data.get("over_penalty", 0.01), minimum=0)
    time_limit = _number(source, "time_limit_s", data.get("time_limit_s", 60.0), positive=True)
    gap = _number(source, "gap_rel", data.get("gap_rel", 0.01), minimum=0)
    week_start = data.get("week_start")
    if week_start is not None:
        if week_start not in WEEKDAYS:
            raise RulesError(f"{source}: week_start={week_start!r} must be one of {', '.join(WEEKDAYS)}")
        week_start = WEEKDAYS.index(week_start)

    contracts: dict[str, Contract] = {}
    for i, table in enumerate(_table_list(source, "contract", data.get("contract", []))):
        contract = _parse_contract(table, i, source)
        if contract.name in contracts:
            raise RulesError(f"{source}: [[contract]] {contract.name!r} is defined twice")
        contracts[contract.name] = contract
    if not contracts:
        raise RulesError(f"{source}: no [[contract]] defined")
    shifts: dict[str, ShiftTemplate] = {}
    for i, table in enumerate(_table_list(source, "shift", data.get("shift", []))):
        shift = _parse_shift(table, i, source, grid, contracts, rest)
        if shift.name in shifts:
            raise RulesError(f"{source}: [[shift]] {shift.name!r} is defined twice")
        shifts[shift.name] = shift
    if not shifts:
        raise RulesError(f"{source}: no [[shift]] defined")
    all_channels = {c for shift in shifts.values() for c in shift.channels}
    for shift in shifts.values():
        for activity in shift.activities:
            if activity.kind in all_channels:
                raise RulesError(f"{source}: [[shift]] {shift.name!r} [[shift.activity]] {activity.kind!r}: "
                                 "an activity may not be named after a channel")
        contract = contracts[shift.contract]
        if not day_patterns(contract, max_consecutive_days=max_consecutive, wrap=wrap, weekdays=shift.weekdays):
            raise RulesError(
                f"{source}: [[shift]] {shift.name!r}: contract {contract.name!r} "
                f"(days_per_week {contract.min_days}..{contract.max_days}, consecutive_days_off="
                f"{contract.consecutive_days_off}) can never be met with max_consecutive_days="
                f"{max_consecutive} on days {[WEEKDAYS[d] for d in shift.weekdays]}"
            )
    return RuleSet(
        interval_minutes=grid, contracts=tuple(contracts.values()), shifts=tuple(shifts.values()),
        min_rest_hours=rest, max_consecutive_days=max_consecutive, wrap_week=wrap, coverage=coverage,
        under_penalty=under, over_penalty=over, time_limit_s=time_limit, gap_rel=gap, week_start=week_start,
    )

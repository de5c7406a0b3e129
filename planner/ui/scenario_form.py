"""The Scenarios page's form as data: a stored scenario's overrides <-> the form's fields.

The form has a field for the common overrides - ``volume_factor``, ``aht_factor``, one service
level target for every immediate channel, each contract's ``hourly_cost`` - and a text box of
``key = value`` lines (plan.toml ``[[scenario]]`` keys and TOML values) for everything else, so
copying a scenario carries every override of the source and nothing of what the form held
before: ``overrides_from_form(form_from_overrides(o, ...), ...) == o`` for every valid ``o``.

Example:
    >>> form = form_from_overrides("pay rise", {"contract.full_time.hourly_cost": 26.0,
    ...                                         "shift.early.latest_start": "11:00"},
    ...                            channels=["voice"], contracts=["full_time", "part_time"])
    >>> form.volume_factor, dict(form.hourly_cost), form.other
    (1.0, {'full_time': 26.0, 'part_time': None}, 'shift.early.latest_start = "11:00"')
    >>> overrides_from_form(form, channels=["voice"])
    {'contract.full_time.hourly_cost': 26.0, 'shift.early.latest_start': '11:00'}
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from wfm_errors import InputError
from planner.plan_config import flatten, parse_scenarios
from scheduling.channels import IMMEDIATE_CHANNELS

NEUTRAL_FACTOR = 1.0


@dataclass(frozen=True)
class ScenarioForm:
    """What the form shows: the scenario's name, the two forecast factors (1 = unchanged), the
    target service level of the immediate channels (None = the plan's), each contract's hourly
    cost (None = the plan's), the other overrides as ``key = value`` lines and the service goal
    of the immediate channels (``interval``/``daily``/``weekly``; None = the plan's)."""

    name: str
    volume_factor: float | None = NEUTRAL_FACTOR
    aht_factor: float | None = NEUTRAL_FACTOR
    target_sl: float | None = None
    hourly_cost: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))
    other: str = ""
    service_goal: str | None = None


def immediate_channels(channels: Sequence[str]) -> list[str]:
    """The plan's channels answered as they arrive (those a target service level applies to)."""
    return [c for c in channels if c in IMMEDIATE_CHANNELS]


def toml_value(value: Any) -> str:
    """A value as TOML writes it (``true``, ``26.0``, ``"11:00"``, ``[1, 2]``).

    >>> toml_value("11:00"), toml_value(True), toml_value(0.9), toml_value([1, "a"])
    ('"11:00"', 'true', '0.9', '[1, "a"]')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{value!r}: not a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise InputError(f"{value!r}: not a TOML value")


def form_from_overrides(name: str, overrides: Mapping[str, Any], *, channels: Sequence[str],
                        contracts: Sequence[str]) -> ScenarioForm:
    """The form filled from a scenario's flat overrides: every override lands in a field or in
    the ``other`` lines; every field the overrides do not set shows the plan's value."""
    rest = dict(overrides)
    volume = rest.pop("volume_factor", NEUTRAL_FACTOR)
    aht = rest.pop("aht_factor", NEUTRAL_FACTOR)
    immediate = immediate_channels(channels)
    target_keys = [f"channel.{c}.target_sl" for c in immediate]
    targets = {rest.get(k) for k in target_keys}
    target = None
    if immediate and all(k in rest for k in target_keys) and len(targets) == 1:
        target = targets.pop()
        for key in target_keys:
            del rest[key]
    goal_keys = [f"channel.{c}.service_goal" for c in immediate]
    goals = {rest.get(k) for k in goal_keys}
    goal = None
    if immediate and all(k in rest for k in goal_keys) and len(goals) == 1:
        goal = goals.pop()
        for key in goal_keys:
            del rest[key]
    costs = {c: rest.pop(f"contract.{c}.hourly_cost", None) for c in contracts}
    other = "\n".join(f"{key} = {toml_value(value)}" for key, value in rest.items())
    return ScenarioForm(str(name), volume, aht, target, MappingProxyType(costs), other, goal)


def parse_other(text: str | None) -> dict[str, Any]:
    """``key = value`` lines (TOML; blank lines and ``#`` comments skipped) as flat overrides;
    ``ValueError`` naming the line and its text when one is not TOML or repeats a key."""
    found: dict[str, Any] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            parsed = flatten(tomllib.loads(stripped))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"other overrides, line {number}: {stripped!r} is not 'key = value' "
                             f"(TOML, e.g. shift.early.latest_start = \"11:00\"): {exc}") from None
        for key, value in parsed.items():
            if key in found:
                raise InputError(f"other overrides, line {number}: {key} is given twice")
            found[key] = value
    return found


def _number(label: str, value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{label}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputError(f"{label}: {value!r} is not a finite number")
    return number


def overrides_from_form(form: ScenarioForm, *, channels: Sequence[str]) -> dict[str, Any]:
    """The flat overrides the form describes, checked as plan.toml checks ``[[scenario]]``
    tables (``ValueError`` naming the field or line and the value). Factors of 1 are left
    out (they change nothing); a key set both by a field and by an ``other`` line is refused."""
    overrides: dict[str, Any] = {}
    for key, label, value in (("volume_factor", "volume factor", form.volume_factor),
                              ("aht_factor", "handle-time factor", form.aht_factor)):
        number = _number(label, value)
        if number is not None and number != NEUTRAL_FACTOR:
            overrides[key] = number
    target = _number("target SL", form.target_sl)
    if target is not None:
        if not 0.0 < target < 1.0:
            raise InputError(f"target SL: {form.target_sl!r} must be a share between 0 and 1 (0.8 = 80 %)")
        for channel in immediate_channels(channels):
            overrides[f"channel.{channel}.target_sl"] = target
    if form.service_goal not in (None, ""):
        for channel in immediate_channels(channels):
            overrides[f"channel.{channel}.service_goal"] = str(form.service_goal)
    for contract, value in form.hourly_cost.items():
        cost = _number(f"hourly cost {contract}", value)
        if cost is not None:
            if cost < 0:
                raise InputError(f"hourly cost {contract}: {value!r} must be >= 0")
            overrides[f"contract.{contract}.hourly_cost"] = cost
    for key, value in parse_other(form.other).items():
        if key == "name":
            raise InputError("other overrides: name is the scenario's name: use the name field")
        if key in overrides:
            raise InputError(f"other overrides: {key} is also set by a field of the form; keep one")
        overrides[key] = value
    parse_scenarios([{"name": form.name or "scenario", **overrides}], "scenario form")
    return overrides

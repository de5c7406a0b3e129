"""The user's mistakes, one vocabulary for every package.

A :class:`PlannerError` is something the person running the planner can fix: a bad file,
row or field, a setting out of range, rules that can never be met, something asked of the
store that is not there, a scheduler or database that does not answer. Its message names
the file, row, field and value. The ``planner`` command prints it on one line and exits 2;
the app shows it beside the form. Any other exception is a bug in the planner: the command
prints the traceback and exits 70, the app logs it.

This package imports nothing from the project, so ``forecasting``, ``scheduling``,
``execution`` and ``planner`` may all import it without importing each other. Each class is
defined once, here, by the vocabulary it belongs to; a package-specific error (a history
file's report, infeasible shift rules, an infeasible hiring plan) derives from one of these.
The ones about a value are also ``ValueError`` (and :class:`UnreachableError` an
``OSError``), so code that catches those keeps working.

A ``ValueError`` raised with a plain ``ValueError`` is an internal invariant that broke:
a bug, never the user's mistake.
"""

from __future__ import annotations

__all__ = [
    "PlannerError",
    "InputError",
    "ConfigError",
    "RulesError",
    "RequirementsError",
    "ForecastInputError",
    "CapacityError",
    "StoreError",
    "UnreachableError",
]


class PlannerError(Exception):
    """The user's mistake (base class): the message says what to fix; CLI exit 2."""


class InputError(PlannerError, ValueError):
    """A value the user gave is unusable: a file, row, field or option, named with its value."""


class ConfigError(InputError):
    """A settings file or option (plan.toml, staffing.toml, profiles, scenarios, cluster options)."""


class RulesError(ConfigError):
    """Shift rules (rules.toml: contracts, templates, activities), agents or a roster's rules."""


class RequirementsError(InputError):
    """Service targets, Erlang and simulation inputs, or a Requirements frame."""


class ForecastInputError(InputError):
    """What forecasting was given: a history or forecast frame, a calendar, a method, a horizon."""


class CapacityError(InputError):
    """Capacity planning inputs: headcount, attrition, hiring classes, the months to plan."""


class StoreError(InputError):
    """Something asked of the store that is not there or clashes (a plan, dataset, name, user), or
    a store URL that is malformed or a database that cannot be opened (the URL's password masked)."""


class UnreachableError(PlannerError, OSError):
    """A service the planner needs did not answer (a Dask scheduler); an ``OSError`` as well."""

"""Options shared by every command that reads a History file: the vendor profile, the
column mapping, the day/month order and the grid for one-row-per-contact exports.

Not a subcommand (it is not in :data:`planner.commands.COMMANDS`).
"""

from __future__ import annotations

import argparse
from typing import Any

from planner.io import SUPPORTED_INTERVAL_MINUTES
from planner.profiles import PROFILES, describe_profiles, parse_map_options, read_mapping_file

PROFILES_HELP = "Vendor profiles (detected from the header, or forced with --profile):\n" + describe_profiles()


def add_input_options(parser: argparse.ArgumentParser, *, interval_option: bool = True) -> None:
    """Add --profile, --map, --mapping, --dayfirst/--monthfirst (and --contact-interval-minutes)."""
    group = parser.add_argument_group("reading exports in other layouts")
    group.add_argument("--profile", choices=sorted(PROFILES), metavar="NAME",
                       help="read the file as this vendor's export: " + ", ".join(sorted(PROFILES)))
    group.add_argument("--map", action="append", metavar='FIELD="COLUMN"', dest="map_items",
                       help='which column holds a History field, e.g. --map offered="Offer" (repeatable)')
    group.add_argument("--mapping", metavar="FILE.toml", help="a [mapping] table of FIELD = \"COLUMN\" lines")
    order = group.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="date_order", action="store_const", const="dayfirst",
                       help="read dates like 03/04/2025 as day/month (needed when no day in the file is above 12)")
    order.add_argument("--monthfirst", dest="date_order", action="store_const", const="monthfirst",
                       help="read dates like 03/04/2025 as month/day")
    if interval_option:
        group.add_argument("--contact-interval-minutes", type=int, metavar="M", choices=SUPPORTED_INTERVAL_MINUTES,
                           help="grid that one-row-per-contact exports (call logs, tickets) are counted into "
                           "(default 15)")


def input_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`planner.io.validate_history` the options ask for."""
    mapping: dict[str, str] = {}
    if getattr(args, "mapping", None):
        mapping.update(read_mapping_file(args.mapping))
    mapping.update(parse_map_options(getattr(args, "map_items", None)))
    return {"mapping": mapping or None, "profile": getattr(args, "profile", None),
            "date_order": getattr(args, "date_order", None),
            "interval_minutes": getattr(args, "contact_interval_minutes", None)}

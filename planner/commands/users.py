"""``planner users``: accounts of the web app (add, list, remove, passwd)."""

from __future__ import annotations

import argparse
import getpass
import sys

from wfm_errors import InputError, StoreError
from planner.accounts import ROLES, add_user, check_name, set_password
from planner.store import Store

EXAMPLE = f"""\
Roles: {', '.join(ROLES)}. admin: everything plus accounts and the audit trail; manager: imports,
plan builds, publishing, deletes; finance: reads plans and costs, creates scenarios; lead: the
published roster and intraday. Passwords: at least 8 characters, stored as salted Argon2id hashes.

Example:
  planner users add ana --role manager                  (prompts for the password twice)
  printf 's3cret-pass\\n' | planner users add bo --role lead --password-stdin
  planner users list
  planner users passwd ana
  planner users remove bo
"""


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner users``."""
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add an account", epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input (one line)")
    add.set_defaults(func=run_add)
    listing = sub.add_parser("list", help="list the accounts and their roles")
    listing.set_defaults(func=run_list)
    remove = sub.add_parser("remove", help="remove an account")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=run_remove)
    passwd = sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input (one line)")
    passwd.set_defaults(func=run_passwd)


def read_password(args: argparse.Namespace) -> str:
    """The password from standard input (``--password-stdin``) or typed twice at a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("password: standard input is not a terminal; pass --password-stdin to read it from there")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise InputError("password: the two entries differ")
    return first


def run_add(args: argparse.Namespace) -> int:
    check_name(args.name)
    from planner.accounts import check_role

    check_role(args.role)
    add_user(Store.open(), args.name, role=args.role, password=read_password(args))
    print(f"added user {args.name!r} ({args.role})")
    return 0


def run_list(_args: argparse.Namespace) -> int:
    users = Store.open().list_users()
    if users.empty:
        print("no accounts: 'planner app' runs as a single-user tool on 127.0.0.1")
        return 0
    print(users.to_string(index=False))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    Store.open().remove_user(args.name)
    print(f"removed user {args.name!r}")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    store = Store.open()
    if store.user(args.name) is None:
        raise StoreError(f"user {args.name!r}: no such user")
    set_password(store, args.name, read_password(args))
    print(f"password of {args.name!r} changed")
    return 0

"""``planner app``: serve the web app."""

from __future__ import annotations

import argparse

from planner.cluster import add_arguments, use_scheduler
from planner.ui.app import DEFAULT_HOST, DEFAULT_PORT

EXAMPLE = """\
Binds to 127.0.0.1 (this machine only) unless --host says otherwise.

Example:
  planner app
  planner app --port 8060
  planner app --scheduler tcp://10.0.0.5:8786   # forecasts, plans and scenarios on a Dask cluster
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app", help="serve the web app", description="Serve the planner's web app.", epilog=EXAMPLE
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    add_arguments(parser, workers=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ValueError(f"--port: {args.port} is not a port number (1-65535)")
    from planner.ui.app import create_app  # imports Dash only when serving

    use_scheduler(args.scheduler)  # the app's jobs (their own processes) find it in the environment
    print(f"serving wfm-planner on http://{args.host}:{args.port}/ (Ctrl+C stops)")
    create_app().run(host=args.host, port=args.port, debug=False)
    return 0

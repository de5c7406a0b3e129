"""``planner app``: serve the web app with a production WSGI server (gunicorn)."""

from __future__ import annotations

import argparse
import ipaddress
import socket

from wfm_errors import InputError
from planner.cluster import add_arguments, use_scheduler
from planner.ui.app import DEFAULT_HOST, DEFAULT_PORT

EXAMPLE = """\
Serves through gunicorn (N worker processes, 4 threads each); Dash's development server only
with --debug. Binds to 127.0.0.1 (this machine only) unless --host says otherwise.

Without accounts the app is a single-user tool on 127.0.0.1: a non-loopback --host is refused
until an account exists (planner users add NAME --role admin). With accounts every page needs
sign-in, and each role sees what it may.

Example:
  planner app
  planner app --port 8060 --workers 4
  planner users add ana --role admin && planner app --host 0.0.0.0
  planner app --scheduler tcp://10.0.0.5:8786   # forecasts, plans and scenarios on a Dask cluster
"""
THREADS_PER_WORKER = 4
REQUEST_TIMEOUT_S = 300
KEEPALIVE_S = 75  # idle keep-alive connections stay open this long (a shorter one races the client reusing it)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments and options of ``planner app``."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--debug", action="store_true", help="Dash's development server with reloading (never in production)")
    add_arguments(parser, workers=False)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) resolves to this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except OSError:
            return False


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port: {args.port} is not a port number (1-65535)")
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers: {args.workers} must be between 1 and 64")
    from planner.store import Store, default_url

    store = Store.open(default_url())
    accounts = store.user_count()
    if not accounts and not is_loopback(args.host):
        raise InputError(f"--host {args.host}: refused: no accounts yet, so the app is a single-user tool on 127.0.0.1; "
                         "add one first with 'planner users add NAME --role admin'")
    from planner.ui.app import create_app  # imports Dash only when serving

    use_scheduler(args.scheduler)  # the app's jobs (their own processes) find it in the environment
    app = create_app()
    mode = (f"{accounts} account(s): sign-in required" if accounts
            else "single-user mode: no accounts, this machine only (add one with 'planner users add')")
    url = f"http://{args.host}:{args.port}/"
    if args.debug:
        print(f"serving wfm-planner on {url} with Dash's DEVELOPMENT server (--debug); {mode} (Ctrl+C stops)", flush=True)
        app.run(host=args.host, port=args.port, debug=True)
        return 0
    print(f"serving wfm-planner on {url} (gunicorn, {args.workers} worker(s) x {THREADS_PER_WORKER} threads); "
          f"store {store.url}; {mode} (Ctrl+C stops)", flush=True)
    warm_intraday(store)
    store.engine.dispose()  # the workers open their own connections
    serve(app.server, host=args.host, port=args.port, workers=args.workers)
    return 0


def warm_up(wsgi_app) -> None:
    """Answer one request in this process before it serves any.

    Dash finishes setting itself up on a process's first request (the callbacks of the pages,
    the pages' router, the asset scripts) after flagging the set-up as done, so a request that
    another thread serves meanwhile sees a half set-up app: the browser showed the menu over a
    page that never filled in. One request first, alone, closes that window. Its answer (the
    index, or the sign-in redirect) is not used."""
    with wsgi_app.test_client() as client:
        client.get("/")


def warm_intraday(store) -> None:
    """Fit the intraday models of the plan the Intraday page opens by default (the published
    plan, else the newest) in this process, before the server forks its workers: they inherit
    them. Otherwise the first Intraday load in each worker fits them (seconds of CPU) while the
    worker's other threads, asking for the same page, wait for that fit and serve nothing else.
    A plan without a forecast or a readable history has no models: that is printed, not raised."""
    import time

    from planner.intraday import learn_models
    from planner.ui.views import default_plan_id

    plan_id = default_plan_id(store)
    if plan_id is None or "forecast" not in store.plan(plan_id).tables:
        return
    started = time.perf_counter()
    try:
        notes = learn_models(store, plan_id)
    except (ValueError, OSError, KeyError) as exc:
        print(f"intraday models of plan {plan_id}: not fitted ({exc}); the Intraday page fits them on first use", flush=True)
        return
    print(f"intraday models of plan {plan_id} fitted in {time.perf_counter() - started:.1f} s"
          + (f" ({'; '.join(notes)})" if notes else ""), flush=True)


def serve(wsgi_app, *, host: str, port: int, workers: int) -> None:
    """Run ``wsgi_app`` under gunicorn (threaded workers) until interrupted; each worker is
    :func:`warm_up`-ed before it takes a connection."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            settings = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
                        "threads": THREADS_PER_WORKER, "timeout": REQUEST_TIMEOUT_S, "graceful_timeout": 3,
                        "keepalive": KEEPALIVE_S, "accesslog": None, "errorlog": "-", "loglevel": "warning",
                        "limit_request_line": 8190, "limit_request_fields": 100,
                        "post_worker_init": lambda worker: warm_up(worker.wsgi)}
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return wsgi_app

    Server().run()

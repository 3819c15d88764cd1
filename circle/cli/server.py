"""`circle server`, `circle db upgrade` and `circle db status`."""
from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `server` and `db` commands."""
    server = sub.add_parser("server", help="run the HTTP server (and embedded agents)")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    server.add_argument("--agents", type=int, default=1, help="embedded agents to run (default 1, 0 = none)")
    server.set_defaults(func=cmd_server)

    database = sub.add_parser("db", help="database maintenance")
    db_sub = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to head")
    upgrade.set_defaults(func=cmd_db_upgrade)
    status = db_sub.add_parser("status", help="print the database's current revision and the code's head")
    status.set_defaults(func=cmd_db_status)


def _logging_as_set(app: Flask) -> None:
    """Log at CIRCLE_LOG_LEVEL (info by default: migration progress, the backup's path, the start's checks)."""
    logging.getLogger().setLevel(app.config["CIRCLE_SETTINGS"].log_level.upper())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate the configured database to head."""
    from circle.app import create_app
    from circle.database import open_database

    app = create_app()
    _logging_as_set(app)
    open_database(app)
    print("database is up to date")
    return 0


def cmd_db_status(args: argparse.Namespace) -> int:
    """Print the current and head revisions; exit 1 when the database is newer than the code."""
    from circle.app import create_app
    from circle.database import check, refuse_newer, revisions

    app = create_app()
    check(app)
    state = revisions(app)
    print(f"current: {state.current or 'none (empty database)'}")
    print(f"head:    {state.head}")
    refuse_newer(state)
    print("up to date" if not state.pending else "migrations pending: run `circle db upgrade`")
    return 0


def _print_admin(credentials) -> None:
    """Show the bootstrap admin's credentials once."""
    print("created the first user; this is shown once:", flush=True)
    print(f"  login:    {credentials.login}")
    print(f"  password: {credentials.password}")
    print(f"  token:    {credentials.token}", flush=True)


def cmd_server(args: argparse.Namespace) -> int:
    """Migrate, bootstrap the admin, start embedded agents and serve HTTP until stopped."""
    from circle.app import create_app
    from circle.bootstrap import ensure_admin
    from circle.database import open_database
    from circle.server import listen, reachable_url, serve

    if args.agents < 0:
        from circle.errors import InvalidInput
        raise InvalidInput("--agents must be 0 or more")
    listener = listen(args.host, args.port)  # before migrating: a port in use changes nothing
    if not os.environ.get("CIRCLE_HOST"):
        # Hook URLs, links and upload URLs name where this server listens (not the default port).
        os.environ["CIRCLE_HOST"] = reachable_url(listener)
    app = create_app()
    _logging_as_set(app)
    if app.config["CIRCLE_SETTINGS"].log_level.upper() != "DEBUG":
        # Alembic's line per revision would bury the admin's password; circle.database sums up
        logging.getLogger("alembic").setLevel(logging.WARNING)
    credentials = open_database(app, bootstrap=ensure_admin)
    if credentials:
        _print_admin(credentials)
    serve(app, listener, agents=args.agents)
    return 0

"""create_app: the only place where config, extensions, services and blueprints are wired together."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from sqlalchemy import event

from circle import config as settings_module
from circle import (
    crypto,
    hub,
    models,  # noqa: F401  (registers every table on db.metadata)
)
from circle.api.ids import IdConverter
from circle.extensions import db
from circle.store import revocations
from circle.store.base import install_session_events
from circle.url_rules import Rule


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _engine_options(settings: settings_module.Settings) -> dict[str, Any]:
    """Return SQLAlchemy engine options suited to the database kind; the pool settings do not apply to SQLite."""
    url = settings.database_url
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 1800, "pool_size": settings.db_pool_size,
                               "max_overflow": settings.db_max_overflow, "pool_timeout": settings.db_pool_timeout}
    if url.startswith(("mysql", "mariadb")):
        # Long-polls re-read rows they read before; REPEATABLE READ would show them a stale snapshot.
        options["isolation_level"] = "READ COMMITTED"
    return options


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from the environment (or from `test_config`, a mapping of CIRCLE_* keys)."""
    settings = (settings_module.from_mapping(test_config) if test_config is not None
                else settings_module.load())
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.url_rule_class = Rule
    app.url_map.converters["int"] = IdConverter
    app.config.update(settings.as_flask_config())
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(settings)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    if test_config is not None:
        app.config.update({k: v for k, v in test_config.items() if not k.startswith("CIRCLE_")})
    crypto.configure(settings.secret_key)

    db.init_app(app)
    hub.init_app(app, settings, lease_seconds=settings.lease_seconds)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    install_session_events()
    revocations.install()

    from circle.api import hooks, live, register_api
    from circle.rpc.endpoint import RpcEndpoint
    from circle.web import register_web

    register_api(app)
    register_web(app)
    app.register_blueprint(live.bp)
    app.register_blueprint(hooks.bp)
    app.wsgi_app = RpcEndpoint(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


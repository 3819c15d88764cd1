"""Opening the database for a command: reachability check with a clear sentence, then migrations to head."""
from __future__ import annotations

import io
import logging
from contextlib import redirect_stdout

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from circle.errors import DatabaseUnavailable
from circle.extensions import db

log = logging.getLogger(__name__)


def _describe(url: str) -> str:
    """Return the database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL so malformed it cannot be parsed is shown as given
        return url


def check(app: Flask) -> None:
    """Raise DatabaseUnavailable with one sentence when the configured database does not answer."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with app.app_context():
            db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", err) or err).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot open the database {_describe(url)}: {reason}") from None
    except (ImportError, ValueError) as err:  # unknown dialect or driver, malformed URL
        raise DatabaseUnavailable(f"cannot use the database URL {_describe(url)}: {err}") from None


def upgrade(app: Flask) -> None:
    """Apply every migration up to head."""
    import flask_migrate

    with app.app_context(), redirect_stdout(io.StringIO()):
        flask_migrate.upgrade()
    log.info("database schema is at head")


def open_database(app: Flask) -> None:
    """Check the database answers, then migrate it to head."""
    check(app)
    upgrade(app)

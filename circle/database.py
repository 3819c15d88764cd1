"""Opening the database for a command: reachability check with a clear sentence, then migrations to head.

Before migrating, a database stamped with a revision this code does not know (made by a newer circle) is
refused, and an SQLite file that has something to migrate is first copied with `VACUUM INTO` next to itself.
A database already at head is told by one query and the migration files' `revision` lines: Alembic (and
Flask-Migrate, bound to the app only when needed) costs about a sixth of the server's start otherwise.
Migrating and the first start's bootstrap run under the setup lock (circle.dblock), so servers may start together.
"""
from __future__ import annotations

import io
import logging
import re
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from circle.errors import DatabaseUnavailable
from circle.extensions import db

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_REVISION = re.compile(r"""^revision = ['"]([^'"]+)['"]$""", re.M)
_DOWN_REVISION = re.compile(r"""^down_revision = (?:None|['"]([^'"]+)['"])$""", re.M)


def bind_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to the app, once (flask_migrate.upgrade and the revision checks need it)."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)


def head_on_disk(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """Return the one head of the migration files' plain chain, or None when they do not form one (Alembic decides)."""
    revisions, parents = set(), set()
    for path in versions.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, parent = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or parent is None:
            return None
        revisions.add(revision[1])
        parents.add(parent[1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(app: Flask) -> bool:
    """Tell, without Alembic, whether the database is stamped with exactly this code's head revision."""
    head = head_on_disk()
    if head is None:
        return False
    with app.app_context():
        try:
            stamped = list(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except SQLAlchemyError:  # never migrated: no version table
            stamped = []
        finally:
            db.session.rollback()
    return stamped == [head]
T = TypeVar("T")


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


@dataclass(frozen=True)
class Revisions:
    """Where the database's schema is (None: never migrated) and where this code's migrations end."""

    current: str | None
    head: str
    known: bool  # the current revision is one of this code's migrations

    @property
    def pending(self) -> bool:
        """Tell whether migrations remain to be applied."""
        return self.current != self.head


def revisions(app: Flask) -> Revisions:
    """Return the database's current revision and the code's head revision."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    bind_migrations(app)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = script.get_current_head()
        known = current is None or current in {rev.revision for rev in script.walk_revisions()}
    assert head is not None, "the migrations directory has no head revision"
    return Revisions(current=current, head=head, known=known)


def refuse_newer(state: Revisions) -> None:
    """Raise DatabaseUnavailable when the database was migrated by a newer circle than this one."""
    if not state.known:
        raise DatabaseUnavailable(
            f"the database is at revision {state.current}, which this circle does not know (its newest is "
            f"{state.head}): it was upgraded by a newer circle, so run that version or restore a backup")


def backup_sqlite(app: Flask, state: Revisions) -> Path | None:
    """Copy an SQLite database that has something to migrate with VACUUM INTO; return the copy's path."""
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        if state.current is None or not state.pending:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        target = Path(f"{url.database}.{state.current}-{stamp}.bak")
        with db.engine.connect() as connection:
            connection.exec_driver_sql("VACUUM INTO ?", (str(target),))
    log.info("database backup before migrating from %s: %s", state.current, target)
    return target


def upgrade(app: Flask) -> None:
    """Apply every migration up to head, refusing a newer database and backing up an SQLite file first."""
    if at_head(app):
        log.info("database schema is at head")
        return
    import flask_migrate

    state = revisions(app)
    refuse_newer(state)
    if not state.pending:
        log.info("database schema is at head %s", state.head)
        return
    backup_sqlite(app, state)
    log.info("migrating the database from %s to %s", state.current or "an empty schema", state.head)
    with app.app_context(), redirect_stdout(io.StringIO()):
        flask_migrate.upgrade()
    log.info("database schema is at head %s", state.head)


def open_database(app: Flask, bootstrap: Callable[[], T] | None = None) -> T | None:
    """Check the database answers, then migrate it to head and run `bootstrap`, both under the setup lock."""
    from circle.dblock import setup_lock

    check(app)
    with setup_lock(app):
        upgrade(app)
        if bootstrap is None:
            return None
        with app.app_context():
            return bootstrap()

"""Upgrades: a database newer than the code is refused, an SQLite file is backed up before it is migrated."""
from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from circle.database import revisions, upgrade
from circle.errors import DatabaseUnavailable
from circle.extensions import db
from circle.store import builds
from dbtools import make_workflow

VERSION = sa.table("alembic_version", sa.column("version_num"))


def _backups(app: Flask) -> list[Path]:
    """Return the backup files next to the app's SQLite database (none on other databases)."""
    if db.engine.url.get_backend_name() != "sqlite":
        return []
    path = Path(db.engine.url.database or "")
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


def test_a_database_from_a_newer_circle_is_refused(app: Flask):
    """A revision the code does not know stops the upgrade with one sentence and changes nothing."""
    head = revisions(app).head
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(VERSION.update().values(version_num="9999_future"))
    try:
        with pytest.raises(DatabaseUnavailable, match="revision 9999_future, which this circle does not know"):
            upgrade(app)
        assert revisions(app).current == "9999_future"
    finally:
        with db.engine.begin() as conn:
            conn.execute(VERSION.update().values(version_num=head))


def test_an_old_database_is_backed_up_then_upgraded_with_its_rows(app: Flask):
    """From 0001 to head the rows stay; an SQLite file gets a VACUUM INTO copy first, at head none more."""
    build_id, _ = make_workflow()
    db.session.commit()
    db.session.remove()
    for old in _backups(app):
        old.unlink()
    flask_migrate.downgrade(revision="0001")
    assert revisions(app).current == "0001"
    upgrade(app)
    state = revisions(app)
    assert state.current == state.head and not state.pending
    assert builds.get(build_id).number == 1
    copies = _backups(app)
    if db.engine.url.get_backend_name() == "sqlite":
        assert len(copies) == 1 and ".0001-" in copies[0].name
        with sa.create_engine(f"sqlite:///{copies[0]}").connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
            assert conn.execute(sa.text("SELECT count(*) FROM builds")).scalar_one() == 1
        upgrade(app)
        assert _backups(app) == copies
        copies[0].unlink()

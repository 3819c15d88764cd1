"""The unit of work on every database: a savepoint undoes only itself, and nests in its transaction on SQLite too."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.models import User
from circle.store import users
from circle.store.base import after_commit, on_rollback, savepoint, transaction


class Refused(Exception):
    """What the blocks under test raise."""


def _names() -> list[str]:
    """Return the committed users' logins, read on a connection of its own."""
    with db.engine.connect() as connection:
        return sorted(connection.execute(select(User.login)).scalars())


def test_a_failed_savepoint_undoes_its_writes_and_callbacks_only(app):
    """Around a savepoint that raises, the transaction's other writes commit and their callbacks run after that."""
    told: list[tuple[str, list[str]]] = []
    with app.app_context(), transaction():
        users.create("kept-before", "pw")
        after_commit(lambda: told.append(("before", _names())))
        with pytest.raises(Refused), savepoint():
            users.create("undone", "pw")
            after_commit(lambda: told.append(("undone", [])))
            raise Refused
        with savepoint():
            users.create("kept-after", "pw")
            after_commit(lambda: told.append(("after", [])))
    assert told == [("before", ["kept-after", "kept-before"]), ("after", [])]
    assert _names() == ["kept-after", "kept-before"]


def test_a_savepoint_first_in_its_transaction_is_undone_with_it(app):
    """A savepoint released before its transaction fails is rolled back with it (pysqlite alone would commit it)."""
    with app.app_context():
        db.session.rollback()
        with pytest.raises(Refused), transaction():
            with savepoint():
                users.create("first", "pw")
            users.create("second", "pw")
            raise Refused
        assert _names() == []


def test_on_rollback_runs_for_what_rolled_back_only(app):
    """A committed block drops its on-rollback callbacks; a failed savepoint runs its own; a failed block all."""
    undone: list[str] = []
    with app.app_context(), transaction():
        on_rollback(lambda: undone.append("committed"))
    assert undone == []
    with app.app_context(), pytest.raises(Refused), transaction():
        on_rollback(lambda: undone.append("outer"))
        with pytest.raises(Refused), savepoint():
            users.create("undone", "pw")
            on_rollback(lambda: undone.append("savepoint"))
            raise Refused
        assert undone == ["savepoint"]
        raise Refused
    assert undone == ["savepoint", "outer"]

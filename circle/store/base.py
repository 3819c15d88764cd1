"""The shared verbs of every store module (get, find, list, count, create, update, delete) and the unit of work.

Each entity module builds one `Crud` for its model and adds its own `get_by_<key>` and
`list_<scope>` functions on top. Integrity errors become `Conflict`, missing rows `NotFound`.

Inside a unit of work (`transaction()`: every API view, RPC call, reaper step and build creation opens
one) store verbs only flush, so a failure anywhere rolls back everything the operation wrote. Outside one
(tests, one-off scripts) each verb is its own transaction. What must be told to others (events, wake-ups,
commit statuses) is registered with `after_commit` and runs only once the change is committed; a
rollback drops it. A `savepoint()` inside one is a part that may fail alone (a call of an RPC batch): its
rollback drops only its own changes and callbacks.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterable, Iterator, Sequence, TypeVar

from flask import g, has_app_context
from sqlalchemy import UniqueConstraint, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from circle.errors import Conflict, NotFound
from circle.extensions import db

M = TypeVar("M")

log = logging.getLogger(__name__)
_AFTER_COMMIT = "circle.after_commit"
_ON_ROLLBACK = "circle.on_rollback"
# Kept on flask.g (one per app context, like the session), so a unit of work that never touches the
# database never creates a session.
_IN_TRANSACTION = "circle_in_transaction"

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page:
    """A page of a list: 1-based `page`, `per_page` capped at 200."""

    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        """Return the number of rows before this page."""
        return (max(self.page, 1) - 1) * self.limit

    @property
    def limit(self) -> int:
        """Return the number of rows on this page."""
        return min(max(self.per_page, 1), MAX_PER_PAGE)



def flush(noun: str) -> None:
    """Send pending changes inside the open unit of work (or commit them when none is open); clashes: Conflict."""
    if not g.get(_IN_TRANSACTION):
        commit(noun)
        return
    try:
        db.session.flush()
    except IntegrityError as err:
        raise Conflict(_conflict_message(noun, err)) from None


def commit(noun: str = "change") -> None:
    """Commit the transaction, then run what waited for it; a constraint violation becomes a clear Conflict."""
    if not db.session.registry.has():  # the unit of work never touched the database (an idle long-poll)
        return
    if db.session().in_transaction():  # a session that read and wrote nothing has nothing to commit
        try:
            db.session.commit()
        except IntegrityError as err:
            db.session.rollback()
            raise Conflict(_conflict_message(noun, err)) from None
    _run_after_commit()


def rollback() -> None:
    """Roll the transaction back and forget what waited for its commit."""
    if db.session.registry.has():
        db.session.rollback()


@contextmanager
def transaction(noun: str = "change") -> Iterator[None]:
    """Run the block as one transaction: commit at its end, roll back if it raises; inner blocks join the outer."""
    if g.get(_IN_TRANSACTION):
        yield
        return
    g.setdefault(_IN_TRANSACTION, True)
    try:
        yield
        g.pop(_IN_TRANSACTION)
        commit(noun)
    except BaseException:
        g.pop(_IN_TRANSACTION, None)
        rollback()
        raise


@contextmanager
def savepoint() -> Iterator[None]:
    """Run the block in a SAVEPOINT: if it raises, only its changes and its after-commit callbacks are undone."""
    _begin_for_savepoints()
    callbacks = db.session.info.setdefault(_AFTER_COMMIT, [])
    undo = db.session.info.setdefault(_ON_ROLLBACK, [])
    kept, kept_undo = len(callbacks), len(undo)
    try:
        with db.session.begin_nested():
            yield
    except BaseException:
        del callbacks[kept:]
        _run_all(undo[kept_undo:], "on-rollback")
        del undo[kept_undo:]
        raise


def _begin_for_savepoints() -> None:
    """Open the database transaction a SAVEPOINT nests in, on SQLite too.

    pysqlite begins a transaction only before a write, and a SAVEPOINT outside one is a transaction of its own
    that its RELEASE commits. So SQLite's is begun here, IMMEDIATE: its write lock is taken (waiting up to the
    busy timeout) now, rather than a read snapshot that a later write could find stale and fail on at once.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def expire_loaded(keep: Iterable[object] = ()) -> None:
    """Make the session's rows but `keep` load again when next used, as a commit would: what runs next in the
    unit of work (the next call of an RPC batch) sees what others committed meanwhile."""
    kept = {id(row) for row in keep}
    for row in list(db.session.identity_map.values()):
        if id(row) not in kept:
            db.session.expire(row)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current unit of work commits (never if it rolls back); at once outside one."""
    if not has_app_context() or not g.get(_IN_TRANSACTION):
        callback()
        return
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def in_transaction() -> bool:
    """Tell whether a `transaction` block is open: its changes commit or roll back together, later."""
    return has_app_context() and bool(g.get(_IN_TRANSACTION))


def on_rollback(callback: Callable[[], None]) -> None:
    """Run `callback` if the open `transaction` block rolls back (a savepoint's own: if that one does); never
    once it commits. Only inside such a block (see in_transaction)."""
    assert in_transaction(), "on_rollback outside a transaction block"
    db.session.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _run_after_commit() -> None:
    """Run the callbacks the committed transaction collected, in order; one failing does not stop the rest."""
    db.session.info.pop(_ON_ROLLBACK, None)
    _run_all(db.session.info.pop(_AFTER_COMMIT, []), "after-commit")


def _run_all(callbacks: list[Callable[[], None]], when: str) -> None:
    """Run callbacks in order; one failing is logged and does not stop the rest."""
    for callback in callbacks:
        try:
            callback()
        except Exception:  # boundary: a failed notification must not undo or hide a committed change
            log.exception("%s callback %r failed", when, callback)


def _after_rollback(session: Any, previous: Any) -> None:
    """Drop the callbacks of a transaction that rolled back and run its on-rollback ones (a savepoint's own:
    see savepoint)."""
    if not previous.nested:
        session.info.pop(_AFTER_COMMIT, None)
        _run_all(session.info.pop(_ON_ROLLBACK, []), "on-rollback")


def install_session_events() -> None:
    """Make every rollback of the app's sessions forget what waited for a commit (called once by create_app)."""
    if not event.contains(db.session, "after_soft_rollback", _after_rollback):
        event.listen(db.session, "after_soft_rollback", _after_rollback)


def _conflict_message(noun: str, err: IntegrityError) -> str:
    """Say in one sentence what the integrity error means, naming the fields of a unique key."""
    text = str(err.orig).lower()
    if "unique" in text or "duplicate" in text:
        fields = _unique_fields(text)
        return f"a {noun} with this {fields} already exists" if fields else f"a {noun} with the same key already exists"
    if "foreign key" in text:
        return f"the {noun} refers to something that does not exist"
    return f"the {noun} conflicts with existing data"


def _unique_fields(text: str) -> str:
    """Return the fields of the unique key a database error names ("owner and name"), or "".

    PostgreSQL and MySQL name the constraint, which the models' naming convention makes known; SQLite
    lists the columns ("unique constraint failed: scms.owner_id, scms.name").
    """
    columns: list[str] = []
    if "unique constraint failed:" in text:
        listed = text.split("unique constraint failed:", 1)[1].splitlines()[0]
        columns = [part.strip().rpartition(".")[2] for part in listed.split(",")]
    else:
        for name, known in _unique_keys().items():
            if name in text:
                columns = known
                break
    words = [column.removesuffix("_id").replace("_", " ") for column in columns]
    return " and ".join(words)


def _unique_keys() -> dict[str, list[str]]:
    """Return constraint or index name → its columns, for every unique key of the models (longest names first)."""
    keys: dict[str, list[str]] = {}
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and isinstance(constraint.name, str):
                keys[constraint.name.lower()] = [column.name for column in constraint.columns]
        for index in table.indexes:
            if index.unique and isinstance(index.name, str):
                keys[index.name.lower()] = [column.name for column in index.columns]
    return dict(sorted(keys.items(), key=lambda item: -len(item[0])))


class Crud(Generic[M]):
    """Generic row operations for one model."""

    def __init__(self, model: type[M], noun: str) -> None:
        self.model = model
        self.noun = noun

    def get(self, row_id: int) -> M:
        """Return the row with this id or raise NotFound."""
        row = db.session.get(self.model, row_id)
        if row is None:
            raise NotFound(f"{self.noun} {row_id} not found")
        return row

    def find(self, what: str, *where: ColumnElement[bool]) -> M:
        """Return the one row matching `where` or raise NotFound naming `what`."""
        row = db.session.scalars(select(self.model).where(*where).limit(1)).first()
        if row is None:
            raise NotFound(f"{self.noun} {what} not found")
        return row

    def list(self, *where: ColumnElement[bool], order_by: Sequence[Any] = (), page: Page | None = None) -> list[M]:
        """Return the rows matching `where` ordered by `order_by` (default: id): all of them, or one `page`."""
        order = order_by or (self.model.id,)  # type: ignore[attr-defined]
        stmt = select(self.model).where(*where).order_by(*order)
        if page is not None:
            stmt = stmt.offset(page.offset).limit(page.limit)
        return list(db.session.scalars(stmt))

    def count(self, *where: ColumnElement[bool]) -> int:
        """Return how many rows match `where`."""
        return db.session.scalar(select(func.count()).select_from(self.model).where(*where)) or 0

    def create(self, **values: Any) -> M:
        """Insert a row (flushed: its id is known)."""
        row = self.model(**values)
        db.session.add(row)
        flush(self.noun)
        return row

    def update(self, row: M, **values: Any) -> M:
        """Set the given attributes of `row` and flush."""
        for key, value in values.items():
            if not hasattr(self.model, key):
                raise AttributeError(f"{self.noun} has no attribute {key}")
            setattr(row, key, value)
        flush(self.noun)
        return row

    def delete(self, row: M) -> None:
        """Delete `row` and flush."""
        db.session.delete(row)
        flush(self.noun)


def release() -> None:
    """End the session's transaction so its connection returns to the pool (before a long wait)."""
    commit()

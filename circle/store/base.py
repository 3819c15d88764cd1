"""The shared verbs of every store module: get, find, list, count, create, update, delete.

Each entity module builds one `Crud` for its model and adds its own `get_by_<key>` and
`list_<scope>` functions on top. Integrity errors become `Conflict`, missing rows `NotFound`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Sequence, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from circle.errors import Conflict, NotFound
from circle.extensions import db

M = TypeVar("M")

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



def commit(noun: str) -> None:
    """Commit the session; a unique or foreign-key violation becomes a clear Conflict."""
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict(_conflict_message(noun, err)) from None


def _conflict_message(noun: str, err: IntegrityError) -> str:
    """Say in one sentence what the integrity error means."""
    text = str(err.orig).lower()
    if "unique" in text or "duplicate" in text:
        return f"a {noun} with the same unique key already exists"
    if "foreign key" in text:
        return f"the {noun} refers to something that does not exist"
    return f"the {noun} conflicts with existing data"


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
        """Insert a row and commit it."""
        row = self.model(**values)
        db.session.add(row)
        commit(self.noun)
        return row

    def update(self, row: M, **values: Any) -> M:
        """Set the given attributes of `row` and commit."""
        for key, value in values.items():
            if not hasattr(self.model, key):
                raise AttributeError(f"{self.noun} has no attribute {key}")
            setattr(row, key, value)
        commit(self.noun)
        return row

    def delete(self, row: M) -> None:
        """Delete `row` and commit."""
        db.session.delete(row)
        commit(self.noun)


def release() -> None:
    """End the session's transaction so its connection returns to the pool (before a long wait)."""
    db.session.commit()

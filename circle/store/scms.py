"""Registered code hosts."""
from __future__ import annotations

from circle.models import Scm
from circle.store.base import Crud, Page

_crud = Crud(Scm, "SCM")

get = _crud.get
create = _crud.create
update = _crud.update
delete = _crud.delete
count = _crud.count


def list_all(page: Page | None = None) -> list[Scm]:
    """Return one page of every SCM."""
    return _crud.list(page=page)


def list_by_owner(owner_id: int, page: Page | None = None) -> list[Scm]:
    """Return one page of the SCMs a user registered."""
    return _crud.list(Scm.owner_id == owner_id, page=page)


def count_by_owner(owner_id: int) -> int:
    """Return how many SCMs a user registered."""
    return _crud.count(Scm.owner_id == owner_id)

"""Cron jobs of repos, and the atomic claim of a due time."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update

from circle.extensions import db
from circle.models import Cron
from circle.store.base import Crud, Page, commit

_crud = Crud(Cron, "cron job")

get = _crud.get
create = _crud.create
update_row = _crud.update
delete = _crud.delete


def get_in_repo(repo_id: int, cron_id: int) -> Cron:
    """Return a cron job of a repo by id, or raise NotFound."""
    return _crud.find(str(cron_id), Cron.repo_id == repo_id, Cron.id == cron_id)


def list_by_repo(repo_id: int, page: Page | None = None) -> list[Cron]:
    """Return one page of a repo's cron jobs ordered by name."""
    return _crud.list(Cron.repo_id == repo_id, order_by=(Cron.name,), page=page)


def count_by_repo(repo_id: int) -> int:
    """Return how many cron jobs a repo has."""
    return _crud.count(Cron.repo_id == repo_id)


def list_due(moment: int) -> list[Cron]:
    """Return every cron job due at or before `moment`, the most overdue first."""
    return _crud.list(Cron.next <= moment, order_by=(Cron.next, Cron.id))


def claim(cron_id: int, due: int, following: int) -> bool:
    """Move a cron job from its due time `due` to `following` and commit; False when another server did first."""
    statement = update(Cron).where(Cron.id == cron_id, Cron.next == due).values(next=following)
    changed = cast(CursorResult[Any], db.session.execute(statement)).rowcount
    commit("cron job")
    return changed == 1

"""Activated repositories and per-user permissions."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy import update as sql_update

from circle.errors import NotFound
from circle.extensions import db
from circle.models import Perm, Repo, Scm
from circle.store.base import Crud, Page, flush

_repos = Crud(Repo, "repo")
_perms = Crud(Perm, "permission")

get = _repos.get
create = _repos.create
update = _repos.update
delete = _repos.delete
count = _repos.count


def scm_kind(repo_id: int) -> str:
    """Return the kind of a repo's SCM in one query of one column (no row, so no secret, is decrypted)."""
    kind = db.session.scalar(select(Scm.kind).join(Repo, Repo.scm_id == Scm.id).where(Repo.id == repo_id))
    if kind is None:
        raise NotFound(f"repo {repo_id} not found")
    return kind


def get_by_full_name(scm_id: int, full_name: str) -> Repo:
    """Return the repo of an SCM by its full name, or raise NotFound."""
    return _repos.find(repr(full_name), Repo.scm_id == scm_id, Repo.full_name == full_name)


def concurrency_limits(repo_ids: Iterable[int]) -> dict[int, int]:
    """Return {repo id: max_concurrent} of those repos that set a limit."""
    ids = list(repo_ids)
    if not ids:
        return {}
    stmt = select(Repo.id, Repo.max_concurrent).where(Repo.id.in_(ids), Repo.max_concurrent > 0)
    return {key: value for key, value in db.session.execute(stmt)}


def _visible(user_id: int, admin: bool, full_name: str | None) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses selecting the repos a user may read."""
    where: list[ColumnElement[bool]] = []
    if not admin:
        where.append(Repo.id.in_(select(Perm.repo_id).where(Perm.user_id == user_id, Perm.pull.is_(True))))
    if full_name:
        where.append(Repo.full_name == full_name)
    return where


def list_for_user(user_id: int, admin: bool, *, full_name: str | None = None, page: Page | None = None) -> list[Repo]:
    """Return one page of the repos a user may read (all of them for an admin)."""
    return _repos.list(*_visible(user_id, admin, full_name), order_by=(Repo.full_name, Repo.id), page=page)


def count_for_user(user_id: int, admin: bool, *, full_name: str | None = None) -> int:
    """Return how many repos a user may read."""
    return _repos.count(*_visible(user_id, admin, full_name))


def list_by_scm(scm_id: int) -> list[Repo]:
    """Return every repo of an SCM."""
    return _repos.list(Repo.scm_id == scm_id)


def next_number(repo: Repo) -> int:
    """Atomically increment the repo's build counter and return the new value."""
    db.session.execute(sql_update(Repo).where(Repo.id == repo.id).values(counter=Repo.counter + 1))
    number = db.session.scalar(select(Repo.counter).where(Repo.id == repo.id))
    flush("repo")
    db.session.refresh(repo)
    return int(number or 0)


def get_perm(user_id: int, repo_id: int) -> Perm | None:
    """Return a user's permission row on a repo, or None."""
    return db.session.scalars(select(Perm).where(Perm.user_id == user_id, Perm.repo_id == repo_id)).first()


def set_perm(user_id: int, repo_id: int, *, pull: bool, push: bool, admin: bool) -> Perm:
    """Create or replace a user's permission on a repo."""
    perm = get_perm(user_id, repo_id)
    if perm is None:
        return _perms.create(user_id=user_id, repo_id=repo_id, pull=pull, push=push, admin=admin)
    return _perms.update(perm, pull=pull, push=push, admin=admin)


def list_perms(repo_id: int) -> list[Perm]:
    """Return every permission row of a repo."""
    return _perms.list(Perm.repo_id == repo_id)

"""Registered code hosts."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm.util import identity_key

from circle.extensions import db
from circle.models import Repo, Scm
from circle.store.base import Crud, Page

_crud = Crud(Scm, "SCM")
# Where a session keeps the SCMs it read: a trigger reads its repo's SCM several times (head, files, status).
_KEPT = "circle.scms"


def get(scm_id: int) -> Scm:
    """Return the SCM with this id or raise NotFound; the session keeps it, so reading it again costs no query."""
    scm = _crud.get(scm_id)
    db.session.info.setdefault(_KEPT, {})[scm_id] = scm  # a strong reference keeps it in the identity map
    return scm

create = _crud.create
update = _crud.update
delete = _crud.delete
count = _crud.count


def kind_of_repo(repo_id: int) -> str | None:
    """Return the kind of a repo's SCM, or None when the repo is gone: from the session when it holds both the
    repo and its SCM (a trigger does), else one column of a join."""
    repo = db.session.identity_map.get(identity_key(Repo, repo_id))
    scm_id = inspect(repo).dict.get("scm_id") if isinstance(repo, Repo) else None  # loaded, never a lazy load
    scm = db.session.info.get(_KEPT, {}).get(scm_id)
    if scm is not None:
        return scm.kind
    return db.session.scalar(select(Scm.kind).join(Repo, Repo.scm_id == Scm.id).where(Repo.id == repo_id))


def list_all(page: Page | None = None) -> list[Scm]:
    """Return one page of every SCM."""
    return _crud.list(page=page)


def list_by_owner(owner_id: int, page: Page | None = None) -> list[Scm]:
    """Return one page of the SCMs a user registered."""
    return _crud.list(Scm.owner_id == owner_id, page=page)


def count_by_owner(owner_id: int) -> int:
    """Return how many SCMs a user registered."""
    return _crud.count(Scm.owner_id == owner_id)

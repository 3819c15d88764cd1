"""Build artifacts."""
from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import defer

from circle.extensions import db
from circle.models import Build, File, Repo
from circle.store.base import Crud

_crud = Crud(File, "file")

get = _crud.get
create = _crud.create
update = _crud.update
delete = _crud.delete
count = _crud.count


def get_in_build(build_id: int, file_id: int) -> File:
    """Return an artifact of a build, or raise NotFound."""
    return _crud.find(str(file_id), File.build_id == build_id, File.id == file_id)


def list_by_build(build_id: int) -> list[File]:
    """Return a build's artifacts (without loading their bytes), oldest first."""
    stmt = db.select(File).options(defer(File.data)).where(File.build_id == build_id).order_by(File.id)
    return list(db.session.scalars(stmt))


def lock_scope(build_id: int, repo_id: int, *, repo: bool) -> None:
    """Lock the build's row (its repo's with `repo`) on PostgreSQL and MySQL, so uploads count bytes in turn."""
    model, row_id = (Repo, repo_id) if repo else (Build, build_id)
    db.session.execute(db.select(model.id).where(model.id == row_id).with_for_update())


def size_of_build(build_id: int) -> int:
    """Return the bytes of all a build's files."""
    return int(db.session.scalar(db.select(func.coalesce(func.sum(File.size), 0)).where(File.build_id == build_id)))


def size_of_repo(repo_id: int) -> int:
    """Return the bytes of all files of all a repo's builds."""
    stmt = (db.select(func.coalesce(func.sum(File.size), 0)).join(Build, Build.id == File.build_id)
            .where(Build.repo_id == repo_id))
    return int(db.session.scalar(stmt))

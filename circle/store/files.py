"""Build artifacts."""
from __future__ import annotations

from sqlalchemy.orm import defer

from circle.extensions import db
from circle.models import File
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

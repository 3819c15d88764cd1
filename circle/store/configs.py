"""Pipeline definitions of repos."""
from __future__ import annotations

from circle.models import Config
from circle.store.base import Crud, Page

_crud = Crud(Config, "config")

get = _crud.get
create = _crud.create
update = _crud.update
delete = _crud.delete
count = _crud.count


def get_in_repo(repo_id: int, config_id: int) -> Config:
    """Return a config of a repo by id, or raise NotFound."""
    return _crud.find(str(config_id), Config.repo_id == repo_id, Config.id == config_id)


def get_by_name(repo_id: int, name: str) -> Config:
    """Return a config of a repo by name, or raise NotFound."""
    return _crud.find(repr(name), Config.repo_id == repo_id, Config.name == name)


def list_by_repo(repo_id: int, page: Page | None = None) -> list[Config]:
    """Return one page of a repo's configs, oldest first."""
    return _crud.list(Config.repo_id == repo_id, page=page)


def count_by_repo(repo_id: int) -> int:
    """Return how many configs a repo has."""
    return _crud.count(Config.repo_id == repo_id)

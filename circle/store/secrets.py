"""Secrets and registry credentials of repos."""
from __future__ import annotations

from sqlalchemy import func

from circle.models import Registry, Secret
from circle.store.base import Crud, Page

_secrets = Crud(Secret, "secret")
_registries = Crud(Registry, "registry")

get = _secrets.get
create = _secrets.create
update = _secrets.update
delete = _secrets.delete
count = _secrets.count


def get_by_name(repo_id: int, name: str) -> Secret:
    """Return a repo's secret by name, or raise NotFound."""
    return _secrets.find(repr(name), Secret.repo_id == repo_id, Secret.name == name)


def list_by_repo(repo_id: int, page: Page | None = None) -> list[Secret]:
    """Return one page of a repo's secrets ordered by name."""
    return _secrets.list(Secret.repo_id == repo_id, order_by=(Secret.name,), page=page)


get_registry = _registries.get
create_registry = _registries.create
update_registry = _registries.update
delete_registry = _registries.delete


def get_registry_by_address(repo_id: int, address: str) -> Registry:
    """Return a repo's registry credentials by address, or raise NotFound."""
    return _registries.find(repr(address), Registry.repo_id == repo_id, Registry.address == address)


def list_registries(repo_id: int, page: Page | None = None) -> list[Registry]:
    """Return one page of a repo's registry credentials ordered by address."""
    return _registries.list(Registry.repo_id == repo_id, order_by=(Registry.address,), page=page)


def count_by_repo(repo_id: int) -> int:
    """Return how many secrets a repo has."""
    return _secrets.count(Secret.repo_id == repo_id)


def count_registries(repo_id: int) -> int:
    """Return how many registry credentials a repo has."""
    return _registries.count(Registry.repo_id == repo_id)


def get_by_lower_name(repo_id: int, name: str) -> Secret:
    """Return a repo's secret whose name equals `name` ignoring case, or raise NotFound."""
    return _secrets.find(repr(name), Secret.repo_id == repo_id, func.lower(Secret.name) == name.lower())

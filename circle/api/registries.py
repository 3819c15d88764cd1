"""Registry credentials: GET, POST /api/repos/{repo_id}/registries · PATCH, DELETE …/registries/{address}."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.models import Registry
from circle.service.permissions import ADMIN, repo_for
from circle.store import secrets
from circle.store.base import Page


def list_registries(repo_id: int, page: Page) -> tuple[list[Registry], int]:
    """List a repo's registry credentials (never passwords)."""
    repo = repo_for(require_user(), repo_id, ADMIN)
    return secrets.list_registries(repo.id, page), secrets.count_registries(repo.id)


def create_registry(repo_id: int, body: dict[str, Any]) -> Registry:
    """Add credentials for pulling images from a registry."""
    return secrets.create_registry(repo_id=repo_for(require_user(), repo_id, ADMIN).id, **body)


def update_registry(repo_id: int, address: str, body: dict[str, Any]) -> Registry:
    """Change a registry's username or password."""
    registry = secrets.get_registry_by_address(repo_for(require_user(), repo_id, ADMIN).id, address)
    return secrets.update_registry(registry, **body)


def delete_registry(repo_id: int, address: str) -> None:
    """Delete a registry's credentials."""
    secrets.delete_registry(secrets.get_registry_by_address(repo_for(require_user(), repo_id, ADMIN).id, address))

"""Secrets: GET, POST /api/repos/{repo_id}/secrets · PATCH, DELETE …/secrets/{name}. Values are write-only."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.errors import Conflict, NotFound
from circle.models import Secret
from circle.service.permissions import ADMIN, repo_for
from circle.store import secrets
from circle.store.base import Page


def list_secrets(repo_id: int, page: Page) -> tuple[list[Secret], int]:
    """List a repo's secrets (names, events and images; never values)."""
    repo = repo_for(require_user(), repo_id, ADMIN)
    return secrets.list_by_repo(repo.id, page), secrets.count_by_repo(repo.id)


def create_secret(repo_id: int, body: dict[str, Any]) -> Secret:
    """Add a secret; names are unique per repo regardless of case."""
    repo = repo_for(require_user(), repo_id, ADMIN)
    try:
        taken = secrets.get_by_lower_name(repo.id, body["name"])
    except NotFound:
        return secrets.create(repo_id=repo.id, **body)
    raise Conflict(f"{repo.full_name} already has a secret named {taken.name!r}")


def update_secret(repo_id: int, name: str, body: dict[str, Any]) -> Secret:
    """Change a secret's value, events or images."""
    secret = secrets.get_by_name(repo_for(require_user(), repo_id, ADMIN).id, name)
    return secrets.update(secret, **body)


def delete_secret(repo_id: int, name: str) -> None:
    """Delete a secret."""
    secrets.delete(secrets.get_by_name(repo_for(require_user(), repo_id, ADMIN).id, name))

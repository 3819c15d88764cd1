"""Cron jobs: GET, POST /api/repos/{repo_id}/crons · GET, PATCH, DELETE …/crons/{cron_id}."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.models import Cron
from circle.service import crons as cron_service
from circle.service.permissions import PUSH, repo_for
from circle.store import crons
from circle.store.base import Page


def list_crons(repo_id: int, page: Page) -> tuple[list[Cron], int]:
    """List a repo's cron jobs by name."""
    repo = repo_for(require_user(), repo_id)
    return crons.list_by_repo(repo.id, page), crons.count_by_repo(repo.id)


def create_cron(repo_id: int, body: dict[str, Any]) -> Cron:
    """Add a cron job: builds of `branch` with event `cron` on `schedule`; names are unique per repo."""
    user = require_user()
    return cron_service.create(repo_for(user, repo_id, PUSH), user, body)


def get_cron(repo_id: int, cron_id: int) -> Cron:
    """Return one cron job."""
    return crons.get_in_repo(repo_for(require_user(), repo_id).id, cron_id)


def update_cron(repo_id: int, cron_id: int, body: dict[str, Any]) -> Cron:
    """Change a cron job's name, schedule or branch."""
    repo = repo_for(require_user(), repo_id, PUSH)
    return cron_service.update(repo, crons.get_in_repo(repo.id, cron_id), body)


def delete_cron(repo_id: int, cron_id: int) -> None:
    """Delete a cron job."""
    crons.delete(crons.get_in_repo(repo_for(require_user(), repo_id, PUSH).id, cron_id))

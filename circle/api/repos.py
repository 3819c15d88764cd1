"""Repos: GET, POST /api/repos · GET, PATCH, DELETE /api/repos/{repo_id} · POST /api/repos/{repo_id}/repair."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.models import Repo
from circle.service import permissions, repos, scms
from circle.store.base import Page


def list_repos(query: dict[str, Any], page: Page) -> tuple[list[Repo], int]:
    """List the repos the caller may read (`?full_name=` filters)."""
    return repos.list_for(require_user(), page, full_name=query.get("full_name"))


def activate_repo(body: dict[str, Any]) -> Repo:
    """Activate a repository: store it, its clone credential, a default config, and register the webhook."""
    user = require_user()
    return repos.activate(user, scms.scm_for(user, body["scm_id"]), body["full_name"])


def get_repo(repo_id: int) -> Repo:
    """Return one repo."""
    return permissions.repo_for(require_user(), repo_id)


def update_repo(repo_id: int, body: dict[str, Any]) -> Repo:
    """Change a repo's build switches (repo admin; `trusted` only by administrators)."""
    user = require_user()
    return repos.change(user, permissions.repo_for(user, repo_id, permissions.ADMIN), body)


def repair_repo(repo_id: int) -> Repo:
    """Rotate the hook URL and secret and re-register the webhook at the SCM (repo admin); the old URL stops working."""
    return repos.repair(permissions.repo_for(require_user(), repo_id, permissions.ADMIN))


def delete_repo(repo_id: int) -> None:
    """Remove the webhook at the SCM and delete the repo with its builds, configs and secrets."""
    repos.delete(permissions.repo_for(require_user(), repo_id, permissions.ADMIN))

"""Configs: GET, POST /api/repos/{repo_id}/configs · GET, PATCH, DELETE …/configs/{config_id}."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.models import Config
from circle.service.configs import patch_values
from circle.service.permissions import ADMIN, repo_for
from circle.store import configs
from circle.store.base import Page


def list_configs(repo_id: int, page: Page) -> tuple[list[Config], int]:
    """List a repo's configs, oldest first."""
    repo = repo_for(require_user(), repo_id)
    return configs.list_by_repo(repo.id, page), configs.count_by_repo(repo.id)


def create_config(repo_id: int, body: dict[str, Any]) -> Config:
    """Add a config: a `path` in the repo or inline `content`, with branch filters."""
    repo = repo_for(require_user(), repo_id, ADMIN)
    return configs.create(repo_id=repo.id, **body)


def get_config(repo_id: int, config_id: int) -> Config:
    """Return one config."""
    return configs.get_in_repo(repo_for(require_user(), repo_id).id, config_id)


def update_config(repo_id: int, config_id: int, body: dict[str, Any]) -> Config:
    """Change a config; giving `path` clears `content` and the other way round."""
    config = configs.get_in_repo(repo_for(require_user(), repo_id, ADMIN).id, config_id)
    return configs.update(config, **patch_values(config, body))


def delete_config(repo_id: int, config_id: int) -> None:
    """Delete a config (its builds stay, without a config)."""
    configs.delete(configs.get_in_repo(repo_for(require_user(), repo_id, ADMIN).id, config_id))

"""The signed webhook URL of a repo: `{host}/hook/{scm_id}/{repo_id}?access_token=<token>`.

The token is an HMAC of `hook:{scm_id}:{repo_id}` under CIRCLE_SECRET_KEY, so it cannot be
forged for another repo and changes when the secret key changes.
"""
from __future__ import annotations

from flask import current_app

from circle import crypto
from circle.config import Settings
from circle.models import Repo


def _settings() -> Settings:
    """Return the settings of the running app."""
    return current_app.config["CIRCLE_SETTINGS"]


def hook_token(scm_id: int, repo_id: int) -> str:
    """Return the access token of the hook of repo `repo_id` of SCM `scm_id`."""
    return crypto.sign(_settings().secret_key, f"hook:{scm_id}:{repo_id}")


def hook_url(repo: Repo) -> str:
    """Return the URL the SCM must call for the repo's events."""
    return f"{_settings().host}/hook/{repo.scm_id}/{repo.id}?access_token={hook_token(repo.scm_id, repo.id)}"


def verify_hook_token(scm_id: int, repo_id: int, token: str) -> bool:
    """Tell in constant time whether `token` is the hook token of this SCM and repo."""
    return crypto.verify(_settings().secret_key, f"hook:{scm_id}:{repo_id}", token or "")

"""The signed webhook URL of a repo: `{host}/hook/{scm_id}/{repo_id}?access_token=<token>`.

The token is an HMAC of `hook:{scm_id}:{repo_id}:{hook_nonce}` under CIRCLE_SECRET_KEY, so it cannot
be forged for another repo, changes when the secret key changes, and changes whenever the repo's
random nonce does: on every activation (a re-activated repo that got an old id back gets a new
token) and on every repair.
"""
from __future__ import annotations

from flask import current_app

from circle import crypto
from circle.config import Settings
from circle.models import Repo


def _settings() -> Settings:
    """Return the settings of the running app."""
    return current_app.config["CIRCLE_SETTINGS"]


def _message(repo: Repo) -> str:
    """Return the text the hook token signs."""
    return f"hook:{repo.scm_id}:{repo.id}:{repo.hook_nonce}"


def hook_token(repo: Repo) -> str:
    """Return the access token of the repo's hook."""
    return crypto.sign(_settings().secret_key, _message(repo))


def hook_url(repo: Repo) -> str:
    """Return the URL the SCM must call for the repo's events."""
    return f"{_settings().host}/hook/{repo.scm_id}/{repo.id}?access_token={hook_token(repo)}"


def verify_hook_token(repo: Repo, token: str) -> bool:
    """Tell in constant time whether `token` is the repo's current hook token."""
    return crypto.verify(_settings().secret_key, _message(repo), token or "")

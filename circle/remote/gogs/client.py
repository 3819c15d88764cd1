"""Gogs API v1 client: Gitea's client where the APIs agree, Gogs' own paths where they differ.

Gogs has no commit status API (status() raises NotSupported), no organization permission API
(team_perm() raises NotSupported), serves raw files at /raw/{ref}/{path} and commits at
/commits/{sha}, and lists /user/repos in one page.
"""
from __future__ import annotations

import logging
from typing import Mapping
from urllib.parse import quote

from circle.errors import NotSupported
from circle.remote.api import file_path, repo_path
from circle.remote.gitea.client import GiteaRemote
from circle.remote.gogs.hook import GogsHook
from circle.remote.types import KIND_PULL_REQUEST, HookEvent, Perm

log = logging.getLogger(__name__)


class GogsRemote(GiteaRemote):
    """A Gogs server (API at <url>/api/v1)."""

    kind = "gogs"
    label = "Gogs"
    hook_type = "gogs"
    hooks = GogsHook()

    def team_perm(self, org: str) -> Perm:
        """Gogs has no API for a member's organization permissions."""
        raise NotSupported("Gogs has no API for organization permissions")

    def raw_path(self, full_name: str, ref: str, path: str) -> tuple[str, dict[str, str]]:
        """Return /repos/{owner}/{repo}/raw/{ref}/{path}."""
        return f"repos/{repo_path(full_name)}/raw/{quote(ref, safe='')}/{file_path(path)}", {}

    def commit_path(self, full_name: str, ref: str) -> str:
        """Return /repos/{owner}/{repo}/commits/{sha}."""
        return f"repos/{repo_path(full_name)}/commits/{quote(ref, safe='')}"

    def changed_files(self, full_name: str, number: int) -> list[str] | None:
        """Gogs has no API for a pull request's files: unknown."""
        return None

    def post_status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str) -> None:
        """Gogs has no commit status API."""
        raise NotSupported("Gogs has no commit status API; the build state is shown in circle only")

    def hook(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery; for a pull request, fetch the source branch's head sha the payload lacks."""
        event = super().hook(headers, body)
        if event.event == KIND_PULL_REQUEST and not event.sha:
            event.sha = event.after = self.branch_head(event.source_repo or event.repo, event.source_branch)
            log.info("gogs: pull request #%s of %s resolved to %s", event.number, event.repo, event.sha)
        return event

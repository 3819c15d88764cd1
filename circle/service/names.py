"""How builds are named in the server's log: as people name them, `owner/name#number`, not by row id."""
from __future__ import annotations

from circle.models import Build
from circle.store import repos as repo_store


def build_name(build: Build) -> str:
    """Return `owner/name#number` of a build (its repo is usually in the session already)."""
    return f"{repo_store.get(build.repo_id).full_name}#{build.number}"

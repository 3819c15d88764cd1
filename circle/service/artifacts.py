"""Artifact bookkeeping: the byte limits a build and a repo may store (CIRCLE_ARTIFACT_MAX_BUILD_BYTES,
CIRCLE_ARTIFACT_MAX_REPO_BYTES) and the SHA-256 the server computes of every file it stores."""
from __future__ import annotations

import hashlib

from circle.hub import hub
from circle.models import Build
from circle.offload import off_loop
from circle.store import files as file_store


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of `data`, hashed off the event loop (hashlib releases the GIL)."""
    return off_loop(lambda: hashlib.sha256(data).hexdigest())


def refusal(build: Build, name: str, size: int) -> str | None:
    """Return why `size` more bytes may not be stored on `build` (one sentence), or None when they fit.

    The build's (or, with a repo limit, the repo's) row stays locked until the upload's transaction ends,
    so two uploads at once cannot both pass a limit on PostgreSQL and MySQL.
    """
    settings = hub().settings
    per_build, per_repo = settings.artifact_max_build_bytes, settings.artifact_max_repo_bytes
    file_store.lock_scope(build.id, build.repo_id, repo=per_repo > 0)
    if per_build > 0:
        held = file_store.size_of_build(build.id)
        if held + size > per_build:
            return (f"{name} ({size} bytes) is not stored: build {build.number} already holds {held} bytes of "
                    f"artifacts and CIRCLE_ARTIFACT_MAX_BUILD_BYTES allows {per_build}")
    if per_repo > 0:
        held = file_store.size_of_repo(build.repo_id)
        if held + size > per_repo:
            return (f"{name} ({size} bytes) is not stored: the repo's builds already hold {held} bytes of "
                    f"artifacts and CIRCLE_ARTIFACT_MAX_REPO_BYTES allows {per_repo}")
    return None

"""SCMs: GET, POST /api/scms · GET, PATCH, DELETE /api/scms/{scm_id} · GET /api/scms/{scm_id}/repos."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.api.routing import slice_page
from circle.models import Scm
from circle.remote import RemoteRepo
from circle.service import scms
from circle.store.base import Page


def list_scms(page: Page) -> tuple[list[Scm], int]:
    """List the caller's SCMs (an admin sees all of them)."""
    return scms.list_for(require_user(), page)


def create_scm(body: dict[str, Any]) -> Scm:
    """Register a code host; only administrators may register `local` ones."""
    return scms.register(require_user(), body)


def get_scm(scm_id: int) -> Scm:
    """Return one SCM."""
    return scms.scm_for(require_user(), scm_id)


def update_scm(scm_id: int, body: dict[str, Any]) -> Scm:
    """Change an SCM's name, URL or credentials."""
    user = require_user()
    return scms.change(user, scms.scm_for(user, scm_id), body)


def delete_scm(scm_id: int) -> None:
    """Delete an SCM that has no active repos."""
    scms.remove(scms.scm_for(require_user(), scm_id))


def list_remote_repos(scm_id: int, page: Page) -> tuple[list[RemoteRepo], int]:
    """List the repositories the SCM's account can see, as the SCM lists them."""
    return slice_page(scms.remote_repos(scms.scm_for(require_user(), scm_id)), page)

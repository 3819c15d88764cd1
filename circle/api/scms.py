"""SCMs: GET, POST /api/scms · GET, PATCH, DELETE /api/scms/{scm_id} · GET /api/scms/{scm_id}/repos."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from circle.api.auth import require_user
from circle.api.routing import api_route, slice_page
from circle.models import Scm
from circle.remote import RemoteRepo
from circle.service import scms
from circle.store.base import Page

bp = Blueprint("scms", __name__)


@api_route(bp, "GET", "/api/scms", paginated=True, answer="scms.ScmSchema")
def list_scms(page: Page) -> tuple[list[Scm], int]:
    """List the caller's SCMs (an admin sees all of them)."""
    return scms.list_for(require_user(), page)


@api_route(bp, "POST", "/api/scms", body="scms.ScmSchema", answer="scms.ScmSchema", status=201, errors=(403, 409))
def create_scm(body: dict[str, Any]) -> Scm:
    """Register a code host; only administrators may register `local` ones."""
    return scms.register(require_user(), body)


@api_route(bp, "GET", "/api/scms/<int:scm_id>", answer="scms.ScmSchema")
def get_scm(scm_id: int) -> Scm:
    """Return one SCM."""
    return scms.scm_for(require_user(), scm_id)


@api_route(bp, "PATCH", "/api/scms/<int:scm_id>", body="scms.ScmPatchSchema", partial=True, answer="scms.ScmSchema",
           errors=(403, 409))
def update_scm(scm_id: int, body: dict[str, Any]) -> Scm:
    """Change an SCM's name, URL or credentials."""
    user = require_user()
    return scms.change(user, scms.scm_for(user, scm_id), body)


@api_route(bp, "DELETE", "/api/scms/<int:scm_id>", status=204, errors=(409,))
def delete_scm(scm_id: int) -> None:
    """Delete an SCM that has no active repos."""
    scms.remove(scms.scm_for(require_user(), scm_id))


@api_route(bp, "GET", "/api/scms/<int:scm_id>/repos", paginated=True, answer="scms.RemoteRepoSchema", errors=(502,))
def list_remote_repos(scm_id: int, page: Page) -> tuple[list[RemoteRepo], int]:
    """List the repositories the SCM's account can see, as the SCM lists them."""
    return slice_page(scms.remote_repos(scms.scm_for(require_user(), scm_id)), page)

"""Signed upload URLs: a step's CIRCLE_UPLOAD_URL lets it store artifacts on its build and nothing else.

The signature covers the build's id, repo and creation time, so a URL never fits another build that
later got the same id; it expires GRACE seconds after the build finished (reports of the last step
arrive just after it).
"""
from __future__ import annotations

from circle import crypto, states
from circle.errors import Forbidden, NotFound
from circle.hub import hub
from circle.models import Build
from circle.models.types import now
from circle.store import builds as build_store

GRACE = 600


def _message(build: Build) -> str:
    """Return what an upload token of `build` signs."""
    return f"upload:{build.id}:{build.repo_id}:{build.created}"


def upload_token(build: Build) -> str:
    """Return the token that authorises uploads to one build."""
    return f"{build.id}.{crypto.sign(hub().settings.secret_key, _message(build))}"


def upload_url(build: Build) -> str:
    """Return the URL a step POSTs artifacts to."""
    return f"{hub().settings.host}/api/upload/{upload_token(build)}"


def build_for(token: str) -> Build:
    """Return the build a valid upload token names; NotFound when unknown, Forbidden once it expired."""
    head, _, signature = token.partition(".")
    try:
        build = build_store.get(int(head)) if head.isdigit() else None
    except NotFound:
        build = None
    if build is None or not crypto.verify(hub().settings.secret_key, _message(build), signature):
        raise NotFound("unknown upload token")
    if build.status in states.FINAL and build.finished and now() - build.finished > GRACE:
        raise Forbidden(f"build {build.id} finished; its upload URL has expired")
    return build

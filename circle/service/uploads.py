"""Signed upload URLs: a step's CIRCLE_UPLOAD_URL lets it store artifacts on its build and nothing else."""
from __future__ import annotations

from circle import crypto
from circle.errors import NotFound
from circle.hub import hub


def upload_token(build_id: int) -> str:
    """Return the token that authorises uploads to one build."""
    return f"{build_id}.{crypto.sign(hub().settings.secret_key, f'upload:{build_id}')}"


def upload_url(build_id: int) -> str:
    """Return the URL a step POSTs artifacts to."""
    return f"{hub().settings.host}/api/upload/{upload_token(build_id)}"


def build_id_of(token: str) -> int:
    """Return the build a valid upload token names, or raise NotFound."""
    head, _, signature = token.partition(".")
    if not head.isdigit() or not crypto.verify(hub().settings.secret_key, f"upload:{head}", signature):
        raise NotFound("unknown upload token")
    return int(head)

"""GET, POST /api/user/tokens and DELETE /api/user/tokens/{id}: the caller's API tokens."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.api.routing import slice_page
from circle.models import Token
from circle.store import users
from circle.store.base import Page


def list_tokens(page: Page) -> tuple[list[Token], int]:
    """List the caller's tokens (names, last use, expiry; never the secrets)."""
    return slice_page(users.list_tokens(require_user()), page)


def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """Create a token for the caller; the answer carries its secret, shown this once only."""
    token, secret = users.issue_token(require_user(), body["name"], body["expires_in"])
    return {**{field: getattr(token, field) for field in ("id", "name", "created", "last_used", "expires")},
            "token": secret}


def delete_token(token_id: int) -> None:
    """Delete one of the caller's tokens: it stops working at once, open websockets included."""
    users.delete_token(require_user(), token_id)

"""First start: create the admin account once and say how to log in."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from circle.store import users
from circle.store.base import transaction

ADMIN_LOGIN = "admin"


@dataclass(frozen=True)
class AdminCredentials:
    """The bootstrap admin's login, password and API token (shown once)."""

    login: str
    password: str
    token: str


def ensure_admin() -> AdminCredentials | None:
    """Create the admin user when no user exists yet; return its credentials, or None."""
    if users.count() > 0:
        return None
    password = secrets.token_urlsafe(12)
    with transaction("user"):
        user = users.create(ADMIN_LOGIN, password, admin=True)
        token = users.create_token(user, name="bootstrap")
    return AdminCredentials(ADMIN_LOGIN, password, token)

"""GET /api/user (the caller), POST /api/user/password (their password) and GET, POST /api/users (administrators)."""
from __future__ import annotations

from typing import Any

from flask import request

from circle.api.auth import SESSION, presented, renew_session, require_user
from circle.errors import InvalidInput, TooManyRequests
from circle.models import User
from circle.store import users
from circle.store.base import Page
from circle.web.throttle import login_throttle, password_keys


def get_self() -> User:
    """Return the calling user."""
    return require_user()


def change_password(body: dict[str, Any]) -> None:
    """Change the caller's password given the current one (a wrong one counts as a failed login); other sessions end."""
    user = require_user()
    keys = password_keys(request.remote_addr, user.login)
    wait = login_throttle().attempt(*keys)
    if wait:
        raise TooManyRequests(f"too many wrong passwords; try again in {wait} seconds", wait)
    if not users.check_password(user, body["current_password"]):
        raise InvalidInput("the current password is wrong", {"current_password": "wrong password"})
    login_throttle().succeeded(*keys)
    users.set_password(user, body["password"])
    credential = presented()
    if credential is not None and credential.kind == SESSION:
        renew_session(user)


def list_users(page: Page) -> tuple[list[User], int]:
    """List every user, by login."""
    return users.list_all(page), users.count()


def create_user(body: dict[str, Any]) -> User:
    """Create a user (`password` lets them log in to the dashboard)."""
    return users.create(body["login"], body.get("password", ""), admin=body["admin"], email=body["email"])

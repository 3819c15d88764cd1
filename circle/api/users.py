"""GET /api/user (the caller), POST /api/user/password (their password) and GET, POST /api/users (administrators)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from circle.api.auth import SESSION, presented, renew_session, require_user
from circle.api.routing import api_route
from circle.errors import InvalidInput
from circle.models import User
from circle.schemas.users import PasswordChangeSchema, UserSchema
from circle.store import users
from circle.store.base import Page

bp = Blueprint("users", __name__)


@api_route(bp, "GET", "/api/user", answer=UserSchema)
def get_self() -> User:
    """Return the calling user."""
    return require_user()


@api_route(bp, "POST", "/api/user/password", body=PasswordChangeSchema, status=204)
def change_password(body: dict[str, Any]) -> None:
    """Change the caller's password (given the current one); every dashboard session ends but the caller's own."""
    user = require_user()
    if not users.check_password(user, body["current_password"]):
        raise InvalidInput("the current password is wrong", {"current_password": "wrong password"})
    users.set_password(user, body["password"])
    credential = presented()
    if credential is not None and credential.kind == SESSION:
        renew_session(user)


@api_route(bp, "GET", "/api/users", auth="admin", paginated=True, answer=UserSchema)
def list_users(page: Page) -> tuple[list[User], int]:
    """List every user, by login."""
    return users.list_all(page), users.count()


@api_route(bp, "POST", "/api/users", auth="admin", body=UserSchema, answer=UserSchema, status=201, errors=(409,))
def create_user(body: dict[str, Any]) -> User:
    """Create a user (`password` lets them log in to the dashboard)."""
    return users.create(body["login"], body.get("password", ""), admin=body["admin"], email=body["email"])

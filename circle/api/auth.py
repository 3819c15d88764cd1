"""Who is calling: an API token (`Authorization: Bearer TOKEN`) or the dashboard's session cookie.

A request that carries an Authorization header is judged by it alone: a bad token is a 401 even
when a session cookie is present. The user is looked up once per request.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, TypeVar

from flask import request, session

from circle.errors import Forbidden, NotFound, Unauthorized
from circle.models import User
from circle.store import users

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "user_id"
_CACHE_KEY = "circle.user"


def _from_header(header: str) -> User:
    """Return the user of a Bearer token header, or raise Unauthorized."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use the header 'Authorization: Bearer TOKEN'")
    try:
        return users.get_by_token(token.strip())
    except NotFound:
        raise Unauthorized("the API token is not valid") from None


def _from_session() -> User | None:
    """Return the active user of the session cookie, or None."""
    user_id = session.get(SESSION_KEY)
    if not isinstance(user_id, int):
        return None
    try:
        user = users.get(user_id)
    except NotFound:
        return None
    return user if user.active else None


def current_user() -> User | None:
    """Return the calling user, None when the request carries no credentials; a bad token raises Unauthorized."""
    if _CACHE_KEY not in request.environ:
        header = request.headers.get("Authorization", "")
        request.environ[_CACHE_KEY] = _from_header(header) if header else _from_session()
    return request.environ[_CACHE_KEY]


def require_user() -> User:
    """Return the calling user or raise Unauthorized."""
    user = current_user()
    if user is None:
        raise Unauthorized("log in or send 'Authorization: Bearer TOKEN'")
    return user


def require_admin() -> User:
    """Return the calling user when an administrator; Unauthorized or Forbidden otherwise."""
    user = require_user()
    if not user.admin:
        raise Forbidden("only administrators may do this")
    return user


def login_required(view: F) -> F:
    """Decorate a view so that it answers 401 without a valid caller."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_user()
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Decorate a view so that it answers 401 without a caller and 403 for a non-admin."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_admin()
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def login_user(user: User) -> None:
    """Start a dashboard session for `user` (a fresh session: nothing of the old one survives)."""
    session.clear()
    session[SESSION_KEY] = user.id
    session.permanent = True
    request.environ[_CACHE_KEY] = user
    log.info("user %s logged in", user.login)


def logout_user() -> None:
    """End the dashboard session."""
    session.clear()
    request.environ.pop(_CACHE_KEY, None)

"""Who is calling: an API token (`Authorization: Bearer TOKEN`) or the dashboard's session cookie.

A request that carries an Authorization header is judged by it alone: a bad token is a 401 even
when a session cookie is present. The session cookie carries only the id of a server-side session
(circle.store.web_sessions), so logging out, a password change, an idle or too old session, or a
deleted user ends it at once. A write authenticated by the session must pass the CSRF check
(circle.api.csrf). The user is looked up once per request; websockets re-check the `Credential`.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from flask import current_app, request, session

from circle.api import csrf
from circle.errors import CircleError, Forbidden, NotFound, Unauthorized
from circle.models import User
from circle.store import users, web_sessions

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "sid"
_CACHE_KEY = "circle.user"
TOKEN = "token"
SESSION = "session"


@dataclass(frozen=True)
class Credential:
    """What a caller presented: an API token or a dashboard session id."""

    kind: str
    secret: str


def presented() -> Credential | None:
    """Return the request's credential (the Authorization header wins over the cookie), None without one."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use the header 'Authorization: Bearer TOKEN'")
        return Credential(TOKEN, token.strip())
    session_id = session.get(SESSION_KEY)
    return Credential(SESSION, session_id) if isinstance(session_id, str) and session_id else None


def user_of(credential: Credential) -> User:
    """Return the user a credential stands for right now; Unauthorized when the token or session is gone."""
    if credential.kind == TOKEN:
        try:
            return users.get_by_token(credential.secret)
        except NotFound:
            raise Unauthorized("the API token is not valid") from None
    settings = current_app.config["CIRCLE_SETTINGS"]
    try:
        return web_sessions.get_user(credential.secret, idle=settings.session_idle, lifetime=settings.session_max)
    except NotFound:
        raise Unauthorized("the session has ended; log in again") from None


def _identify() -> User | None:
    """Return the caller; an ended session counts as anonymous, a session write must pass the CSRF check."""
    credential = presented()
    if credential is None:
        return None
    if credential.kind == TOKEN:
        return user_of(credential)
    try:
        user = user_of(credential)
    except Unauthorized:
        session.pop(SESSION_KEY, None)
        return None
    csrf.check_write()
    return user


def current_user() -> User | None:
    """Return the calling user, None without credentials; a bad token raises Unauthorized, a forged write Forbidden."""
    if _CACHE_KEY not in request.environ:
        try:
            request.environ[_CACHE_KEY] = _identify()
        except CircleError as err:
            request.environ[_CACHE_KEY] = err
    found = request.environ[_CACHE_KEY]
    if isinstance(found, CircleError):
        raise found
    return found


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
    session[SESSION_KEY] = web_sessions.create(user)
    session.permanent = True
    request.environ[_CACHE_KEY] = user
    log.info("user %s logged in", user.login)


def renew_session(user: User) -> None:
    """Give the caller a fresh session after their sessions ended (a password change), keeping the page's CSRF token."""
    token = session.get(csrf.SESSION_KEY)
    login_user(user)
    if isinstance(token, str) and token:
        session[csrf.SESSION_KEY] = token


def logout_user() -> None:
    """End the dashboard session, here and for every copy of its cookie."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str) and session_id:
        web_sessions.delete(session_id)
    session.clear()
    request.environ.pop(_CACHE_KEY, None)

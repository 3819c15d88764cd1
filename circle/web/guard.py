"""Who is looking at a page: sign-in redirects, admin-only pages, CSRF tokens of our own forms, safe `?next=`."""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import has_request_context, redirect, request, url_for

from circle.api import csrf
from circle.api.auth import current_user, require_user
from circle.errors import CircleError, Forbidden, InvalidInput
from circle.models import User
from circle.web.blueprint import bp

F = TypeVar("F", bound=Callable[..., Any])


def viewer() -> User:
    """Return the signed-in user of a page (Unauthorized, hence the login form, when there is none)."""
    return require_user()


def here() -> str:
    """Return the path and query of the current request, to come back to after signing in."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def signed_in(view: F) -> F:
    """Decorate a page so that an anonymous visitor is sent to /login?next=<this page>."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("web.login", next=here()))
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def admin_only(view: F) -> F:
    """Decorate a signed-in page so that only administrators see it (others get the 403 page)."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not viewer().admin:
            raise Forbidden("only administrators may see this page")
        return view(*args, **kwargs)
    return signed_in(wrapper)  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Return `target` when it is a path on this site, else "/" (no scheme, host, `//` or backslash tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@bp.app_template_global()
def csrf_token() -> str:
    """Return this session's CSRF token for our own HTML forms and scripts, creating it on first use."""
    return csrf.session_token()


def check_csrf() -> None:
    """Raise Forbidden for a form posted from another site, InvalidInput without this session's CSRF token."""
    csrf.check_origin()
    if not csrf.token_matches():
        raise InvalidInput("this form has expired; load the page and try again")


@bp.app_context_processor
def _template_viewer() -> dict[str, Any]:
    """Give every template the signed-in user (or None: anonymous, a bad API token, a refused write) as `me`."""
    if not has_request_context():
        return {"me": None}
    try:
        return {"me": current_user()}
    except CircleError:
        return {"me": None}

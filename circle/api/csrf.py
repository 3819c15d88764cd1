"""Cross-site request forgery: what a write authenticated by the session cookie must carry.

Such a write (any method but GET, HEAD, OPTIONS) needs this session's CSRF token, in the header
`X-CSRF-Token` (the dashboard's scripts) or the form field `csrf_token` (its HTML forms), and when
the browser names where the request comes from (`Origin`, else `Referer`), that must be this server:
the origin of CIRCLE_HOST or of the request's own Host. Calls with a Bearer token carry no ambient
credential and are exempt.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import current_app, request, session

from circle.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def origin_of(url: str) -> str:
    """Return `scheme://host[:port]` of a URL in lower case, or "" when it has none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins() -> set[str]:
    """Return the origins this server answers as: its public URL's and the request's own."""
    return {origin_of(current_app.config["CIRCLE_SETTINGS"].host), f"{request.scheme}://{request.host}".lower()}


def check_origin() -> None:
    """Raise Forbidden when the request's Origin (or Referer) names another site."""
    origin = request.headers.get("Origin") or origin_of(request.headers.get("Referer", "")) or None
    if origin is not None and origin.lower() not in allowed_origins():
        raise Forbidden(f"a request from {origin[:100]} may not act with this site's session")


def session_token() -> str:
    """Return this session's CSRF token, creating it on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def token_matches() -> bool:
    """Tell whether the request carries this session's CSRF token (header or form field)."""
    expected = session.get(SESSION_KEY)
    given = request.headers.get(HEADER) or request.form.get(FIELD, "")
    return isinstance(expected, str) and bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def check_write() -> None:
    """Raise Forbidden when a write of the session user comes from another site or lacks the CSRF token."""
    if request.method in SAFE_METHODS:
        return
    check_origin()
    if not token_matches():
        raise Forbidden(f"send this session's CSRF token in the {HEADER} header or the {FIELD} form field")

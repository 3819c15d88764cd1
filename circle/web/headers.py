"""Security headers of every dashboard page: a strict Content-Security-Policy (only our own scripts and
styles, no inline code), no framing, no sniffing, and no caching of private pages by shared caches."""
from __future__ import annotations

from flask import Response, request

from circle.web.blueprint import bp


def content_security_policy(host: str) -> str:
    """Return the CSP of the dashboard served at `host` (websockets to the same host are allowed)."""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' ws://{host} wss://{host}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


@bp.after_request
def _secure(response: Response) -> Response:
    """Add the security headers to a dashboard response."""
    response.headers["Content-Security-Policy"] = content_security_policy(request.host)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "private, no-cache")
    return response

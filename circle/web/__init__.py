"""The browser dashboard: server-rendered Jinja pages plus small vanilla JS served from circle/web/static.

Pages read through the same services and store functions as the REST API; every action a page
offers is a `fetch` to the REST API with the session cookie, and live updates come from the
/ws/events and /ws/logs websockets. Templates live in templates/<area>/<page>.html.
"""
from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register the dashboard blueprint (pages, template filters, error pages) on `app`; a second call does nothing."""
    from circle.web import errors, filters, headers, pages  # noqa: F401  (each adds its part to the blueprint)
    from circle.web.blueprint import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)

"""REST blueprints (thin views) and websocket routes."""
from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every API blueprint and the JSON error handlers on `app`."""
    from circle.api import errors, health

    errors.register(app)
    app.register_blueprint(health.bp)

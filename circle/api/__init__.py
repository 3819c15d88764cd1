"""REST blueprints (thin views) and websocket routes.

Every /api route is an entry of the table circle.api.routes, which also feeds the OpenAPI document served at
/api/openapi.json; the view modules it names load on their routes' first call.
"""
from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register the API's routes, the health routes and the JSON error handlers on `app`."""
    from circle.api import errors, health, request_timing, routing
    from circle.api.routes import ROUTES

    errors.register(app)
    request_timing.register(app)
    app.register_blueprint(health.bp)
    routing.register(app, ROUTES)

"""REST blueprints (thin views) and websocket routes.

Every /api route is declared with `circle.api.routing.api_route`, which also feeds the OpenAPI
document served at /api/openapi.json.
"""
from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every API blueprint and the JSON error handlers on `app`."""
    from circle.api import (
        agents,
        artifacts,
        badges,
        builds,
        configs,
        crons,
        errors,
        health,
        openapi,
        registries,
        repos,
        request_timing,
        scms,
        secrets,
        testresults,
        tokens,
        users,
    )

    errors.register(app)
    request_timing.register(app)
    for module in (health, users, tokens, scms, repos, configs, secrets, registries, crons, builds, artifacts,
                   testresults, agents, badges, openapi):
        app.register_blueprint(module.bp)

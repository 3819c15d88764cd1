"""POST /hook/{scm_id}/{repo_id}: the code host's webhook (SPEC §5)."""
from __future__ import annotations

from typing import Mapping, cast

from flask import Blueprint, jsonify, request

from circle.errors import CircleError, TooLarge
from circle.metrics import WEBHOOKS
from circle.service import hooks
from circle.service.events import build_json

bp = Blueprint("hooks", __name__)


@bp.post("/hook/<int:scm_id>/<int:repo_id>")
def receive(scm_id: int, repo_id: int):
    """Authenticate a delivery and create the builds it asks for."""
    if (request.content_length or 0) > hooks.MAX_BODY:
        raise TooLarge(f"webhook bodies are limited to {hooks.MAX_BODY} bytes")
    body = request.stream.read(hooks.MAX_BODY + 1)
    if len(body) > hooks.MAX_BODY:
        raise TooLarge(f"webhook bodies are limited to {hooks.MAX_BODY} bytes")
    try:
        result = hooks.receive(scm_id, repo_id, request.args.get("access_token", ""),
                               # werkzeug Headers has the lookups of a Mapping without being one
                               cast(Mapping[str, str], request.headers), body)
    except CircleError as err:
        WEBHOOKS.labels(hooks.forge_of(scm_id), type(err).__name__.lower()).inc()
        raise
    WEBHOOKS.labels(hooks.forge_of(scm_id), "skipped" if result.skipped else "built").inc()
    if result.skipped:
        return jsonify(skipped=result.skipped)
    return jsonify(builds=[build_json(b) for b in result.builds]), 201

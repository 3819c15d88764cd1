"""Liveness, version and metrics routes."""
from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from circle import __version__
from circle.api.errors import error_response
from circle.errors import Forbidden, Unauthorized
from circle.extensions import db
from circle.hub import hub
from circle.service import servers
from circle.service.metrics import exposition

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers (with the live servers, this one's bus and warnings), else 503."""
    try:
        db.session.execute(text("SELECT 1"))
        details = servers.health()
    except SQLAlchemyError as err:
        log.warning("health check failed: %s", err)
        db.session.rollback()
        return error_response(503, "the database does not answer")
    return jsonify(status="ok", **details)


@bp.get("/version")
def version():
    """Return circle's version."""
    return jsonify(version=__version__, name="circle")


@bp.get("/metrics")
def metrics():
    """Answer Prometheus's text format: to the bearer of CIRCLE_METRICS_TOKEN, or without one to loopback only."""
    token = hub().settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("/metrics needs the bearer token CIRCLE_METRICS_TOKEN")
    elif not _loopback(request.remote_addr or ""):
        raise Forbidden("/metrics answers loopback clients only; set CIRCLE_METRICS_TOKEN to scrape it from elsewhere")
    return Response(exposition(), mimetype="text/plain; version=0.0.4; charset=utf-8")


def _loopback(address: str) -> bool:
    """Tell whether a client address is this host's loopback."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False

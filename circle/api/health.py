"""Liveness, version and metrics routes."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from circle import __version__
from circle.api.errors import error_response
from circle.extensions import db
from circle.service import servers

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

"""JSON error answers: {"error": reason, "message": text} with the right status."""
from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from circle.errors import CircleError, InvalidInput

log = logging.getLogger(__name__)


def error_response(status: int, message: str, **extra: object) -> Response:
    """Return the JSON error answer of SPEC §4."""
    body = {"error": HTTPStatus(status).phrase, "message": message, **extra}
    response = jsonify(body)
    response.status_code = status
    return response


def _circle_error(err: CircleError) -> Response:
    """Answer a deliberate circle error."""
    extra = {"fields": err.fields} if isinstance(err, InvalidInput) and err.fields else {}
    return error_response(err.http_status, str(err), **extra)


def _http_error(err: HTTPException) -> Response:
    """Answer a werkzeug HTTP error (404 route, 405, 413…) as JSON."""
    return error_response(err.code or 500, err.description or HTTPStatus(err.code or 500).phrase)


def _database_error(err: OperationalError) -> Response:
    """Answer a database outage with 503."""
    log.error("database error: %s", err)
    return error_response(503, "the database is unavailable")


def register(app: Flask) -> None:
    """Install the JSON error handlers on `app`."""
    app.register_error_handler(CircleError, _circle_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_error)

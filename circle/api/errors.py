"""JSON error answers: {"error": reason, "message": text} with the right status."""
from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from circle.errors import CircleError, InvalidInput, TooManyRequests, flatten
from circle.metrics import DB_ERRORS

log = logging.getLogger(__name__)


def error_body(status: int, message: str, **extra: object) -> dict[str, object]:
    """Return the JSON error object of SPEC §4."""
    return {"error": HTTPStatus(status).phrase, "message": message, **extra}


def error_response(status: int, message: str, **extra: object) -> Response:
    """Return the JSON error answer of SPEC §4."""
    response = jsonify(error_body(status, message, **extra))
    response.status_code = status
    return response


def _circle_error(err: CircleError) -> Response:
    """Answer a deliberate circle error (401s say how to authenticate, 429s when to try again)."""
    extra = {"fields": flatten(err.fields)} if isinstance(err, InvalidInput) and err.fields else {}
    response = error_response(err.http_status, str(err), **extra)
    if err.http_status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="circle"'
    if isinstance(err, TooManyRequests):
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def _http_error(err: HTTPException) -> Response:
    """Answer a werkzeug HTTP error (404 route, 405, 413…) as JSON."""
    return error_response(err.code or 500, err.description or HTTPStatus(err.code or 500).phrase)


def _database_error(err: OperationalError) -> Response:
    """Answer a database outage with 503."""
    log.error("database error: %s", err)
    DB_ERRORS.inc()
    return error_response(503, "the database is unavailable")


def _data_error(err: DataError) -> Response:
    """Answer a value the database refuses (too long, out of range) that validation let through with 400."""
    log.warning("database refused a value: %s", err)
    return error_response(400, "invalid input: a value does not fit the database (too long or out of range)")


def register(app: Flask) -> None:
    """Install the JSON error handlers on `app`."""
    app.register_error_handler(CircleError, _circle_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(DataError, _data_error)

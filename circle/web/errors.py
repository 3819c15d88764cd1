"""Error pages of the dashboard: a repo you cannot read is a 404 page, not JSON; a lost session goes to /login."""
from __future__ import annotations

from http import HTTPStatus

from flask import redirect, render_template, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from circle.errors import CircleError, Unauthorized
from circle.web.blueprint import bp
from circle.web.guard import here

TITLES = {404: "Not found", 403: "Not allowed", 400: "Bad request", 409: "Conflict", 502: "Code host unavailable"}


def error_page(status: int, message: str) -> tuple[str, int]:
    """Render the error page with `status` and one explaining sentence."""
    title = TITLES.get(status) or HTTPStatus(status).phrase
    return render_template("errors/error.html", status=status, title=title, message=message), status


@bp.errorhandler(CircleError)
def _circle_error(err: CircleError) -> Response | tuple[str, int]:
    """Show a deliberate error as a page; without valid credentials, go to the login form."""
    if isinstance(err, Unauthorized):
        return redirect(url_for("web.login", next=here()))
    return error_page(err.http_status, str(err))


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> tuple[str, int]:
    """Show a werkzeug HTTP error raised by a page as a page."""
    status = err.code or 500
    return error_page(status, err.description or HTTPStatus(status).phrase)

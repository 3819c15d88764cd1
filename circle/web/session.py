"""Signing in and out of the dashboard: /login (form fields `login`, `password`) and /logout.

Failed logins are throttled per client address and per login (circle.web.throttle, CIRCLE_LOGIN_FAILURES);
passwords are hashed off the event loop (circle.store.users), so a login flood cannot stall other requests.
"""
from __future__ import annotations

import functools
import logging

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from circle.api.auth import current_user, login_user, logout_user
from circle.errors import InvalidInput, NotFound
from circle.models import User
from circle.store import users
from circle.web.guard import check_csrf, safe_next
from circle.web.throttle import login_throttle, password_keys

log = logging.getLogger(__name__)

WRONG = "Wrong login or password."


@functools.cache
def _decoy_hash() -> str:
    """Return a password hash to check against when the login is unknown (same cost as a real check)."""
    return users.hash_password("decoy password")


def _authenticate(login: str, password: str) -> User | None:
    """Return the active user with this login and password, or None."""
    try:
        user = users.get_by_login(login)
    except NotFound:
        users.password_matches(_decoy_hash(), password)
        return None
    if not users.check_password(user, password) or not user.active:
        return None
    return user


def _form(status: int, error: str = "", login: str = "") -> tuple[str, int]:
    """Render the login form, with an error message when there is one."""
    target = safe_next(request.values.get("next"))
    return render_template("session/login.html", error=error, login=login, next=target), status


def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Show the login form; on POST check the credentials, start a session and go to `?next=` (local paths only)."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return _form(200)
    try:
        check_csrf()
    except InvalidInput as err:
        return _form(400, str(err).capitalize() + ".", request.form.get("login", ""))
    name = request.form.get("login", "").strip()
    keys = password_keys(request.remote_addr, name)
    wait = login_throttle().attempt(*keys)
    if wait:
        log.warning("login for %r from %s throttled for %d s", name[:64], request.remote_addr, wait)
        page, status = _form(429, f"Too many failed logins; try again in {wait} seconds.", name)
        return page, status, {"Retry-After": str(wait)}
    user = _authenticate(name, request.form.get("password", ""))
    if user is None:
        log.info("failed dashboard login for %r from %s", name[:64], request.remote_addr)
        return _form(401, WRONG, name)
    login_throttle().succeeded(*keys)
    login_user(user)
    return redirect(safe_next(request.form.get("next")))


def logout() -> Response | tuple[str, int]:
    """End the session on a POST with the CSRF token; a GET (a link any site can make) only asks to confirm."""
    if request.method == "GET":
        if current_user() is None:
            return redirect(url_for("web.login"))
        return render_template("session/logout.html"), 200
    check_csrf()
    logout_user()
    return redirect(url_for("web.login"))

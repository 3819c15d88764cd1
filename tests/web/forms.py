"""Logging in through the dashboard's form with the Flask test client."""
from __future__ import annotations

import re

from flask.testing import FlaskClient


def csrf_of(html: str) -> str:
    """Return the CSRF token a rendered form carries."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, login: str, password: str) -> None:
    """Log in through the form."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.text

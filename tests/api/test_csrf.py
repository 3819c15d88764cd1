"""Writes with the session cookie need this session's CSRF token and this site's Origin; cookies are guarded."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, sign_in
from circle.api.csrf import HEADER
from circle.store import scms
from dbtools import make_app

SCM = {"kind": "local", "name": "disk", "url": "/tmp"}
EVIL = "https://evil.example"


def test_a_cross_origin_form_post_with_the_session_cookie_is_403_and_changes_nothing(client: FlaskClient,
                                                                                   admin: Caller):
    """What a foreign page's auto-submitted form does: no token, foreign Origin → 403, no SCM created."""
    sign_in(client, admin.user)
    answer = client.post("/api/scms", data=SCM, headers={"Origin": EVIL})
    assert answer.status_code == 403 and answer.get_json()["error"] == "Forbidden"
    assert scms.count() == 0


@pytest.mark.parametrize("headers", [
    {},                                                   # no token at all
    {HEADER: "guessed"},                                  # a wrong token
    {HEADER: "the-csrf-token", "Origin": EVIL},           # the right token from another site
    {HEADER: "the-csrf-token", "Origin": "null"},         # a sandboxed or privacy-stripped page
    {HEADER: "the-csrf-token", "Referer": EVIL + "/x"},   # no Origin, a foreign Referer
], ids=["no-token", "wrong-token", "foreign-origin", "null-origin", "foreign-referer"])
def test_a_session_write_without_token_or_from_elsewhere_is_403(client: FlaskClient, admin: Caller,
                                                                headers: dict[str, str]):
    sign_in(client, admin.user)
    assert client.post("/api/scms", json=SCM, headers=headers).status_code == 403
    assert scms.count() == 0


def test_a_session_delete_without_the_token_changes_nothing(client: FlaskClient, admin: Caller,
                                                            repo: dict[str, object]):
    sign_in(client, admin.user)
    assert client.delete(f"/api/repos/{repo['id']}").status_code == 403
    assert client.get(f"/api/repos/{repo['id']}").status_code == 200


@pytest.mark.parametrize("headers", [
    {HEADER: "the-csrf-token"},
    {HEADER: "the-csrf-token", "Origin": "http://localhost"},
    {HEADER: "the-csrf-token", "Origin": "http://127.0.0.1:8000"},
    {HEADER: "the-csrf-token", "Referer": "http://localhost/scms"},
], ids=["token", "token-own-host", "token-public-url", "token-own-referer"])
def test_a_session_write_with_the_token_from_this_site_works(client: FlaskClient, admin: Caller,
                                                            headers: dict[str, str]):
    """The dashboard's scripts send the header; the origin may be the request's Host or CIRCLE_HOST."""
    sign_in(client, admin.user)
    assert client.post("/api/scms", json=SCM, headers=headers).status_code == 201


def test_bearer_token_writes_are_exempt(client: FlaskClient, admin: Caller):
    """A Bearer token is no ambient credential: no CSRF token needed, whatever the Origin."""
    answer = client.post("/api/scms", json=SCM, headers={**admin.headers, "Origin": EVIL})
    assert answer.status_code == 201


def test_reads_with_the_session_need_no_token(client: FlaskClient, admin: Caller):
    sign_in(client, admin.user)
    assert client.get("/api/scms", headers={"Origin": EVIL}).status_code == 200


def _session_cookie(host: str, tmp_path: Path) -> str:
    """Return the Set-Cookie header the login form of an app at public URL `host` sends."""
    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, CIRCLE_HOST=host)
    return app.test_client().get("/login").headers["Set-Cookie"]


def test_the_session_cookie_is_httponly_and_samesite_lax(tmp_path: Path):
    cookie = _session_cookie("http://127.0.0.1:8000", tmp_path)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_https(tmp_path: Path):
    cookie = _session_cookie("https://ci.example.com", tmp_path)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

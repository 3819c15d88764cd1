"""Sessions live server-side: logout, a password change, idleness and age end a captured cookie; failed
logins are throttled; a login form posted from another site is refused."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circle.extensions import db
from circle.models import WebSession
from circle.models.types import now
from circle.store import users
from web.forms import csrf_of, sign_in

PASSWORD = "correct horse"


@pytest.fixture
def ann(site):
    """A user who logs in with a password."""
    return users.create("ann", PASSWORD)


def _replay(site: Flask, client: FlaskClient) -> FlaskClient:
    """Return a second client holding a copy of `client`'s session cookie (what a thief would hold)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = site.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _age(**columns: int) -> None:
    """Move every session's times into the past."""
    for row in db.session.scalars(db.select(WebSession)):
        for name, seconds in columns.items():
            setattr(row, name, getattr(row, name) - seconds)
    db.session.commit()


def test_a_captured_cookie_works_until_logout_and_then_never(site, client, ann):
    sign_in(client, "ann", PASSWORD)
    thief = _replay(site, client)
    assert thief.get("/api/user").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    assert thief.get("/api/user").status_code == 401
    assert thief.get("/").status_code == 302


def test_a_password_change_ends_every_session_of_the_user(site, client, ann):
    sign_in(client, "ann", PASSWORD)
    users.set_password(ann, "another horse")
    assert client.get("/api/user").status_code == 401


def test_an_idle_session_ends(site, client, ann):
    """CIRCLE_SESSION_IDLE (default 3 days) without a request ends the session."""
    sign_in(client, "ann", PASSWORD)
    _age(last_seen=3 * 86400 + 1)
    assert client.get("/api/user").status_code == 401


def test_a_session_ends_at_its_absolute_lifetime_however_active(site, client, ann):
    """CIRCLE_SESSION_MAX (default 30 days) ends even a session used a second ago."""
    sign_in(client, "ann", PASSWORD)
    _age(created=30 * 86400 + 1)
    assert client.get("/api/user").status_code == 401


def test_an_active_session_notes_its_use_at_most_every_minute(site, client, ann):
    sign_in(client, "ann", PASSWORD)
    _age(last_seen=30)
    seen = db.session.scalars(db.select(WebSession.last_seen)).one()
    assert client.get("/api/user").status_code == 200
    assert db.session.scalars(db.select(WebSession.last_seen)).one() == seen
    _age(last_seen=60)
    assert client.get("/api/user").status_code == 200
    assert db.session.scalars(db.select(WebSession.last_seen)).one() >= now() - 1


def _post_login(client: FlaskClient, login: str, password: str, **headers: str):
    """Post the login form with this session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                       headers=headers)


def test_five_failed_logins_a_minute_throttle_the_login(site, client, ann):
    """The sixth try within a minute is 429 with Retry-After and one sentence, even with the right password."""
    for _ in range(5):
        assert _post_login(client, "ann", "wrong").status_code == 401
    answer = _post_login(client, "ann", PASSWORD)
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert "Too many failed logins; try again in" in answer.text
    assert client.get("/api/user").status_code == 401


def test_failed_logins_throttle_the_client_address_whatever_the_login(site, client, ann):
    for n in range(5):
        assert _post_login(client, f"nobody{n}", "wrong").status_code == 401
    assert _post_login(client, "ann", PASSWORD).status_code == 429


def test_a_success_forgets_the_logins_failures(site, client, ann):
    """A user who mistyped a few times and then got in starts from zero (per login; the address keeps its count)."""
    for _ in range(4):
        _post_login(client, "ann", "wrong")
    assert _post_login(client, "ann", PASSWORD).status_code == 302
    throttle = site.extensions["circle.login_throttle"]
    assert throttle.retry_after("login:ann") == 0


def test_a_login_form_posted_from_another_site_is_refused(site, client, ann):
    """Login CSRF: a foreign page cannot sign the visitor in to an account of its choosing."""
    answer = _post_login(client, "ann", PASSWORD, Origin="https://evil.example")
    assert answer.status_code == 403
    assert client.get("/api/user").status_code == 401


def test_concurrent_wrong_logins_cannot_slip_past_the_limit(site, ann):
    """Ten tries at once from one address: five are checked, the others wait, even while the first are hashed."""
    clients = [site.test_client() for _ in range(10)]
    tokens = [csrf_of(client.get("/login").text) for client in clients]
    start = threading.Barrier(len(clients))

    def attempt(client: FlaskClient, token: str) -> int:
        start.wait()
        with site.app_context():
            return client.post("/login", data={"login": f"x{token[:6]}", "password": "wrong",
                                               "csrf_token": token}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(attempt, clients, tokens))
    assert statuses == [401] * 5 + [429] * 5

"""Signing in and out: the login form, CSRF tokens, wrong credentials, and where `?next=` may lead."""
from __future__ import annotations

import pytest

from circle.store import users
from circle.web.guard import safe_next
from web.forms import csrf_of, sign_in


@pytest.fixture
def ann(site):
    """A user who logs in with a password."""
    return users.create("ann", "correct horse", admin=False)


def test_anonymous_page_visit_goes_to_login_with_next(client):
    """A page asks an anonymous visitor to log in and comes back to the same path and query."""
    answer = client.get("/repos/7/builds/3?pid=2")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/repos/7/builds/3?pid%3D2"


def test_login_form_has_named_fields_and_a_csrf_token(client):
    """The form posts `login`, `password` and a CSRF token bound to the session."""
    page = client.get("/login?next=/scms").text
    assert 'name="login"' in page and 'name="password"' in page and 'value="/scms"' in page
    assert csrf_of(page) == csrf_of(client.get("/login").text)


def test_wrong_password_shows_the_form_again_with_401(client, ann):
    """Wrong credentials re-show the form with a clear message and status 401; no session starts."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "ann", "password": "wrong", "csrf_token": token})
    assert answer.status_code == 401
    assert "Wrong login or password." in answer.text and 'value="ann"' in answer.text
    assert client.get("/").status_code == 302


def test_unknown_login_gets_the_same_answer(client, ann):
    """An unknown login is told exactly what a wrong password is told."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "nobody", "password": "wrong", "csrf_token": token})
    assert answer.status_code == 401 and "Wrong login or password." in answer.text


def test_inactive_user_cannot_log_in(client, ann):
    """A deactivated account is refused even with its password."""
    users.update(ann, active=False)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "ann", "password": "correct horse", "csrf_token": token})
    assert answer.status_code == 401


def test_login_without_csrf_token_is_refused(client, ann):
    """A login POST without the session's CSRF token starts no session."""
    client.get("/login")
    answer = client.post("/login", data={"login": "ann", "password": "correct horse", "csrf_token": "forged"})
    assert answer.status_code == 400 and "expired" in answer.text
    assert client.get("/").status_code == 302


def test_login_goes_to_local_next_and_renews_the_session(client, ann):
    """The right password leads to `next`; the old session (and its CSRF token) does not survive."""
    before = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "ann", "password": "correct horse", "csrf_token": before,
                                         "next": "/scms?scm=1"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/scms?scm=1"
    page = client.get("/")
    assert page.status_code == 200 and csrf_of(page.text) != before


def test_login_page_of_a_signed_in_user_goes_to_next(client, ann):
    """A signed-in user who opens /login is sent on to `next`."""
    sign_in(client, "ann", "correct horse")
    assert client.get("/login?next=/agents").headers["Location"] == "/agents"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil",
                                    "javascript:alert(1)", "evil.example", "", None, "/x\r\nSet-Cookie: a=b",
                                    "http:/evil.example"])
def test_next_outside_this_site_is_ignored(target):
    """Only a local path is a place to go after logging in."""
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/repos/3", "/repos/3/builds/2?pid=4", "/scms?scm=1#top"])
def test_local_next_is_kept(target):
    """Local paths with a query are kept as given."""
    assert safe_next(target) == target


def test_offsite_next_after_login_goes_home(client, ann):
    """A login whose `next` points elsewhere ends on the start page."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "ann", "password": "correct horse", "csrf_token": token,
                                         "next": "//evil.example/"})
    assert answer.headers["Location"] == "/"


def test_logout_post_needs_the_csrf_token(client, ann):
    """A logout POST without the token is refused and the session stays; with it, the session ends."""
    sign_in(client, "ann", "correct horse")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_of(client.get("/").text)
    answer = client.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/api/user").status_code == 401


def test_logout_by_get_only_asks_to_confirm(client, ann):
    """GET /logout (a link any site can make the browser follow) ends nothing: it shows the form that does."""
    sign_in(client, "ann", "correct horse")
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 302
    assert client.get("/").status_code == 302
    assert client.get("/logout").headers["Location"] == "/login"


def test_session_cookie_is_httponly_and_samesite(client, ann):
    """The session cookie cannot be read by scripts nor sent by other sites' forms."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "ann", "password": "correct horse", "csrf_token": token})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_bad_api_token_on_a_page_goes_to_login(client):
    """A page called with an invalid Bearer token is sent to the login form, not a traceback."""
    answer = client.get("/scms", headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login?next=/scms"

"""Who is calling: API tokens, the session cookie, 401 and 403."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from api.helpers import Caller, sign_in
from circle.api.auth import SESSION_KEY, current_user, login_user, logout_user
from circle.store import users


def test_no_credentials_is_401_with_a_bearer_challenge(client: FlaskClient):
    answer = client.get("/api/user")
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "Unauthorized"
    assert answer.get_json()["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_names_the_caller(client: FlaskClient, alice: Caller):
    answer = client.get("/api/user", headers=alice.headers)
    assert answer.status_code == 200
    assert answer.get_json() == {"id": alice.user.id, "login": "alice", "email": "", "admin": False,
                                 "active": True, "created": alice.user.created}


def test_bad_tokens_and_schemes_are_401(client: FlaskClient, alice: Caller):
    for header in (f"Bearer {alice.token}x", "Bearer ", f"Basic {alice.token}", alice.token):
        answer = client.get("/api/user", headers={"Authorization": header})
        assert answer.status_code == 401, header


def test_token_of_a_deactivated_user_is_401(client: FlaskClient, alice: Caller):
    users.update(alice.user, active=False)
    assert client.get("/api/user", headers=alice.headers).status_code == 401


def test_session_cookie_authenticates(client: FlaskClient, alice: Caller):
    sign_in(client, alice.user)
    answer = client.get("/api/user")
    assert answer.status_code == 200 and answer.get_json()["login"] == "alice"


def test_a_bad_token_wins_over_a_good_session(client: FlaskClient, alice: Caller):
    sign_in(client, alice.user)
    assert client.get("/api/user", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_of_a_deleted_user_is_401(client: FlaskClient, alice: Caller):
    sign_in(client, alice.user)
    users.delete(alice.user)
    assert client.get("/api/user").status_code == 401


def test_a_session_cookie_naming_no_session_is_401(client: FlaskClient, alice: Caller):
    """A cookie that names a user id (as cookies did before sessions lived in the database) is nobody."""
    with client.session_transaction() as session:
        session[SESSION_KEY] = alice.user.id
    assert client.get("/api/user").status_code == 401


def test_login_and_logout_helpers_manage_the_session(app: Flask, alice: Caller):
    with app.test_request_context("/"):
        assert current_user() is None
        login_user(alice.user)
        assert current_user().id == alice.user.id
        from flask import session
        assert isinstance(session[SESSION_KEY], str)
        logout_user()
        assert SESSION_KEY not in session
        assert current_user() is None


def test_admin_routes_are_403_for_users(client: FlaskClient, alice: Caller):
    answer = client.get("/api/users", headers=alice.headers)
    assert answer.status_code == 403
    assert answer.get_json()["error"] == "Forbidden"


def test_session_cookie_is_samesite_lax(app: Flask):
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True

"""POST /api/user/password: the caller changes their own password, given the current one."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.helpers import Caller, sign_in
from circle.extensions import db
from circle.models import WebSession
from circle.store import users


def _with_password(caller: Caller, password: str = "old-password") -> None:
    users.set_password(caller.user, password)


def test_the_right_current_password_changes_it_and_tokens_keep_working(client: FlaskClient, alice: Caller):
    _with_password(alice)
    answer = client.post("/api/user/password", headers=alice.headers,
                         json={"current_password": "old-password", "password": "new-password"})
    assert answer.status_code == 204, answer.get_json()
    assert users.check_password(alice.user, "new-password")
    assert not users.check_password(alice.user, "old-password")
    assert client.get("/api/user", headers=alice.headers).status_code == 200


def test_a_wrong_current_password_or_a_short_one_changes_nothing(client: FlaskClient, alice: Caller):
    _with_password(alice)
    wrong = client.post("/api/user/password", headers=alice.headers,
                        json={"current_password": "guess-guess", "password": "new-password"})
    assert wrong.status_code == 400
    assert wrong.get_json()["message"] == "the current password is wrong"
    assert wrong.get_json()["fields"] == {"current_password": "wrong password"}
    short = client.post("/api/user/password", headers=alice.headers,
                        json={"current_password": "old-password", "password": "short"})
    assert short.status_code == 400 and "password" in short.get_json()["fields"]
    missing = client.post("/api/user/password", headers=alice.headers, json={"password": "new-password"})
    assert missing.status_code == 400 and "current_password" in missing.get_json()["fields"]
    assert users.check_password(alice.user, "old-password")
    assert client.post("/api/user/password", json={"current_password": "old-password",
                                                   "password": "new-password"}).status_code == 401


def test_through_the_dashboard_other_sessions_end_and_this_one_goes_on(client: FlaskClient, alice: Caller, app: Flask):
    _with_password(alice)
    other = app.test_client()
    sign_in(other, alice.user)
    sign_in(client, alice.user, csrf="page-token")
    answer = client.post("/api/user/password", headers={"X-CSRF-Token": "page-token"},
                         json={"current_password": "old-password", "password": "new-password"})
    assert answer.status_code == 204, answer.get_json()
    assert other.get("/api/user").status_code == 401
    assert client.get("/api/user").get_json()["login"] == "alice"
    again = client.post("/api/user/password", headers={"X-CSRF-Token": "page-token"},
                        json={"current_password": "new-password", "password": "newer-password"})
    assert again.status_code == 204, again.get_json()
    rows = db.session.scalars(select(WebSession).where(WebSession.user_id == alice.user.id)).all()
    assert len(rows) == 1

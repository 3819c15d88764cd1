"""GET /api/user, GET and POST /api/users."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, make_caller
from circle.store import users


def test_admin_creates_a_user_who_can_then_log_in(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers=admin.headers,
                         json={"login": "carol", "password": "s3cret-pass", "email": "c@example.com"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert {k: body[k] for k in ("login", "email", "admin")} == {"login": "carol", "email": "c@example.com",
                                                                "admin": False}
    assert "password" not in body and "s3cret-pass" not in answer.get_data(as_text=True)
    assert users.check_password(users.get_by_login("carol"), "s3cret-pass")


def test_admin_flag_and_short_password(client: FlaskClient, admin: Caller):
    made = client.post("/api/users", headers=admin.headers, json={"login": "dave", "admin": True})
    assert made.status_code == 201 and made.get_json()["admin"] is True
    short = client.post("/api/users", headers=admin.headers, json={"login": "erin", "password": "short"})
    assert short.status_code == 400 and "password" in short.get_json()["fields"]


def test_login_is_required_and_unique(client: FlaskClient, admin: Caller):
    assert client.post("/api/users", headers=admin.headers, json={}).get_json()["fields"] == {
        "login": "Missing data for required field."}
    duplicate = client.post("/api/users", headers=admin.headers, json={"login": "root"})
    assert duplicate.status_code == 409 and duplicate.get_json()["error"] == "Conflict"


def test_users_list_is_paginated_by_login(client: FlaskClient, admin: Caller):
    for login in ("u3", "u1", "u2"):
        make_caller(login)
    first = client.get("/api/users?per_page=2", headers=admin.headers)
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "4"
    assert [u["login"] for u in first.get_json()] == ["root", "u1"]
    second = client.get("/api/users?per_page=2&page=2", headers=admin.headers)
    assert [u["login"] for u in second.get_json()] == ["u2", "u3"]
    assert client.get("/api/users?page=9", headers=admin.headers).get_json() == []


def test_per_page_is_capped_at_200(client: FlaskClient, admin: Caller):
    for number in range(200):
        users.create(f"user{number:03}")
    answer = client.get("/api/users?per_page=5000", headers=admin.headers)
    assert answer.status_code == 200
    assert len(answer.get_json()) == 200 and answer.headers["X-Total-Count"] == "201"


def test_users_routes_need_an_admin(client: FlaskClient, alice: Caller):
    assert client.get("/api/users").status_code == 401
    assert client.post("/api/users", json={"login": "x"}).status_code == 401
    assert client.get("/api/users", headers=alice.headers).status_code == 403
    assert client.post("/api/users", headers=alice.headers, json={"login": "x"}).status_code == 403

"""GET, POST /api/user/tokens and DELETE /api/user/tokens/{id}: names, last use, expiry, revocation."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller
from circle.extensions import db
from circle.models import Token
from circle.models.types import now
from circle.store import users


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_new_token_is_shown_once_and_works(client: FlaskClient, alice: Caller):
    answer = client.post("/api/user/tokens", headers=alice.headers, json={"name": "laptop"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["name"] == "laptop" and body["expires"] == 0 and body["token"]
    assert client.get("/api/user", headers=_bearer(body["token"])).get_json()["login"] == "alice"
    listed = client.get("/api/user/tokens", headers=alice.headers)
    assert listed.headers["X-Total-Count"] == "2"
    assert [t["name"] for t in listed.get_json()] == ["", "laptop"]
    assert all("token" not in t and "hash" not in t for t in listed.get_json())


def test_a_deleted_token_stops_working_at_once(client: FlaskClient, alice: Caller):
    made = client.post("/api/user/tokens", headers=alice.headers, json={"name": "ci"}).get_json()
    assert client.get("/api/user", headers=_bearer(made["token"])).status_code == 200
    assert client.delete(f"/api/user/tokens/{made['id']}", headers=alice.headers).status_code == 204
    assert client.get("/api/user", headers=_bearer(made["token"])).status_code == 401
    assert client.get("/api/user", headers=alice.headers).status_code == 200


def test_nobody_deletes_or_sees_another_users_token(client: FlaskClient, alice: Caller, bob: Caller):
    theirs = users.list_tokens(bob.user)[0]
    assert client.delete(f"/api/user/tokens/{theirs.id}", headers=alice.headers).status_code == 404
    assert client.get("/api/user", headers=bob.headers).status_code == 200
    assert len(client.get("/api/user/tokens", headers=alice.headers).get_json()) == 1


def test_a_token_expires(client: FlaskClient, alice: Caller):
    made = client.post("/api/user/tokens", headers=alice.headers, json={"name": "day", "expires_in": 86400})
    body = made.get_json()
    assert abs(body["expires"] - (now() + 86400)) <= 2
    assert client.get("/api/user", headers=_bearer(body["token"])).status_code == 200
    row = db.session.get(Token, body["id"])
    row.expires = now() - 1
    db.session.commit()
    assert client.get("/api/user", headers=_bearer(body["token"])).status_code == 401


def test_expiry_and_name_are_validated(client: FlaskClient, alice: Caller):
    for body in ({"name": "x", "expires_in": 10}, {"name": "x", "expires_in": "1d"}, {"name": ""}, {},
                 {"name": "x", "token": "mine"}):
        answer = client.post("/api/user/tokens", headers=alice.headers, json=body)
        assert answer.status_code == 400, body


def test_the_tokens_of_a_deleted_user_stop_working(client: FlaskClient, alice: Caller):
    users.delete(alice.user)
    assert client.get("/api/user", headers=alice.headers).status_code == 401


def test_last_use_is_written_at_most_every_minute(client: FlaskClient, alice: Caller):
    row = users.list_tokens(alice.user)[0]
    client.get("/api/user", headers=alice.headers)
    db.session.refresh(row)
    first = row.last_used
    assert first >= now() - 2
    row.last_used = first - 30
    db.session.commit()
    client.get("/api/user", headers=alice.headers)
    db.session.refresh(row)
    assert row.last_used == first - 30
    row.last_used = first - 61
    db.session.commit()
    client.get("/api/user", headers=alice.headers)
    db.session.refresh(row)
    assert row.last_used >= now() - 2

"""The error answers of SPEC §4: JSON with the HTTP reason, a message, and field messages for 400."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.exc import DataError

from api.helpers import Caller
from circle.api.routing import BODY_LIMIT
from circle.limits import INT_MAX, INT_MIN, MAX_DEPTH
from circle.store import users


def test_invalid_fields_are_400_with_a_message_per_field(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers=admin.headers, json={"login": "has space", "admin": "yes"})
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "Bad Request"
    assert set(body["fields"]) == {"login", "admin"}
    assert "login" in body["message"] and "admin" in body["message"]


def test_unknown_keys_are_rejected_by_name(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers=admin.headers, json={"login": "carol", "is_admin": True})
    assert answer.status_code == 400
    assert answer.get_json()["fields"] == {"is_admin": "Unknown field."}


def test_read_only_keys_are_rejected_in_bodies(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers=admin.headers, json={"login": "carol", "id": 7})
    assert answer.status_code == 400 and "id" in answer.get_json()["fields"]


def test_malformed_json_and_non_objects_are_400(client: FlaskClient, admin: Caller):
    headers = {**admin.headers, "Content-Type": "application/json"}
    broken = client.post("/api/users", headers=headers, data=b'{"login": ')
    assert broken.status_code == 400 and "JSON" in broken.get_json()["message"]
    listed = client.post("/api/users", headers=admin.headers, json=["carol"])
    assert listed.status_code == 400 and "object" in listed.get_json()["message"]


def test_a_body_must_be_sent_as_json(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers={**admin.headers, "Content-Type": "text/plain"},
                         data=b'{"login": "carol"}')
    assert answer.status_code == 400 and "application/json" in answer.get_json()["message"]


def test_an_oversized_body_is_413(client: FlaskClient, admin: Caller):
    answer = client.post("/api/users", headers={**admin.headers, "Content-Type": "application/json"},
                         data=b" " * (BODY_LIMIT + 1))
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "Request Entity Too Large"


def test_unknown_routes_and_methods_answer_json(client: FlaskClient, admin: Caller):
    missing = client.get("/api/nothing-here", headers=admin.headers)
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"
    wrong = client.put("/api/user", headers=admin.headers)
    assert wrong.status_code == 405 and wrong.get_json()["error"] == "Method Not Allowed"


def test_bad_paging_parameters_are_400(client: FlaskClient, admin: Caller):
    for query in ("page=0", "page=x", "per_page=0", "per_page=-5"):
        answer = client.get(f"/api/users?{query}", headers=admin.headers)
        assert answer.status_code == 400, query
        assert answer.get_json()["fields"], query


def test_huge_paging_parameters_are_400_naming_them(client: FlaskClient, admin: Caller):
    for name in ("page", "per_page"):
        for value in (INT_MAX + 1, 10**30):
            answer = client.get(f"/api/users?{name}={value}", headers=admin.headers)
            assert answer.status_code == 400 and set(answer.get_json()["fields"]) == {name}, (name, value)
    assert client.get(f"/api/users?page={INT_MAX}&per_page=200", headers=admin.headers).get_json() == []


def test_huge_integers_in_bodies_are_400_naming_the_field(client: FlaskClient, admin: Caller):
    for value in (INT_MAX + 1, INT_MIN - 1, 10**30):
        answer = client.post("/api/repos", headers=admin.headers, json={"scm_id": value, "full_name": "a/b"})
        assert answer.status_code == 400 and set(answer.get_json()["fields"]) == {"scm_id"}, value
    missing = client.post("/api/repos", headers=admin.headers, json={"scm_id": INT_MAX, "full_name": "a/b"})
    assert missing.status_code == 404


def test_deep_or_non_standard_json_bodies_are_400(client: FlaskClient, admin: Caller):
    headers = {**admin.headers, "Content-Type": "application/json"}
    for levels in (MAX_DEPTH + 1, 50_000):
        deep = client.post("/api/users", headers=headers, data=b'{"login": ' + b"[" * levels + b"]" * levels + b"}")
        assert deep.status_code == 400 and f"deeper than {MAX_DEPTH}" in deep.get_json()["message"], levels
    for data in (b'{"login": NaN}', b'{"login": 1e999}', b'{"login": Infinity}'):
        answer = client.post("/api/users", headers=headers, data=data)
        assert answer.status_code == 400 and "JSON" in answer.get_json()["message"], data


def test_a_value_the_database_refuses_is_400_not_500(client: FlaskClient, admin: Caller, monkeypatch):
    """The safety net behind validation: a DataError (too long, out of range) is the caller's 400."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise DataError("INSERT INTO users", {}, ValueError("value too long for type character varying(255)"))
    monkeypatch.setattr(users, "create", refuse)
    answer = client.post("/api/users", headers=admin.headers, json={"login": "carol"})
    assert answer.status_code == 400 and "does not fit the database" in answer.get_json()["message"]

"""The error answers of SPEC §4: JSON with the HTTP reason, a message, and field messages for 400."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller
from circle.api.routing import BODY_LIMIT


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

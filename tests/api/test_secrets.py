"""Secrets and registry credentials of a repo; values and passwords never come back."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, grant
from circle.store import secrets

VALUE = "s3cr3t-VALUE-never-shown"
PASSWORD = "registry-PASSWORD-never-shown"


def secrets_url(repo: dict, suffix: str = "") -> str:
    """Return the secrets URL of a repo."""
    return f"/api/repos/{repo['id']}/secrets{suffix}"


def registries_url(repo: dict, suffix: str = "") -> str:
    """Return the registries URL of a repo."""
    return f"/api/repos/{repo['id']}/registries{suffix}"


def test_secret_lifecycle_never_shows_the_value(client: FlaskClient, admin: Caller, repo: dict):
    made = client.post(secrets_url(repo), headers=admin.headers,
                       json={"name": "DEPLOY_KEY", "value": VALUE, "events": ["push", "pull_request"],
                             "images": ["plugins/*"]})
    assert made.status_code == 201
    body = made.get_json()
    assert {k: body[k] for k in ("name", "events", "images")} == {
        "name": "DEPLOY_KEY", "events": ["push", "pull_request"], "images": ["plugins/*"]}
    changed = client.patch(secrets_url(repo, "/DEPLOY_KEY"), headers=admin.headers,
                           json={"value": VALUE + "2", "events": ["tag"]})
    assert changed.status_code == 200 and changed.get_json()["events"] == ["tag"]
    listed = client.get(secrets_url(repo), headers=admin.headers)
    assert [s["name"] for s in listed.get_json()] == ["DEPLOY_KEY"] and listed.headers["X-Total-Count"] == "1"
    for answer in (made, changed, listed):
        assert VALUE not in answer.get_data(as_text=True) and "value" not in answer.get_data(as_text=True)
    assert secrets.get_by_name(repo["id"], "DEPLOY_KEY").value == VALUE + "2"
    assert client.delete(secrets_url(repo, "/DEPLOY_KEY"), headers=admin.headers).status_code == 204
    assert client.delete(secrets_url(repo, "/DEPLOY_KEY"), headers=admin.headers).status_code == 404


def test_secret_defaults_and_validation(client: FlaskClient, admin: Caller, repo: dict):
    made = client.post(secrets_url(repo), headers=admin.headers, json={"name": "token", "value": "v"}).get_json()
    assert made["events"] == ["push", "tag", "deployment", "manual"] and made["images"] == []
    cases = (({"name": "a b", "value": "v"}, "name"), ({"name": "x"}, "value"), ({"name": "x", "value": ""}, "value"),
             ({"name": "x", "value": "v", "events": ["merge"]}, "events.0"),
             ({"name": "x", "value": "v", "events": []}, "events"),
             ({"name": "x", "value": "v", "mask": True}, "mask"))
    for body, field in cases:
        answer = client.post(secrets_url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], body
    renamed = client.patch(secrets_url(repo, "/token"), headers=admin.headers, json={"name": "other"})
    assert renamed.status_code == 400 and "name" in renamed.get_json()["fields"]


def test_secret_names_are_unique_regardless_of_case(client: FlaskClient, admin: Caller, repo: dict):
    assert client.post(secrets_url(repo), headers=admin.headers, json={"name": "KEY", "value": "v"}).status_code == 201
    for name in ("KEY", "key"):
        answer = client.post(secrets_url(repo), headers=admin.headers, json={"name": name, "value": "v"})
        assert answer.status_code == 409, name


def test_secrets_need_repo_admin(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    assert client.get(secrets_url(repo)).status_code == 401
    assert client.get(secrets_url(repo), headers=bob.headers).status_code == 404
    grant(alice, repo["id"], "push")
    assert client.get(secrets_url(repo), headers=alice.headers).status_code == 403
    assert client.post(secrets_url(repo), headers=alice.headers, json={"name": "k", "value": "v"}).status_code == 403
    grant(alice, repo["id"], "admin")
    assert client.post(secrets_url(repo), headers=alice.headers, json={"name": "k", "value": "v"}).status_code == 201
    assert client.patch(secrets_url(repo, "/missing"), headers=alice.headers, json={"value": "v"}).status_code == 404


def test_registry_lifecycle_never_shows_the_password(client: FlaskClient, admin: Caller, repo: dict):
    made = client.post(registries_url(repo), headers=admin.headers,
                       json={"address": "registry.example.com:5000", "username": "ci", "password": PASSWORD})
    assert made.status_code == 201
    assert {k: made.get_json()[k] for k in ("address", "username")} == {"address": "registry.example.com:5000",
                                                                        "username": "ci"}
    changed = client.patch(registries_url(repo, "/registry.example.com:5000"), headers=admin.headers,
                           json={"username": "bot", "password": PASSWORD + "2"})
    assert changed.status_code == 200 and changed.get_json()["username"] == "bot"
    listed = client.get(registries_url(repo), headers=admin.headers)
    assert listed.headers["X-Total-Count"] == "1" and listed.get_json()[0]["username"] == "bot"
    for answer in (made, changed, listed):
        assert PASSWORD not in answer.get_data(as_text=True) and "password" not in answer.get_data(as_text=True)
    assert secrets.get_registry_by_address(repo["id"], "registry.example.com:5000").password == PASSWORD + "2"
    duplicate = client.post(registries_url(repo), headers=admin.headers,
                            json={"address": "registry.example.com:5000", "username": "x", "password": "y"})
    assert duplicate.status_code == 409
    assert client.delete(registries_url(repo, "/registry.example.com:5000"), headers=admin.headers).status_code == 204
    assert client.get(registries_url(repo), headers=admin.headers).get_json() == []


def test_registry_validation_and_permissions(client: FlaskClient, admin: Caller, alice: Caller, repo: dict):
    for body, field in (({"address": "https://docker.io/x", "username": "u", "password": "p"}, "address"),
                        ({"address": "docker.io", "username": "u"}, "password"),
                        ({"address": "docker.io", "username": "u", "password": "p", "email": "e"}, "email")):
        answer = client.post(registries_url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], body
    assert client.patch(registries_url(repo, "/docker.io"), headers=admin.headers,
                        json={"username": "u"}).status_code == 404
    grant(alice, repo["id"], "pull")
    assert client.get(registries_url(repo), headers=alice.headers).status_code == 403

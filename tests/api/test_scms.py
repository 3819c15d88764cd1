"""SCMs: GET, POST /api/scms · GET, PATCH, DELETE /api/scms/{id} · GET /api/scms/{id}/repos."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, closed_port

pytestmark = pytest.mark.usefixtures("loopback_scms")  # alice's fake forges listen on 127.0.0.1

GITEA = {"kind": "gitea", "name": "forge", "url": "http://127.0.0.1:3000", "username": "ci",
         "password": "pass-WORD-42", "token": "tok-SECRET-42"}


def create(client: FlaskClient, caller: Caller, **values: Any) -> Any:
    """POST an SCM and return the answer."""
    return client.post("/api/scms", headers=caller.headers, json={**GITEA, **values})


def test_register_answers_the_scm_without_credentials(client: FlaskClient, alice: Caller):
    answer = create(client, alice)
    assert answer.status_code == 201
    body = answer.get_json()
    assert {k: body[k] for k in ("kind", "name", "url", "username")} == {
        "kind": "gitea", "name": "forge", "url": "http://127.0.0.1:3000", "username": "ci"}
    assert body["owner_id"] == alice.user.id
    for route in ("/api/scms", f"/api/scms/{body['id']}"):
        text = client.get(route, headers=alice.headers).get_data(as_text=True)
        assert "pass-WORD-42" not in text and "tok-SECRET-42" not in text
    assert "pass-WORD-42" not in answer.get_data(as_text=True) and "tok-SECRET-42" not in answer.get_data(as_text=True)


def test_invalid_scms_are_400(client: FlaskClient, alice: Caller, admin: Caller, tmp_path: Path):
    kind = create(client, alice, kind="svn")
    assert kind.status_code == 400 and "kind" in kind.get_json()["fields"]
    url = create(client, alice, url="ftp://host")
    assert url.status_code == 400 and "ftp://host" in url.get_json()["message"]
    missing = client.post("/api/scms", headers=alice.headers, json={"kind": "gitea"})
    assert set(missing.get_json()["fields"]) == {"name", "url"}
    nowhere = create(client, admin, kind="local", url=str(tmp_path / "absent"))
    assert nowhere.status_code == 400 and "not a directory" in nowhere.get_json()["message"]


def test_credentials_in_the_url_are_refused_and_never_echoed(client: FlaskClient, alice: Caller):
    """user:password@ in an SCM URL is a 400 naming the problem, without the password; nothing is stored."""
    before = client.get("/api/scms", headers=alice.headers).get_json()
    for url in ("http://ci:hunter2-PW@127.0.0.1:3000", "https://hunter2-PW@git.example.com/"):
        answer = create(client, alice, url=url)
        assert answer.status_code == 400 and "must not carry credentials" in answer.get_json()["message"]
        assert "hunter2-PW" not in answer.get_data(as_text=True)
    assert client.get("/api/scms", headers=alice.headers).get_json() == before
    scm = create(client, alice).get_json()
    patched = client.patch(f"/api/scms/{scm['id']}", headers=alice.headers,
                           json={"url": "http://ci:hunter2-PW@127.0.0.1:3001"})
    assert patched.status_code == 400 and "hunter2-PW" not in patched.get_data(as_text=True)
    assert client.get(f"/api/scms/{scm['id']}", headers=alice.headers).get_json()["url"] == GITEA["url"]


def test_only_admins_register_local_scms(client: FlaskClient, alice: Caller, admin: Caller, git_root: Path):
    denied = create(client, alice, kind="local", url=str(git_root))
    assert denied.status_code == 403
    assert create(client, admin, kind="local", url=str(git_root)).status_code == 201


def test_names_are_unique_per_owner(client: FlaskClient, alice: Caller, bob: Caller):
    assert create(client, alice).status_code == 201
    assert create(client, alice).status_code == 409
    assert create(client, bob).status_code == 201


def test_users_see_their_own_scms_and_admins_all(client: FlaskClient, alice: Caller, bob: Caller, admin: Caller):
    mine = create(client, alice).get_json()
    create(client, bob, name="bobs")
    listed = client.get("/api/scms", headers=alice.headers)
    assert [s["id"] for s in listed.get_json()] == [mine["id"]] and listed.headers["X-Total-Count"] == "1"
    everything = client.get("/api/scms?per_page=1", headers=admin.headers)
    assert everything.headers["X-Total-Count"] == "2" and len(everything.get_json()) == 1
    assert client.get(f"/api/scms/{mine['id']}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/scms/{mine['id']}", headers=admin.headers).status_code == 200
    assert client.get("/api/scms/999999", headers=alice.headers).status_code == 404
    assert client.get("/api/scms").status_code == 401


def test_patch_changes_name_url_and_credentials(client: FlaskClient, alice: Caller, bob: Caller):
    scm = create(client, alice).get_json()
    answer = client.patch(f"/api/scms/{scm['id']}", headers=alice.headers,
                          json={"name": "renamed", "url": "http://127.0.0.1:3001", "token": "new-TOKEN-7"})
    assert answer.status_code == 200
    assert answer.get_json()["name"] == "renamed" and answer.get_json()["url"] == "http://127.0.0.1:3001"
    assert "new-TOKEN-7" not in answer.get_data(as_text=True)
    assert client.patch(f"/api/scms/{scm['id']}", headers=alice.headers, json={"kind": "github"}).status_code == 400
    assert client.patch(f"/api/scms/{scm['id']}", headers=alice.headers, json={"url": "nope"}).status_code == 400
    assert client.patch(f"/api/scms/{scm['id']}", headers=bob.headers, json={"name": "x"}).status_code == 404


def test_delete_scm(client: FlaskClient, alice: Caller, bob: Caller):
    scm = create(client, alice).get_json()
    assert client.delete(f"/api/scms/{scm['id']}", headers=bob.headers).status_code == 404
    answer = client.delete(f"/api/scms/{scm['id']}", headers=alice.headers)
    assert answer.status_code == 204 and answer.data == b""
    assert client.get(f"/api/scms/{scm['id']}", headers=alice.headers).status_code == 404


def test_an_scm_with_active_repos_cannot_be_deleted(client: FlaskClient, admin: Caller, repo: dict):
    answer = client.delete(f"/api/scms/{repo['scm_id']}", headers=admin.headers)
    assert answer.status_code == 409 and "1 active repo" in answer.get_json()["message"]
    assert client.delete(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 204
    assert client.delete(f"/api/scms/{repo['scm_id']}", headers=admin.headers).status_code == 204


def test_lists_the_repositories_of_a_local_scm(client: FlaskClient, admin: Caller, local_scm: dict):
    answer = client.get(f"/api/scms/{local_scm['id']}/repos", headers=admin.headers)
    assert answer.status_code == 200
    assert answer.headers["X-Total-Count"] == "2"
    listed = sorted(answer.get_json(), key=lambda r: r["full_name"])
    assert [r["full_name"] for r in listed] == ["acme/app", "acme/lib"]
    assert listed[0]["default_branch"] == "main" and listed[0]["clone_url"].endswith("acme/app.git")
    assert set(listed[0]) == {"full_name", "clone_url", "default_branch", "private"}
    paged = client.get(f"/api/scms/{local_scm['id']}/repos?per_page=1&page=2", headers=admin.headers)
    assert len(paged.get_json()) == 1 and paged.headers["X-Total-Count"] == "2"


def test_listing_repositories_of_an_unreachable_scm_is_502(client: FlaskClient, alice: Caller, no_backoff: None):
    scm = create(client, alice, url=f"http://127.0.0.1:{closed_port()}").get_json()
    answer = client.get(f"/api/scms/{scm['id']}/repos", headers=alice.headers)
    assert answer.status_code == 502
    assert answer.get_json()["error"] == "Bad Gateway" and "127.0.0.1" in answer.get_json()["message"]

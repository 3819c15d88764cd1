"""Repos: GET, POST /api/repos · GET, PATCH, DELETE /api/repos/{repo_id}, with a real local git SCM."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, closed_port, grant
from circle.service.hook_url import verify_hook_token
from circle.store import configs, repos

SETTINGS = ("allow_push", "allow_tag", "allow_pr", "allow_deploy", "trusted", "gated", "timeout")


def test_activation_stores_the_repo_config_permission_and_hook(client: FlaskClient, admin: Caller, repo: dict,
                                                               git_root: Path):
    assert {k: repo[k] for k in ("full_name", "owner", "name", "default_branch", "active")} == {
        "full_name": "acme/app", "owner": "acme", "name": "app", "default_branch": "main", "active": True}
    assert repo["clone_url"] == str((git_root / "acme/app.git").resolve())
    assert {k: repo[k] for k in SETTINGS} == {"allow_push": True, "allow_tag": True, "allow_pr": True,
                                              "allow_deploy": False, "trusted": False, "gated": False,
                                              "timeout": 60}
    url = urlsplit(repo["hook_url"])
    assert f"{url.scheme}://{url.netloc}" == "http://127.0.0.1:8000"
    assert url.path == f"/hook/{repo['scm_id']}/{repo['id']}"
    assert verify_hook_token(repos.get(repo["id"]), parse_qs(url.query)["access_token"][0])
    [config] = configs.list_by_repo(repo["id"])
    assert (config.name, config.path, config.content) == ("default", ".circle.yml", None)
    perm = repos.get_perm(admin.user.id, repo["id"])
    assert perm is not None and perm.pull and perm.push and perm.admin
    hooks = git_root / "acme/app.git/hooks"
    assert (hooks / "post-receive").exists()
    assert [t["url"] for t in json.loads((hooks / "circle-hooks.json").read_text())["targets"]] == [repo["hook_url"]]


def test_the_hook_secret_is_in_no_answer(client: FlaskClient, admin: Caller, repo: dict):
    secret = repos.get(repo["id"]).hook_secret
    assert secret
    for route in ("/api/repos", f"/api/repos/{repo['id']}"):
        assert secret not in client.get(route, headers=admin.headers).get_data(as_text=True)


def test_activating_twice_is_409(client: FlaskClient, admin: Caller, repo: dict):
    again = client.post("/api/repos", headers=admin.headers, json={"scm_id": repo["scm_id"], "full_name": "acme/app"})
    assert again.status_code == 409 and "already active" in again.get_json()["message"]


def test_activation_input_errors(client: FlaskClient, admin: Caller, alice: Caller, local_scm: dict):
    bad = client.post("/api/repos", headers=admin.headers, json={"scm_id": str(local_scm["id"])})
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"scm_id", "full_name"}
    absent = client.post("/api/repos", headers=admin.headers, json={"scm_id": local_scm["id"], "full_name": "acme/x"})
    assert absent.status_code == 404
    hidden = client.post("/api/repos", headers=alice.headers, json={"scm_id": local_scm["id"], "full_name": "acme/app"})
    assert hidden.status_code == 404
    assert client.post("/api/repos", json={"scm_id": local_scm["id"], "full_name": "acme/app"}).status_code == 401


def test_failed_hook_registration_leaves_no_repo(client: FlaskClient, admin: Caller, local_scm: dict,
                                                 git_root: Path):
    foreign = git_root / "acme/lib.git/hooks/post-receive"
    foreign.write_text("#!/bin/sh\necho mine\n")
    answer = client.post("/api/repos", headers=admin.headers, json={"scm_id": local_scm["id"], "full_name": "acme/lib"})
    assert answer.status_code == 409 and "post-receive" in answer.get_json()["message"]
    listed = client.get("/api/repos", headers=admin.headers)
    assert listed.get_json() == [] and listed.headers["X-Total-Count"] == "0"
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"


@pytest.mark.usefixtures("loopback_scms")
def test_an_unreachable_scm_is_502_and_leaves_no_repo(client: FlaskClient, alice: Caller, no_backoff: None):
    scm = client.post("/api/scms", headers=alice.headers, json={
        "kind": "gitea", "name": "down", "url": f"http://127.0.0.1:{closed_port()}", "token": "t"}).get_json()
    answer = client.post("/api/repos", headers=alice.headers, json={"scm_id": scm["id"], "full_name": "acme/app"})
    assert answer.status_code == 502 and "cannot reach" in answer.get_json()["message"]
    assert client.get("/api/repos", headers=alice.headers).headers["X-Total-Count"] == "0"


def test_list_filters_by_permission_and_full_name(client: FlaskClient, admin: Caller, alice: Caller, repo: dict):
    other = client.post("/api/repos", headers=admin.headers,
                        json={"scm_id": repo["scm_id"], "full_name": "acme/lib"}).get_json()
    assert client.get("/api/repos", headers=alice.headers).get_json() == []
    grant(alice, other["id"], "pull")
    mine = client.get("/api/repos", headers=alice.headers)
    assert [r["full_name"] for r in mine.get_json()] == ["acme/lib"] and mine.headers["X-Total-Count"] == "1"
    everything = client.get("/api/repos?per_page=1", headers=admin.headers)
    assert everything.headers["X-Total-Count"] == "2" and len(everything.get_json()) == 1
    filtered = client.get("/api/repos?full_name=acme/app", headers=admin.headers)
    assert [r["id"] for r in filtered.get_json()] == [repo["id"]]


def test_get_repo_needs_read_permission(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    assert client.get(f"/api/repos/{repo['id']}", headers=bob.headers).status_code == 404
    grant(alice, repo["id"], "pull")
    answer = client.get(f"/api/repos/{repo['id']}", headers=alice.headers)
    assert answer.status_code == 200 and answer.get_json() == repo | {"updated": answer.get_json()["updated"]}
    assert client.get("/api/repos/999999", headers=alice.headers).status_code == 404
    assert client.get(f"/api/repos/{repo['id']}").status_code == 401


def test_patch_changes_the_switches(client: FlaskClient, alice: Caller, repo: dict):
    grant(alice, repo["id"], "admin")
    change = {"allow_push": False, "allow_tag": False, "allow_pr": False, "allow_deploy": True, "gated": True,
              "timeout": 1440, "max_concurrent": 2, "default_branch": "develop"}
    answer = client.patch(f"/api/repos/{repo['id']}", headers=alice.headers, json=change)
    assert answer.status_code == 200
    assert {k: answer.get_json()[k] for k in change} == change
    assert client.get(f"/api/repos/{repo['id']}", headers=alice.headers).get_json()["gated"] is True


def test_patch_validates_its_input(client: FlaskClient, admin: Caller, repo: dict):
    for body, field in (({"timeout": 0}, "timeout"), ({"timeout": 1441}, "timeout"), ({"timeout": "5"}, "timeout"),
                        ({"max_concurrent": -1}, "max_concurrent"),
                        ({"gated": "yes"}, "gated"), ({"full_name": "x/y"}, "full_name"),
                        ({"default_branch": ""}, "default_branch")):
        answer = client.patch(f"/api/repos/{repo['id']}", headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], body


def test_only_administrators_mark_a_repo_trusted(client: FlaskClient, admin: Caller, alice: Caller, repo: dict):
    grant(alice, repo["id"], "admin")
    denied = client.patch(f"/api/repos/{repo['id']}", headers=alice.headers, json={"trusted": True})
    assert denied.status_code == 403
    allowed = client.patch(f"/api/repos/{repo['id']}", headers=admin.headers, json={"trusted": True})
    assert allowed.status_code == 200 and allowed.get_json()["trusted"] is True


def test_patch_needs_repo_admin(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    assert client.patch(f"/api/repos/{repo['id']}", headers=bob.headers, json={"gated": True}).status_code == 404
    for level in ("pull", "push"):
        grant(alice, repo["id"], level)
        answer = client.patch(f"/api/repos/{repo['id']}", headers=alice.headers, json={"gated": True})
        assert answer.status_code == 403, level


def test_delete_removes_the_hook_and_everything_of_the_repo(client: FlaskClient, admin: Caller, alice: Caller,
                                                            repo: dict, git_root: Path):
    grant(alice, repo["id"], "push")
    assert client.delete(f"/api/repos/{repo['id']}", headers=alice.headers).status_code == 403
    answer = client.delete(f"/api/repos/{repo['id']}", headers=admin.headers)
    assert answer.status_code == 204
    assert client.get(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 404
    assert configs.count_by_repo(repo["id"]) == 0
    assert not (git_root / "acme/app.git/hooks/post-receive").exists()
    assert client.delete(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 404


def _push(client: FlaskClient, hook_url: str, secret: str):
    """POST a signed local-git delivery (a deleted branch: accepted, builds nothing) to a hook URL."""
    body = json.dumps({"repo": "acme/app", "ref": "refs/heads/gone", "before": "a" * 40, "after": "0" * 40}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    url = urlsplit(hook_url)
    return client.post(f"{url.path}?{url.query}", data=body,
                       headers={"X-Circle-Event": "push", "X-Circle-Signature": signature})


def test_repair_rotates_the_hook_and_replaces_every_old_one(client: FlaskClient, admin: Caller, repo: dict,
                                                            git_root: Path):
    """The old URL answers 401 afterwards, the new one works, and a target left by an old host is gone."""
    config = git_root / "acme/app.git/hooks/circle-hooks.json"
    stale = {"url": f"http://old-host:8000/hook/{repo['scm_id']}/{repo['id']}?access_token=x", "secret": "s"}
    other = {"url": "http://127.0.0.1:8000/hook/99/99?access_token=y", "secret": "t"}
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, "targets": [stale, *data["targets"], other]}))
    old_secret = repos.get(repo["id"]).hook_secret or ""
    assert _push(client, repo["hook_url"], old_secret).status_code == 200
    answer = client.post(f"/api/repos/{repo['id']}/repair", headers=admin.headers)
    assert answer.status_code == 200, answer.get_json()
    repaired = answer.get_json()
    new_secret = repos.get(repo["id"]).hook_secret or ""
    assert repaired["hook_url"] != repo["hook_url"] and new_secret != old_secret
    assert [t["url"] for t in json.loads(config.read_text())["targets"]] == [other["url"], repaired["hook_url"]]
    assert _push(client, repo["hook_url"], old_secret).status_code == 401
    assert _push(client, repaired["hook_url"], old_secret).status_code == 401
    assert _push(client, repaired["hook_url"], new_secret).status_code == 200
    assert client.get(f"/api/repos/{repo['id']}", headers=admin.headers).get_json()["hook_url"] == repaired["hook_url"]


def test_repair_needs_repo_admin(client: FlaskClient, alice: Caller, bob: Caller, admin: Caller, repo: dict):
    assert client.post(f"/api/repos/{repo['id']}/repair", headers=bob.headers).status_code == 404
    grant(alice, repo["id"], "push")
    assert client.post(f"/api/repos/{repo['id']}/repair", headers=alice.headers).status_code == 403
    assert client.post("/api/repos/999999/repair", headers=admin.headers).status_code == 404
    assert client.post(f"/api/repos/{repo['id']}/repair").status_code == 401
    grant(alice, repo["id"], "admin")
    assert client.post(f"/api/repos/{repo['id']}/repair", headers=alice.headers).status_code == 200


def test_repair_that_the_scm_refuses_keeps_the_old_hook_url(client: FlaskClient, admin: Caller, repo: dict,
                                                             git_root: Path):
    """One transaction: when the SCM refuses the new hook, the stored token and secret stay as they were."""
    script = git_root / "acme/app.git/hooks/post-receive"
    script.write_text("#!/bin/sh\necho mine\n")
    answer = client.post(f"/api/repos/{repo['id']}/repair", headers=admin.headers)
    assert answer.status_code == 409 and "post-receive" in answer.get_json()["message"]
    assert client.get(f"/api/repos/{repo['id']}", headers=admin.headers).get_json()["hook_url"] == repo["hook_url"]


def test_patch_sets_and_clears_the_retention_overrides(client: FlaskClient, admin: Caller, repo: dict):
    """Retention days, builds kept per branch and artifact days are per repo; null returns to the global setting."""
    url = f"/api/repos/{repo['id']}"
    assert repo["retention_days"] is None and repo["artifact_retention_days"] is None
    change = {"retention_days": 30, "retention_keep_min": 5, "artifact_retention_days": 7}
    answer = client.patch(url, headers=admin.headers, json=change)
    assert answer.status_code == 200 and {k: answer.get_json()[k] for k in change} == change
    cleared = client.patch(url, headers=admin.headers, json={"retention_days": None})
    assert cleared.status_code == 200 and cleared.get_json()["retention_days"] is None
    assert cleared.get_json()["retention_keep_min"] == 5
    for body in ({"retention_days": -1}, {"retention_keep_min": "5"}, {"artifact_retention_days": 40_000}):
        refused = client.patch(url, headers=admin.headers, json=body)
        assert refused.status_code == 400 and next(iter(body)) in refused.get_json()["fields"], body

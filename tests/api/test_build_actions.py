"""The build routes that act: manual build, restart, fork, cancel, approve, decline."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, add_build, grant
from circle.store import configs, repos


def builds_url(repo: dict, suffix: str = "") -> str:
    """Return the builds URL of a repo."""
    return f"/api/repos/{repo['id']}/builds{suffix}"


def blocked_build(repo: dict) -> None:
    """Add build 1, blocked, of the repo's default config (the counter follows)."""
    repos.next_number(repos.get(repo["id"]))
    add_build(repo["id"], 1, status="blocked", event="pull_request",
              config_id=configs.get_by_name(repo["id"], "default").id)


def test_manual_build_of_the_default_branch(client: FlaskClient, admin: Caller, repo: dict):
    answer = client.post(builds_url(repo), headers=admin.headers, json={})
    assert answer.status_code == 201, answer.get_json()
    [build] = answer.get_json()
    assert (build["number"], build["event"], build["branch"], build["sender"]) == (1, "manual", "main", "root")
    assert len(build["commit"]) == 40 and build["message"] == "first"
    assert build["status"] == "pending", build["error"]
    shown = client.get(builds_url(repo, "/1"), headers=admin.headers).get_json()
    assert shown["procs"] and shown["procs"][0]["ppid"] == 0


def test_manual_build_with_params_and_a_config(client: FlaskClient, admin: Caller, repo: dict):
    config_id = configs.get_by_name(repo["id"], "default").id
    answer = client.post(builds_url(repo), headers=admin.headers,
                         json={"branch": "main", "config_id": config_id, "params": {"DEPLOY": "yes"}})
    assert answer.status_code == 201
    assert answer.get_json()[0]["params"] == {"DEPLOY": "yes"} and answer.get_json()[0]["config_id"] == config_id


def test_manual_build_input_errors(client: FlaskClient, admin: Caller, repo: dict):
    for body, field in (({"commit": "not-a-sha"}, "commit"), ({"config_id": "1"}, "config_id"),
                        ({"params": {"A": 1}}, "params.A.value"), ({"params": {"1A": "x"}}, "params.1A.key"),
                        ({"event": "push"}, "event")):
        answer = client.post(builds_url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (body, answer.get_json())
    missing = client.post(builds_url(repo), headers=admin.headers, json={"branch": "nope"})
    assert missing.status_code == 404 and "nope" in missing.get_json()["message"]


def test_cancel_restart_and_fork(client: FlaskClient, admin: Caller, repo: dict):
    client.post(builds_url(repo), headers=admin.headers, json={})
    running = client.post(builds_url(repo, "/1/restart"), headers=admin.headers)
    assert running.status_code == 409
    killed = client.post(builds_url(repo, "/1/cancel"), headers=admin.headers)
    assert killed.status_code == 200 and killed.get_json()["status"] == "killed"
    assert client.post(builds_url(repo, "/1/cancel"), headers=admin.headers).status_code == 409
    again = client.post(builds_url(repo, "/1/restart"), headers=admin.headers)
    assert again.status_code == 200
    assert (again.get_json()["number"], again.get_json()["status"]) == (1, "pending")
    fork = client.post(builds_url(repo, "/1/fork"), headers=admin.headers, json={"params": {"X": "1"}})
    assert fork.status_code == 201
    assert (fork.get_json()["number"], fork.get_json()["parent"]) == (2, 1)
    assert fork.get_json()["params"] == {"X": "1"}
    assert client.post(builds_url(repo, "/1/fork"), headers=admin.headers, json={"x": 1}).status_code == 400
    assert client.post(builds_url(repo, "/9/cancel"), headers=admin.headers).status_code == 404


def test_approve_and_decline_blocked_builds(client: FlaskClient, admin: Caller, alice: Caller, repo: dict):
    blocked_build(repo)
    grant(alice, repo["id"], "push")
    approved = client.post(builds_url(repo, "/1/approve"), headers=alice.headers)
    assert approved.status_code == 200 and approved.get_json()["status"] != "blocked"
    assert client.post(builds_url(repo, "/1/approve"), headers=alice.headers).status_code == 409
    assert client.post(builds_url(repo, "/1/decline"), headers=alice.headers).status_code == 409


def test_decline(client: FlaskClient, admin: Caller, repo: dict):
    blocked_build(repo)
    declined = client.post(builds_url(repo, "/1/decline"), headers=admin.headers)
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"


def test_acting_needs_push_permission(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    blocked_build(repo)
    actions = ("", "/1/restart", "/1/fork", "/1/cancel", "/1/approve", "/1/decline")
    for action in actions:
        assert client.post(builds_url(repo, action), json={}).status_code == 401, action
        assert client.post(builds_url(repo, action), headers=bob.headers, json={}).status_code == 404, action
    grant(alice, repo["id"], "pull")
    for action in actions:
        assert client.post(builds_url(repo, action), headers=alice.headers, json={}).status_code == 403, action

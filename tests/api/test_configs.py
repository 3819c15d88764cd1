"""Configs: GET, POST /api/repos/{repo_id}/configs · GET, PATCH, DELETE …/configs/{config_id}."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, grant

PIPELINE = "pipeline:\n  test:\n    image: alpine\n    commands: [make test]\n"


def url(repo: dict, suffix: str = "") -> str:
    """Return the configs URL of a repo."""
    return f"/api/repos/{repo['id']}/configs{suffix}"


def test_create_inline_config_with_branch_filters(client: FlaskClient, admin: Caller, repo: dict):
    body = {"name": "release", "content": PIPELINE, "branches": {"include": ["release/*"], "exclude": ["release/old"]}}
    answer = client.post(url(repo), headers=admin.headers, json=body)
    assert answer.status_code == 201
    made = answer.get_json()
    assert made == {"id": made["id"], "name": "release", "path": None, "content": PIPELINE,
                    "branches": {"include": ["release/*"], "exclude": ["release/old"]}}
    assert client.get(url(repo, f"/{made['id']}"), headers=admin.headers).get_json() == made


def test_branches_default_to_empty_lists(client: FlaskClient, admin: Caller, repo: dict):
    made = client.post(url(repo), headers=admin.headers, json={"name": "ci", "path": "ci/pipeline.yml"}).get_json()
    assert made["branches"] == {"include": [], "exclude": []} and made["content"] is None


def test_exactly_one_of_path_and_content(client: FlaskClient, admin: Caller, repo: dict):
    for body in ({"name": "x"}, {"name": "x", "path": "a.yml", "content": PIPELINE},
                 {"name": "x", "path": None, "content": None}):
        answer = client.post(url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400, body
        assert set(answer.get_json()["fields"]) == {"path", "content"}, body


def test_invalid_configs_are_400(client: FlaskClient, admin: Caller, repo: dict):
    cases = (({"name": "", "path": "a"}, "name"), ({"name": "x", "path": "a", "branches": {"only": ["main"]}},
                                                     "branches.only"),
             ({"name": "x", "path": "a", "branches": {"include": [1]}}, "branches.include.0"),
             ({"name": "x", "content": "a" * (512 * 1024 + 1)}, "content"))
    for body, field in cases:
        answer = client.post(url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], field


def test_names_are_unique_per_repo(client: FlaskClient, admin: Caller, repo: dict):
    answer = client.post(url(repo), headers=admin.headers, json={"name": "default", "path": "other.yml"})
    assert answer.status_code == 409


def test_list_is_paginated(client: FlaskClient, admin: Caller, repo: dict):
    client.post(url(repo), headers=admin.headers, json={"name": "second", "path": "b.yml"})
    answer = client.get(url(repo, "?per_page=1&page=2"), headers=admin.headers)
    assert answer.headers["X-Total-Count"] == "2"
    assert [c["name"] for c in answer.get_json()] == ["second"]


def test_patch_switches_between_path_and_content(client: FlaskClient, admin: Caller, repo: dict):
    [default] = client.get(url(repo), headers=admin.headers).get_json()
    inline = client.patch(url(repo, f"/{default['id']}"), headers=admin.headers, json={"content": PIPELINE})
    assert inline.status_code == 200
    assert (inline.get_json()["path"], inline.get_json()["content"]) == (None, PIPELINE)
    back = client.patch(url(repo, f"/{default['id']}"), headers=admin.headers,
                        json={"path": "x.yml", "branches": {"include": ["main"]}})
    assert (back.get_json()["path"], back.get_json()["content"]) == ("x.yml", None)
    assert back.get_json()["branches"] == {"include": ["main"], "exclude": []}
    neither = client.patch(url(repo, f"/{default['id']}"), headers=admin.headers, json={"path": None})
    assert neither.status_code == 400
    both = client.patch(url(repo, f"/{default['id']}"), headers=admin.headers, json={"path": "a", "content": "b"})
    assert both.status_code == 400


def test_delete_config(client: FlaskClient, admin: Caller, repo: dict):
    [default] = client.get(url(repo), headers=admin.headers).get_json()
    assert client.delete(url(repo, f"/{default['id']}"), headers=admin.headers).status_code == 204
    assert client.get(url(repo, f"/{default['id']}"), headers=admin.headers).status_code == 404
    assert client.delete(url(repo, f"/{default['id']}"), headers=admin.headers).status_code == 404


def test_permissions(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    assert client.get(url(repo)).status_code == 401
    assert client.get(url(repo), headers=bob.headers).status_code == 404
    grant(alice, repo["id"], "push")
    listed = client.get(url(repo), headers=alice.headers)
    assert listed.status_code == 200
    config_id = listed.get_json()[0]["id"]
    assert client.post(url(repo), headers=alice.headers, json={"name": "n", "path": "p"}).status_code == 403
    assert client.patch(url(repo, f"/{config_id}"), headers=alice.headers, json={"path": "p"}).status_code == 403
    assert client.delete(url(repo, f"/{config_id}"), headers=alice.headers).status_code == 403
    assert client.get(url(repo, f"/{config_id}"), headers=bob.headers).status_code == 404


def test_a_config_of_another_repo_is_404(client: FlaskClient, admin: Caller, repo: dict):
    other = client.post("/api/repos", headers=admin.headers,
                        json={"scm_id": repo["scm_id"], "full_name": "acme/lib"}).get_json()
    [foreign] = client.get(url(other), headers=admin.headers).get_json()
    assert client.get(url(repo, f"/{foreign['id']}"), headers=admin.headers).status_code == 404

"""The Gitea and Gogs clients against a fake server on loopback (API v1 shapes from their docs)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from circle.errors import NotFound, NotSupported, RemoteAuthError
from circle.remote import get_remote

FAST = {"retries": 2, "backoff": 0.01}
SHA = "4522cbcefc20728a5b72b3a86af35e608622c514"


def repo_json(base: str, owner: str, name: str, private: bool = False) -> dict:
    """A repository object as GET /user/repos lists it."""
    return {
        "id": abs(hash(name)) % 10**6,
        "owner": {
            "id": 1,
            "login": owner,
            "full_name": "",
            "email": f"{owner}@noreply.example.org",
            "avatar_url": f"{base}/avatars/1",
            "username": owner,
        },
        "name": name,
        "full_name": f"{owner}/{name}",
        "description": "",
        "empty": False,
        "private": private,
        "fork": False,
        "mirror": False,
        "html_url": f"{base}/{owner}/{name}",
        "ssh_url": f"git@127.0.0.1:{owner}/{name}.git",
        "clone_url": f"{base}/{owner}/{name}.git",
        "default_branch": "main",
        "permissions": {"admin": False, "push": True, "pull": True},
    }


@pytest.fixture
def gitea(fake_host):
    """A Gitea remote with a token, pointed at the fake host."""
    return get_remote("gitea", fake_host.url, token="gta_good", **FAST)


def test_repos_follow_link_pagination(fake_host, gitea) -> None:
    base = fake_host.url

    def repos(call):
        if call.query.get("page") == "2":
            return 200, {"X-Total-Count": "3"}, [repo_json(base, "org", "three", private=True)]
        nxt = f"{base}/api/v1/user/repos?limit=50&page=2"
        return (
            200,
            {"Link": f'<{nxt}>; rel="next",<{nxt}>; rel="last"', "X-Total-Count": "3"},
            [repo_json(base, "gitea", "one"), repo_json(base, "gitea", "two")],
        )

    fake_host.on("GET", "/api/v1/user/repos", repos)
    listed = gitea.repos()
    assert [r.full_name for r in listed] == ["gitea/one", "gitea/two", "org/three"]
    assert listed[2].private and listed[0].owner == "gitea" and listed[0].default_branch == "main"
    assert fake_host.calls[0].headers["Authorization"] == "token gta_good"


def test_raw_file_at_ref(fake_host, gitea) -> None:
    fake_host.on(
        "GET",
        "/api/v1/repos/gitea/test/raw/.circle.yml",
        lambda call: (
            (200, {"Content-Type": "text/plain; charset=utf-8"}, b"steps: []\n")
            if call.query.get("ref") == SHA
            else (
                404,
                {},
                {"errors": None, "message": "The target couldn't be found.", "url": f"{fake_host.url}/api/swagger"},
            )
        ),
    )
    assert gitea.file("gitea/test", SHA, ".circle.yml") == b"steps: []\n"
    with pytest.raises(NotFound, match="not found in gitea/test at main"):
        gitea.file_ref("gitea/test", "main", ".circle.yml")


def test_status_maps_states(fake_host, gitea) -> None:
    path = f"/api/v1/repos/gitea/test/statuses/{SHA}"
    fake_host.on("POST", path, (201, {}, {"id": 1, "status": "pending", "context": "circle/default"}))
    gitea.status("gitea/test", SHA, "blocked", "circle/default", "http://ci/b/3")
    gitea.status("gitea/test", SHA, "success", "circle/default", "http://ci/b/3")
    assert [c.json["state"] for c in fake_host.made("POST", path)] == ["pending", "success"]
    assert fake_host.made("POST", path)[0].json["description"] == "The build is waiting for approval"


def test_hook_create_and_delete(fake_host, gitea) -> None:
    hooks = "/api/v1/repos/gitea/test/hooks"
    mine = {
        "id": 4,
        "type": "gitea",
        "active": True,
        "events": ["push"],
        "config": {"content_type": "json", "url": "https://ci.example.com/hook/2/5?token=a"},
    }
    fake_host.on("GET", hooks, (200, {}, [mine]))
    fake_host.on("POST", hooks, (201, {}, {**mine, "id": 5}))
    fake_host.on("DELETE", hooks + r"/\d+", (204, {}, b""))
    gitea.activate("gitea/test", "https://ci.example.com/hook/2/5?token=b", "s3cret")
    body = fake_host.made("POST", hooks)[0].json
    assert body["type"] == "gitea" and body["active"] is True
    assert body["config"] == {
        "url": "https://ci.example.com/hook/2/5?token=b",
        "content_type": "json",
        "secret": "s3cret",
    }
    assert set(body["events"]) == {"push", "create", "pull_request"}
    gitea.deactivate("gitea/test", "https://ci.example.com/hook/2/5")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == [hooks + "/4", hooks + "/4"]


def test_401_becomes_an_auth_error_naming_the_host(fake_host) -> None:
    fake_host.on("GET", "/api/v1/user/repos", (401, {}, {"message": "user does not exist [uid: 0, name: ]", "url": ""}))
    with pytest.raises(RemoteAuthError, match=f"Gitea at {fake_host.url} refused the credentials"):
        get_remote("gitea", fake_host.url, username="alice", password="wrong", **FAST).repos()
    assert fake_host.calls[0].headers["Authorization"].startswith("Basic ")


def test_branch_head_and_commit(fake_host, gitea) -> None:
    fake_host.on(
        "GET",
        "/api/v1/repos/gitea/test/branches/main",
        (
            200,
            {},
            {"name": "main", "commit": {"id": SHA, "message": "Updated readme\n", "author": {"name": "Unknwon"}}},
        ),
    )
    fake_host.on(
        "GET",
        f"/api/v1/repos/gitea/test/git/commits/{SHA}",
        (
            200,
            {},
            {
                "sha": SHA,
                "html_url": f"{fake_host.url}/gitea/test/commit/{SHA}",
                "commit": {"message": "Updated readme\n", "author": {"name": "Unknwon", "email": "u@gogs.io"}},
                "author": {"login": "unknwon", "avatar_url": "a.png"},
            },
        ),
    )
    assert gitea.branch_head("gitea/test", "main") == SHA
    commit = gitea.commit("gitea/test", SHA)
    assert (commit.author, commit.author_name, commit.message) == ("unknwon", "Unknwon", "Updated readme\n")


def test_gogs_paths_and_missing_status_api(fake_host) -> None:
    gogs = get_remote("gogs", fake_host.url, token="gogs_t", **FAST)
    fake_host.on("GET", "/api/v1/repos/gogits/hello/raw/v1.0/ci/.circle.yml", (200, {}, b"x: 1\n"))
    fake_host.on("GET", "/api/v1/user/repos", (200, {}, [repo_json(fake_host.url, "gogits", "hello")]))
    assert gogs.file_ref("gogits/hello", "v1.0", "ci/.circle.yml") == b"x: 1\n"
    assert [r.full_name for r in gogs.repos()] == ["gogits/hello"]
    with pytest.raises(NotSupported, match="no commit status API"):
        gogs.status("gogits/hello", SHA, "success", "circle", "http://ci")


def test_gogs_pull_request_sha_is_resolved_through_the_api(fake_host) -> None:
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "webhooks" / "gogs"
    if not corpus.exists():
        pytest.skip(f"webhook corpus not found at {corpus}")
    body = (corpus / "pull_request_opened.json").read_bytes()
    headers = json.loads((corpus / "pull_request_opened.headers.json").read_text())
    fake_host.on(
        "GET",
        "/api/v1/repos/gogits/hello-world/branches/feature",
        (200, {}, {"name": "feature", "commit": {"id": SHA, "message": "huge improvements"}}),
    )
    event = get_remote("gogs", fake_host.url, token="t", **FAST).hook(headers, body)
    assert (event.kind, event.number, event.sha, event.ref) == ("pull_request", 2, SHA, "refs/pull/2/head")


def test_a_directory_lists_its_files_through_the_contents_api(fake_host, gitea) -> None:
    """Gitea (and Gogs, which shares the client) answer a directory's contents as a list."""
    def entry(kind: str, path: str) -> dict:
        return {"name": path.rsplit("/", 1)[-1], "path": path, "sha": "d3b07384d113edec49eaa6238ad5ff00",
                "last_commit_sha": SHA, "type": kind, "size": 40, "encoding": None, "content": None,
                "target": None, "url": None, "html_url": None, "git_url": None, "download_url": None,
                "submodule_git_url": None, "_links": {}}

    fake_host.on("GET", "/api/v1/repos/gitea/test/contents/.woodpecker",
                 (200, {}, [entry("file", ".woodpecker/build.yml"), entry("dir", ".woodpecker/lib")]))
    fake_host.on("GET", "/api/v1/repos/gitea/test/contents/nope",
                 (404, {}, {"errors": None, "message": "object does not exist", "url": ""}))
    assert gitea.dir("gitea/test", SHA, ".woodpecker") == [".woodpecker/build.yml"]
    assert fake_host.made("GET", "/api/v1/repos/gitea/test/contents/.woodpecker")[0].query == {"ref": SHA}
    with pytest.raises(NotFound):
        gitea.dir("gitea/test", SHA, "nope")


def test_a_pull_requests_files_are_listed_and_gogs_cannot_say(fake_host, gitea) -> None:
    fake_host.on("GET", "/api/v1/repos/gitea/hello/pulls/3/files", (200, {}, [
        {"filename": "a.txt", "status": "added"}, {"filename": "b/c.go", "previous_filename": "b/old.go"}]))
    assert gitea.changed_files("gitea/hello", 3) == ["a.txt", "b/c.go", "b/old.go"]
    assert get_remote("gogs", fake_host.url, token="t", **FAST).changed_files("gogits/hello", 3) is None
    assert not fake_host.made("GET", "/api/v1/repos/gogits/hello/pulls/3/files")

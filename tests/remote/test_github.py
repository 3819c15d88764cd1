"""The GitHub client against a fake GitHub Enterprise on loopback (REST v3 shapes from GitHub's docs)."""
from __future__ import annotations

import base64
import time

import pytest

from circle.errors import NotFound, RemoteAuthError, RemoteError
from circle.remote import get_remote

FAST = {"retries": 2, "backoff": 0.01}
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def repo_json(base: str, owner: str, name: str, private: bool = False) -> dict:
    """A repository object as GET /user/repos lists it."""
    return {
        "id": abs(hash(name)) % 10**6,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": {"login": owner, "id": 1, "avatar_url": f"{base}/avatars/u/1", "type": "User", "site_admin": False},
        "private": private,
        "html_url": f"{base}/{owner}/{name}",
        "description": "This your first repo!",
        "fork": False,
        "url": f"{base}/api/v3/repos/{owner}/{name}",
        "clone_url": f"{base}/{owner}/{name}.git",
        "ssh_url": f"git@127.0.0.1:{owner}/{name}.git",
        "default_branch": "master",
        "visibility": "private" if private else "public",
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    }


@pytest.fixture
def github(fake_host):
    """A GitHub remote with a token, pointed at the fake host."""
    return get_remote("github", fake_host.url, token="ghp_good", **FAST)


def test_repos_follow_link_pagination(fake_host, github) -> None:
    base = fake_host.url
    page2 = f"{base}/api/v3/user/repos?per_page=100&page=2"
    fake_host.on(
        "GET",
        "/api/v3/user/repos",
        lambda call: (
            (200, {}, [repo_json(base, "octocat", "three", private=True)])
            if call.query.get("page") == "2"
            else (
                200,
                {"Link": f'<{page2}>; rel="next", <{page2}>; rel="last"'},
                [repo_json(base, "octocat", "one"), repo_json(base, "octo-org", "two")],
            )
        ),
    )
    repos = github.repos()
    assert [r.full_name for r in repos] == ["octocat/one", "octo-org/two", "octocat/three"]
    assert repos[2].private and repos[2].clone_url == f"{base}/octocat/three.git"
    assert repos[1].owner == "octo-org" and repos[1].default_branch == "master"
    calls = fake_host.made("GET", "/api/v3/user/repos")
    assert [c.query.get("page") for c in calls] == [None, "2"]
    assert all(c.headers["Authorization"] == "Bearer ghp_good" for c in calls)
    assert calls[0].headers["Accept"] == "application/vnd.github+json"


def test_a_pagination_link_to_another_host_is_not_followed(fake_host, github) -> None:
    fake_host.on("GET", "/api/v3/user/repos", (200, {"Link": '<http://127.0.0.2:1/steal>; rel="next"'}, []))
    with pytest.raises(RemoteError, match="another host"):
        github.repos()


def test_file_at_ref_is_decoded_and_a_missing_file_is_not_found(fake_host, github) -> None:
    content = b"pipeline:\n  test:\n    image: golang\n"

    def contents(call):
        if call.query.get("ref") != SHA:
            return 404, {}, {"message": "No commit found for the ref", "documentation_url": "https://docs.github.com"}
        return (
            200,
            {},
            {
                "type": "file",
                "encoding": "base64",
                "size": len(content),
                "name": ".circle.yml",
                "path": ".circle.yml",
                "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
                "content": base64.encodebytes(content).decode(),
                "_links": {},
            },
        )

    fake_host.on("GET", "/api/v3/repos/octocat/hello/contents/.circle.yml", contents)
    assert github.file("octocat/hello", SHA, ".circle.yml") == content
    with pytest.raises(NotFound, match=r"\.circle\.yml not found in octocat/hello at nope"):
        github.file_ref("octocat/hello", "nope", ".circle.yml")


def test_status_maps_circle_states(fake_host, github) -> None:
    fake_host.on("POST", f"/api/v3/repos/octocat/hello/statuses/{SHA}", (201, {}, {"id": 1, "state": "pending"}))
    github.status("octocat/hello", SHA, "running", "circle/default", "http://ci/repos/1/builds/7")
    github.status("octocat/hello", SHA, "killed", "circle/default", "http://ci/repos/1/builds/7", "stopped by alice")
    first, second = (c.json for c in fake_host.made("POST", f"/api/v3/repos/octocat/hello/statuses/{SHA}"))
    assert first == {
        "state": "pending",
        "target_url": "http://ci/repos/1/builds/7",
        "description": "The build is running",
        "context": "circle/default",
    }
    assert second["state"] == "error" and second["description"] == "stopped by alice"


def test_activate_replaces_our_old_hook_and_deactivate_removes_it(fake_host, github) -> None:
    hooks = "/api/v3/repos/octocat/hello/hooks"
    old = {
        "type": "Repository",
        "id": 11,
        "name": "web",
        "active": True,
        "events": ["push"],
        "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://ci.example.com/hook/1/2?token=old"},
    }
    other = {**old, "id": 12, "config": {**old["config"], "url": "https://chat.example.com/notify"}}
    fake_host.on("GET", hooks, (200, {}, [old, other]))
    fake_host.on("POST", hooks, (201, {}, {**old, "id": 13}))
    fake_host.on("DELETE", hooks + r"/\d+", (204, {}, b""))
    github.activate("octocat/hello", "https://ci.example.com/hook/1/2?token=new", "s3cret")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == [hooks + "/11"]
    created = fake_host.made("POST", hooks)[0].json
    assert created["name"] == "web" and created["active"] is True
    assert set(created["events"]) >= {"push", "pull_request"}
    assert created["config"] == {
        "url": "https://ci.example.com/hook/1/2?token=new",
        "content_type": "json",
        "secret": "s3cret",
        "insecure_ssl": "0",
    }
    github.deactivate("octocat/hello", "https://ci.example.com/hook/1/2")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == [hooks + "/11", hooks + "/11"]


def test_401_becomes_an_auth_error_naming_the_host(fake_host) -> None:
    fake_host.on(
        "GET",
        "/api/v3/user/repos",
        (401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
    )
    remote = get_remote("github", fake_host.url, token="ghp_bad", **FAST)
    with pytest.raises(RemoteAuthError) as err:
        remote.repos()
    assert f"GitHub at {fake_host.url} refused the credentials" in str(err.value)
    assert "401 Unauthorized" in str(err.value) and "Bad credentials" not in str(err.value)  # no body (issue 16)
    assert len(fake_host.calls) == 1  # a 401 is not retried


def test_5xx_and_rate_limits_are_retried(fake_host, github) -> None:
    fake_host.on(
        "GET",
        "/api/v3/user",
        (502, {}, b"<html>bad gateway</html>"),
        (429, {"Retry-After": "0"}, {"message": "slow down"}),
        (200, {}, {"login": "octocat", "email": "octo@example.com", "avatar_url": "a.png"}),
    )
    assert github.user().login == "octocat"
    assert len(fake_host.calls) == 3


def test_5xx_that_persists_is_a_remote_error(fake_host, github) -> None:
    fake_host.on("GET", "/api/v3/repos/octocat/hello", (503, {}, {"message": "unavailable"}))
    with pytest.raises(RemoteError, match=r"failed on GET /api/v3/repos/octocat/hello \(503.*3 attempt"):
        github.repo("octocat/hello")


def test_a_down_scm_is_a_clear_remote_error(closed_port) -> None:
    remote = get_remote("github", f"http://127.0.0.1:{closed_port}", token="t", retries=1, backoff=0)
    with pytest.raises(RemoteError, match=f"cannot reach GitHub at http://127.0.0.1:{closed_port}: connection refused"):
        remote.repos()


def test_branch_head_commit_and_perm(fake_host, github) -> None:
    fake_host.on(
        "GET",
        "/api/v3/repos/octocat/hello/git/ref/heads/feature/x",
        (200, {}, {"ref": "refs/heads/feature/x", "object": {"type": "commit", "sha": SHA}}),
    )
    fake_host.on(
        "GET",
        f"/api/v3/repos/octocat/hello/commits/{SHA}",
        (
            200,
            {},
            {
                "sha": SHA,
                "html_url": f"{fake_host.url}/octocat/hello/commit/{SHA}",
                "commit": {
                    "message": "Fix all the bugs",
                    "author": {"name": "Monalisa Octocat", "email": "mona@github.com"},
                },
                "author": {"login": "octocat", "avatar_url": "https://avatars/octocat"},
            },
        ),
    )
    fake_host.on("GET", "/api/v3/repos/octocat/hello", (200, {}, repo_json(fake_host.url, "octocat", "hello")))
    assert github.branch_head("octocat/hello", "feature/x") == SHA
    commit = github.commit("octocat/hello", SHA)
    assert (commit.message, commit.author, commit.author_email) == ("Fix all the bugs", "octocat", "mona@github.com")
    perm = github.perm("octocat/hello")
    assert (perm.pull, perm.push, perm.admin) == (True, True, False)
    with pytest.raises(NotFound, match="no branch gone"):
        github.branch_head("octocat/hello", "gone")


def test_netrc_uses_the_token() -> None:
    netrc = get_remote("github", "https://github.com", token="ghp_x").netrc("octocat/hello")
    assert (netrc.machine, netrc.password) == ("github.com", "ghp_x")
    assert get_remote("github", "https://github.com").netrc("octocat/hello") is None


def test_an_exhausted_rate_limit_longer_than_max_wait_is_a_clear_error(fake_host, github) -> None:
    reset = str(int(time.time()) + 3600)
    fake_host.on(
        "GET",
        "/api/v3/user/repos",
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
            {"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com"},
        ),
    )
    with pytest.raises(RemoteError, match=r"is rate-limiting circle \(403 Forbidden\); try again in") as err:
        github.repos()
    assert "API rate limit exceeded" not in str(err.value)
    assert len(fake_host.calls) == 1


def test_hook_creation_is_not_retried_on_5xx(fake_host, github) -> None:
    fake_host.on("GET", "/api/v3/repos/octocat/hello/hooks", (200, {}, []))
    fake_host.on("POST", "/api/v3/repos/octocat/hello/hooks", (502, {}, {"message": "Server Error"}))
    with pytest.raises(RemoteError, match="failed on POST"):
        github.activate("octocat/hello", "https://ci.example.com/hook/1/2", "s3cret")
    assert len(fake_host.made("POST", "/api/v3/repos/octocat/hello/hooks")) == 1


def test_activate_and_deactivate_remove_our_hooks_of_the_repo_on_any_host(fake_host, github) -> None:
    """Hooks of this repo left by an old CIRCLE_HOST (or under a path prefix) go; other repos' and others' stay."""
    hooks = "/api/v3/repos/octocat/hello/hooks"
    urls = {21: "http://old-ci.internal:8000/hook/1/2?access_token=old", 22: "https://ci.example.com/ci/hook/1/2/",
            23: "https://ci.example.com/hook/1/23?access_token=x", 24: "https://ci.example.com/hook/3/2",
            25: "https://chat.example.com/notify/hook/1", 26: "https://ci.example.com/hook/1/2?access_token=stale"}
    listed = [{"id": hook_id, "name": "web", "active": True, "config": {"url": url}} for hook_id, url in urls.items()]
    fake_host.on("GET", hooks, (200, {}, listed))
    fake_host.on("POST", hooks, (201, {}, {"id": 30}))
    fake_host.on("DELETE", hooks + r"/\d+", (204, {}, b""))
    github.activate("octocat/hello", "https://ci.example.com/hook/1/2?access_token=new", "s3cret")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == [f"{hooks}/{i}" for i in (21, 22, 26)]
    github.deactivate("octocat/hello", "https://elsewhere.example.com/hook/1/2")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"][3:] == [f"{hooks}/{i}" for i in (21, 22, 26)]


def test_a_directory_lists_its_files_through_the_contents_api(fake_host, github) -> None:
    """dir() keeps the `file` entries of a contents listing; a file's (object) answer or a 404 is NotFound."""
    def entry(kind: str, path: str) -> dict:
        name = path.rsplit("/", 1)[-1]
        return {"type": kind, "size": 0 if kind == "dir" else 120, "name": name, "path": path,
                "sha": "fbe1d6b3a2f4c9a8e3b1b9b2c0d2f5a3e8b7c6d5", "url": f"{fake_host.url}/api/v3/x",
                "git_url": None, "html_url": None, "download_url": None, "_links": {}}

    listing = [entry("file", ".woodpecker/build.yml"), entry("dir", ".woodpecker/sub"),
               entry("file", ".woodpecker/test.yaml")]
    fake_host.on("GET", "/api/v3/repos/octocat/hello/contents/.woodpecker", (200, {}, listing))
    fake_host.on("GET", "/api/v3/repos/octocat/hello/contents/.circle.yml",
                 (200, {}, {**entry("file", ".circle.yml"), "encoding": "base64", "content": ""}))
    fake_host.on("GET", "/api/v3/repos/octocat/hello/contents/missing",
                 (404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com"}))
    assert github.dir("octocat/hello", SHA, ".woodpecker") == [".woodpecker/build.yml", ".woodpecker/test.yaml"]
    assert fake_host.made("GET", "/api/v3/repos/octocat/hello/contents/.woodpecker")[0].query == {"ref": SHA}
    with pytest.raises(NotFound, match="not a directory"):
        github.dir("octocat/hello", SHA, ".circle.yml")
    with pytest.raises(NotFound, match="missing not found"):
        github.dir("octocat/hello", SHA, "missing")


def test_a_pull_requests_files_are_listed_over_every_page(fake_host, github) -> None:
    """GET …/pulls/{n}/files, paged by Link; a rename names both paths; a 404 is an error, not an empty list."""
    files = "/api/v3/repos/octocat/hello/pulls/7/files"
    page2 = f"{fake_host.url}{files}?per_page=100&page=2"
    fake_host.on("GET", files, lambda call: (
        (200, {}, [{"filename": "src/b.go", "status": "modified"}]) if call.query.get("page") == "2" else
        (200, {"Link": f'<{page2}>; rel="next"'}, [{"filename": "docs/new.md", "status": "renamed",
                                                     "previous_filename": "docs/old.md"}])))
    assert github.changed_files("octocat/hello", 7) == ["docs/new.md", "docs/old.md", "src/b.go"]
    with pytest.raises(NotFound):
        github.changed_files("octocat/hello", 8)

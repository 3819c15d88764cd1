"""The GitLab client against a fake GitLab on loopback (API v4 shapes from GitLab's docs)."""
from __future__ import annotations

import pytest

from circle.errors import NotFound, RemoteAuthError
from circle.remote import get_remote

FAST = {"retries": 2, "backoff": 0.01}
SHA = "2adc9465c4edfc33834e173fe89436a7cb899a1d"
PROJECT = "/api/v4/projects/diaspora%2Fdiaspora-client"


def project_json(base: str, path: str, *, visibility: str = "private", level: int = 30) -> dict:
    """A project object as GET /projects lists it."""
    group, _, name = path.rpartition("/")
    return {
        "id": abs(hash(path)) % 10**6,
        "description": None,
        "name": name.title(),
        "name_with_namespace": f"{group.title()} / {name.title()}",
        "path": name,
        "path_with_namespace": path,
        "created_at": "2013-09-30T13:46:02Z",
        "default_branch": "main",
        "ssh_url_to_repo": f"git@127.0.0.1:{path}.git",
        "http_url_to_repo": f"{base}/{path}.git",
        "web_url": f"{base}/{path}",
        "visibility": visibility,
        "namespace": {"id": 3, "name": group.title(), "path": group, "kind": "group", "full_path": group},
        "permissions": {"project_access": {"access_level": level, "notification_level": 3}, "group_access": None},
    }


def page_headers(base: str, page: int, pages: int) -> dict[str, str]:
    """GitLab's offset-pagination headers."""
    link = f"{base}/api/v4/projects?membership=true&page={{}}&per_page=100"
    rels = [f'<{link.format(1)}>; rel="first"', f'<{link.format(pages)}>; rel="last"']
    if page < pages:
        rels.insert(0, f'<{link.format(page + 1)}>; rel="next"')
    return {
        "Link": ", ".join(rels),
        "X-Page": str(page),
        "X-Per-Page": "100",
        "X-Total-Pages": str(pages),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Total": str(pages * 2),
    }


@pytest.fixture
def gitlab(fake_host):
    """A GitLab remote with a personal access token, pointed at the fake host."""
    return get_remote("gitlab", fake_host.url, token="glpat-good", **FAST)


def test_projects_follow_pagination(fake_host, gitlab) -> None:
    base = fake_host.url

    def projects(call):
        page = int(call.query.get("page", "1"))
        names = [["diaspora/diaspora-client", "diaspora/puppet"], ["brightbox/deep/nested-repo"]][page - 1]
        return (
            200,
            page_headers(base, page, 2),
            [project_json(base, n, visibility="public" if page == 2 else "private") for n in names],
        )

    fake_host.on("GET", "/api/v4/projects", projects)
    repos = gitlab.repos()
    assert [r.full_name for r in repos] == ["diaspora/diaspora-client", "diaspora/puppet", "brightbox/deep/nested-repo"]
    assert repos[2].owner == "brightbox/deep" and repos[2].name == "nested-repo" and not repos[2].private
    assert repos[0].clone_url == f"{base}/diaspora/diaspora-client.git" and repos[0].private
    first = fake_host.made("GET", "/api/v4/projects")[0]
    assert first.query["membership"] == "true" and first.headers["Authorization"] == "Bearer glpat-good"


def test_raw_file_at_ref(fake_host, gitlab) -> None:
    fake_host.on(
        "GET",
        PROJECT + "/repository/files/ci%2Fbuild.yml/raw",
        lambda call: (
            (200, {"Content-Type": "text/plain"}, b"pipeline: {}\n")
            if call.query.get("ref") == SHA
            else (404, {}, {"message": "404 File Not Found"})
        ),
    )
    assert gitlab.file("diaspora/diaspora-client", SHA, "ci/build.yml") == b"pipeline: {}\n"
    with pytest.raises(NotFound, match="ci/build.yml not found in diaspora/diaspora-client at main"):
        gitlab.file_ref("diaspora/diaspora-client", "main", "ci/build.yml")


def test_status_maps_states_and_tolerates_a_repeated_transition(fake_host, gitlab) -> None:
    path = f"{PROJECT}/statuses/{SHA}"
    fake_host.on(
        "POST",
        path,
        (201, {}, {"id": 93, "sha": SHA, "status": "running", "name": "circle/default"}),
        (
            400,
            {},
            {
                "message": 'Cannot transition status via :run from :running'
                ' (Reason(s): Status cannot transition via "run")'
            },
        ),
        (201, {}, {"id": 94, "status": "failed"}),
    )
    gitlab.status("diaspora/diaspora-client", SHA, "running", "circle/default", "http://ci/b/1")
    gitlab.status("diaspora/diaspora-client", SHA, "running", "circle/default", "http://ci/b/1")
    gitlab.status("diaspora/diaspora-client", SHA, "error", "circle/default", "http://ci/b/1")
    bodies = [c.json for c in fake_host.made("POST", path)]
    assert [b["state"] for b in bodies] == ["running", "running", "failed"]
    assert bodies[0] == {
        "state": "running",
        "name": "circle/default",
        "target_url": "http://ci/b/1",
        "description": "The build is running",
    }


def test_hook_create_and_delete(fake_host, gitlab) -> None:
    hooks = PROJECT + "/hooks"
    existing = {
        "id": 1,
        "url": "https://ci.example.com/hook/4/9?token=old",
        "project_id": 3,
        "push_events": True,
        "tag_push_events": True,
        "merge_requests_events": True,
        "enable_ssl_verification": True,
        "created_at": "2012-10-12T17:04:47Z",
    }
    fake_host.on("GET", hooks, (200, {}, [existing]))
    fake_host.on("POST", hooks, (201, {}, {**existing, "id": 2}))
    fake_host.on("DELETE", hooks + r"/\d+", (204, {}, b""))
    gitlab.activate("diaspora/diaspora-client", "https://ci.example.com/hook/4/9?token=new", "s3cret")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == [hooks + "/1"]
    body = fake_host.made("POST", hooks)[0].json
    assert body["url"] == "https://ci.example.com/hook/4/9?token=new" and body["token"] == "s3cret"
    assert body["push_events"] and body["tag_push_events"] and body["merge_requests_events"]


def test_401_becomes_an_auth_error_naming_the_host(fake_host) -> None:
    fake_host.on("GET", "/api/v4/projects", (401, {}, {"message": "401 Unauthorized"}))
    with pytest.raises(RemoteAuthError, match=f"GitLab at {fake_host.url} refused the credentials .*401 Unauthorized"):
        get_remote("gitlab", fake_host.url, token="expired", **FAST).repos()


def test_password_login_uses_the_oauth_password_grant(fake_host) -> None:
    fake_host.on(
        "POST",
        "/oauth/token",
        (
            200,
            {},
            {
                "access_token": "de6780bc506a0446309bd9362820ba8aed28aa506c71eedbe1c5c4f9dd350e54",
                "token_type": "Bearer",
                "refresh_token": "x",
                "created_at": 1607635748,
            },
        ),
    )
    fake_host.on(
        "GET",
        "/api/v4/user",
        (
            200,
            {},
            {
                "id": 1,
                "username": "john_smith",
                "email": "john@example.com",
                "avatar_url": "http://localhost:3000/uploads/user/avatar/1/index.jpg",
            },
        ),
    )
    remote = get_remote("gitlab", fake_host.url, username="john_smith", password="pw", **FAST)
    assert remote.user().login == "john_smith"
    grant = fake_host.made("POST", "/oauth/token")[0]
    assert b"grant_type=password" in grant.body and b"username=john_smith" in grant.body
    assert fake_host.made("GET", "/api/v4/user")[0].headers["Authorization"].startswith("Bearer de6780bc")


def test_branch_head_commit_and_perm(fake_host, gitlab) -> None:
    fake_host.on(
        "GET",
        PROJECT + "/repository/branches/feature%2Fx",
        (
            200,
            {},
            {"name": "feature/x", "merged": False, "protected": False, "commit": {"id": SHA, "short_id": SHA[:8]}},
        ),
    )
    fake_host.on(
        "GET",
        PROJECT + f"/repository/commits/{SHA}",
        (
            200,
            {},
            {
                "id": SHA,
                "short_id": SHA[:8],
                "title": "Sanitize for network graph",
                "message": "Sanitize for network graph\n",
                "author_name": "randx",
                "author_email": "user@example.com",
                "web_url": f"{fake_host.url}/c/{SHA}",
            },
        ),
    )
    fake_host.on("GET", PROJECT, (200, {}, project_json(fake_host.url, "diaspora/diaspora-client", level=40)))
    assert gitlab.branch_head("diaspora/diaspora-client", "feature/x") == SHA
    assert gitlab.commit("diaspora/diaspora-client", SHA).author_email == "user@example.com"
    perm = gitlab.perm("diaspora/diaspora-client")
    assert (perm.pull, perm.push, perm.admin) == (True, True, True)


def test_a_directory_lists_its_blobs_through_the_tree_api(fake_host, gitlab) -> None:
    """dir() keeps the blobs of GET /projects/:id/repository/tree; GitLab's 404 for a missing path is NotFound."""
    tree = [{"id": "a1e8f8d745cc87e3a9248358d9352bb7f9a0aeba", "name": "build.yml", "type": "blob",
             "path": ".woodpecker/build.yml", "mode": "100644"},
            {"id": "4535904260b1082e14f867f7a24fd8c21495bde3", "name": "sub", "type": "tree",
             "path": ".woodpecker/sub", "mode": "040000"}]
    fake_host.on("GET", PROJECT + "/repository/tree",
                 lambda call: (200, {}, tree) if call.query.get("path") == ".woodpecker"
                 else (404, {}, {"message": "404 Tree Not Found"}))
    assert gitlab.dir("diaspora/diaspora-client", SHA, ".woodpecker") == [".woodpecker/build.yml"]
    assert fake_host.made("GET", PROJECT + "/repository/tree")[0].query["ref"] == SHA
    with pytest.raises(NotFound):
        gitlab.dir("diaspora/diaspora-client", SHA, "missing")


def test_a_merge_requests_files_are_its_diffs_paths(fake_host, gitlab) -> None:
    fake_host.on("GET", "/api/v4/projects/group%2Fapp/merge_requests/5/diffs", (200, {}, [
        {"old_path": "README.md", "new_path": "README.md", "new_file": False},
        {"old_path": "lib/old.rb", "new_path": "lib/new.rb", "renamed_file": True}]))
    assert gitlab.changed_files("group/app", 5) == ["README.md", "lib/new.rb", "lib/old.rb"]

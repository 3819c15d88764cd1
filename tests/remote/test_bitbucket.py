"""The Bitbucket Cloud client against a fake server on loopback (API 2.0 shapes from Atlassian's docs)."""
from __future__ import annotations

import pytest

from circle.errors import RemoteAuthError
from circle.remote import get_remote

FAST = {"retries": 2, "backoff": 0.01}
SHA = "141977fedf5cf35aa290ac87d4b5177ac4cd9de1"


def repo_json(base: str, full_name: str) -> dict:
    """A repository object as GET /repositories lists it."""
    workspace, slug = full_name.split("/")
    return {
        "type": "repository",
        "full_name": full_name,
        "name": slug.title(),
        "slug": slug,
        "is_private": True,
        "mainbranch": {"type": "branch", "name": "develop"},
        "owner": {"type": "team", "username": workspace, "display_name": workspace.title()},
        "links": {
            "html": {"href": f"{base}/{full_name}"},
            "clone": [
                {"name": "https", "href": f"http://alice@127.0.0.1:{base.rsplit(':', 1)[1]}/{full_name}.git"},
                {"name": "ssh", "href": f"git@127.0.0.1:{full_name}.git"},
            ],
        },
    }


@pytest.fixture
def bitbucket(fake_host):
    """A Bitbucket remote with a username and app password, pointed at the fake host."""
    return get_remote("bitbucket", fake_host.url, username="alice", password="app-pass", **FAST)


def test_repositories_follow_the_next_link(fake_host, bitbucket) -> None:
    base = fake_host.url
    fake_host.on(
        "GET",
        "/2.0/repositories",
        lambda call: (
            (200, {}, {"pagelen": 2, "page": 2, "size": 3, "values": [repo_json(base, "acme/three")]})
            if call.query.get("page") == "2"
            else (
                200,
                {},
                {
                    "pagelen": 2,
                    "page": 1,
                    "size": 3,
                    "next": f"{base}/2.0/repositories?role=member&pagelen=2&page=2",
                    "values": [repo_json(base, "acme/one"), repo_json(base, "alice/two")],
                },
            )
        ),
    )
    repos = bitbucket.repos()
    assert [r.full_name for r in repos] == ["acme/one", "alice/two", "acme/three"]
    assert repos[0].clone_url == f"{base}/acme/one.git" and repos[0].default_branch == "develop"
    assert fake_host.calls[0].query == {"role": "member", "pagelen": "100"}


def test_status_file_and_hooks(fake_host, bitbucket) -> None:
    status = f"/2.0/repositories/acme/one/commit/{SHA}/statuses/build"
    fake_host.on("POST", status, (201, {}, {"type": "build", "state": "INPROGRESS"}))
    fake_host.on("GET", f"/2.0/repositories/acme/one/src/{SHA}/.circle.yml", (200, {}, b"pipeline: {}\n"))
    fake_host.on(
        "GET",
        "/2.0/repositories/acme/one/hooks",
        (
            200,
            {},
            {
                "pagelen": 10,
                "values": [
                    {
                        "uuid": "{abc-1}",
                        "url": "https://ci.example.com/hook/3/4?token=x",
                        "events": ["repo:push"],
                        "active": True,
                    }
                ],
            },
        ),
    )
    fake_host.on("POST", "/2.0/repositories/acme/one/hooks", (201, {}, {"uuid": "{abc-2}"}))
    fake_host.on("DELETE", "/2.0/repositories/acme/one/hooks/.*", (204, {}, b""))
    bitbucket.status("acme/one", SHA, "running", "circle/default", "http://ci/b/1")
    assert fake_host.made("POST", status)[0].json["state"] == "INPROGRESS"
    assert bitbucket.file("acme/one", SHA, ".circle.yml") == b"pipeline: {}\n"
    bitbucket.activate("acme/one", "https://ci.example.com/hook/3/4?token=y", "s3cret")
    assert [c.path for c in fake_host.calls if c.method == "DELETE"] == ["/2.0/repositories/acme/one/hooks/%7Babc-1%7D"]
    created = fake_host.made("POST", "/2.0/repositories/acme/one/hooks")[0].json
    assert created["secret"] == "s3cret" and "repo:push" in created["events"]


def test_401_names_the_host(fake_host) -> None:
    fake_host.on("GET", "/2.0/user", (401, {}, {"type": "error", "error": {"message": "Invalid credentials"}}))
    with pytest.raises(RemoteAuthError, match=f"Bitbucket at {fake_host.url} refused the credentials") as err:
        get_remote("bitbucket", fake_host.url, token="bad", **FAST).user()
    assert "Invalid credentials" not in str(err.value)  # the answer's body is never echoed (issue 16)


def test_perm_reads_the_permissions_api(fake_host, bitbucket) -> None:
    fake_host.on(
        "GET",
        "/2.0/user/permissions/repositories",
        (
            200,
            {},
            {
                "pagelen": 10,
                "page": 1,
                "size": 1,
                "values": [
                    {"type": "repository_permission", "permission": "write", "repository": {"full_name": "acme/one"}}
                ],
            },
        ),
    )
    perm = bitbucket.perm("acme/one")
    assert (perm.pull, perm.push, perm.admin) == (True, True, False)
    assert fake_host.calls[0].query == {"q": 'repository.full_name="acme/one"'}


def test_a_directory_lists_its_files_through_src(fake_host, bitbucket) -> None:
    """dir() keeps the commit_file entries of GET …/src/{sha}/{path}/, across pages."""
    def entry(kind: str, path: str) -> dict:
        return {"path": path, "type": kind, "commit": {"type": "commit", "hash": SHA}, "attributes": [],
                "escaped_path": path, "size": 52, "mimetype": None, "links": {}}

    base = f"/2.0/repositories/acme/one/src/{SHA}/.woodpecker/"
    fake_host.on("GET", base, lambda call: (200, {}, {
        "pagelen": 1, "page": 2, "values": [entry("commit_file", ".woodpecker/test.yml")]}) if call.query.get("page")
        else (200, {}, {"pagelen": 2, "page": 1, "next": f"{fake_host.url}{base}?pagelen=100&page=2",
                        "values": [entry("commit_file", ".woodpecker/build.yml"),
                                   entry("commit_directory", ".woodpecker/sub")]}))
    assert bitbucket.dir("acme/one", SHA, ".woodpecker") == [".woodpecker/build.yml", ".woodpecker/test.yml"]

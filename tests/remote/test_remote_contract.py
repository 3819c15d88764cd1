"""What every SCM kind shares: the factory, forge detection and bad deliveries."""
from __future__ import annotations

import pytest

from circle.errors import IgnoreEvent, InvalidInput
from circle.remote import KINDS, HookEvent, detect_forge, get_remote

HTTP_KINDS = {
    "github": ("https://github.com", "X-GitHub-Event", "push"),
    "gitlab": ("https://gitlab.com", "X-Gitlab-Event", "Push Hook"),
    "gitea": ("https://gitea.example.com", "X-Gitea-Event", "push"),
    "gogs": ("https://gogs.example.com", "X-Gogs-Event", "push"),
    "bitbucket": ("https://bitbucket.org", "X-Event-Key", "repo:push"),
}


@pytest.mark.parametrize("kind", sorted(HTTP_KINDS))
def test_malformed_json_is_invalid_input(kind: str) -> None:
    url, name, value = HTTP_KINDS[kind]
    remote = get_remote(kind, url)
    with pytest.raises(InvalidInput, match="not valid JSON"):
        remote.hook({name: value}, b'{"ref": ')
    with pytest.raises(InvalidInput, match="not an object"):
        remote.hook({name: value}, b"[1, 2]")
    with pytest.raises(InvalidInput, match="has no"):
        remote.hook({name: value}, b"{}" if kind != "gitlab" else b'{"object_kind": "push"}')


@pytest.mark.parametrize(
    ("kind", "name", "value"),
    [
        ("github", "X-GitHub-Event", "issues"),
        ("gitlab", "X-Gitlab-Event", "Note Hook"),
        ("gitea", "X-Gitea-Event", "release"),
        ("gogs", "X-Gogs-Event", "fork"),
        ("bitbucket", "X-Event-Key", "repo:commit_comment_created"),
    ],
)
def test_unknown_forge_events_are_ignored_with_a_reason(kind: str, name: str, value: str) -> None:
    remote = get_remote(kind, HTTP_KINDS[kind][0])
    body = b'{"object_kind": "note", "repository": {"full_name": "a/b"}}'
    with pytest.raises(IgnoreEvent, match=f"'{value}'.*build"):
        remote.hook({name: value}, body)


def test_detect_forge_prefers_forge_specific_headers() -> None:
    assert detect_forge({"x-gitea-event": "push", "X-Gogs-Event": "push", "X-GitHub-Event": "push"}) == "gitea"
    assert detect_forge({"X-Gogs-Event": "push", "X-Github-Event": "push"}) == "gogs"
    assert detect_forge({"X-GitHub-Event": "ping"}) == "github"
    assert detect_forge({"X-Event-Key": "repo:push"}) == "bitbucket"
    assert detect_forge({"X-Circle-Event": "push"}) == "local"
    assert detect_forge({"Content-Type": "application/json"}) is None


def test_factory_rejects_unknown_kinds_options_and_urls() -> None:
    assert set(KINDS) == {"local", "github", "gitlab", "gitea", "gogs", "bitbucket"}
    with pytest.raises(InvalidInput, match="not an SCM kind"):
        get_remote("svn", "https://example.com")
    with pytest.raises(InvalidInput, match="unknown github SCM option"):
        get_remote("github", "https://github.com", retires=3)
    with pytest.raises(InvalidInput, match="not an http"):
        get_remote("gitea", "gitea.example.com")
    with pytest.raises(InvalidInput, match="owner/name"):
        get_remote("github", "https://github.com").repo("../../admin")
    with pytest.raises(InvalidInput, match="not a build state"):
        get_remote("github", "https://github.com").status("a/b", "0" * 40, "green", "ctx", "http://ci")


def test_hook_event_round_trips_through_json() -> None:
    event = HookEvent(kind="pull_request", event="pull_request", number=3, sha="abc", source_branch="f")
    assert HookEvent.from_json({**event.to_json(), "unknown": 1}) == event



def test_credentials_in_the_url_never_reach_messages():
    """user:password@ in an SCM URL becomes the login, and error messages show the URL without it."""
    from circle.errors import RemoteError
    from circle.remote import get_remote

    remote = get_remote("gitea", "http://robot:s3cret-pw@127.0.0.1:9", retries=0, timeout=1)
    assert (remote.username, remote.password, remote.url) == ("robot", "s3cret-pw", "http://127.0.0.1:9")
    with pytest.raises(RemoteError) as caught:
        remote.repos()
    assert "s3cret-pw" not in str(caught.value) and "127.0.0.1:9" in str(caught.value)

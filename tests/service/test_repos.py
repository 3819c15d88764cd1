"""Repo activation and deletion against a real HTTP code host on 127.0.0.1 (a small Gitea stand-in),
plus hook URLs, SCM remotes and repo permissions."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from circle.errors import Conflict, Forbidden, NotFound, RemoteAuthError, RemoteError
from circle.models import Repo, Scm, User
from circle.service import permissions, repos, scms
from circle.service.hook_url import hook_token, hook_url, verify_hook_token
from circle.store import configs, secrets, users
from circle.store import repos as repo_store
from circle.store import scms as scm_store
from loopback import serving

REPO_JSON = {"full_name": "acme/app", "name": "app", "owner": {"login": "acme"}, "default_branch": "trunk",
             "clone_url": "http://127.0.0.1/acme/app.git", "html_url": "http://127.0.0.1/acme/app", "private": True}


@dataclass
class Forge:
    """What the fake Gitea holds and how it misbehaves."""

    url: str = ""
    hooks: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    refuse_hooks: bool = False
    next_id: int = 1


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    """Return a request handler answering the Gitea API calls activation makes."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            forge.calls.append((method, path, self.headers.get("Authorization", "")))
            hooks = "/api/v1/repos/acme/app/hooks"
            if path == "/api/v1/repos/acme/app" and method == "GET":
                return self._send(200, REPO_JSON)
            if path.startswith(hooks) and forge.refuse_hooks:
                return self._send(401, {"message": "token is not allowed to manage hooks"})
            if path == hooks and method == "GET":
                return self._send(200, forge.hooks)
            if path == hooks and method == "POST":
                hook = {"id": forge.next_id, **json.loads(body)}
                forge.next_id += 1
                forge.hooks.append(hook)
                return self._send(201, hook)
            if path.startswith(hooks + "/") and method == "DELETE":
                forge.hooks[:] = [h for h in forge.hooks if str(h["id"]) != path.rsplit("/", 1)[1]]
                return self._send(204)
            return self._send(404, {"message": "not found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler


@pytest.fixture
def forge() -> Iterator[Forge]:
    """A fake Gitea listening on 127.0.0.1."""
    state = Forge()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))) as url:
        state.url = url
        yield state


@pytest.fixture
def alice(app: Flask) -> User:
    """A user without admin rights."""
    return users.create("alice")


@pytest.fixture
def scm(alice: User, forge: Forge, loopback_scms: None) -> Scm:
    """Alice's Gitea SCM with a token."""
    return scms.register(alice, {"kind": "gitea", "name": "forge", "url": forge.url, "username": "",
                                 "password": "", "token": "gitea-TOKEN"})


def test_activation_registers_a_signed_hook_and_stores_everything(alice: User, scm: Scm, forge: Forge):
    repo = repos.activate(alice, scm, "acme/app")
    assert (repo.full_name, repo.owner, repo.name, repo.default_branch, repo.private, repo.link) == (
        "acme/app", "acme", "app", "trunk", True, "http://127.0.0.1/acme/app")
    [hook] = forge.hooks
    assert hook["config"]["url"] == hook_url(repo)
    assert hook["config"]["secret"] == repo.hook_secret and len(repo.hook_secret) >= 32
    assert all(auth == "token gitea-TOKEN" for _, _, auth in forge.calls)
    assert secrets.get_by_name(repo.id, "netrc_password").value == "gitea-TOKEN"
    assert secrets.get_by_name(repo.id, "netrc_username").value == "oauth2"
    assert "pull_request" not in secrets.get_by_name(repo.id, "netrc_password").events
    [config] = configs.list_by_repo(repo.id)
    assert (config.name, config.path) == ("default", ".circle.yml")
    assert permissions.allows(alice, repo, permissions.ADMIN)


def test_activating_an_active_repo_is_a_conflict(alice: User, scm: Scm):
    repos.activate(alice, scm, "acme/app")
    with pytest.raises(Conflict):
        repos.activate(alice, scm, "acme/app")


def test_a_refused_hook_leaves_nothing_behind(alice: User, scm: Scm, forge: Forge):
    forge.refuse_hooks = True
    with pytest.raises(RemoteAuthError):
        repos.activate(alice, scm, "acme/app")
    assert repo_store.count() == 0
    assert secrets.count() == 0 and configs.count() == 0


def test_an_unknown_repository_creates_nothing(alice: User, scm: Scm):
    with pytest.raises(NotFound):
        repos.activate(alice, scm, "acme/none")
    assert repo_store.count() == 0


def test_delete_removes_the_hook_at_the_scm(alice: User, scm: Scm, forge: Forge):
    repo = repos.activate(alice, scm, "acme/app")
    repos.delete(repo)
    assert forge.hooks == [] and repo_store.count() == 0 and secrets.count() == 0


def test_delete_goes_on_when_the_scm_refuses(alice: User, scm: Scm, forge: Forge, caplog: pytest.LogCaptureFixture):
    repo = repos.activate(alice, scm, "acme/app")
    forge.refuse_hooks = True
    repos.delete(repo)
    assert repo_store.count() == 0
    assert "could not remove the hook" in caplog.text


def test_hook_url_carries_a_token_bound_to_scm_repo_and_nonce(alice: User, scm: Scm):
    repo = repos.activate(alice, scm, "acme/app")
    url = urlsplit(hook_url(repo))
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:8000", f"/hook/{scm.id}/{repo.id}")
    token = parse_qs(url.query)["access_token"][0]
    assert token == hook_token(repo)
    assert verify_hook_token(repo, token)
    assert not verify_hook_token(repo, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not verify_hook_token(repo, "")
    for other in ({"id": repo.id + 1}, {"scm_id": scm.id + 1}, {"hook_nonce": "0" * 32}):
        changed = Repo(**{"id": repo.id, "scm_id": scm.id, "hook_nonce": repo.hook_nonce, **other})
        assert not verify_hook_token(changed, token), other


def test_a_repo_activated_again_gets_a_new_token_and_secret(alice: User, scm: Scm, forge: Forge):
    """Deleting and re-activating a repo (SQLite hands the same id back) never revives the old hook URL."""
    first = repos.activate(alice, scm, "acme/app")
    old_token, old_secret = hook_token(first), first.hook_secret
    repos.delete(first)
    again = repos.activate(alice, scm_store.get(scm.id), "acme/app")
    assert not verify_hook_token(again, old_token) and again.hook_secret != old_secret
    assert [h["config"]["url"] for h in forge.hooks] == [hook_url(again)]


def test_remote_for_uses_the_decrypted_credentials(scm: Scm, forge: Forge):
    stored = scm_store.get(scm.id)
    netrc = scms.remote_for(stored).netrc("acme/app")
    assert netrc is not None and netrc.password == "gitea-TOKEN" and netrc.machine == "127.0.0.1"


def test_only_admins_register_local_scms(alice: User, tmp_path):
    with pytest.raises(Forbidden):
        scms.register(alice, {"kind": "local", "name": "disk", "url": str(tmp_path)})
    admin = users.create("root", admin=True)
    assert scms.register(admin, {"kind": "local", "name": "disk", "url": str(tmp_path)}).kind == "local"


def test_unreachable_scm_is_a_remote_error(alice: User, scm: Scm, forge: Forge, monkeypatch: pytest.MonkeyPatch):
    import circle.remote.http

    monkeypatch.setattr(circle.remote.http.time, "sleep", lambda seconds: None)
    scm_store.update(scm, url="http://127.0.0.1:1")
    with pytest.raises(RemoteError):
        repos.activate(alice, scm_store.get(scm.id), "acme/app")
    assert repo_store.count() == 0


def test_permission_levels(alice: User, scm: Scm):
    repo = repos.activate(alice, scm, "acme/app")
    bob = users.create("bob")
    with pytest.raises(NotFound):
        permissions.require(bob, repo, permissions.PULL)
    repo_store.set_perm(bob.id, repo.id, pull=True, push=False, admin=False)
    assert permissions.require(bob, repo, permissions.PULL) is repo
    with pytest.raises(Forbidden):
        permissions.require(bob, repo, permissions.PUSH)
    repo_store.set_perm(bob.id, repo.id, pull=False, push=True, admin=False)
    assert permissions.allows(bob, repo, permissions.PULL) and not permissions.allows(bob, repo, permissions.ADMIN)
    root = users.create("root", admin=True)
    assert permissions.repo_for(root, repo.id, permissions.ADMIN) is repo


def test_repair_replaces_the_hooks_of_every_host_and_rotates_token_and_secret(alice: User, scm: Scm, forge: Forge):
    repo = repos.activate(alice, scm, "acme/app")
    old_token, old_secret = hook_token(repo), repo.hook_secret
    forge.hooks += [{"id": 90, "config": {"url": f"http://old-host/hook/{scm.id}/{repo.id}?access_token=x"}},
                    {"id": 91, "config": {"url": "https://chat.example.com/notify"}}]
    repos.repair(repo)
    assert not verify_hook_token(repo, old_token) and repo.hook_secret != old_secret
    assert sorted(h["config"]["url"] for h in forge.hooks) == sorted(["https://chat.example.com/notify",
                                                                      hook_url(repo)])
    [new] = [h for h in forge.hooks if h["config"]["url"] == hook_url(repo)]
    assert new["config"]["secret"] == repo.hook_secret


def test_delete_removes_the_hooks_an_old_host_left(alice: User, scm: Scm, forge: Forge):
    repo = repos.activate(alice, scm, "acme/app")
    forge.hooks.append({"id": 90, "config": {"url": f"http://old-host/hook/{scm.id}/{repo.id}?access_token=x"}})
    repos.delete(repo)
    assert forge.hooks == []

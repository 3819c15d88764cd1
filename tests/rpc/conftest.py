"""Fixtures for the agent protocol: a repo with a stored pipeline, a build of it, an RPC caller, the app over HTTP."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from werkzeug.serving import make_server

from circle.origin import Origin
from circle.rpc.client import RpcClient
from circle.rpc.protocol import RegisterParams
from circle.service import builds
from circle.store import configs, repos, scms, users
from loopback import serving

PIPELINE = """
pipeline:
  build:
    image: busybox
    commands: [echo hello]
  test:
    image: busybox
    commands: [echo test]
"""
SECRET = "test-agent-secret"


@pytest.fixture
def repo(app):
    """A repo (of a local SCM) with one stored config."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url="/srv/git", owner_id=owner.id)
    row = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app", clone_url="/srv/git/acme/app")
    configs.create(repo_id=row.id, name="default", content=PIPELINE)
    return row


@pytest.fixture
def make_build(repo) -> Callable[..., Any]:
    """Create and queue a push build of the repo's config."""
    def make(**trigger: Any):
        values = {"event": "push", "ref": "refs/heads/main", "branch": "main", "commit": "a" * 40, **trigger}
        return builds.create(repo, configs.list_by_repo(repo.id)[0], Origin(**values))
    return make


class Rpc:
    """Calls /rpc through the Flask test client as one agent (with the shared secret until it registers)."""

    def __init__(self, client, token: str = SECRET) -> None:
        self.client = client
        self.token = token
        self.agent_id: int | None = None
        self.ids = 0

    def register(self, name: str, **params: Any) -> Rpc:
        """Register; use the answered token from now on; return self."""
        answer = self.ok("register", name=name, **params)
        self.agent_id = answer["agent_id"]
        self.token = answer.get("token") or self.token
        return self

    def raw(self, body: Any, *, token: str | None = None, data: bytes | None = None):
        """POST a body (JSON or raw bytes) with this caller's token (or `token`) and return the response."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if data is not None:
            return self.client.post("/rpc", data=data, headers=headers, content_type="application/json")
        return self.client.post("/rpc", json=body, headers=headers)

    def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        """Call `method` and return the response object."""
        self.ids += 1
        response = self.raw({"jsonrpc": "2.0", "method": method, "params": params, "id": self.ids})
        assert response.status_code == 200, response.data
        return response.get_json()

    def ok(self, method: str, **params: Any) -> Any:
        """Call `method` and return its result, failing on an error."""
        answer = self(method, **params)
        assert "error" not in answer, answer
        return answer["result"]


@pytest.fixture
def rpc(app) -> Rpc:
    """A registered agent's RPC caller."""
    caller = Rpc(app.test_client()).register("agent-1", platform="linux/amd64", backend="dummy", capacity=1,
                                             labels={})
    app.extensions["circle"].queue.lease_seconds = 30
    return caller


@pytest.fixture
def url(app) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port."""
    app.extensions["circle"].queue.lease_seconds = 30
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as base:
        yield base


@pytest.fixture
def agent(url: str) -> RpcClient:
    """A client registered with the shared secret (it now holds its own token)."""
    client = RpcClient(url, SECRET)
    client.register(RegisterParams(name="agent-a", backend="dummy"))
    return client

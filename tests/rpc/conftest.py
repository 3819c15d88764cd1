"""Fixtures for the agent protocol: a repo with a stored pipeline, a build of it, and an RPC caller."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from circle.origin import Origin
from circle.service import builds
from circle.store import configs, repos, scms, users

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
    """Calls /rpc through the Flask test client as one agent."""

    def __init__(self, client, agent_id: int | None = None) -> None:
        self.client = client
        self.agent_id = agent_id
        self.ids = 0

    def raw(self, body: Any, *, token: str = SECRET, data: bytes | None = None):
        """POST a body (JSON or raw bytes) and return the response."""
        headers = {"Authorization": f"Bearer {token}"}
        if self.agent_id is not None:
            headers["X-Circle-Agent-Id"] = str(self.agent_id)
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
    caller = Rpc(app.test_client())
    caller.agent_id = caller.ok("register", name="agent-1", platform="linux/amd64", backend="dummy",
                                capacity=1, labels={})["agent_id"]
    app.extensions["circle"].queue.lease_seconds = 30
    return caller

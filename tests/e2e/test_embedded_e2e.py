"""`circle server --agents 1`: the embedded agent registers with the shared secret, then runs builds with its token."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from e2e.harness import Server, activate_local, embedded_server, free_port

pytestmark = pytest.mark.slow

PIPELINE = "pipeline:\n  build:\n    image: busybox\n    commands:\n      - echo embedded\n"


def test_embedded_agent_runs_a_build(tmp_path: Path):
    """A manual build succeeds on the embedded agent (the shared secret alone could only register)."""
    server = embedded_server(tmp_path)
    try:
        repo_id, _ = activate_local(server, tmp_path / "git", "acme/embedded", {".circle.yml": PIPELINE})
        number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        done = server.wait_build(repo_id, number)
        assert done["status"] == "success", done
        assert "embedded" in server.log_text(repo_id, number, "build")
        name = f"embedded-1@{socket.gethostname()}:{server.port}"
        assert [a["name"] for a in server.ok("GET", "/api/agents")] == [name]
        server.stop()
        server.start(agents=1)  # the same server again: its embedded agent finds its row
        server.wait_build(repo_id, server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"])
        assert [a["name"] for a in server.ok("GET", "/api/agents")] == [name]
    finally:
        server.stop()


def test_two_servers_on_one_database_keep_their_embedded_agents_apart(tmp_path: Path):
    """Each server's embedded agent has its own row: neither takes the other's (an agent's name is its identity)."""
    first = embedded_server(tmp_path)
    second = Server(data_dir=tmp_path, port=free_port(), env=dict(first.env))
    try:
        second.start(agents=1)
        deadline = time.monotonic() + 20
        while len(first.ok("GET", "/api/agents")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        names = sorted(a["name"] for a in first.ok("GET", "/api/agents"))
    finally:
        second.stop()
        first.stop()
    host = socket.gethostname()
    assert names == sorted([f"embedded-1@{host}:{first.port}", f"embedded-1@{host}:{second.port}"])

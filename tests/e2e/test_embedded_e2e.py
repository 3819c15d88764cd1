"""`circle server --agents 1`: the embedded agent registers with the shared secret, then runs builds with its token."""
from __future__ import annotations

from pathlib import Path

import pytest

from e2e.harness import embedded_server, make_repo

pytestmark = pytest.mark.slow

PIPELINE = "pipeline:\n  build:\n    image: busybox\n    commands:\n      - echo embedded\n"


def test_embedded_agent_runs_a_build(tmp_path: Path):
    """A manual build succeeds on the embedded agent (the shared secret alone could only register)."""
    server = embedded_server(tmp_path)
    try:
        (tmp_path / "git").mkdir()
        make_repo(tmp_path / "git", "acme/embedded", {".circle.yml": PIPELINE})
        scm = server.ok("POST", "/api/scms", json={"kind": "local", "name": "disk", "url": str(tmp_path / "git")})
        repo = server.ok("POST", "/api/repos", json={"scm_id": scm["id"], "full_name": "acme/embedded"})
        number = server.ok("POST", f"/api/repos/{repo['id']}/builds", json={})[0]["number"]
        done = server.wait_build(repo["id"], number)
        assert done["status"] == "success", done
        assert "embedded" in server.log_text(repo["id"], number, "build")
        assert [a["name"] for a in server.ok("GET", "/api/agents")] == ["embedded-1"]
    finally:
        server.stop()

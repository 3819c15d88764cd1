"""`circle server --agents 1` on the local backend, as `make run` starts it: a hostile build finds nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from e2e.harness import activate_local, embedded_server

pytestmark = pytest.mark.slow


def test_a_step_of_the_embedded_agent_cannot_reach_the_server(tmp_path: Path):
    """The step runs as nobody and sees neither the server's process nor its data dir (secret_key, circle.db)."""
    server = embedded_server(tmp_path)
    try:
        assert server.process is not None
        pid = server.process.pid
        commands = ["id -u", f"ls -l /proc/{pid}/cwd || echo no-server-cwd",
                    f"cat /proc/{pid}/environ || echo no-server-environ",
                    f"cat {tmp_path}/secret_key || echo no-secret-key", f"cat {tmp_path}/agent_secret || echo no-agent",
                    f"ls {tmp_path}/circle.db || echo no-db"]
        pipeline = "pipeline:\n  evil:\n    image: golang:1.22\n    commands:\n" + "".join(
            f"      - {command!r}\n" for command in commands)
        repo_id, _ = activate_local(server, tmp_path / "git", "acme/evil", {".circle.yml": pipeline})
        number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        done = server.wait_build(repo_id, number)
        assert done["status"] == "success", done
        lines = server.log_text(repo_id, number, "evil").splitlines()
    finally:
        server.stop()
    assert lines[0].startswith("sandbox: bubblewrap, uid 65534, workspace only")
    assert lines[1] == ("local backend: image `golang:1.22` is ignored; "
                        "the step runs on the agent's host in a sandbox")
    assert lines[lines.index("+ id -u") + 1] == "65534"
    for word in ("no-server-cwd", "no-server-environ", "no-secret-key", "no-agent", "no-db"):
        assert word in lines, lines
    secret = (tmp_path / "secret_key").read_text().strip()
    assert not any(secret in line for line in lines)

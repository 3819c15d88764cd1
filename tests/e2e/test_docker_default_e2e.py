"""`circle server --agents 1` where a docker engine answers: steps run in containers, and only trusted repos
may ask for privileged mode or host volumes (issue 16, the docker default).

This machine's engine cannot start privileged containers itself (runc: "unable to apply caps"), so the
trusted build shows a host volume; privileged mode is shown refused.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from circle.pipeline.backends import docker_available
from e2e.harness import Server, activate_local, clean_env, commit, free_port

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CAP_SYS_ADMIN = 21
BUILD_SH = Path(__file__).resolve().parents[1] / "images" / "build.sh"
PIPELINE = """\
clone:
  disable: true
pipeline:
  plain:
    image: circle-test/busybox:latest
    commands: ["id -u", "grep CapEff /proc/self/status"]
  escalated:
    image: circle-test/busybox:latest
    privileged: true
    volumes: ["/etc:/host-etc:ro"]
    commands: ["test -f /host-etc/hostname && echo host-etc-mounted"]
"""


@pytest.fixture
def docker_server(tmp_path: Path):
    """A server whose embedded agent keeps the default backend (auto), with a local SCM holding PIPELINE."""
    if not docker_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no docker engine answers")
        pytest.skip("no docker engine answers")
    subprocess.run(["bash", str(BUILD_SH)], check=True, capture_output=True, timeout=300)
    port = free_port()
    server = Server(data_dir=tmp_path, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(tmp_path), CIRCLE_HOST=f"http://127.0.0.1:{port}"))
    server.start(agents=1)
    repo_id, work = activate_local(server, tmp_path / "git", "acme/escalate", {".circle.yml": PIPELINE})
    yield server, repo_id, work
    server.stop()


def test_untrusted_repos_cannot_escalate_and_trusted_ones_run_in_containers(docker_server: tuple[Server, int, Path]):
    server, repo_id, work = docker_server
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    refused = server.wait_build(repo_id, number)
    assert refused["status"] in ("error", "failure"), refused
    assert "`privileged`, which only a trusted repository may use" in refused["error"], refused["error"]
    assert "host volumes need a trusted repository" in refused["error"], refused["error"]
    assert all(p["state"] != "success" for p in refused["procs"])

    server.ok("PATCH", f"/api/repos/{repo_id}", json={"trusted": True})
    commit(work, {".circle.yml": PIPELINE.replace("    privileged: true\n", "")}, "no privileged mode")
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    done = server.wait_build(repo_id, number, timeout=120)
    assert done["status"] == "success", [(p["name"], p["error"]) for p in done["procs"]]
    plain, escalated = (server.log_text(repo_id, number, name) for name in ("plain", "escalated"))
    assert "sandbox:" not in plain and "+ id -u\n0\n" in plain, plain  # a container, not the local sandbox
    capabilities = int(next(line for line in plain.splitlines() if line.startswith("CapEff:")).split()[1], 16)
    assert not capabilities & (1 << CAP_SYS_ADMIN), plain  # docker's default set, not a privileged one
    assert "host-etc-mounted" in escalated, escalated

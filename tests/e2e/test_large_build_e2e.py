"""Builds at the size users reach: 1 200 steps in one stage and in 40 stages, on every database."""
from __future__ import annotations

import subprocess
import time
from typing import Iterator

import pytest

from dbtools import DATABASES, fresh_database_url
from e2e.harness import Server, clean_env, free_port, make_repo, start_agent

pytestmark = pytest.mark.slow

STEPS = 1200


def _pipeline(stages: int, per_stage: int, command: str = "true") -> str:
    """Return a Drone 0.8 pipeline of `stages` groups of `per_stage` steps, without the clone step."""
    lines = ["clone:", "  disable: true", "pipeline:"]
    for stage in range(stages):
        for step in range(per_stage):
            lines += [f"  s{stage}x{step}:", "    image: busybox", f"    group: g{stage}",
                      f"    commands: [\"{command}\"]"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module", params=list(DATABASES))
def big_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a fresh database of each kind, with a local SCM and one agent running two workflows."""
    data = tmp_path_factory.mktemp(f"big-{request.param}")
    port = free_port()
    instance = Server(data_dir=data, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(data), CIRCLE_LEASE_SECONDS="10", CIRCLE_HOST=f"http://127.0.0.1:{port}",
        CIRCLE_DATABASE_URL=fresh_database_url(request.param, data, "e2e")))
    instance.start()
    instance.git_root = data / "git"
    instance.git_root.mkdir()
    instance.scm_id = instance.ok("POST", "/api/scms", json={"kind": "local", "name": "disk",
                                                             "url": str(instance.git_root)})["id"]
    agent = start_agent(instance, "agent-big", data / "agent", "--max-procs", "2")
    yield instance
    agent.terminate()
    agent.wait(30)
    instance.stop()


def _activate(server: Server, name: str, pipeline: str) -> int:
    """Create and activate a repo holding `pipeline`; return its id."""
    make_repo(server.git_root, f"acme/{name}", {".circle.yml": pipeline})
    return server.ok("POST", "/api/repos", json={"scm_id": server.scm_id, "full_name": f"acme/{name}"})["id"]


@pytest.mark.parametrize("stages,per_stage", [(1, STEPS), (40, STEPS // 40)])
def test_a_1200_step_build_succeeds_and_lists_every_proc(big_server, stages, per_stage):
    """Every one of 1 200 steps runs and reports; the API lists all 1 201 procs."""
    repo_id = _activate(big_server, f"big{stages}", _pipeline(stages, per_stage))
    number = big_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    done = big_server.wait_build(repo_id, number, timeout=240, every=1.0)
    assert done["status"] == "success", (done["status"], done["error"])
    procs = done["procs"]
    assert len(procs) == STEPS + 1
    assert sorted(p["pid"] for p in procs) == list(range(1, STEPS + 2))
    assert {p["state"] for p in procs} == {"success"}
    page = big_server.api("GET", f"/repos/{repo_id}/builds/{number}")
    assert page.status_code == 200 and page.text.count('data-pid=') >= STEPS


def test_cancel_of_a_1200_step_build_kills_every_step(big_server):
    """Canceling a running 1 200-step build ends every step; none is left running or pending."""
    repo_id = _activate(big_server, "bigcancel", _pipeline(1, STEPS, "sleep 641"))
    number = big_server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    big_server.wait_build(repo_id, number, states={"running"}, timeout=60, every=1.0)
    big_server.ok("POST", f"/api/repos/{repo_id}/builds/{number}/cancel")
    assert big_server.wait_build(repo_id, number, timeout=30, every=1.0)["status"] == "killed"
    deadline = time.monotonic() + 120
    while True:
        states = {p["state"] for p in big_server.build(repo_id, number)["procs"]}
        if states <= {"killed", "skipped"} or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert states <= {"killed", "skipped"}, states
    leftover = subprocess.run(["pgrep", "-f", "sleep 641"], capture_output=True, text=True).stdout.split()
    assert not leftover

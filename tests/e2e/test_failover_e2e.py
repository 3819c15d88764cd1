"""Failover end to end: two servers on one PostgreSQL database and one Redis bus, one agent given both URLs."""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from dbtools import REDIS_URL, fresh_database_url, require_redis
from e2e.harness import Server, clean_env, free_port, make_repo, start_agent

pytestmark = pytest.mark.slow

# Build 1 runs its step until the test creates GATE in its workspace (the sandbox shows it nothing else of the
# host); any later build runs straight through.
PIPELINE = """pipeline:
  work:
    image: x
    commands:
      - echo start
      - test "$CI_BUILD_NUMBER" != 1 || while [ ! -e "$CI_WORKSPACE/{gate}" ]; do sleep 0.1; done
      - sleep 1; echo done
"""


def _open_gate(gate: str, workdir: Path) -> None:
    """Create `gate` in the workspace of every checkout waiting for it (in the workdir or the sandbox's fallback)."""
    roots = [workdir, Path(tempfile.gettempdir()) / "circle-pipelines-65534"]
    checkouts = [path for root in roots for path in root.glob("circle-*/workspace/**/.circle.yml")
                 if gate in path.read_text()]
    assert checkouts, "no checkout waits for the gate"
    for path in checkouts:
        (path.parent / gate).touch()


def _bus_url() -> str:
    """Return the Redis bus URL with a channel of this test run; skip (fail under CI) when Redis does not answer."""
    require_redis("the failover test")
    return f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel=circle_failover_{os.getpid()}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two `circle server` processes sharing a fresh PostgreSQL database, their keys and a Redis bus."""
    root = tmp_path_factory.mktemp("failover")
    shared = {"CIRCLE_DATABASE_URL": fresh_database_url("postgres", root, "failover"),
              "CIRCLE_PUBSUB_URL": _bus_url(), "CIRCLE_LEASE_SECONDS": "4"}
    pair = []
    for name in ("a", "b"):
        data, port = root / name, free_port()
        data.mkdir()
        if pair:
            for key in ("secret_key", "agent_secret"):
                shutil.copy(pair[0].data_dir / key, data / key)
        server = Server(data_dir=data, port=port, env=clean_env(
            CIRCLE_DATA_DIR=str(data), CIRCLE_HOST=f"http://127.0.0.1:{port}", **shared))
        server.start()
        pair.append(server)
    first, second = pair
    second.token = first.token
    first.git_root = second.git_root = root / "git"
    first.git_root.mkdir()
    first.scm_id = second.scm_id = first.ok("POST", "/api/scms", json={"kind": "local", "name": "disk",
                                                                       "url": str(first.git_root)})["id"]
    yield first, second
    for server in pair:
        server.stop()


def _wait_for(what: str, check, timeout: float = 30) -> None:
    """Poll `check` until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.05)


def test_killing_the_agents_server_mid_step_moves_the_agent_and_its_task_to_the_other(servers, tmp_path):
    """kill -9 the server the agent talks to mid-step: the same agent finishes on the other server, log whole.

    The agent runs two workflows at once, so its `next` long poll is open on the killed server too: it moves
    to the other server, which hands the agent a second build while the first still runs.
    """
    first, second = servers
    gate = f"gate-{os.getpid()}-{time.monotonic_ns()}"
    make_repo(first.git_root, "acme/failover", {".circle.yml": PIPELINE.format(gate=gate)})
    repo_id = first.ok("POST", "/api/repos", json={"scm_id": first.scm_id, "full_name": "acme/failover"})["id"]
    agent = start_agent(first, "survivor", tmp_path / "agent", "--server", second.url, "--max-procs", "2")
    try:
        number = first.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        _wait_for("the step printing 'start'", lambda: "start" in first.log_text(repo_id, number, "work").splitlines())
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        meanwhile = second.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        during = second.wait_build(repo_id, meanwhile, timeout=60)
        still = second.build(repo_id, number)["status"]
        _open_gate(gate, tmp_path / "agent")
        done = second.wait_build(repo_id, number, timeout=60)
    finally:
        agent.terminate()
        agent.wait(30)
    agent_log = (tmp_path / "agent" / "survivor.log").read_text()
    assert (during["status"], still, done["status"]) == ("success", "running", "success"), agent_log
    lines = second.log_text(repo_id, number, "work").splitlines()
    output = [line for line in lines if not line.startswith(("+ ", "sandbox: ", "local backend: "))]
    assert output == ["start", "done"], lines
    for build in (done, during):
        assert next(p for p in build["procs"] if p["ppid"] == 0)["machine"] == "survivor"
    assert [a["name"] for a in second.ok("GET", "/api/agents")] == ["survivor"]
    assert agent_log.count(f"switched to {second.url}") == 1, agent_log
    assert "Traceback" not in agent_log and "no server answers" not in agent_log, agent_log


def test_with_every_server_down_the_agent_says_so_once_and_resumes_when_one_returns(servers, tmp_path):
    """kill -9 both servers: the agent says once that none answers, and runs the next build once one is back."""
    for server in servers:
        if server.process is None or server.process.poll() is not None:
            server.start()
    first, second = servers
    make_repo(first.git_root, "acme/outage", {".circle.yml": "pipeline:\n  work:\n    image: x\n"
                                                             "    commands: [echo back]\n"})
    repo_id = first.ok("POST", "/api/repos", json={"scm_id": first.scm_id, "full_name": "acme/outage"})["id"]
    agent = start_agent(first, "patient", tmp_path, "--server", second.url)
    agent_log = tmp_path / "patient.log"
    try:
        _wait_for("the agent registering", lambda: "registered as" in agent_log.read_text())
        for server in servers:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
        _wait_for("the agent noticing", lambda: "no server answers" in agent_log.read_text())
        second.start()
        number = second.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        done = second.wait_build(repo_id, number, timeout=60)
    finally:
        agent.terminate()
        agent.wait(30)
    text = agent_log.read_text()
    assert done["status"] == "success", (done, text)
    assert second.log_text(repo_id, number, "work").splitlines()[-1] == "back"
    assert text.count("no server answers") == 1 and text.count("answers again; resuming") == 1, text
    assert f"server {second.url} answers again; resuming" in text and "Traceback" not in text, text

"""Faults end to end: an agent killed mid-step, a server restarted mid-build."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from e2e.harness import start_agent

pytestmark = pytest.mark.slow

LEASE_SECONDS = 4


def _manual(server, repo_id: int) -> int:
    """Start a manual build and return its number."""
    return server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]


def _wait_step(server, repo_id: int, number: int, name: str, state: str = "running", timeout: float = 30) -> None:
    """Wait until step `name` reaches `state`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p["name"] == name and p["state"] == state for p in server.build(repo_id, number)["procs"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"step {name} never became {state}")


def test_killed_agent_hands_the_build_to_another(server, activate, tmp_path):
    """kill -9 the only agent mid-step: the lease expires, a second agent re-runs the workflow to success."""
    marker = f"{os.getpid()}{time.time_ns() % 100000}"
    repo_id, _ = activate({".circle.yml": f"pipeline:\n  work:\n    image: x\n    commands:\n"
                                          f"      - sleep 1.{marker[-4:]}\n      - echo finished\n"})
    first = start_agent(server, "doomed", tmp_path / "a1")
    try:
        number = _manual(server, repo_id)
        _wait_step(server, repo_id, number, "work")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        second = start_agent(server, "rescuer", tmp_path / "a2")
        try:
            done = server.wait_build(repo_id, number, timeout=LEASE_SECONDS + 30)
            elapsed = time.monotonic() - killed_at
        finally:
            second.terminate()
            second.wait(30)
    finally:
        subprocess.run(["pkill", "-f", f"sleep 1.{marker[-4:]}"])
    assert done["status"] == "success", done
    workflow = next(p for p in done["procs"] if p["ppid"] == 0)
    assert workflow["machine"] == "rescuer"
    assert elapsed < LEASE_SECONDS + 5 + 3, elapsed
    assert "finished" in server.log_text(repo_id, number, "work")


def test_server_restart_mid_build_loses_no_log_line(server, activate, tmp_path):
    """Restart the server while a step prints: the agent reconnects, the build completes, every line once."""
    pipeline = ("pipeline:\n  count:\n    image: x\n    commands:\n"
                "      - for i in $(seq 1 300); do echo \"line $i\"; sleep 0.01; done\n")
    repo_id, _ = activate({".circle.yml": pipeline})
    agent = start_agent(server, "steady", tmp_path / "agent")
    try:
        number = _manual(server, repo_id)
        _wait_step(server, repo_id, number, "count")
        time.sleep(0.5)
        server.stop()
        time.sleep(1.0)
        server.start()
        done = server.wait_build(repo_id, number, timeout=60)
    finally:
        agent.terminate()
        agent.wait(30)
    assert done["status"] == "success", done
    pid = next(p["pid"] for p in done["procs"] if p["name"] == "count")
    lines = server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pid}")
    assert [line["pos"] for line in lines] == list(range(len(lines)))
    numbers = [int(m.group(1)) for line in lines if (m := re.fullmatch(r"line (\d+)", line["out"]))]
    assert numbers == list(range(1, 301))

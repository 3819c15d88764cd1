"""What the server writes to its log when clients behave as browsers do: no noise."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import websocket

from e2e.harness import activate_local, embedded_server

pytestmark = pytest.mark.slow

PIPELINE = "skip_clone: true\nsteps:\n  hello:\n    image: x\n    commands: [echo hi]\n"


def test_a_finished_log_tail_and_a_dropped_event_socket_log_nothing(tmp_path: Path):
    """A log tail the server ends (eof, then the client's close frame) and an events socket whose client just
    goes away (a closed tab) leave no error in the server log."""
    server = embedded_server(tmp_path)
    try:
        repo_id, _ = activate_local(server, tmp_path / "git", "acme/quiet", {".circle.yml": PIPELINE})
        number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
        done = server.wait_build(repo_id, number)
        pid = next(p["pid"] for p in done["procs"] if p["name"] == "hello")
        auth = [f"Authorization: Bearer {server.token}"]
        tail = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws/logs/{repo_id}/{number}/{pid}",
                                           header=auth, timeout=10)
        while not json.loads(tail.recv()).get("eof"):
            pass
        tail.close()
        events = websocket.create_connection(f"ws://127.0.0.1:{server.port}/ws/events", header=auth, timeout=10)
        server.ok("POST", f"/api/repos/{repo_id}/builds", json={})  # an event is on its way
        events.sock.close()  # no close frame: the tab is gone
        server.wait_build(repo_id, number + 1)
        server.ok("GET", "/healthz")
    finally:
        server.stop()
    logged = (tmp_path / "server.log").read_text()
    problems = [line for line in logged.splitlines() if " ERROR " in line or "Traceback" in line]
    assert problems == [], logged


def test_log_lines_name_builds_as_people_do(tmp_path: Path):
    """The server's log says `acme/named#1`, not the build's row id."""
    server = embedded_server(tmp_path)
    try:
        repo_id, _ = activate_local(server, tmp_path / "git", "acme/named", {".circle.yml": PIPELINE})
        server.wait_build(repo_id, server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"])
    finally:
        server.stop()
    logged = (tmp_path / "server.log").read_text()
    assert "acme/named#1 created (manual refs/heads/main)" in logged
    assert "(acme/named#1) leased to agent 1" in logged and "acme/named#1 finished success" in logged
    assert "build 1 " not in logged, logged

"""Live output over websockets: a step's log tailed from history to eof, and the event feed."""
from __future__ import annotations

import json
import time

import pytest
import websocket

pytestmark = pytest.mark.slow

TICKER = ("pipeline:\n  tick:\n    image: x\n    commands:\n"
          "      - for i in $(seq 1 40); do echo \"tick $i\"; sleep 0.05; done\n")


def _ws(server, path: str) -> websocket.WebSocket:
    """Open a websocket to the server as the admin."""
    return websocket.create_connection(server.url.replace("http", "ws") + path, timeout=30,
                                       header=[f"Authorization: Bearer {server.token}"])


def _tail(conn: websocket.WebSocket) -> list[dict]:
    """Read a log socket to its eof; return its lines, checking each message is a bounded batch."""
    lines = []
    while True:
        message = json.loads(conn.recv())
        if message.get("eof"):
            return lines
        assert 1 <= len(message["lines"]) <= 1000
        lines.extend(message["lines"])


def test_log_tail_replays_history_then_follows_to_eof(server, agent, activate):
    """Joining mid-step gives every line once, in order, then {"eof": true}."""
    repo_id, _ = activate({".circle.yml": TICKER})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    deadline = time.monotonic() + 30
    pid = None
    while pid is None and time.monotonic() < deadline:
        procs = server.build(repo_id, number)["procs"]
        pid = next((p["pid"] for p in procs if p["name"] == "tick" and p["state"] == "running"), None)
        time.sleep(0.05)
    time.sleep(0.5)
    conn = _ws(server, f"/ws/logs/{repo_id}/{number}/{pid}")
    lines = _tail(conn)
    conn.close()
    assert [m["pos"] for m in lines] == list(range(len(lines)))
    assert [m["out"] for m in lines if m["out"].startswith("tick ")] == [f"tick {i}" for i in range(1, 41)]
    stored = server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pid}")
    assert [(m["pos"], m["out"]) for m in lines] == [(m["pos"], m["out"]) for m in stored]


def test_finished_proc_gives_history_and_eof(server, agent, activate):
    """Tailing a finished step returns its whole log and eof at once."""
    repo_id, _ = activate({".circle.yml": "pipeline:\n  hi:\n    image: x\n    commands: [echo done]\n"})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    build = server.wait_build(repo_id, number)
    pid = next(p["pid"] for p in build["procs"] if p["name"] == "hi")
    conn = _ws(server, f"/ws/logs/{repo_id}/{number}/{pid}")
    lines = [m["out"] for m in _tail(conn)]
    assert lines[0].startswith("sandbox: bubblewrap") and lines[2:] == ["+ echo done", "done"]


def test_events_feed_reports_build_and_proc_changes(server, agent, activate):
    """The event feed sends the build's progress through to its final status."""
    repo_id, _ = activate({".circle.yml": "pipeline:\n  hi:\n    image: x\n    commands: [echo hi]\n"})
    conn = _ws(server, "/ws/events")
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    seen = []
    while not any(e["type"] == "build" and e["build"]["status"] == "success" for e in seen):
        event = json.loads(conn.recv())
        if event.get("repo_id") == repo_id:
            seen.append(event)
    conn.close()
    statuses = [e["build"]["status"] for e in seen if e["type"] == "build" and e["build"]["number"] == number]
    assert statuses[0] == "pending" and "running" in statuses and statuses[-1] == "success"
    assert {e["proc"]["name"] for e in seen if e["type"] == "proc"} >= {"clone", "hi"}


def test_websocket_without_credentials_is_refused(server):
    """A socket without a token gets an error message and is closed."""
    conn = websocket.create_connection(server.url.replace("http", "ws") + "/ws/events", timeout=10)
    message = json.loads(conn.recv())
    assert message["error"] == "Unauthorized"


def test_a_long_history_arrives_intact(server, agent, activate):
    """50 000 lines replayed at once to a slow reader arrive as whole frames, in order, in batches."""
    pipeline = ("pipeline:\n  many:\n    image: x\n    commands:\n"
                "      - seq 1 50000 | sed 's/$/ " + "." * 192 + "/'\n")
    repo_id, _ = activate({".circle.yml": pipeline})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    build = server.wait_build(repo_id, number)
    pid = next(p["pid"] for p in build["procs"] if p["name"] == "many")
    conn = _ws(server, f"/ws/logs/{repo_id}/{number}/{pid}")
    time.sleep(2)
    heads = [line["out"].split(" ")[0] for line in _tail(conn)]
    assert [int(head) for head in heads if head.isdigit()] == list(range(1, 50001))

"""A cron job `@every 5s` on two `circle server` processes sharing one database (SQLite, then PostgreSQL).

Both servers' reapers look for due jobs every second; each due time must become exactly one build.
PostgreSQL needs CIRCLE_TEST_POSTGRES_URL (skipped without it, failed under CI=true).
"""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest

from dbtools import fresh_database_url
from e2e.harness import Server, clean_env, free_port, make_repo

pytestmark = pytest.mark.slow

PIPELINE = "pipeline:\n  hi:\n    image: x\n    commands: [echo $CI_CRON]\n    when:\n      cron: [tick]\n"
EVERY = 5
BUILDS = 4


def _server(data: Path, database: str, agents: int = 0) -> Server:
    """Start a server with `agents` embedded local agents on `database` with its data in `data`."""
    data.mkdir(exist_ok=True)
    port = free_port()
    instance = Server(data_dir=data, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(data), CIRCLE_DATABASE_URL=database, CIRCLE_HOST=f"http://127.0.0.1:{port}",
        CIRCLE_LOG_LEVEL="info", CIRCLE_AGENT_BACKEND="local"))
    instance.start(agents=agents)
    return instance


@pytest.fixture(params=["sqlite", "postgres"])
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Servers A (with an embedded agent and a local SCM) and B on one database with the same keys."""
    database = fresh_database_url(request.param, tmp_path, "cron_e2e")
    first = _server(tmp_path / "a", database, agents=1)
    (tmp_path / "b").mkdir()
    for name in ("secret_key", "agent_secret"):
        shutil.copy(tmp_path / "a" / name, tmp_path / "b" / name)
    second = _server(tmp_path / "b", database)
    second.token = first.token
    first.git_root = tmp_path / "git"
    first.git_root.mkdir()
    first.scm_id = first.ok("POST", "/api/scms", json={"kind": "local", "name": "disk",
                                                       "url": str(first.git_root)})["id"]
    yield first, second
    second.stop()
    first.stop()


def _built_by(instance: Server) -> list[int]:
    """Return the build numbers a server's log says its cron rounds created."""
    text = (instance.data_dir / "server.log").read_text()
    return [int(n) for found in re.findall(r"'tick': created builds \[([\d, ]*)\]", text)
            for n in found.split(",") if n.strip()]


def test_every_5s_builds_once_per_due_time_with_two_servers(servers: tuple[Server, Server]):
    """Builds appear one per due time, never before it; no due time is built twice; a step sees CI_CRON."""
    first, second = servers
    assert first.git_root is not None
    make_repo(first.git_root, "acme/tick", {".circle.yml": PIPELINE})
    repo_id = first.ok("POST", "/api/repos", json={"scm_id": first.scm_id, "full_name": "acme/tick"})["id"]
    job = second.ok("POST", f"/api/repos/{repo_id}/crons", json={"name": "tick", "schedule": f"@every {EVERY}s"})
    start = job["next"]
    deadline = time.monotonic() + 20 * EVERY * BUILDS
    builds: list[dict] = []
    while len(builds) < BUILDS and time.monotonic() < deadline:
        time.sleep(0.5)
        builds = first.ok("GET", f"/api/repos/{repo_id}/builds")
    first.ok("DELETE", f"/api/repos/{repo_id}/crons/{job['id']}")
    builds = sorted(first.ok("GET", f"/api/repos/{repo_id}/builds"), key=lambda b: b["number"])
    assert len(builds) >= BUILDS, builds
    assert {(b["event"], b["cron"], b["branch"]) for b in builds} == {("cron", "tick", "main")}
    created = [b["created"] for b in builds]
    assert min(created) >= start, (start, created)
    # Every build answers a distinct due time start + k*EVERY no later than its creation.
    assert len(builds) <= (max(created) - start) // EVERY + 1, (start, created)
    lateness = [c - (start + i * EVERY) for i, c in enumerate(created)]
    by_first, by_second = _built_by(first), _built_by(second)
    assert sorted(by_first + by_second) == [b["number"] for b in builds], (by_first, by_second)
    print(f"due every {EVERY}s from {start}: created {created}, seconds after each due time {lateness}; "
          f"server A built {by_first}, server B {by_second}")
    detail = first.wait_build(repo_id, builds[0]["number"])
    assert [p["name"] for p in detail["procs"] if p["ppid"]] == ["clone", "hi"], detail
    assert detail["status"] == "success", detail
    assert "tick" in first.log_text(repo_id, builds[0]["number"], "hi").splitlines()

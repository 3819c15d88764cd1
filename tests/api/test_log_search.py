"""GET /api/repos/{id}/logs/search?q=: lines holding a text across the repo's newest builds, newest first."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, add_build
from circle.hub import hub
from circle.limits import MAX_SEARCH_BUILDS
from circle.logfiles import LogFiles
from circle.models import Proc
from circle.store import builds


def _build_with_log(repo: dict, number: int, lines: list[str], step: str = "test") -> int:
    """Add build `number` with one step (pid 2) whose log is `lines`, in batches of 2; return the step's proc id."""
    build = add_build(repo["id"], number)
    _, proc = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="success"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name=step, state="success")])
    for start in range(0, len(lines), 2):
        hub().logs.write(proc.id, [(pos, 0, lines[pos]) for pos in range(start, min(start + 2, len(lines)))])
    return proc.id


def _search(client: FlaskClient, caller: Caller, repo: dict, query: str) -> list[dict]:
    """Return the matches of a search that answers 200."""
    answer = client.get(f"/api/repos/{repo['id']}/logs/search?{query}", headers=caller.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_matches_come_newest_build_first_with_their_step_and_position(client, admin, repo):
    _build_with_log(repo, 1, ["compiling", "FAIL: test_login", "done"])
    _build_with_log(repo, 2, ["compiling", "ok", "fail: test_login (again)", "Café \"quoted\" fail"], step="unit")
    assert _search(client, admin, repo, "q=fail") == [
        {"number": 2, "pid": 2, "step": "unit", "pos": 2, "out": "fail: test_login (again)"},
        {"number": 2, "pid": 2, "step": "unit", "pos": 3, "out": "Café \"quoted\" fail"},
        {"number": 1, "pid": 2, "step": "test", "pos": 1, "out": "FAIL: test_login"}]
    assert [m["pos"] for m in _search(client, admin, repo, "q=CAFÉ")] == [3]
    assert [m["pos"] for m in _search(client, admin, repo, "q=%22quoted%22")] == [3]
    assert _search(client, admin, repo, "q=nowhere") == []


def test_builds_and_limit_bound_the_search_and_are_clamped(client, admin, repo):
    for number in range(1, 6):
        _build_with_log(repo, number, [f"build {number} error"])
    assert [m["number"] for m in _search(client, admin, repo, "q=error&builds=2")] == [5, 4]
    assert [m["number"] for m in _search(client, admin, repo, "q=error&limit=3")] == [5, 4, 3]
    assert len(_search(client, admin, repo, f"q=error&builds={MAX_SEARCH_BUILDS * 10}&limit=100000")) == 5


def test_logs_moved_to_files_are_searched_too(client, admin, repo, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(hub().logs, "files", LogFiles(tmp_path / "logs"))
    hub().logs.close(_build_with_log(repo, 1, ["a", "needle here", "b"]))
    assert [m["out"] for m in _search(client, admin, repo, "q=needle")] == ["needle here"]


@pytest.mark.parametrize("query", ["", "q=", f"q={'x' * 257}", "q=a&builds=0", "q=a&limit=x"])
def test_bad_searches_are_400_with_one_sentence(client, admin, repo, query):
    answer = client.get(f"/api/repos/{repo['id']}/logs/search?{query}", headers=admin.headers)
    assert answer.status_code == 400 and answer.get_json()["message"], answer.get_json()


def test_a_user_without_access_cannot_search(client, admin, bob, repo):
    _build_with_log(repo, 1, ["secret output"])
    assert client.get(f"/api/repos/{repo['id']}/logs/search?q=secret", headers=bob.headers).status_code == 404
    assert client.get("/api/repos/999999/logs/search?q=secret", headers=admin.headers).status_code == 404

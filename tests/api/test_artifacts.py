"""GET …/logs/{pid}: pages by position with a clamped limit, text streamed page by page, files of finished logs."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, add_build
from circle.hub import hub
from circle.logfiles import LogFiles
from circle.logstream import MAX_PAGE, PAGE
from circle.models import Proc
from circle.store import builds


def _log_url(repo: dict, query: str = "") -> str:
    """Return the log URL of step pid 2 of build 1."""
    return f"/api/repos/{repo['id']}/builds/1/logs/2{query}"


def _step_with_lines(repo: dict, count: int, per_batch: int = 1000) -> int:
    """Add build 1 with a step (pid 2) whose log has `count` lines "line N"; return the step's proc id."""
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="success"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    for start in range(0, count, per_batch):
        hub().logs.write(step.id, [(pos, 0, f"line {pos}") for pos in range(start, min(start + per_batch, count))])
    return step.id


def _positions(client: FlaskClient, admin: Caller, url: str) -> list[int]:
    """Return the positions a JSON log page answers."""
    answer = client.get(url, headers=admin.headers)
    assert answer.status_code == 200, answer.get_json()
    return [line["pos"] for line in answer.get_json()]


def test_pages_by_position(client: FlaskClient, admin: Caller, repo: dict):
    """?after=POS&limit=N answers the lines with pos > POS, at most N; by default the first PAGE lines."""
    _step_with_lines(repo, 30)
    assert _positions(client, admin, _log_url(repo, "?after=9&limit=5")) == [10, 11, 12, 13, 14]
    assert _positions(client, admin, _log_url(repo, "?after=25")) == [26, 27, 28, 29]
    assert _positions(client, admin, _log_url(repo, "?after=29")) == []
    assert _positions(client, admin, _log_url(repo)) == list(range(30))
    first = client.get(_log_url(repo, "?limit=1"), headers=admin.headers).get_json()
    assert first == [{"pos": 0, "time": 0, "out": "line 0"}]


def test_default_page_and_clamped_limit(client: FlaskClient, admin: Caller, repo: dict):
    """Without limit a page holds PAGE lines; a limit over MAX_PAGE counts as MAX_PAGE, not an error."""
    _step_with_lines(repo, MAX_PAGE + 10, per_batch=5000)
    assert _positions(client, admin, _log_url(repo)) == list(range(PAGE))
    assert _positions(client, admin, _log_url(repo, f"?limit={MAX_PAGE * 10}")) == list(range(MAX_PAGE))
    assert _positions(client, admin, _log_url(repo, f"?after={MAX_PAGE - 1}&limit={MAX_PAGE + 1}")) == list(
        range(MAX_PAGE, MAX_PAGE + 10))


@pytest.mark.parametrize("query", ["?after=x", "?limit=ten", "?limit=0", "?after=-5", "?limit=1.5"])
def test_bad_paging_values_are_400_with_one_sentence(client: FlaskClient, admin: Caller, repo: dict, query: str):
    """A non-integer or out-of-range after/limit is a 400 naming the parameter."""
    _step_with_lines(repo, 3)
    answer = client.get(_log_url(repo, query), headers=admin.headers)
    assert answer.status_code == 400
    body = answer.get_json()
    name = query[1:].partition("=")[0]
    assert body["message"].startswith("invalid input: ") and name in body["message"] and "\n" not in body["message"]


def test_text_streams_a_log_longer_than_a_page(client: FlaskClient, admin: Caller, repo: dict):
    """?format=text is a streamed plain-text answer holding every line, read page by page."""
    count = PAGE * 2 + 123
    _step_with_lines(repo, count)
    answer = client.get(_log_url(repo, "?format=text"), headers=admin.headers)
    assert answer.status_code == 200 and answer.mimetype == "text/plain" and answer.is_streamed
    assert answer.get_data(as_text=True) == "".join(f"line {pos}\n" for pos in range(count))


def test_text_of_an_empty_log_is_empty(client: FlaskClient, admin: Caller, repo: dict):
    """A step without output answers an empty text."""
    _step_with_lines(repo, 0)
    answer = client.get(_log_url(repo, "?format=text"), headers=admin.headers)
    assert answer.status_code == 200 and answer.get_data(as_text=True) == ""


def test_finished_logs_in_files_read_the_same_and_go_with_their_repo(client: FlaskClient, admin: Caller, repo: dict,
                                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """With the file log store a finished step's log is read from its file; deleting the repo deletes the file."""
    files = LogFiles(tmp_path / "logs")
    monkeypatch.setattr(hub().logs, "files", files)
    step_id = _step_with_lines(repo, PAGE + 5)
    hub().logs.close(step_id)
    assert files.path(step_id).exists()
    assert _positions(client, admin, _log_url(repo, f"?after={PAGE - 1}")) == list(range(PAGE, PAGE + 5))
    text = client.get(_log_url(repo, "?format=text"), headers=admin.headers).get_data(as_text=True)
    assert text == "".join(f"line {pos}\n" for pos in range(PAGE + 5))
    assert client.delete(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 204
    assert not files.path(step_id).exists()


def test_zip_of_a_build_holds_one_file_per_step_streamed(client: FlaskClient, admin: Caller, repo: dict):
    """…/logs?format=zip streams a zip with `workflow/step.log` per step (names made path-safe and unique)."""
    build = add_build(repo["id"], 1)
    procs = builds.create_procs([
        Proc(build_id=build.id, pid=1, ppid=0, name="default (AXIS=a/b)", state="success"),
        Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success"),
        Proc(build_id=build.id, pid=3, ppid=1, name="test", state="success"),
        Proc(build_id=build.id, pid=4, ppid=1, name="quiet", state="success")])
    count = PAGE * 2 + 7
    for start in range(0, count, 1000):
        hub().logs.write(procs[1].id, [(pos, 0, f"line {pos} ünï") for pos in range(start, min(start + 1000, count))])
    hub().logs.write(procs[2].id, [(0, 3, "other")])
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/logs?format=zip", headers=admin.headers)
    assert answer.status_code == 200 and answer.mimetype == "application/zip" and answer.is_streamed
    assert answer.headers["Content-Disposition"] == 'attachment; filename="acme-app-1-logs.zip"'
    archive = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    assert archive.namelist() == ["default (AXIS=a_b)/test.log", "default (AXIS=a_b)/test-3.log",
                                  "default (AXIS=a_b)/quiet.log"]
    assert archive.read("default (AXIS=a_b)/test.log").decode() == "".join(
        f"line {pos} ünï\n" for pos in range(count))
    assert archive.read("default (AXIS=a_b)/test-3.log") == b"other\n"
    assert archive.read("default (AXIS=a_b)/quiet.log") == b""


def test_zip_of_logs_refuses_other_formats_and_unknown_builds(client: FlaskClient, admin: Caller, bob: Caller,
                                                               repo: dict):
    """Another format is a 400 naming it; a missing build, or one the caller may not read, is a 404."""
    add_build(repo["id"], 1)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/logs?format=tar", headers=admin.headers)
    assert answer.status_code == 400 and "format" in answer.get_json()["message"]
    assert client.get(f"/api/repos/{repo['id']}/builds/2/logs", headers=admin.headers).status_code == 404
    assert client.get(f"/api/repos/{repo['id']}/builds/1/logs", headers=bob.headers).status_code == 404

"""POST /api/upload/{token}: the token fits one step of one build, only while that step runs."""
from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, add_build
from circle.extensions import db
from circle.hub import hub
from circle.models import Proc
from circle.models.types import now
from circle.service.uploads import upload_token
from circle.store import builds, files
from circle.store import logs as log_store


def _upload(client: FlaskClient, token: str) -> int:
    """Upload a small file with `token`; return the status."""
    answer = client.post(f"/api/upload/{token}", data={"file": (io.BytesIO(b"hi"), "a.txt")},
                         content_type="multipart/form-data")
    return answer.status_code


def _running(repo_id: int, **columns: Any):
    """Add a running build with a workflow (pid 1) and a running step (pid 2); return both."""
    build = add_build(repo_id, columns.pop("number", 1), status="running", **columns)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="running"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="running")])
    return build, step


def test_a_running_steps_token_uploads_and_the_artifact_names_the_step(client: FlaskClient, admin: Caller,
                                                                         repo: dict[str, Any]):
    build, step = _running(repo["id"])
    assert _upload(client, upload_token(build, step.pid)) == 201
    [stored] = files.list_by_build(build.id)
    assert (stored.name, stored.proc_id, stored.pid) == ("a.txt", step.id, 2)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/files", headers=admin.headers)
    assert [(f["name"], f["pid"]) for f in answer.get_json()] == [("a.txt", 2)]


def test_report_true_reads_the_upload_as_a_junit_report(client: FlaskClient, admin: Caller, repo: dict[str, Any]):
    build, step = _running(repo["id"])
    xml = b'<testsuite name="s"><testcase name="a"/><testcase name="b"><failure message="no"/></testcase></testsuite>'
    answer = client.post(f"/api/upload/{upload_token(build, step.pid)}?report=true",
                         data={"file": (io.BytesIO(xml), "junit.xml")}, content_type="multipart/form-data")
    assert answer.status_code == 201 and answer.get_json()["kind"] == "report"
    tests = client.get(f"/api/repos/{repo['id']}/builds/1/tests", headers=admin.headers).get_json()
    assert (tests["total"], tests["failed"], tests["suites"][0]["cases"][0]["message"]) == (2, 1, "no")


def test_after_the_step_ended_the_token_is_403_and_nothing_is_stored(client: FlaskClient, repo: dict[str, Any]):
    build, step = _running(repo["id"])
    step.state, step.finished = "success", now()
    db.session.commit()
    assert _upload(client, upload_token(build, step.pid)) == 403
    assert files.list_by_build(build.id) == []


def test_a_forged_token_or_another_steps_pid_is_404(client: FlaskClient, repo: dict[str, Any]):
    build, step = _running(repo["id"])
    assert _upload(client, f"{build.id}.{step.pid}.forged") == 404
    assert _upload(client, f"{build.id}.1.{upload_token(build, 2).rsplit('.', 1)[1]}") == 404
    assert _upload(client, upload_token(build, 7)) == 404  # signed, but no such step
    assert _upload(client, "nonsense") == 404
    assert _upload(client, "9" * 40 + ".2.x") == 404
    assert files.list_by_build(build.id) == []


def test_the_token_of_a_deleted_build_does_not_fit_a_new_build_with_its_id(client: FlaskClient,
                                                                           repo: dict[str, Any]):
    old = add_build(repo["id"], 1, status="running", created=now() - 100)
    token, build_id = upload_token(old, 2), old.id
    builds.delete(old)
    new, _ = _running(repo["id"], number=2, id=build_id)
    assert new.id == build_id
    assert _upload(client, token) == 404
    assert files.list_by_build(new.id) == []


def test_the_files_api_and_the_download_carry_the_sha256_the_server_computed(client: FlaskClient, admin: Caller,
                                                                             repo: dict[str, Any]):
    build, step = _running(repo["id"])
    assert _upload(client, upload_token(build, step.pid)) == 201
    digest = hashlib.sha256(b"hi").hexdigest()
    [listed] = client.get(f"/api/repos/{repo['id']}/builds/1/files", headers=admin.headers).get_json()
    assert (listed["sha256"], listed["size"]) == (digest, 2)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/files/{listed['id']}", headers=admin.headers)
    assert answer.data == b"hi" and answer.headers["ETag"] == f'"{digest}"'
    assert answer.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(b'hi').digest()).decode()}:"
    again = client.get(f"/api/repos/{repo['id']}/builds/1/files/{listed['id']}", headers={
        **admin.headers, "If-None-Match": f'"{digest}"'})
    assert again.status_code == 304


def test_an_upload_past_the_build_limit_is_413_and_leaves_the_running_steps_log_to_it(
        client: FlaskClient, repo: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hub(), "settings", replace(hub().settings, artifact_max_build_bytes=3))
    build, step = _running(repo["id"])
    token = upload_token(build, step.pid)
    assert _upload(client, token) == 201
    answer = client.post(f"/api/upload/{token}", data={"file": (io.BytesIO(b"hi"), "b.txt")},
                         content_type="multipart/form-data")
    message = ("b.txt (2 bytes) is not stored: build 1 already holds 2 bytes of artifacts and "
               "CIRCLE_ARTIFACT_MAX_BUILD_BYTES allows 3")
    assert answer.status_code == 413 and answer.get_json()["message"] == message
    assert [f.name for f in files.list_by_build(build.id)] == ["a.txt"]
    # The step prints the answer itself: a line of circle's now would take the place of the step's next line.
    assert hub().logs.write(step.id, [(0, 0, "the step's first line")]) == 1
    assert [out for _, _, out in log_store.list_page(step.id, limit=10)] == ["the step's first line"]


def test_once_the_build_finished_a_still_running_steps_token_is_403(client: FlaskClient, repo: dict[str, Any]):
    build, step = _running(repo["id"])
    build.status, build.finished = "killed", now()
    db.session.commit()
    assert _upload(client, upload_token(build, step.pid)) == 403
    assert files.list_by_build(build.id) == []

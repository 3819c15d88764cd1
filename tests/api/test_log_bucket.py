"""Logs of finished steps in a real S3 bucket through the API: pages, text, zip; a failing bucket in one sentence."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import websocket
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from api.helpers import Caller, add_build
from circle.hub import hub
from circle.logbucket import LogBucket
from circle.logstream import PAGE
from circle.models import Proc
from circle.store import builds
from dbtools import has_object
from loopback import serving


def _offloaded_step(repo: dict, count: int, store: LogBucket, monkeypatch: pytest.MonkeyPatch) -> int:
    """Add build 1 with a step (pid 2) of `count` lines "line N", ended and moved to `store`; return its proc id."""
    monkeypatch.setattr(hub().logs, "files", store)
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="success"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    for start in range(0, count, 1000):
        hub().logs.write(step.id, [(pos, 0, f"line {pos}") for pos in range(start, min(start + 1000, count))])
    hub().logs.close(step.id)
    assert has_object(store, step.id)
    return step.id


def _text(count: int) -> str:
    """Return the text of a log of `count` lines "line N"."""
    return "".join(f"line {pos}\n" for pos in range(count))


def test_an_offloaded_log_reads_paged_whole_and_zipped_and_goes_with_its_repo(
        client: FlaskClient, admin: Caller, repo: dict, log_bucket: LogBucket, monkeypatch: pytest.MonkeyPatch):
    """Pages by position, ?format=text and the zip read the object; deleting the repo deletes it."""
    count = PAGE * 2 + 5
    step_id = _offloaded_step(repo, count, log_bucket, monkeypatch)
    base = f"/api/repos/{repo['id']}/builds/1/logs"
    page = client.get(f"{base}/2?after={PAGE + 10}&limit=3", headers=admin.headers)
    assert page.status_code == 200 and [line["pos"] for line in page.get_json()] == [PAGE + 11, PAGE + 12, PAGE + 13]
    assert client.get(f"{base}/2?format=text", headers=admin.headers).get_data(as_text=True) == _text(count)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}?format=zip", headers=admin.headers).get_data()))
    assert archive.read("default/test.log").decode() == _text(count)
    assert client.delete(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 204
    assert not has_object(log_bucket, step_id)


@pytest.mark.parametrize("query", ["/2", "/2?format=text", "?format=zip"])
def test_a_bucket_that_is_down_is_a_503_with_one_sentence(client: FlaskClient, admin: Caller, repo: dict,
                                                          log_bucket: LogBucket, down_bucket: LogBucket,
                                                          monkeypatch: pytest.MonkeyPatch, query: str):
    """A page, the text and the zip of an offloaded log answer 503 naming the bucket when it does not answer."""
    _offloaded_step(repo, 10, log_bucket, monkeypatch)
    monkeypatch.setattr(hub().logs, "files", down_bucket)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/logs{query}", headers=admin.headers)
    assert answer.status_code == 503
    assert answer.get_json()["message"] == (f"the log bucket 'circle-test' at {down_bucket.client.bucket.endpoint} "
                                            "did not answer (ConnectionError)")


def test_a_bucket_failing_midway_ends_the_text_with_a_sentence(client: FlaskClient, admin: Caller, repo: dict,
                                                               log_bucket: LogBucket, down_bucket: LogBucket,
                                                               monkeypatch: pytest.MonkeyPatch):
    """When the bucket stops answering after the answer began, the text ends, after the page read, with a sentence."""
    _offloaded_step(repo, PAGE * 2, log_bucket, monkeypatch)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/logs/2?format=text", headers=admin.headers,
                        buffered=False)
    chunks = iter(answer.response)
    first = next(chunks)  # a batch of the first page, which was read whole
    monkeypatch.setattr(hub().logs, "files", down_bucket)
    text = (first + b"".join(chunks)).decode()
    answer.close()
    assert text == _text(PAGE) + ("circle: the rest of this log could not be read: the log bucket 'circle-test' at "
                                  f"{down_bucket.client.bucket.endpoint} did not answer (ConnectionError)\n")


def test_the_log_websocket_refuses_in_one_message_when_the_bucket_is_down(
        app, admin: Caller, repo: dict, log_bucket: LogBucket, down_bucket: LogBucket, monkeypatch: pytest.MonkeyPatch):
    """Tailing an offloaded log while the bucket does not answer gets one {"error", "message"} message."""
    _offloaded_step(repo, 10, log_bucket, monkeypatch)
    monkeypatch.setattr(hub().logs, "files", down_bucket)
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        conn = websocket.create_connection(f"{url.replace('http', 'ws')}/ws/logs/{repo['id']}/1/2", timeout=10,
                                           header=[f"Authorization: Bearer {admin.token}"])
        try:
            assert json.loads(conn.recv()) == {
                "error": "LogStoreError",
                "message": f"the log bucket 'circle-test' at {down_bucket.client.bucket.endpoint} did not answer "
                           "(ConnectionError)"}
        finally:
            conn.close()

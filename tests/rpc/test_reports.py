"""upload with meta.report: a JUnit report becomes the build's test results; anything else stays an artifact."""
from __future__ import annotations

import base64
from pathlib import Path

from circle.extensions import db
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store import logs as log_store
from circle.store import tests as test_store

SAMPLES = Path(__file__).resolve().parents[1] / "service" / "junit"
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                  b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><testsuite name="&c;"><testcase name="x"/></testsuite>')


def _upload(rpc, task_id: str, name: str, data: bytes, *, report: bool = True) -> int:
    """Upload a file of step `build` (pid 3) and return its id."""
    return rpc.ok("upload", id=task_id, file={"proc": "build", "name": name, "mime": "application/xml",
                                              "data": base64.b64encode(data).decode(),
                                              "meta": {"report": True} if report else {}})


def test_a_report_is_stored_as_test_results_of_its_step(app, repo, make_build, rpc):
    build = make_build()
    task = rpc.ok("next", labels={})
    file_id = _upload(rpc, task["id"], "build/junit.xml", (SAMPLES / "pytest.xml").read_bytes())
    assert file_store.get(file_id).kind == "report"
    counts = test_store.counts(build.id)
    assert (counts.total, counts.passed, counts.failed, counts.error, counts.skipped) == (5, 2, 1, 1, 1)
    first = test_store.list_by_build(build.id, statuses=None, offset=0, limit=10)
    assert [(r.status, t.name, r.pid) for r, t in first[:2]] == [("failed", "test_divide_by_zero", 3),
                                                               ("error", "test_connect", 3)]


def test_the_same_test_in_a_second_build_is_the_same_test(app, repo, make_build, rpc):
    data = (SAMPLES / "surefire.xml").read_bytes()
    builds = []
    for _ in range(2):
        builds.append(make_build())
        task = rpc.ok("next", labels={})
        _upload(rpc, task["id"], "TEST-calc.xml", data)
        rpc.ok("done", id=task["id"], state={"finished": 1})
    ids = [{t.name: t.id for _, t in test_store.list_by_build(b.id, statuses=None, offset=0, limit=10)} for b in builds]
    assert ids[0] == ids[1] and len(ids[0]) == 4


def test_a_file_that_is_not_junit_stays_an_artifact_with_one_warning_line(app, repo, make_build, rpc):
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("log", id=task["id"], lines=[{"proc": "build", "pos": 0, "out": "running"}])
    plain = _upload(rpc, task["id"], "out/report.html", b"<html><body>42 passed</body></html>")
    bomb = _upload(rpc, task["id"], "out/bomb.xml", BILLION_LAUGHS)
    assert [file_store.get(i).kind for i in (plain, bomb)] == ["artifact", "artifact"]
    assert file_store.get(bomb).data == BILLION_LAUGHS and test_store.counts(build.id).total == 0
    db.session.expire_all()
    proc = build_store.get_proc_by_pid(build.id, 3)
    lines = [(pos, out) for pos, _, out in log_store.list_page(proc.id, limit=10)]
    assert lines == [
        (0, "running"),
        (1, "warning: out/report.html is kept as an artifact, not read as a test report: its root element is "
            "<html>, not <testsuites> or <testsuite>"),
        (2, "warning: out/bomb.xml is kept as an artifact, not read as a test report: it declares a DTD or "
            "entities, which are refused (DTDForbidden)")]
    rpc.ok("update", id=task["id"], state={"proc": "build", "exited": True, "exit_code": 0})
    rpc.ok("done", id=task["id"], state={"finished": 1})
    db.session.expire_all()
    assert build_store.get(build.id).status == "success"


def test_an_artifact_is_never_parsed(app, repo, make_build, rpc):
    build = make_build()
    task = rpc.ok("next", labels={})
    file_id = _upload(rpc, task["id"], "junit.xml", (SAMPLES / "jest.xml").read_bytes(), report=False)
    assert file_store.get(file_id).kind == "artifact" and test_store.counts(build.id).total == 0

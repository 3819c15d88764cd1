"""GET …/builds/{n}/tests, …/tests/flaky and …/tests/{test_id}/history over stored JUnit results."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller, add_build
from circle.models import Build, Proc
from circle.service import reports
from circle.service.testresults import status_description
from circle.store import builds

SAMPLES = Path(__file__).resolve().parents[1] / "service" / "junit"


def _report(build: Build, xml: bytes) -> None:
    """Store `xml` as the JUnit report of the build's step pid 2."""
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="success"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    reports.store_file(step, "junit.xml", "application/xml", xml, report=True)


def _suite(**statuses: str) -> bytes:
    """Return a one-suite report: test name → passed/failed/skipped."""
    body = {"passed": "", "failed": '<failure message="boom">trace</failure>', "skipped": "<skipped/>"}
    cases = "".join(f'<testcase classname="t.m" name="{name}" time="0.5">{body[s]}</testcase>'
                    for name, s in statuses.items())
    return f'<testsuite name="m">{cases}</testsuite>'.encode()


def _get(client: FlaskClient, caller: Caller, url: str) -> dict:
    answer = client.get(url, headers=caller.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_build_answers_its_counts_and_failed_cases_first(client, admin, repo):
    _report(add_build(repo["id"], 1), (SAMPLES / "pytest.xml").read_bytes())
    body = _get(client, admin, f"/api/repos/{repo['id']}/builds/1/tests")
    assert {k: body[k] for k in ("total", "passed", "failed", "skipped", "errors", "matching")} == {
        "total": 5, "passed": 2, "failed": 1, "skipped": 1, "errors": 1, "matching": 5}
    assert body["duration"] == pytest.approx(0.008)
    cases = body["suites"][0]["cases"]
    assert body["suites"][0]["name"] == "pytest"
    assert [(c["name"], c["status"]) for c in cases][:2] == [("test_divide_by_zero", "failed"),
                                                             ("test_connect", "error")]
    assert cases[0]["message"] == "ZeroDivisionError: division by zero" and cases[0]["pid"] == 2
    assert cases[0]["classname"] == "tests.test_math" and cases[0]["time"] == 0.004


def test_status_failed_takes_failed_and_errored_cases_and_paging_works(client, admin, repo):
    _report(add_build(repo["id"], 1), (SAMPLES / "pytest.xml").read_bytes())
    failed = _get(client, admin, f"/api/repos/{repo['id']}/builds/1/tests?status=failed")
    assert [c["status"] for s in failed["suites"] for c in s["cases"]] == ["failed", "error"]
    assert failed["matching"] == 2 and failed["total"] == 5
    second = _get(client, admin, f"/api/repos/{repo['id']}/builds/1/tests?offset=2&limit=2")
    assert [c["name"] for s in second["suites"] for c in s["cases"]] == ["test_add", "test_divide[2-1]"]


def test_a_build_without_reports_has_zero_tests(client, admin, repo):
    add_build(repo["id"], 1)
    body = _get(client, admin, f"/api/repos/{repo['id']}/builds/1/tests")
    assert (body["total"], body["suites"]) == (0, [])


@pytest.mark.parametrize("query", ["?status=broken", "?limit=0", "?offset=-1"])
def test_bad_filters_are_400(client, admin, repo, query):
    add_build(repo["id"], 1)
    answer = client.get(f"/api/repos/{repo['id']}/builds/1/tests{query}", headers=admin.headers)
    assert answer.status_code == 400 and answer.get_json()["message"].startswith("invalid input: ")


def test_users_without_access_get_404(client, admin, bob, repo):
    _report(add_build(repo["id"], 1), _suite(a="passed"))
    for url in ("/builds/1/tests", "/tests/flaky", "/tests/1/history"):
        assert client.get(f"/api/repos/{repo['id']}{url}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/repos/{repo['id']}/tests/999/history", headers=admin.headers).status_code == 404


def test_failed_and_passed_on_one_commit_or_flipping_on_a_branch_is_flaky(client, admin, repo):
    runs = [("1" * 40, dict(same="failed", flips="passed", fixed="failed", steady="passed")),
            ("1" * 40, dict(same="passed", flips="failed", fixed="passed", steady="passed")),
            ("2" * 40, dict(same="passed", flips="passed", fixed="passed", steady="skipped"))]
    for number, (sha, statuses) in enumerate(runs, start=1):
        _report(add_build(repo["id"], number, commit=sha), _suite(**statuses))
    flaky = _get(client, admin, f"/api/repos/{repo['id']}/tests/flaky?builds=50")
    found = {t["name"]: t for t in flaky}
    assert set(found) == {"same", "flips", "fixed"}
    assert (found["same"]["failed"], found["same"]["passed"], found["same"]["failed_builds"]) == (1, 2, [1])
    assert found["same"]["commits"] == ["1" * 40] and found["flips"]["branches"] == ["main"]
    assert found["flips"]["flips"] == 2 and found["flips"]["failed_builds"] == [2]
    assert _get(client, admin, f"/api/repos/{repo['id']}/tests/flaky?builds=2") == []  # one flip, no shared commit
    history = _get(client, admin, f"/api/repos/{repo['id']}/tests/{found['same']['id']}/history")
    assert [(r["number"], r["status"]) for r in history["results"]] == [(3, "passed"), (2, "passed"), (1, "failed")]
    assert history["results"][2]["message"] == "boom" and history["name"] == "same"


def test_the_commit_status_says_how_many_failed_of_how_many(app, repo):
    build = add_build(repo["id"], 1, status="failure")
    xml = _suite(**{f"t{i}": "failed" if i < 12 else "passed" for i in range(1340)})
    _report(build, xml)
    assert status_description(build) == "The build failed: 12 failed of 1 340 tests"
    assert status_description(add_build(repo["id"], 2, status="success")) == ""
    assert status_description(add_build(repo["id"], 3, status="running")) == ""

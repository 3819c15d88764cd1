"""Test reports end to end: a real pytest run in a step (local backend, real agent) → the tests API."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import _pytest
import iniconfig
import packaging
import pluggy
import py
import pytest

pytestmark = pytest.mark.slow

# Three pass, one is skipped, and one fails in odd-numbered builds only: the same commit fails, then passes.
TESTS = '''
import os

import pytest


def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "ci" in "circle"


def test_three():
    assert [1, 2] == [1, 2]


@pytest.mark.skip(reason="not on CI")
def test_skipped():
    assert False


def test_sometimes():
    number = int(os.environ["CI_BUILD_NUMBER"])
    assert number % 2 == 0, f"build {number} is odd"
'''

# The system's python (a sandboxed step sees no virtualenv) runs the virtualenv's pytest, committed in the repo.
PYTHON = shutil.which("python3", path=os.defpath)
PIPELINE = f"""
pipeline:
  test:
    image: python
    commands:
      - PYTHONPATH=vendor {PYTHON} -m pytest -q -p no:cacheprovider --junitxml=build/junit.xml test_demo.py
    reports: build/*.xml
    artifacts: [missing/*.log]
"""


def _vendored() -> dict[str, str]:
    """Return the sources of pytest and the packages it needs, as repo files under vendor/."""
    files = {}
    for module in (pytest, _pytest, pluggy, iniconfig, packaging, py):  # py: pytest's one-file shim
        source = Path(str(module.__file__)).resolve()
        if source.name != "__init__.py":
            files[f"vendor/{source.name}"] = source.read_text()
            continue
        for path in source.parent.rglob("*.py"):
            files[f"vendor/{source.parent.name}/{path.relative_to(source.parent)}"] = path.read_text()
    return files


def _manual(server, repo_id: int) -> int:
    """Start a manual build of main and return its number."""
    return server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]


def test_pytest_results_reach_the_api_and_a_second_run_of_the_commit_marks_the_test_flaky(server, agent, activate):
    assert PYTHON, "this test needs python3 in /bin or /usr/bin"
    repo_id, _ = activate({".circle.yml": PIPELINE, "test_demo.py": TESTS, **_vendored()})
    first = server.wait_build(repo_id, _manual(server, repo_id), timeout=120)
    assert first["status"] == "failure", first
    log = server.log_text(repo_id, first["number"], "test")
    assert "1 failed, 3 passed, 1 skipped" in log
    assert "warning: `artifacts: missing/*.log` matched no file in the workspace" in log

    tests = server.ok("GET", f"/api/repos/{repo_id}/builds/{first['number']}/tests")
    assert {k: tests[k] for k in ("total", "passed", "failed", "skipped", "errors")} == {
        "total": 5, "passed": 3, "failed": 1, "skipped": 1, "errors": 0}
    cases = [c for suite in tests["suites"] for c in suite["cases"]]
    assert cases[0]["name"] == "test_sometimes" and cases[0]["status"] == "failed"
    assert f"build {first['number']} is odd" in cases[0]["message"]
    assert {c["name"]: c["status"] for c in cases} == {
        "test_one": "passed", "test_two": "passed", "test_three": "passed", "test_skipped": "skipped",
        "test_sometimes": "failed"}
    files = server.ok("GET", f"/api/repos/{repo_id}/builds/{first['number']}/files")
    assert [(f["name"], f["kind"]) for f in files] == [("build/junit.xml", "report")]
    assert server.ok("GET", f"/api/repos/{repo_id}/tests/flaky") == []

    second = server.wait_build(repo_id, _manual(server, repo_id), timeout=120)
    assert second["status"] == "success" and second["commit"] == first["commit"], second
    failed = server.ok("GET", f"/api/repos/{repo_id}/builds/{second['number']}/tests?status=failed")
    assert (failed["total"], failed["failed"], failed["suites"]) == (5, 0, [])
    flaky = server.ok("GET", f"/api/repos/{repo_id}/tests/flaky?builds=50")
    assert [(t["name"], t["passed"], t["failed"], t["failed_builds"], t["commits"]) for t in flaky] == [
        ("test_sometimes", 1, 1, [first["number"]], [first["commit"]])]

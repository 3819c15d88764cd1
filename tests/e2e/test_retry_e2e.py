"""Step retry and timeout, and restarting some workflows of a build: real server and agent (local backend), real git."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slow

FLAKY = """
steps:
  - name: flaky
    image: busybox
    retry: 2
    commands:
      - n=$(cat attempts.txt 2>/dev/null || echo 0)
      - n=$((n + 1))
      - echo $n > attempts.txt
      - echo "try $n"
      - test $n -ge 3
"""

SLOW = """
steps:
  - name: slow
    image: busybox
    timeout: 2s
    commands: [sleep 100]
  - name: after
    image: busybox
    commands: [echo never]
"""

# Two workflows: AXIS=good passes, AXIS=bad fails; each prints a value that differs on every run.
MATRIX = """
pipeline:
  check:
    image: busybox
    commands:
      - date +run-%s%N
      - test "${AXIS}" = good
matrix:
  AXIS: [good, bad]
"""


def _manual(server, repo_id: int) -> int:
    """Start a manual build and return its number."""
    [build] = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
    return build["number"]


def _procs(build: dict) -> dict[str, dict]:
    """Return the procs of a build by name (steps named after their workflow: `default (AXIS=x)/check`)."""
    names = {p["pid"]: p["name"] for p in build["procs"] if p["ppid"] == 0}
    return {(f"{names[p['ppid']]}/" if p["ppid"] else "") + p["name"]: p for p in build["procs"]}


def _log(server, repo_id: int, number: int, pid: int) -> str:
    return server.api("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pid}?format=text").text


def test_a_step_that_fails_twice_then_succeeds_shows_three_attempts(server, agent, activate):
    repo_id, _ = activate({".circle.yml": FLAKY})
    number = _manual(server, repo_id)
    done = server.wait_build(repo_id, number)
    flaky = _procs(done)["default/flaky"]
    log = server.log_text(repo_id, number, "flaky")
    assert done["status"] == "success", log
    assert (flaky["state"], flaky["attempts"]) == ("success", 3)
    marks = [log.index(text) for text in ("try 1", "--- attempt 2 of 3 ---", "try 2", "--- attempt 3 of 3 ---",
                                          "try 3")]
    assert marks == sorted(marks)
    page = server.api("GET", f"/repos/{repo_id}/builds/{number}?pid={flaky['pid']}")
    assert "attempt 3" in page.text


def test_a_step_past_its_timeout_is_killed_with_the_reason(server, agent, activate):
    repo_id, _ = activate({".circle.yml": SLOW})
    number = _manual(server, repo_id)
    began = time.monotonic()
    done = server.wait_build(repo_id, number, timeout=60)
    assert time.monotonic() - began < 30  # cut short: the step would sleep 100 s
    procs = _procs(done)
    slow = procs["default/slow"]
    assert done["status"] == "failure", done
    assert (slow["state"], slow["exit_code"], slow["error"]) == ("killed", 137, "the step timed out after 2 seconds")
    assert 0 < slow["finished"] - slow["started"] < 10
    assert "the step timed out after 2 seconds and was killed" in server.log_text(repo_id, number, "slow")
    assert procs["default/after"]["state"] == "skipped"


def test_restarting_failed_or_single_workflows_keeps_the_others(server, agent, activate):
    repo_id, _ = activate({".circle.yml": MATRIX})
    number = _manual(server, repo_id)
    first = _procs(server.wait_build(repo_id, number))
    good, bad = first["default (AXIS=good)/check"], first["default (AXIS=bad)/check"]
    assert (good["state"], bad["state"]) == ("success", "failure")
    good_log, bad_log = _log(server, repo_id, number, good["pid"]), _log(server, repo_id, number, bad["pid"])

    again = server.ok("POST", f"/api/repos/{repo_id}/builds/{number}/restart?failed=true")
    assert (again["number"], again["status"]) == (number, "pending")
    second = _procs(server.wait_build(repo_id, number))
    assert second["default (AXIS=good)/check"] == good  # untouched: same state, times and machine
    assert _log(server, repo_id, number, good["pid"]) == good_log
    rerun = second["default (AXIS=bad)/check"]
    assert rerun["state"] == "failure" and rerun["started"] >= bad["started"]
    rerun_log = _log(server, repo_id, number, bad["pid"])
    assert rerun_log != bad_log and rerun_log.count("\nrun-") == 1  # a fresh log, not appended

    workflow = first["default (AXIS=good)"]["pid"]
    server.ok("POST", f"/api/repos/{repo_id}/builds/{number}/workflows/{workflow}/restart")
    third = server.wait_build(repo_id, number)
    assert third["status"] == "failure"
    procs = _procs(third)
    assert procs["default (AXIS=good)/check"]["state"] == "success"
    assert _log(server, repo_id, number, good["pid"]) != good_log
    assert _log(server, repo_id, number, bad["pid"]) == rerun_log

    step = server.api("POST", f"/api/repos/{repo_id}/builds/{number}/workflows/{good['pid']}/restart")
    assert step.status_code == 400 and "is a step, not a workflow" in step.json()["message"]
    missing = server.api("POST", f"/api/repos/{repo_id}/builds/{number}/workflows/99/restart")
    assert missing.status_code == 404

"""A build end to end: real server process, real agent process (local backend), real git."""
from __future__ import annotations

import subprocess
import time

import pytest

from circle.pipeline.types import MASK

pytestmark = pytest.mark.slow

HELLO = """
pipeline:
  build:
    image: busybox
    commands:
      - echo "hello from $CI_REPO on $CI_COMMIT_BRANCH"
      - cat README
"""


def _manual(server, repo_id: int, **body) -> dict:
    """Start a manual build and return it."""
    builds = server.ok("POST", f"/api/repos/{repo_id}/builds", json=body)
    assert len(builds) == 1
    return builds[0]


def test_manual_build_succeeds_with_its_logs(server, agent, activate):
    """A manual build of the default branch clones the repo, runs the step and stores its output."""
    repo_id, _ = activate({".circle.yml": HELLO, "README": "readme text\n"})
    build = _manual(server, repo_id)
    done = server.wait_build(repo_id, build["number"])
    assert done["status"] == "success", done
    assert done["event"] == "manual" and done["branch"] == "main" and len(done["commit"]) == 40
    states = {p["name"]: p["state"] for p in done["procs"]}
    assert states == {"default": "success", "clone": "success", "build": "success"}
    log = server.log_text(repo_id, build["number"], "build")
    assert "hello from acme/app" in log and "readme text" in log and "+ cat README" in log


def test_the_clone_steps_log_is_one_readable_line_per_action(server, agent, activate):
    """The clone step's log says what it does with the values it uses, not the internal shell script."""
    repo_id, _ = activate({".circle.yml": HELLO, "README": "readme text\n"})
    done = server.wait_build(repo_id, _manual(server, repo_id)["number"])
    assert done["status"] == "success", done
    lines = server.log_text(repo_id, done["number"], "clone").splitlines()
    remote = server.ok("GET", f"/api/repos/{repo_id}")["clone_url"]
    actions = [line for line in lines if line.startswith("+ ")]
    assert actions == ["+ git init", f"+ git remote add origin {remote}", "+ git fetch origin refs/heads/main",
                       f"+ git checkout {done['commit']}"], lines
    assert not any("printf" in line or "CI_" in line or "netrc" in line for line in lines), lines


def test_failing_step_fails_the_build(server, agent, activate):
    """A step exiting 3 fails the build; the next step is skipped."""
    repo_id, _ = activate({".circle.yml": "pipeline:\n  bad:\n    image: x\n    commands: [exit 3]\n"
                                          "  after:\n    image: x\n    commands: [echo never]\n"})
    done = server.wait_build(repo_id, _manual(server, repo_id)["number"])
    procs = {p["name"]: p for p in done["procs"]}
    assert done["status"] == "failure"
    assert procs["bad"]["state"] == "failure" and procs["bad"]["exit_code"] == 3
    assert procs["after"]["state"] == "skipped"


def test_cancel_stops_a_running_build_within_5s(server, agent, activate):
    """Cancel while a step sleeps: the build is killed within 5 s and the process is gone."""
    marker = f"{time.time_ns()}"
    pipeline = f"pipeline:\n  slow:\n    image: x\n    commands: [sleep 300{marker[-3:]}]\n"
    repo_id, _ = activate({".circle.yml": pipeline})
    number = _manual(server, repo_id)["number"]
    running = server.wait_build(repo_id, number, {"running"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p["name"] == "slow" and p["state"] == "running"
                                                  for p in server.build(repo_id, number)["procs"]):
        time.sleep(0.1)
    assert running["status"] == "running"
    started = time.monotonic()
    server.ok("POST", f"/api/repos/{repo_id}/builds/{number}/cancel")
    done = server.wait_build(repo_id, number, {"killed"}, timeout=5)
    procs = {p["name"]: p for p in done["procs"]}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and procs["slow"]["state"] == "running":
        procs = {p["name"]: p for p in server.build(repo_id, number)["procs"]}
        time.sleep(0.1)
    assert time.monotonic() - started < 5 + 1
    assert done["status"] == "killed" and procs["slow"]["state"] == "killed"
    leftover = subprocess.run(["pgrep", "-f", f"sleep 300{marker[-3:]}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_restart_and_fork(server, agent, activate):
    """Restart reruns in place with fresh procs; fork makes the next number with parent set and params."""
    pipeline = "pipeline:\n  show:\n    image: x\n    commands: [echo \"param=$GREETING\"]\n"
    repo_id, _ = activate({".circle.yml": pipeline})
    first = _manual(server, repo_id, params={"GREETING": "one"})
    server.wait_build(repo_id, first["number"])
    restarted = server.ok("POST", f"/api/repos/{repo_id}/builds/{first['number']}/restart")
    assert restarted["number"] == first["number"]
    again = server.wait_build(repo_id, first["number"])
    assert again["status"] == "success" and server.log_text(repo_id, first["number"], "show").count("param=one") == 1
    forked = server.ok("POST", f"/api/repos/{repo_id}/builds/{first['number']}/fork",
                       json={"params": {"GREETING": "two"}})
    assert forked["number"] == first["number"] + 1 and forked["parent"] == first["number"]
    done = server.wait_build(repo_id, forked["number"])
    assert done["status"] == "success" and "param=two" in server.log_text(repo_id, forked["number"], "show")


def test_artifact_upload_and_download(server, agent, activate):
    """A step uploads with curl to its CIRCLE_UPLOAD_URL: the artifact names the step, the URL is masked in the log
    and refused (403, nothing stored) once the step ended."""
    pipeline = ("pipeline:\n  publish:\n    image: x\n    commands:\n"
                "      - printf 'artifact-bytes' > report.txt\n"
                "      - curl -sf -F file=@report.txt \"$CIRCLE_UPLOAD_URL\"\n"
                "      - printf '%s' \"$CIRCLE_UPLOAD_URL\" > url.txt\n"
                "      - curl -sf -F file=@url.txt \"$CIRCLE_UPLOAD_URL\"\n"
                "      - echo \"url=$CIRCLE_UPLOAD_URL\"\n")
    repo_id, _ = activate({".circle.yml": pipeline})
    number = _manual(server, repo_id)["number"]
    done = server.wait_build(repo_id, number)
    assert done["status"] == "success", server.log_text(repo_id, number, "publish")
    [publish] = [p for p in done["procs"] if p["name"] == "publish"]
    files = server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/files")
    assert [(f["name"], f["pid"]) for f in files] == [("report.txt", publish["pid"]), ("url.txt", publish["pid"])]
    download = server.api("GET", f"/api/repos/{repo_id}/builds/{number}/files/{files[0]['id']}")
    assert download.status_code == 200 and download.content == b"artifact-bytes"
    url = server.api("GET", f"/api/repos/{repo_id}/builds/{number}/files/{files[1]['id']}").text
    log_text = server.log_text(repo_id, number, "publish")
    assert "/api/upload/" in url and url not in log_text and f"url={MASK}" in log_text
    late = server.api("POST", "/api" + url.split("/api", 1)[1], files={"file": ("late.txt", b"late")})
    assert late.status_code == 403
    assert len(server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/files")) == 2


def test_matrix_runs_one_workflow_per_axis(server, agent, activate):
    """A matrix of three axes creates three workflows, each seeing its own variable."""
    pipeline = ("pipeline:\n  show:\n    image: x\n    commands: [echo \"version=$VERSION\"]\n"
                "matrix:\n  VERSION: [\"1\", \"2\", \"3\"]\n")
    repo_id, _ = activate({".circle.yml": pipeline})
    number = _manual(server, repo_id)["number"]
    done = server.wait_build(repo_id, number)
    workflows = [p for p in done["procs"] if p["ppid"] == 0]
    assert done["status"] == "success" and len(workflows) == 3
    logs = []
    for proc in done["procs"]:
        if proc["name"] == "show":
            logs.append(server.api("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{proc['pid']}?format=text").text)
    assert sorted(line for text in logs for line in text.splitlines() if line.startswith("version=")) == [
        "version=1", "version=2", "version=3"]

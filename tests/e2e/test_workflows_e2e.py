"""Woodpecker's `.woodpecker/` layout end to end: one workflow per file, run in `depends_on` order (issue 12)."""
from __future__ import annotations

import pytest

from e2e.harness import commit

pytestmark = pytest.mark.slow

# build sleeps so that a test workflow started alongside it (not after it) would start before it finished.
BUILD = "steps:\n  compile:\n    image: x\n    commands: [sleep 2, echo built]\n"
BROKEN = "steps:\n  compile:\n    image: x\n    commands: [exit 4]\n"
TEST = "depends_on: [build]\nsteps:\n  check:\n    image: x\n    commands: [echo tested]\n"
DEPLOY = "depends_on:\n  - test\nsteps:\n  ship:\n    image: x\n    commands: [echo shipped]\n"


def _workflows(build: dict) -> dict[str, dict]:
    """Return the build's workflow procs by name."""
    return {p["name"]: p for p in build["procs"] if p["ppid"] == 0}


def test_push_runs_the_three_workflows_in_dependency_order(server, agent, activate):
    """One push of .woodpecker/{build,test,deploy}.yml: three workflows, each started after the one it needs."""
    repo_id, work = activate({"README": "x\n"})
    commit(work, {".woodpecker/build.yml": BUILD, ".woodpecker/test.yml": TEST, ".woodpecker/deploy.yaml": DEPLOY,
                  ".woodpecker/notes.txt": "not a pipeline\n"}, "add workflows")
    (pushed,) = server.ok("GET", f"/api/repos/{repo_id}/builds")
    assert pushed["event"] == "push"
    done = server.wait_build(repo_id, pushed["number"], timeout=90)
    assert done["status"] == "success", done
    workflows = _workflows(done)
    assert list(workflows) == ["build", "test", "deploy"]
    assert {w["state"] for w in workflows.values()} == {"success"}
    assert workflows["test"]["started"] >= workflows["build"]["finished"]
    assert workflows["deploy"]["started"] >= workflows["test"]["finished"]
    assert (workflows["test"]["depends_on"], workflows["deploy"]["depends_on"], workflows["build"]["depends_on"]) == (
        [workflows["build"]["pid"]], [workflows["test"]["pid"]], [])
    assert "shipped" in server.log_text(repo_id, pushed["number"], "ship")


def test_failed_dependency_skips_the_workflows_after_it(server, agent, activate):
    """When build fails, test and deploy never run: both end skipped, with their steps, and the build fails."""
    repo_id, _ = activate({".woodpecker/build.yml": BROKEN, ".woodpecker/test.yml": TEST,
                           ".woodpecker/deploy.yml": DEPLOY})
    (build,) = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
    done = server.wait_build(repo_id, build["number"], timeout=90)
    assert done["status"] == "failure", done
    workflows = _workflows(done)
    assert [(name, w["state"]) for name, w in workflows.items()] == [
        ("build", "failure"), ("test", "skipped"), ("deploy", "skipped")]
    steps = {p["name"]: p["state"] for p in done["procs"] if p["ppid"]}
    assert steps["check"] == "skipped" and steps["ship"] == "skipped"
    assert workflows["test"]["started"] == 0 and workflows["deploy"]["started"] == 0


def test_runs_on_failure_runs_after_a_failed_dependency(server, agent, activate):
    """`runs_on: [success, failure]` runs a workflow whatever its dependency's outcome."""
    notify = "depends_on: [build]\nruns_on: [success, failure]\nsteps:\n  tell:\n    image: x\n" \
             "    commands: [echo told]\n"
    repo_id, _ = activate({".woodpecker/build.yml": BROKEN, ".woodpecker/notify.yml": notify})
    (build,) = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
    done = server.wait_build(repo_id, build["number"], timeout=90)
    workflows = _workflows(done)
    assert (done["status"], workflows["build"]["state"], workflows["notify"]["state"]) == (
        "failure", "failure", "success")
    assert "told" in server.log_text(repo_id, build["number"], "tell")


def test_drone_file_alone_is_found_by_the_default_config(server, agent, activate):
    """A repo with only .drone.yml builds with the default config (path .circle.yml)."""
    repo_id, _ = activate({".drone.yml": "pipeline:\n  hello:\n    image: x\n    commands: [echo drone file]\n"})
    (build,) = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})
    done = server.wait_build(repo_id, build["number"])
    assert done["status"] == "success", done
    assert "drone file" in server.log_text(repo_id, build["number"], "hello")

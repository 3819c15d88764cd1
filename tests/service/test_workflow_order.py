"""Config discovery and workflow dependencies on the server, with a real git repository (issue 12)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from circle import states
from circle.models.types import now
from circle.origin import Origin
from circle.service import builds, progress
from circle.store import builds as build_store
from circle.store import configs, repos, scms, tasks, users
from circle.store.base import commit

GOOD = "steps:\n  x:\n    image: x\n    commands: [x]\n"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
       "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def step(name: str, head: str = "") -> str:
    return f"{head}steps:\n  {name}:\n    image: x\n    commands: [echo {name}]\n"


@pytest.fixture
def make(app, tmp_path: Path):
    """Return make(files, path=None) → a repo of a local SCM whose main branch holds `files`, and the sha."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url=str(tmp_path / "git"), owner_id=owner.id)
    count = iter(range(1, 100))

    def make(files: dict[str, str | bytes], path: str = ".circle.yml"):
        name = f"team/app{next(count)}"
        bare, work = tmp_path / "git" / f"{name}.git", tmp_path / "work" / name
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, env=ENV)
        subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True, env=ENV)
        for file, text in files.items():
            (work / file).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                (work / file).write_bytes(text)
            else:
                (work / file).write_text(text)
        for args in (["add", "-A"], ["commit", "-q", "-m", "files"], ["push", "-q", str(bare), "main"]):
            subprocess.run(["git", *args], cwd=work, check=True, env=ENV)
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True, env=ENV, capture_output=True,
                             text=True).stdout.strip()
        repo = repos.create(scm_id=scm.id, full_name=name, owner="team", name=name.split("/")[1],
                            clone_url=str(bare))
        configs.create(repo_id=repo.id, name="default", path=path)
        commit("test")
        return repo, sha
    return make


def start(repo, sha: str):
    """Create a push build of the repo's one config."""
    config = configs.list_by_repo(repo.id)[0]
    return builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit=sha))


def workflows(build) -> dict[str, tuple[str, str]]:
    """Return {workflow name: (proc state, task state or "")}."""
    task_states = {t.proc_id: t.state for t in tasks.list_by_build(build.id)}
    return {p.name: (p.state, task_states.get(p.id, "")) for p in build_store.list_workflows(build.id)}


def end(build, name: str, state: str) -> None:
    """End one workflow as an agent's `done` would (task gone, workflow final, build settled), and commit."""
    proc = next(p for p in build_store.list_workflows(build.id) if p.name == name)
    task = next(t for t in tasks.list_by_build(build.id) if t.proc_id == proc.id)
    tasks.delete(task)
    progress.finish_workflow(build, proc, state, exit_code=0 if state == states.SUCCESS else 1, error="",
                             finished=now())
    progress.settle_build(build)
    commit("test")


def test_independent_workflows_queue_at_once_and_dependents_wait(make):
    """lint and build are pending together (any agents may take them); test waits for build."""
    repo, sha = make({".woodpecker/build.yml": step("b"), ".woodpecker/lint.yaml": step("l"),
                      ".woodpecker/test.yml": step("t", "depends_on: [build]\n"), ".woodpecker/sub/x.yml": "x"})
    build = start(repo, sha)
    assert workflows(build) == {"build": ("pending", "pending"), "lint": ("pending", "pending"),
                                "test": ("pending", "waiting")}
    end(build, "build", states.SUCCESS)
    assert workflows(build)["test"] == ("pending", "pending")
    assert build.status == "running"


def test_a_failure_skips_the_chain_and_runs_the_failure_handlers(make):
    """build fails: test (runs_on success) and deploy after it are skipped; notify (runs_on failure) runs."""
    repo, sha = make({"ci/build.yml": step("b"), "ci/test.yml": step("t", "depends_on: [build]\n"),
                      "ci/deploy.yml": step("d", "depends_on: [test]\n"),
                      "ci/notify.yml": step("n", "depends_on: [build]\nruns_on: [failure]\n"),
                      "ci/cleanup.yml": step("c", "depends_on: [test]\nruns_on: [success, failure]\n")}, path="ci/")
    build = start(repo, sha)
    end(build, "build", states.FAILURE)
    assert workflows(build) == {"build": ("failure", ""), "test": ("skipped", ""), "notify": ("pending", "pending"),
                                "deploy": ("skipped", ""), "cleanup": ("pending", "pending")}
    skipped = {p.pid for p in build_store.list_workflows(build.id) if p.state == "skipped"}
    assert {(p.name, p.state) for p in build_store.list_procs(build.id) if p.ppid in skipped} == {
        ("clone", "skipped"), ("t", "skipped"), ("d", "skipped")}
    end(build, "notify", states.SUCCESS)
    end(build, "cleanup", states.SUCCESS)
    assert (build.status, build.finished > 0) == ("failure", True)


def test_the_default_config_finds_a_drone_file_and_says_what_it_looked_for(make):
    """Only .drone.yml: it builds; nothing at all: the error names every place looked at."""
    repo, sha = make({".drone.yml": "pipeline:\n  hi:\n    image: x\n    commands: [x]\n"})
    assert start(repo, sha).status == "pending"
    repo, sha = make({"README": "no pipeline\n"})
    build = start(repo, sha)
    assert build.status == "error"
    assert build.error == ("the pipeline file .circle.yml, .drone.yml, .woodpecker.yml, .woodpecker.yaml or "
                           f".woodpecker/*.yml does not exist at {sha[:12]}")


def test_an_unknown_dependency_ends_the_build_in_error_with_its_position(make):
    repo, sha = make({".woodpecker/a.yml": step("a"), ".woodpecker/b.yml": step("b", "depends_on: [c]\n")})
    build = start(repo, sha)
    assert build.status == "error"
    assert ".woodpecker/b.yml:1:14: `depends_on` names `c`, which is no workflow of this build" in build.error


def test_a_pipeline_file_that_is_not_utf8_ends_the_build_with_its_position(make):
    repo, sha = make({".drone.yml": b"pipeline:\n  x:\n    image: caf\xe9\n"})
    build = start(repo, sha)
    assert build.status == states.ERROR
    assert ".drone.yml:3:15: the file is not UTF-8 text (byte 0xE9)" in build.error, build.error


def test_restarting_a_failed_workflow_reruns_what_it_skipped_in_order(make):
    """build failed and test/deploy were skipped: ?failed=true reruns build, then test and deploy after it."""
    repo, sha = make({"ci/build.yml": step("b"), "ci/test.yml": step("t", "depends_on: [build]\n"),
                      "ci/deploy.yml": step("d", "depends_on: [test]\n"), "ci/lint.yml": step("l")}, path="ci/")
    build = start(repo, sha)
    end(build, "lint", states.SUCCESS)
    end(build, "build", states.FAILURE)
    assert build.status == "failure"
    builds.restart_failed(repo, build)
    assert workflows(build) == {"build": ("pending", "pending"), "test": ("pending", "waiting"),
                                "deploy": ("pending", "waiting"), "lint": ("success", "")}
    end(build, "build", states.SUCCESS)
    assert workflows(build)["test"] == ("pending", "pending") and workflows(build)["deploy"][1] == "waiting"

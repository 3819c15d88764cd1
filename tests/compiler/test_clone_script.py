"""The clone step's script really clones: with sh + git on the host, and inside a docker image with sh + git."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from circle.compiler import Metadata, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, Netrc, RepoInfo
from circle.pipeline.script import step_script
from circle.pipeline.types import Step

DOCKER_IMAGE = "circle-test/git"


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its output."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def source(tmp_path: Path) -> dict[str, str]:
    """A repository with two commits on main (the first tagged v1) and one on a branch."""
    repo = tmp_path / "source"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-q", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    (repo / "b.txt").write_text("two\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "second")
    second = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "c.txt").write_text("three\n")
    git(repo, "add", "c.txt")
    git(repo, "commit", "-q", "-m", "third")
    topic = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return {"path": str(repo), "first": first, "second": second, "topic": topic}


def clone_step(remote: str, sha: str, ref: str, text: str = "pipeline:\n  b:\n    image: x\n    commands: [ls]\n",
               netrc: Netrc | None = None) -> Step:
    """Compile `text` and return its clone step."""
    meta = Metadata(repo=RepoInfo(full_name="o/r", owner="o", name="r", clone_url=remote),
                    commit=CommitInfo(sha=sha, ref=ref, branch="main"), build=BuildInfo(number=1), netrc=netrc)
    [workflow] = compile_pipeline(text, meta, trusted=True)
    step = workflow.config.stages[0].steps[0]
    assert step.kind == "clone"
    return step


def run_script(step: Step, workspace: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the script the backends make of the step (its trace setting included) in `workspace`."""
    workspace.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    env = {**step.environment, "HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run(["sh", "-e", "-c", step_script(step.commands, step.trace)], cwd=workspace, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)


def run_on_host(step: Step, workspace: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the step's commands as one `sh -e` script in `workspace`, like the local backend."""
    workspace.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    env = {**step.environment, "HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run(["sh", "-e", "-c", "\n".join(step.commands)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_log_is_one_line_per_action_and_never_the_credentials(source: dict[str, str], tmp_path: Path) -> None:
    """The compiled clone step echoes no script (trace off); its lines name each git action with its values, and
    the netrc it writes (login, password) never reaches the output; run again, it updates the remote."""
    netrc = Netrc(machine="git.example.com", login="bob-the-login", password="pw-Zq81x-secret")
    step = clone_step(source["path"], source["second"], "refs/heads/main",
                      "clone:\n  git:\n    image: plugins/git\n    depth: 1\n"
                      "pipeline:\n  b:\n    image: x\n    commands: [ls]\n", netrc=netrc)
    assert step.trace is False
    first = run_script(step, tmp_path / "ws", tmp_path / "home")
    assert first.returncode == 0, first.stdout
    assert first.stdout.splitlines() == ["+ git init", f"+ git remote add origin {source['path']}",
                                         "+ git fetch --depth=1 origin refs/heads/main",
                                         f"+ git checkout {source['second']}"]
    again = run_script(step, tmp_path / "ws", tmp_path / "home")
    assert again.stdout.splitlines()[0] == f"+ git remote set-url origin {source['path']}"
    for secret in ("bob-the-login", "pw-Zq81x-secret", "printf", "netrc"):
        assert secret not in first.stdout + again.stdout


def test_clones_the_commit_of_a_branch(source: dict[str, str], tmp_path: Path) -> None:
    step = clone_step(source["path"], source["first"], "refs/heads/main")
    done = run_on_host(step, tmp_path / "ws", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "ws", "rev-parse", "HEAD") == source["first"]
    assert (tmp_path / "ws" / "a.txt").exists() and not (tmp_path / "ws" / "b.txt").exists()


def test_running_twice_moves_to_the_new_commit(source: dict[str, str], tmp_path: Path) -> None:
    run_on_host(clone_step(source["path"], source["first"], "refs/heads/main"), tmp_path / "ws", tmp_path / "home")
    step = clone_step(source["path"], source["topic"], "refs/heads/topic")
    done = run_on_host(step, tmp_path / "ws", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "ws", "rev-parse", "HEAD") == source["topic"]


def test_clones_a_tag_and_a_bare_sha(source: dict[str, str], tmp_path: Path) -> None:
    done = run_on_host(clone_step(source["path"], source["first"], "refs/tags/v1"), tmp_path / "t", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "t", "rev-parse", "HEAD") == source["first"]
    done = run_on_host(clone_step(source["path"], source["second"], ""), tmp_path / "s", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "s", "rev-parse", "HEAD") == source["second"]


def test_a_missing_commit_fails_the_step(source: dict[str, str], tmp_path: Path) -> None:
    done = run_on_host(clone_step(source["path"], "f" * 40, "refs/heads/main"), tmp_path / "ws", tmp_path / "home")
    assert done.returncode != 0


def test_netrc_lives_only_while_the_clone_runs(source: dict[str, str], tmp_path: Path) -> None:
    """The clone writes $HOME/.netrc (0600) for git and removes it when it ends, failed or not: no later step of
    the build finds the SCM owner's credentials in a HOME."""
    netrc = Netrc(machine="git.example.com", login="octo", password="t0ken")
    step = clone_step(source["path"], source["second"], "refs/heads/main", netrc=netrc)
    assert step.environment["CI_NETRC_PASSWORD"] == "t0ken"
    step.commands.append('cp -p "$HOME/.netrc" "$HOME/seen"')  # what git sees while the clone runs
    done = run_on_host(step, tmp_path / "ws", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    seen = tmp_path / "home" / "seen"
    assert seen.read_text() == "machine git.example.com\nlogin octo\npassword t0ken\n"
    assert seen.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "home" / ".netrc").exists()
    failing = clone_step(source["path"], "f" * 40, "refs/heads/absent", netrc=netrc)
    assert run_on_host(failing, tmp_path / "ws2", tmp_path / "home2").returncode != 0
    assert not (tmp_path / "home2" / ".netrc").exists()


def test_custom_git_clone_honours_depth(source: dict[str, str], tmp_path: Path) -> None:
    text = "clone:\n  git:\n    image: plugins/git\n    depth: 1\npipeline:\n  b:\n    image: x\n    commands: [ls]\n"
    step = clone_step("file://" + source["path"], source["second"], "refs/heads/main", text=text)
    assert step.name == "git" and step.environment["PLUGIN_DEPTH"] == "1"
    done = run_on_host(step, tmp_path / "ws", tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "ws", "rev-parse", "--is-shallow-repository") == "true"
    assert git(tmp_path / "ws", "rev-list", "--count", "HEAD") == "1"


def _docker_ready() -> str:
    """Return why docker cannot be used here, or "" when it can."""
    if not shutil.which("docker"):
        return "no docker CLI"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        return "no docker engine answers"
    if subprocess.run(["docker", "image", "inspect", DOCKER_IMAGE], capture_output=True, timeout=30).returncode != 0:
        return f"image {DOCKER_IMAGE} (sh + git) is not present"
    return ""


@pytest.mark.docker
def test_clones_inside_a_docker_image(source: dict[str, str], tmp_path: Path) -> None:
    reason = _docker_ready()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    step = clone_step("/source", source["first"], "refs/heads/main")
    workspace = tmp_path / "volume"
    workspace.mkdir()
    argv = ["docker", "run", "--rm", "-v", f"{source['path']}:/source:ro", "-v", f"{workspace}:/circle",
            "-w", step.working_dir, "--entrypoint", "/bin/sh"]
    for key, value in step.environment.items():
        argv += ["-e", f"{key}={value}"]
    argv += [DOCKER_IMAGE, "-e", "-c", "\n".join(step.commands) + "\ngit rev-parse HEAD"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == source["first"]

"""`circle exec`: a pipeline file in a git checkout, run here on the local and docker backends."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from circle.cli import main

BUSYBOX = "circle-test/busybox:latest"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}


def checkout(path: Path, files: dict[str, str]) -> Path:
    """Return a git work tree at `path` with `files` committed on main."""
    path.mkdir()
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=path, env={**os.environ, **GIT_ENV}, check=True)
    return path


PIPELINE = f"""
pipeline:
  build:
    image: {BUSYBOX}
    secrets: [token]
    commands:
      - cat README
      - env | grep "^TOKEN="
  notify:
    image: {BUSYBOX}
    commands: [echo "status $CI_BUILD_STATUS"]
    when:
      status: [success, failure]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = checkout(tmp_path / "project", {".circle.yml": PIPELINE, "README": "readme of the project\n"})
    monkeypatch.chdir(path)
    return path


def test_exec_runs_the_checkout_locally_and_summarises_each_step(repo, capsys):
    assert main(["exec", "--backend", "local", "--secret", "token=tok-SECRET-1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "[build] readme of the project" in out
    assert "[build] TOKEN=********" in out and not any("tok-SECRET-1" in line for line in out)
    assert "[notify] status success" in out
    summaries = [line for line in out if " --- " in line]
    assert [line.split(" --- ")[0] for line in summaries] == ["[clone]", "[build]", "[notify]"]
    assert all(" --- success (exit code 0, " in line for line in summaries)


def test_exec_exits_1_when_a_step_fails(tmp_path, monkeypatch, capsys):
    failing = f"pipeline:\n  test:\n    image: {BUSYBOX}\n    commands: [exit 3]\n" \
              f"  deploy:\n    image: {BUSYBOX}\n    commands: [echo deploying]\n"
    monkeypatch.chdir(checkout(tmp_path / "failing", {".drone.yml": failing}))
    assert main(["exec", "--backend", "local"]) == 1
    captured = capsys.readouterr()
    assert "[test] --- failure (exit code 3, " in captured.out
    assert "[deploy] --- skipped" in captured.out
    assert captured.err.strip() == "circle: pipeline failure (exit code 3)"


def test_exec_without_a_pipeline_file_says_so_in_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["exec", "--backend", "local"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".circle.yml" in err and "Traceback" not in err


def test_exec_reports_compile_problems_with_their_position(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(checkout(tmp_path / "bad", {"broken.yml": "pipeline:\n  build: [not, a, step\n"}))
    assert main(["exec", "broken.yml", "--backend", "local"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("circle: broken.yml:") and "Traceback" not in err


def test_exec_runs_a_woodpecker_directory_in_dependency_order(tmp_path, monkeypatch, capsys):
    """Without FILE, .woodpecker/ is found; deploy runs after test after build; a failed build skips both."""
    def workflow(name: str, command: str, head: str = "") -> str:
        return f"{head}steps:\n  {name}:\n    image: {BUSYBOX}\n    commands: [{command}]\n"

    files = {".woodpecker/deploy.yml": workflow("ship", "echo shipping", "depends_on: [test]\n"),
             ".woodpecker/test.yml": workflow("check", "echo checking", "depends_on: [build]\n"),
             ".woodpecker/build.yml": workflow("compile", "echo compiling")}
    monkeypatch.chdir(checkout(tmp_path / "ordered", files))
    assert main(["exec", "--backend", "local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("===")] == ["=== build", "=== test", "=== deploy"]
    assert out.index("[compile] compiling") < out.index("[check] checking") < out.index("[ship] shipping")

    files[".woodpecker/build.yml"] = workflow("compile", "exit 2")
    monkeypatch.chdir(checkout(tmp_path / "broken", files))
    assert main(["exec", "--backend", "local"]) == 1
    captured = capsys.readouterr()
    assert [line for line in captured.out.splitlines() if line.startswith("===")] == [
        "=== build", "=== test skipped: build ended failure", "=== deploy skipped: test ended skipped"]
    assert "[check]" not in captured.out and "[ship]" not in captured.out
    assert captured.err.strip() == "circle: pipeline failure (exit code 2)"


def test_exec_runs_each_matrix_axis_in_turn(tmp_path, monkeypatch, capsys):
    matrix = (f"pipeline:\n  show:\n    image: {BUSYBOX}\n    commands: [echo \"go=$GO\"]\n"
              "matrix:\n  GO: [\"1.1\", \"1.2\"]\n")
    monkeypatch.chdir(checkout(tmp_path / "matrix", {".circle.yml": matrix}))
    assert main(["exec", "--backend", "local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("[show] go=")] == ["[show] go=1.1", "[show] go=1.2"]
    assert len([line for line in out if line.startswith("===")]) == 2


@pytest.mark.slow
def test_ctrl_c_cancels_cleanly(tmp_path):
    marker = f"sleep 600.{secrets.randbelow(10**6):06d}"
    pipeline = f"pipeline:\n  long:\n    image: {BUSYBOX}\n    commands: [echo ready, {marker}]\n"
    project = checkout(tmp_path / "long", {".circle.yml": pipeline})
    proc = subprocess.Popen([sys.executable, "-c", "from circle.cli import run; run()", "exec", "--backend", "local"],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "[long] ready":
            break
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "[long] --- killed (exit code 137, " in rest
    assert "Traceback" not in err
    leftovers = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert leftovers == []


@pytest.mark.docker
def test_exec_on_docker_clones_the_checkout_into_the_workspace(repo, capsys, docker_images):
    code = main(["exec", "--backend", "docker", "--clone-image", "circle-test/git:latest", "--secret", "token=t0k"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0, "\n".join(out)
    assert "[build] readme of the project" in out and "[notify] status success" in out

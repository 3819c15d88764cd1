"""Metadata and the metadata flags of `circle compile` / `circle exec`."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from circle.cli.metadata_flags import add_metadata_flags, metadata_from_args
from circle.compiler import Metadata, SecretSpec
from circle.compiler.metadata import BuildInfo, Netrc, RepoInfo
from circle.errors import InvalidInput


def parse(argv: list[str]) -> tuple[Metadata, list[SecretSpec], dict[str, str]]:
    parser = argparse.ArgumentParser()
    add_metadata_flags(parser)
    return metadata_from_args(parser.parse_args(argv))


def test_json_round_trip() -> None:
    meta = Metadata(repo=RepoInfo(full_name="a/b", owner="a", name="b"),
                    build=BuildInfo(number=4, event="tag", tag="v1"),
                    params={"X": "1"}, netrc=Netrc("h", "u", "p"), upload_url="http://u")
    again = Metadata.from_json(meta.to_json() | {"unknown": 1})
    assert again == meta and again.environ() == meta.environ()


def test_drone_twins_of_ci_variables() -> None:
    env = Metadata(build=BuildInfo(event="deployment", deploy_to="prod")).environ()
    woodpecker_only = ("CI_PIPELINE_", "CI_FORGE_", "CI_REPO_URL", "CI_REPO_CLONE_URL", "CI_REPO_SCM", "CI_COMMIT_URL",
                       "CI_SYSTEM_URL")
    for key in [k for k in env if k.startswith("CI_") and not k.startswith(woodpecker_only)]:
        assert env["DRONE_" + key[3:]] == env[key]
    assert env["DRONE_DEPLOY_TO"] == "prod"


def test_defaults_in_a_plain_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    meta, secrets, env = parse([])
    assert (meta.build.event, meta.commit.branch) == ("push", "main")
    assert (meta.commit.ref, meta.commit.sha) == ("refs/heads/main", "")
    assert meta.repo.full_name == f"local/{tmp_path.name}" and secrets == [] and env == {}


def test_defaults_in_a_git_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True, text=True,  # noqa: E731
                                    env={**os.environ, "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "Ann",
                                         "GIT_AUTHOR_EMAIL": "ann@x", "GIT_COMMITTER_NAME": "Ann",
                                         "GIT_COMMITTER_EMAIL": "ann@x"}).stdout.strip()
    run("init", "-q", "-b", "dev")
    (tmp_path / "f").write_text("x")
    run("add", "f")
    run("commit", "-q", "-m", "the message")
    monkeypatch.chdir(tmp_path)
    meta, _, _ = parse(["--secret", "TOKEN=a=b", "--env", "K=V"])
    assert meta.commit.branch == "dev" and meta.commit.sha == run("rev-parse", "HEAD")
    assert meta.commit.message == "the message" and meta.commit.author == "Ann"
    assert meta.commit.author_email == "ann@x" and meta.commit.ref == "refs/heads/dev"
    assert meta.repo.clone_url == str(tmp_path) and meta.repo.full_name == f"local/{tmp_path.name}"


def test_a_checkout_is_read_with_two_git_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each git process costs a start-up: HEAD and its commit take one each (`circle compile` starts faster)."""
    work, shim = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    shim.mkdir()
    git = shutil.which("git")
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/calls\nexec {git} "$@"\n')
    (shim / "git").chmod(0o755)
    env = {**os.environ, "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": "ann@x",
           "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": "ann@x"}
    for argv in (["init", "-q", "-b", "dev"], ["commit", "-q", "--allow-empty", "-m", "m"]):
        subprocess.run([git or "git", *argv], cwd=work, env=env, check=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PATH", f"{shim}:{os.environ['PATH']}")
    meta, _, _ = parse([])
    assert (meta.commit.branch, meta.commit.message, meta.commit.author) == ("dev", "m", "Ann")
    assert len((tmp_path / "calls").read_text().splitlines()) == 2


def test_defaults_in_a_repository_without_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "init", "-q", "-b", "dev"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    meta, _, _ = parse([])
    assert (meta.commit.branch, meta.commit.sha, meta.commit.message) == ("main", "", "")
    assert meta.repo.clone_url == str(tmp_path)


def test_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    meta, secrets, env = parse(["--event", "tag", "--ref", "refs/tags/v3", "--commit", "abc", "--repo", "o/n",
                                "--secret", "A=1", "--secret", "B=x=y", "--env", "E=", "--branch", "main"])
    assert (meta.build.event, meta.build.tag, meta.commit.ref, meta.commit.sha) == ("tag", "v3", "refs/tags/v3", "abc")
    assert (meta.repo.owner, meta.repo.name) == ("o", "n")
    assert [(s.name, s.value) for s in secrets] == [("A", "1"), ("B", "x=y")] and env == {"E": ""}


@pytest.mark.parametrize("argv", [["--repo", "noslash"], ["--secret", "novalue"], ["--env", "=x"]])
def test_bad_flags_are_one_sentence_errors(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput):
        parse(argv)

"""The local SCM reads objects through one long-lived `git cat-file --batch` per repository."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from circle.errors import NotFound
from circle.remote import get_remote
from circle.remote.localgit import objects

ENV = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
       "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def git(cwd: Path, *args: str) -> str:
    """Run git and return its stdout."""
    env = {**os.environ, **ENV, "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(autouse=True)
def fresh_readers() -> object:
    """Stop every batch process after each test."""
    yield
    objects.close_all()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """A bare repository team/app under a root, and a work tree pushing to it with one commit on main."""
    root = tmp_path / "repos"
    (root / "team").mkdir(parents=True)
    git(root, "init", "--quiet", "--bare", "-b", "main", "team/app.git")
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(root / "team" / "app.git"), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / ".circle.yml").write_text("steps: {}\n")
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "First\n\nbody line")
    git(work, "push", "--quiet", "origin", "main")
    return root, work


def commit_and_push(work: Path, name: str, text: str, branch: str = "main") -> str:
    """Commit one file and push it; return the new head."""
    path = work / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", f"write {name}")
    git(work, "push", "--quiet", "origin", f"HEAD:{branch}")
    return git(work, "rev-parse", "HEAD")


def batch_pid(root: Path) -> int | None:
    """Return the pid of team/app's batch process."""
    return objects.reader(root / "team" / "app.git").pid


def test_reads_share_one_batch_process(repo: tuple[Path, Path]) -> None:
    root, work = repo
    remote = get_remote("local", str(root))
    head = remote.branch_head("team/app", "main")
    pid = batch_pid(root)
    assert pid is not None
    assert remote.file_ref("team/app", head, ".circle.yml") == b"steps: {}\n"
    commit = remote.commit("team/app", "main")
    assert batch_pid(root) == pid
    assert (commit.sha, commit.author_name, commit.author_email) == (head, "Ada Lovelace", "ada@example.com")
    assert commit.message == git(work, "log", "-1", "--format=%B").rstrip("\n") == "First\n\nbody line"


def test_pushes_repacks_and_deleted_branches_are_seen_at_once(repo: tuple[Path, Path]) -> None:
    root, work = repo
    remote = get_remote("local", str(root))
    remote.branch_head("team/app", "main")
    second = commit_and_push(work, "a.txt", "one")
    assert remote.branch_head("team/app", "main") == second
    git(root / "team" / "app.git", "gc", "--quiet", "--prune=now")  # loose objects and refs packed
    third = commit_and_push(work, "a.txt", "two", branch="other")
    assert remote.branch_head("team/app", "other") == third
    assert remote.file_ref("team/app", "other", "a.txt") == b"two"
    git(work, "push", "--quiet", "origin", ":other")
    with pytest.raises(NotFound, match="has no branch other"):
        remote.branch_head("team/app", "other")
    assert remote.branch_head("team/app", "main") == second


def test_a_dead_batch_process_is_replaced_within_the_read(repo: tuple[Path, Path]) -> None:
    root, _ = repo
    remote = get_remote("local", str(root))
    head = remote.branch_head("team/app", "main")
    pid = batch_pid(root)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert remote.branch_head("team/app", "main") == head
    assert batch_pid(root) not in (None, pid)


def test_directory_listing_names_files_only(repo: tuple[Path, Path]) -> None:
    root, work = repo
    remote = get_remote("local", str(root))
    commit_and_push(work, ".woodpecker/build step.yml", "steps: {}\n")
    commit_and_push(work, ".woodpecker/nested/deep.yml", "steps: {}\n")
    os.symlink("build step.yml", work / ".woodpecker" / "link.yml")
    head = commit_and_push(work, ".woodpecker/test.yaml", "steps: {}\n")
    assert sorted(remote.dir("team/app", head, ".woodpecker")) == [
        ".woodpecker/build step.yml", ".woodpecker/link.yml", ".woodpecker/test.yaml"]
    with pytest.raises(NotFound):
        remote.dir("team/app", head, ".circle.yml")  # a file, not a directory
    with pytest.raises(NotFound):
        remote.file_ref("team/app", head, ".woodpecker")  # a directory, not a file


def test_the_least_recently_used_reader_is_stopped(repo: tuple[Path, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = repo
    monkeypatch.setattr(objects, "MAX_READERS", 1)
    remote = get_remote("local", str(root))
    remote.branch_head("team/app", "main")
    first = objects.reader(root / "team" / "app.git")
    pid = first.pid
    assert pid is not None
    git(root, "init", "--quiet", "--bare", "-b", "main", "other.git")
    with pytest.raises(NotFound):
        remote.branch_head("other", "main")  # an empty repository: its reader takes the only place
    assert first.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped


def test_changed_paths_match_git_diff(repo: tuple[Path, Path]) -> None:
    """Adds, edits, deletes, a file turned directory and back, a mode change and a symlink: as git diff names them."""
    root, work = repo
    reader = objects.reader(root / "team" / "app.git")
    for name in ("src/a.py", "src/deep/b.py", "docs/x.md", "tool.sh", "swap", "keep.txt"):
        commit_and_push(work, name, name)
    before = git(work, "rev-parse", "HEAD")
    (work / "src" / "a.py").write_text("edited")
    (work / "docs" / "x.md").unlink()
    (work / "swap").unlink()
    (work / "swap").mkdir()
    (work / "swap" / "inside.txt").write_text("now a directory")
    os.chmod(work / "tool.sh", 0o755)
    os.symlink("keep.txt", work / "link")
    (work / "src" / "deep" / "new.py").write_text("new")
    after = commit_and_push(work, "added/one.txt", "one")
    expected = git(work, "diff", "--name-only", "--no-renames", before, after).splitlines()
    assert objects.changed_paths(reader, before, after, 100) == sorted(expected)
    assert objects.changed_paths(reader, after, before, 100) == sorted(expected)
    assert objects.changed_paths(reader, before, "f" * 40, 100) == []
    with pytest.raises(objects.TooManyPaths):
        objects.changed_paths(reader, before, after, 3)

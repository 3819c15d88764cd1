"""The local SCM end to end with real git: activate, push, and parse what the hook delivered."""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from circle.errors import Conflict, IgnoreEvent, InvalidInput, NotFound
from circle.remote import ZERO_SHA, get_remote

SECRET = "s3cret"
AUTHOR = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """An environment isolating git from the user's configuration."""
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, **AUTHOR, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def git(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run git and return its stdout."""
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def root(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """A directory with two bare repositories (one nested) and a non-repository."""
    root = tmp_path / "repos"
    (root / "team").mkdir(parents=True)
    (root / "notes").mkdir()
    git(git_env, root, "init", "--quiet", "--bare", "-b", "main", "team/app.git")
    git(git_env, root, "init", "--quiet", "--bare", "-b", "trunk", "solo.git")
    return root


@pytest.fixture
def clone(tmp_path: Path, root: Path, git_env: dict[str, str]) -> Path:
    """A work tree cloned from team/app with one commit on main."""
    work = tmp_path / "work"
    git(git_env, tmp_path, "clone", "--quiet", str(root / "team" / "app.git"), str(work))
    git(git_env, work, "checkout", "--quiet", "-b", "main")
    (work / ".circle.yml").write_text("pipeline:\n  test:\n    image: alpine\n")
    git(git_env, work, "add", ".circle.yml")
    git(git_env, work, "commit", "--quiet", "-m", "Add the pipeline\n\nwith a body line")
    return work


@pytest.mark.slow
def test_push_tag_and_deletion_reach_the_hook(fake_host, root, clone, git_env) -> None:
    fake_host.on("POST", "/hook/1/2", (200, {}, {"status": "ok"}))
    local = get_remote("local", str(root))
    assert [(r.full_name, r.default_branch) for r in local.repos()] == [("solo", "trunk"), ("team/app", "main")]
    local.activate("team/app", f"{fake_host.url}/hook/1/2?token=abc", SECRET)

    git(git_env, clone, "push", "--quiet", "origin", "main")
    head = git(git_env, clone, "rev-parse", "HEAD")
    git(git_env, clone, "tag", "-a", "v1.0", "-m", "release one")
    git(git_env, clone, "push", "--quiet", "origin", "v1.0")
    tag_object = git(git_env, clone, "rev-parse", "v1.0")
    git(git_env, clone, "push", "--quiet", "origin", "main:refs/heads/feature/x")
    git(git_env, clone, "push", "--quiet", "origin", ":refs/heads/feature/x")

    calls = fake_host.made("POST", "/hook/1/2")
    assert [c.json["ref"] for c in calls] == [
        "refs/heads/main",
        "refs/tags/v1.0",
        "refs/heads/feature/x",
        "refs/heads/feature/x",
    ]
    assert all(c.query == {"token": "abc"} and local.verify(c.headers, c.body, SECRET) for c in calls)
    assert len({str(uuid.UUID(c.headers["X-Circle-Delivery"])) for c in calls}) == 4  # one delivery id per update
    assert not local.verify(calls[0].headers, calls[0].body.replace(b"main", b"evil"), SECRET)

    push = local.hook(calls[0].headers, calls[0].body)
    assert (push.kind, push.event, push.branch, push.sha, push.before) == ("push", "push", "main", head, ZERO_SHA)
    assert push.message == "Add the pipeline\n\nwith a body line"
    assert (push.author, push.author_email, push.repo) == ("Ada Lovelace", "ada@example.com", "team/app")
    assert push.clone_url == str(root / "team" / "app.git")

    tag = local.hook(calls[1].headers, calls[1].body)
    assert (tag.kind, tag.tag, tag.ref, tag.sha, tag.after) == ("tag", "v1.0", "refs/tags/v1.0", head, tag_object)

    branch = local.hook(calls[2].headers, calls[2].body)
    assert (branch.kind, branch.branch, branch.sha) == ("push", "feature/x", head)

    with pytest.raises(IgnoreEvent, match="refs/heads/feature/x was deleted"):
        local.hook(calls[3].headers, calls[3].body)

    local.deactivate("team/app", f"{fake_host.url}/hook/1/2")
    assert not (root / "team" / "app.git" / "hooks" / "post-receive").exists()
    git(git_env, clone, "push", "--quiet", "origin", "main:refs/heads/after-deactivate")
    assert len(fake_host.made("POST", "/hook/1/2")) == 4


def test_files_commits_and_branches_are_read_with_git(root, clone, git_env) -> None:
    git(git_env, clone, "push", "--quiet", "origin", "main")
    head = git(git_env, clone, "rev-parse", "HEAD")
    local = get_remote("local", str(root))
    assert local.file("team/app", head, ".circle.yml").startswith(b"pipeline:")
    assert local.file_ref("team/app", "main", "/.circle.yml") == local.file("team/app", head, ".circle.yml")
    assert local.branch_head("team/app", "main") == head
    assert local.commit("team/app", "main").author_name == "Ada Lovelace"
    with pytest.raises(NotFound, match="missing.yml not found in team/app at main"):
        local.file_ref("team/app", "main", "missing.yml")
    with pytest.raises(NotFound, match="no branch gone"):
        local.branch_head("team/app", "gone")
    with pytest.raises(InvalidInput):
        local.file_ref("team/app", "--output=/tmp/x", ".circle.yml")
    with pytest.raises(InvalidInput):
        local.repo("../outside")
    with pytest.raises(NotFound):
        local.repo("notes")
    assert local.netrc("team/app") is None
    local.status("team/app", head, "success", "circle/default", "http://ci")


def test_a_push_names_the_files_it_changed(fake_host, root, clone, git_env) -> None:
    """The hook event of a push lists `git diff before after`; a new branch's files are unknown."""
    fake_host.on("POST", "/hook/1/2", (200, {}, {"status": "ok"}))
    local = get_remote("local", str(root))
    local.activate("team/app", f"{fake_host.url}/hook/1/2", SECRET)
    git(git_env, clone, "push", "--quiet", "origin", "main")
    (clone / "docs").mkdir()
    (clone / "docs" / "guide.md").write_text("guide\n")
    (clone / ".circle.yml").write_text("pipeline: {}\n")
    git(git_env, clone, "add", "-A")
    git(git_env, clone, "commit", "--quiet", "-m", "docs")
    git(git_env, clone, "push", "--quiet", "origin", "main")
    first, second = fake_host.made("POST", "/hook/1/2")
    assert local.hook(first.headers, first.body).files is None
    assert local.hook(second.headers, second.body).files == [".circle.yml", "docs/guide.md"]


def test_a_foreign_post_receive_hook_is_not_overwritten(root) -> None:
    hook = root / "solo.git" / "hooks" / "post-receive"
    hook.write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(Conflict, match="not written by circle"):
        get_remote("local", str(root)).activate("solo", "http://127.0.0.1:1/hook/1/1", SECRET)
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


def test_bad_deliveries(root) -> None:
    local = get_remote("local", str(root))
    headers = {"X-Circle-Event": "push"}
    with pytest.raises(InvalidInput, match="not valid JSON"):
        local.hook(headers, b"{not json")
    with pytest.raises(InvalidInput, match="not a repository under"):
        local.hook(headers, b'{"repo": "nope", "ref": "refs/heads/main", "after": "' + b"a" * 40 + b'"}')
    with pytest.raises(InvalidInput, match="'after' is not a commit sha"):
        local.hook(headers, b'{"repo": "solo", "ref": "refs/heads/main", "after": "HEAD~1"}')
    with pytest.raises(InvalidInput, match="no event header"):
        local.hook({}, b"{}")
    with pytest.raises(InvalidInput, match="not a directory"):
        get_remote("local", str(root / "missing"))


def test_activation_replaces_the_repos_targets_of_any_host(root) -> None:
    """circle-hooks.json keeps one target per repo: an old host's URL for the same repo is replaced, others stay."""
    local = get_remote("local", str(root))
    config = root / "solo.git" / "hooks" / "circle-hooks.json"
    local.activate("solo", "http://old-ci:8000/hook/1/5?access_token=old", SECRET)
    local.activate("solo", "http://127.0.0.1:8000/hook/2/9?access_token=other", SECRET)
    local.activate("solo", "http://127.0.0.1:8000/hook/1/5?access_token=new", "fresh")
    targets = json.loads(config.read_text())["targets"]
    assert [(t["url"], t["secret"]) for t in targets] == [
        ("http://127.0.0.1:8000/hook/2/9?access_token=other", SECRET),
        ("http://127.0.0.1:8000/hook/1/5?access_token=new", "fresh")]
    local.deactivate("solo", "https://new-host.example.com/hook/1/5")
    assert [t["url"] for t in json.loads(config.read_text())["targets"]] == [
        "http://127.0.0.1:8000/hook/2/9?access_token=other"]


def test_a_directory_lists_its_files_at_a_commit(root, clone, git_env) -> None:
    """dir() names the files directly inside a directory (not its subdirectories); a missing one is NotFound."""
    for name in (".woodpecker/build.yml", ".woodpecker/test.yaml", ".woodpecker/sub/deep.yml"):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        (clone / name).write_text("steps: {}\n")
    git(git_env, clone, "add", "-A")
    git(git_env, clone, "commit", "--quiet", "-m", "workflows")
    git(git_env, clone, "push", "--quiet", "origin", "main")
    head = git(git_env, clone, "rev-parse", "HEAD")
    local = get_remote("local", str(root))
    assert local.dir("team/app", head, ".woodpecker/") == [".woodpecker/build.yml", ".woodpecker/test.yaml"]
    with pytest.raises(NotFound):
        local.dir("team/app", head, "missing")
    with pytest.raises(NotFound):
        local.dir("team/app", head, ".circle.yml")
    with pytest.raises(InvalidInput):
        local.dir("team/app", head, "../up")

"""The local backend: processes, workspace mapping, clone with git on the host, nothing left behind."""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from circle.compiler.clone import CLONE_COMMANDS
from circle.pipeline.backends.local import LocalBackend
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import KIND_CLONE, MASK, Secret, Step


def processes_with(marker: str) -> list[int]:
    """Return the pids whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "pytest" not in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture
def local(workdir: Path) -> LocalBackend:
    return LocalBackend(root=str(workdir), stop_grace=1.0)


def unique_sleep() -> str:
    """Return a `sleep` command whose argument no other process has."""
    return f"sleep 1000.{secrets.randbelow(10**6):06d}"


def test_detached_and_background_processes_are_gone_after_the_pipeline(execute, ir, local):
    detached, background = unique_sleep(), unique_sleep()
    config = ir.pipeline([ir.step("service", commands=[detached], detach=True)],
                         [ir.step("build", commands=[f"{background} &", "echo started"])],
                         [ir.step("check", commands=[f"pgrep -f '{detached}' >/dev/null && echo service-alive"])])
    result, rec, _ = execute(config, backend=local)
    assert result.state == "success", rec.all_text()
    assert "service-alive" in rec.out("check")
    assert processes_with(detached) == [] and processes_with(background) == []


def test_cancel_stops_a_step_that_ignores_sigterm(ir, local):
    marker = unique_sleep()
    rec = ir.Recorder()
    ready = rec.waiter("ready")
    step = ir.step("stubborn", commands=["trap '' TERM", f"{marker} &", "echo ready", "wait"])
    runtime = Runtime(ir.pipeline([step]), local, rec)
    thread = threading.Thread(target=runtime.run, daemon=True)
    thread.start()
    assert ready.wait(30)
    assert processes_with(marker)
    runtime.cancel()
    thread.join(30)
    assert not thread.is_alive()
    assert rec.final("stubborn").killed and rec.final("stubborn").exit_code == 137
    assert processes_with(marker) == []
    ir.assert_clean(local)


def test_steps_see_a_private_home_mapped_paths_and_none_of_the_agent_environment(execute, ir, local, monkeypatch):
    monkeypatch.setenv("CIRCLE_AGENT_SECRET", "agent-only-value")
    step = ir.step("env", commands=['echo "home=$HOME ws=$CI_WORKSPACE pwd=$(pwd)"', "stat -c %a \"$HOME\"",
                                    'echo "agent=${CIRCLE_AGENT_SECRET:-unset}"'],
                   environment={"CI_WORKSPACE": "/circle/src", "OTHER": "/circle-not-a-prefix"})
    result, rec, backend = execute(ir.pipeline([step]), backend=local)
    assert result.state == "success", rec.all_text()
    lines = rec.out("env")
    info = next(line for line in lines if line.startswith("home="))
    fields = dict(part.split("=", 1) for part in info.split())
    assert fields["home"] != os.environ.get("HOME") and fields["home"].endswith("/home")
    assert fields["ws"] == fields["pwd"] and fields["ws"].endswith("/workspace/src")
    assert Path(fields["home"]).parent == Path(fields["ws"]).parent.parent
    assert "700" in lines and "agent=unset" in lines


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def origin(workdir: Path) -> tuple[Path, str]:
    """Return a repository with two commits on main, and the sha of the first (where the sandbox's uid reads)."""
    repo = workdir.parent / "origin"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("first\n")
    git(repo, "add", "README")
    git(repo, "commit", "-qm", "first")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "README").write_text("second\n")
    git(repo, "commit", "-qam", "second")
    return repo, first


def clone_step(url: str, sha: str, *extra: str, **env: str) -> Step:
    """Return the compiler's clone step for `url` at `sha` on main, with `extra` commands after it."""
    return Step(name="clone", kind=KIND_CLONE, image="ignored/on-local", working_dir="/circle/src",
                commands=[*CLONE_COMMANDS, *extra],
                environment={"CI_REPO_REMOTE": url, "CI_COMMIT_SHA": sha, "CI_COMMIT_REF": "refs/heads/main", **env})


@pytest.mark.parametrize("remote", ["path", "file-url"])
def test_clone_step_checks_out_the_commit_with_git_on_the_host(execute, ir, local, origin, remote):
    repo, first = origin
    url = str(repo) if remote == "path" else f"file://{repo}"
    check = ir.step("check", commands=["cat README", "git rev-parse HEAD"])
    result, rec, _ = execute(ir.pipeline([clone_step(url, first, PLUGIN_DEPTH="5")], [check]), backend=local)
    assert result.state == "success", rec.all_text()
    assert rec.out("check")[-3:] == ["first", "+ git rev-parse HEAD", first]


def test_a_fresh_full_clone_from_a_path_is_one_git_clone(execute, ir, local, origin):
    """The default clone (full history) of a repo on the host's disk clones it, origin set, instead of init + fetch."""
    repo, first = origin
    check = ir.step("check", commands=["cat README", "git rev-list --count HEAD", "git remote get-url origin",
                                       "git reflog -1 --format=%gs HEAD@{1}", "git tag"])
    git(repo, "tag", "v1", first)
    result, rec, _ = execute(ir.pipeline([clone_step(str(repo), first)], [check]), backend=local)
    assert result.state == "success", rec.all_text()
    out = rec.out("check")
    assert out[out.index("+ cat README") + 1:] == [
        "first", "+ git rev-list --count HEAD", "1", "+ git remote get-url origin", str(repo),
        "+ git reflog -1 --format=%gs HEAD@{1}", f"clone: from {repo}", "+ git tag"]


def test_a_commit_on_no_branch_is_fetched_by_its_ref(execute, ir, local, origin):
    """A commit the clone did not bring (a pull request's ref) is fetched by CI_COMMIT_REF and checked out."""
    repo, _ = origin
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "README").write_text("pull request\n")
    git(repo, "commit", "-qam", "pr")
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/pull/1/head", sha)
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-q", "-D", "pr")
    check = ir.step("check", commands=["cat README", "git rev-parse HEAD"])
    step = clone_step(str(repo), sha, CI_COMMIT_REF="refs/pull/1/head")
    result, rec, _ = execute(ir.pipeline([step], [check]), backend=local)
    assert result.state == "success", rec.all_text()
    assert rec.out("check")[-3:] == ["pull request", "+ git rev-parse HEAD", sha]


def test_netrc_stays_in_the_clone_steps_private_home(execute, ir, local, origin):
    repo, first = origin
    netrc = {"CI_NETRC_MACHINE": "git.example.com", "CI_NETRC_USERNAME": "bob", "CI_NETRC_PASSWORD": "pw-Zq81x"}
    clone = clone_step(str(repo), first, 'cat "$HOME/.netrc"', 'stat -c %a "$HOME/.netrc"', **netrc)
    later = ir.step("later", commands=['ls -a "$HOME"', '[ ! -e "$HOME/.netrc" ] && echo no-netrc-here'])
    result, rec, _ = execute(ir.pipeline([clone], [later]), backend=local)
    assert result.state == "success", rec.all_text()
    lines = rec.out("clone")
    assert lines[-5:] == ["machine git.example.com", "login bob", f"password {MASK}",
                          '+ stat -c %a "$HOME/.netrc"', "600"]
    assert "no-netrc-here" in rec.out("later")
    assert "pw-Zq81x" not in rec.all_text()


def test_a_long_script_runs_from_a_file(execute, ir, local):
    commands = [f"echo line-{i}-{'x' * 200}" for i in range(600)]
    result, rec, _ = execute(ir.pipeline([ir.step("long", commands=commands)]), backend=local)
    assert result.state == "success", rec.all_text()
    assert rec.out("long")[-1].startswith("line-599-")


def test_a_secret_printed_encoded_or_line_by_line_never_reaches_the_log(execute, ir, local):
    token = 'Zt9$(echo hi)*[a-z]+?\\1 "quoted" & 50%/=' + "-abcdefghij" * 3
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END KEY-----\n"
    python = shutil.which("python3", path=os.defpath)  # the system's: a sandboxed step sees no virtualenv
    assert python, "this test needs python3 in /bin or /usr/bin"
    commands = ['printf "%s\\n" "$TOKEN"', 'printf "%s" "$TOKEN" | base64',
                'printf "%s\\n" "$TOKEN" | base64 -w0; echo', 'printf "user:%s" "$TOKEN" | base64 -w0; echo',
                'printf "%s" "$KEY"', 'printf "%s" "$KEY" | sed -n 2p',
                f"{python} -c 'import json, os, urllib.parse as u; t = os.environ[\"TOKEN\"]; "
                "print(json.dumps({\"t\": t})); print(u.quote(t, safe=\"\")); print(json.dumps(os.environ[\"KEY\"]))'"]
    step = ir.step("leak", commands=commands, environment={"TOKEN": token, "KEY": key})
    config = ir.pipeline([step], secrets=[Secret("token", token), Secret("key", key)])
    result, rec, _ = execute(config, backend=local)
    assert result.state == "success", rec.all_text()
    output = [line for line in rec.out("leak") if not line.startswith(("+ ", "sandbox: ", "local backend: "))]
    text = "\n".join(output)
    shapes = [token, json.dumps(token)[1:-1], quote(token, safe=""), *key.splitlines()[1:3], json.dumps(key)[1:-1],
              *base64.encodebytes(token.encode()).decode().split(), base64.b64encode(f"{token}\n".encode()).decode(),
              base64.b64encode(f"user:{token}".encode()).decode()[8:-8]]
    assert [shape for shape in shapes if shape in text] == []
    assert output == [MASK] * 4 + ["dXNlcjp" + MASK] + [MASK] * 5 + [f'{{"t": "{MASK}"}}', MASK, f'"{MASK}\\n"']

"""The `circle repo|build|secret|scm|agents` client commands against the app served on 127.0.0.1."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from api.helpers import Caller, add_build, closed_port
from circle.cli import main
from circle.cli import rest as rest_module
from circle.hub import hub
from circle.models import Proc
from circle.service import reports
from circle.store import builds
from loopback import serving


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port."""
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


@pytest.fixture
def circle(server: str, admin: Caller, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run `circle ARGS…` as the admin; return (exit code, stdout, stderr)."""
    monkeypatch.setenv("CIRCLE_SERVER", server)
    monkeypatch.setenv("CIRCLE_TOKEN", admin.token)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_scm_and_repo_commands(circle, git_root: Path):
    code, out, _ = circle("scm", "add", "local", "disk", str(git_root))
    assert code == 0 and "registered local SCM 'disk'" in out
    code, out, _ = circle("scm", "ls")
    assert code == 0 and out.splitlines()[0].split() == ["ID", "KIND", "NAME", "URL", "USERNAME"]
    scm_id = out.splitlines()[1].split()[0]
    code, out, _ = circle("repo", "add", scm_id, "acme/app", "--json")
    assert code == 0 and json.loads(out)["full_name"] == "acme/app"
    code, out, _ = circle("repo", "ls")
    assert "acme/app" in out.splitlines()[1]
    code, out, _ = circle("repo", "info", "acme/app")
    assert code == 0 and "default_branch: main" in out and "hook_url: http://127.0.0.1:8000/hook/" in out


def test_build_commands(circle, repo: dict):
    code, out, err = circle("build", "start", "acme/app", "--param", "A=1")
    assert code == 0, err
    assert out.startswith("build #1 is ")
    code, out, _ = circle("build", "ls", str(repo["id"]))
    assert out.splitlines()[0].split()[:3] == ["NUMBER", "STATUS", "EVENT"] and out.splitlines()[1].split()[0] == "1"
    assert circle("build", "cancel", "acme/app", "1")[1].strip() == "build #1 is killed"
    code, out, _ = circle("build", "restart", "acme/app", "1", "--json")
    assert json.loads(out)["status"] == "pending"
    assert circle("build", "fork", "acme/app", "1", "--param", "B=2")[1].startswith("build #2 is")
    code, out, _ = circle("build", "info", "acme/app", "2")
    assert "parent: 1" in out and "PID" in out
    code, _, err = circle("build", "approve", "acme/app", "2")
    assert code == 1 and err.startswith("circle: build #2 is") and "not blocked" in err
    code, _, err = circle("build", "decline", "acme/app", "2")
    assert code == 1 and "not blocked" in err


def test_build_restart_of_the_failed_workflows_or_of_one(circle, repo: dict):
    assert circle("build", "start", "acme/app")[0] == 0
    assert circle("build", "cancel", "acme/app", "1")[1].strip() == "build #1 is killed"
    code, out, err = circle("build", "restart", "acme/app", "1", "--failed")
    assert (code, out.strip()) == (0, "build #1 is pending"), err
    code, _, err = circle("build", "restart", "acme/app", "1", "--workflow", "1")
    assert code == 1 and "build #1 is pending; cancel it before restarting" in err
    circle("build", "cancel", "acme/app", "1")
    code, _, err = circle("build", "restart", "acme/app", "1", "--workflow", "2")
    assert code == 1 and "proc 2 of build #1 is a step, not a workflow" in err
    assert circle("build", "restart", "acme/app", "1", "--workflow", "1")[1].strip() == "build #1 is pending"
    code, out, _ = circle("build", "info", "acme/app", "1")
    header = next(line for line in out.splitlines() if line.startswith("PID"))
    assert header.split() == ["PID", "PPID", "NAME", "STATE", "EXIT", "ATTEMPTS", "MACHINE"]


def test_build_info_says_why_a_pending_build_waits(circle, repo: dict):
    """With no agent registered, `circle build info` of a pending build names the reason under its steps."""
    assert circle("build", "start", "acme/app")[0] == 0
    code, out, _ = circle("build", "info", "acme/app", "1")
    assert code == 0 and "status: pending" in out
    assert [line for line in out.splitlines() if line.startswith("waiting:")] == [
        "waiting: default: no agent is registered"]


def test_build_logs(circle, repo: dict):
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    hub().logs.write(step.id, [(0, 0, "hello\n"), (1, 1, "world\n")])
    assert circle("build", "logs", "acme/app", "1", "2") == (0, "hello\nworld\n", "")
    code, out, _ = circle("build", "logs", "acme/app", "1")
    assert out == "== test (pid 2, success) ==\nhello\nworld\n"
    assert json.loads(circle("build", "logs", "acme/app", "1", "2", "--json")[1])[1]["out"] == "world\n"


def test_build_logs_pages_through_a_long_log(circle, repo: dict, monkeypatch: pytest.MonkeyPatch):
    """The CLI reads a log a page at a time (?after=&limit=) until a short page, as text and as JSON."""
    monkeypatch.setattr(rest_module, "LOG_PAGE", 4)
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    hub().logs.write(step.id, [(pos, 0, f"line {pos}") for pos in range(10)])
    assert circle("build", "logs", "acme/app", "1", "2")[1] == "".join(f"line {pos}\n" for pos in range(10))
    lines = json.loads(circle("build", "logs", "acme/app", "1", "2", "--json")[1])
    assert [line["pos"] for line in lines] == list(range(10))


def test_build_tests_prints_the_counts_and_failed_cases_first(circle, repo: dict):
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test", state="success")])
    xml = Path(__file__).resolve().parents[1] / "service" / "junit" / "pytest.xml"
    reports.store_file(step, "junit.xml", "application/xml", xml.read_bytes(), report=True)
    code, out, _ = circle("build", "tests", "acme/app", "1")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "5 tests: 2 passed, 1 failed, 1 errors, 1 skipped (0.01s)"
    assert lines[2].split()[:4] == ["failed", "tests.test_math::test_divide_by_zero", "0.004s", "ZeroDivisionError:"]
    assert len(lines) == 7
    code, out, _ = circle("build", "tests", "acme/app", "1", "--failed")
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["failed", "error"]
    cases = json.loads(circle("build", "tests", "acme/app", "1", "--failed", "--json")[1])["cases"]
    assert [c["name"] for c in cases] == ["test_divide_by_zero", "test_connect"]


def test_secret_commands(circle, repo: dict, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin\n"))
    code, out, _ = circle("secret", "add", "acme/app", "TOKEN", "-", "--event", "push", "--event", "tag")
    assert code == 0 and out.strip() == "added secret TOKEN for push, tag"
    code, out, _ = circle("secret", "ls", "acme/app")
    assert out.splitlines()[1].split() == ["TOKEN", "push,tag", "*"] and "from-stdin" not in out
    assert circle("secret", "rm", "acme/app", "TOKEN")[1].strip() == "deleted secret TOKEN"
    code, _, err = circle("secret", "rm", "acme/app", "TOKEN")
    assert code == 1 and err == "circle: secret 'TOKEN' not found\n"


def test_agents_command(circle, app: Flask):
    from circle.store import agents

    agents.create(name="runner-1", labels={"zone": "a"})
    code, out, _ = circle("agents")
    assert code == 0 and out.splitlines()[1].split()[1] == "runner-1" and "zone=a" in out
    code, out, _ = circle("agents", "add", "runner-2")
    token = out.strip().splitlines()[-1]
    assert code == 0 and agents.get_by_token(token).name == "runner-2"
    code, out, _ = circle("agents", "rm", str(agents.get_by_token(token).id))
    assert code == 0 and "deleted agent" in out
    code, _, err = circle("agents", "add")
    assert code == 1 and "needs a NAME" in err


def test_agents_pause_and_resume(circle, app: Flask):
    """`circle agents pause ID` drains an agent and `resume ID` undoes it; the list shows each agent's state."""
    from circle.store import agents

    agent = agents.create(name="runner-1")
    code, out, _ = circle("agents", "pause", str(agent.id))
    assert (code, out) == (0, f"agent runner-1 ({agent.id}) is paused\n")
    code, out, _ = circle("agents")
    assert out.splitlines()[0].split()[:3] == ["ID", "NAME", "STATE"] and out.splitlines()[1].split()[2] == "paused"
    code, out, _ = circle("agents", "resume", str(agent.id))
    assert (code, out) == (0, f"agent runner-1 ({agent.id}) is offline\n")
    code, _, err = circle("agents", "pause")
    assert code == 1 and "needs an ID" in err


def test_errors_are_one_sentence(circle, monkeypatch: pytest.MonkeyPatch):
    code, _, err = circle("repo", "info", "acme/none")
    assert code == 1 and err == "circle: there is no repo 'acme/none' you can read\n"
    code, _, err = circle("build", "start", "acme/app", "--param", "oops")
    assert code == 1 and "KEY=VALUE" in err
    monkeypatch.setenv("CIRCLE_TOKEN", "wrong")
    code, _, err = circle("repo", "ls")
    assert code == 1 and err == "circle: the API token is not valid\n"
    monkeypatch.setenv("CIRCLE_TOKEN", "")
    code, _, err = circle("repo", "ls")
    assert code == 1 and "CIRCLE_TOKEN" in err
    code, _, err = circle("repo", "ls", "--server", f"http://127.0.0.1:{closed_port()}", "--token", "x")
    assert code == 1 and "cannot reach the circle server" in err and len(err.splitlines()) == 1


def test_repo_repair_prints_the_new_hook_url(circle, repo: dict):
    code, out, err = circle("repo", "repair", "acme/app")
    assert code == 0, err
    first, hook = out.splitlines()
    assert first == "repaired the hook of acme/app"
    assert hook.startswith(f"hook: http://127.0.0.1:8000/hook/{repo['scm_id']}/{repo['id']}?access_token=")
    assert hook != f"hook: {repo['hook_url']}"
    code, _, err = circle("repo", "repair", "acme/none")
    assert code == 1 and "no repo 'acme/none'" in err


def test_cron_commands(circle, repo: dict):
    code, out, err = circle("cron", "add", "acme/app", "nightly", "0 3 * * *")
    assert code == 0 and out.startswith("cron job nightly (1) builds the default branch on '0 3 * * *'"), err
    code, out, _ = circle("cron", "ls", "acme/app")
    assert out.splitlines()[0].split() == ["ID", "NAME", "SCHEDULE", "BRANCH", "NEXT", "ERROR"]
    assert out.splitlines()[1].split()[:2] == ["1", "nightly"]
    code, out, _ = circle("cron", "set", "acme/app", "nightly", "--schedule", "@every 1h", "--branch", "dev", "--json")
    assert code == 0 and (json.loads(out)["schedule"], json.loads(out)["branch"]) == ("@every 1h", "dev")
    code, _, err = circle("cron", "add", "acme/app", "bad", "* * *")
    assert code == 1 and "5 fields" in err
    code, _, err = circle("cron", "set", "acme/app", "1")
    assert code == 1 and "needs --name, --schedule or --branch" in err
    code, _, err = circle("cron", "rm", "acme/app", "weekly")
    assert code == 1 and "no cron job named 'weekly'" in err
    code, out, _ = circle("cron", "rm", "acme/app", "1")
    assert code == 0 and out.strip() == "deleted cron job 1"
    assert circle("cron", "ls", "acme/app")[1].strip().splitlines() == ["ID  NAME  SCHEDULE  BRANCH  NEXT  ERROR"]

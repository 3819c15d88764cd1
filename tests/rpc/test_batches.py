"""Step reports in JSON-RPC batches: the real agent (TaskRun, RpcClient) against the real /rpc over loopback HTTP."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from circle.agent import task as task_module
from circle.agent.options import AgentOptions
from circle.agent.task import TaskRun
from circle.extensions import db
from circle.origin import Origin
from circle.pipeline.backends.dummy import DummyBackend
from circle.pipeline.types import Config
from circle.rpc.client import RpcClient, log_params, update_params
from circle.rpc.protocol import INVALID_PARAMS, NOT_LEASED, LogLine, NextParams, RegisterParams, RpcError, StepReport
from circle.service import builds
from circle.store import builds as build_store
from circle.store import configs
from circle.store import logs as log_store
from rpc.conftest import SECRET

# Three short steps that print two lines each (the dummy backend prints DUMMY_OUTPUT).
THREE_STEPS = """
skip_clone: true
steps:
  one:
    image: x
    environment: {DUMMY_OUTPUT: "one a\\none b"}
  two:
    image: x
    environment: {DUMMY_OUTPUT: "two a\\ntwo b"}
  three:
    image: x
    environment: {DUMMY_OUTPUT: "three a\\nthree b"}
"""
SLOW_STEP = """
skip_clone: true
steps:
  slow:
    image: x
    environment: {DUMMY_SLEEP: "600"}
"""


def _methods(body: Any) -> list[str]:
    """Return the methods a request or batch calls."""
    return [call["method"] for call in (body if isinstance(body, list) else [body])]


class Recording(requests.Session):
    """A requests session that notes the methods of every /rpc request it POSTs (a list for a batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Any] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:  # noqa: A002
        """POST and note what was called."""
        self.sent.append(_methods(json) if isinstance(json, list) else json["method"])
        return super().post(url, data=data, json=json, **kwargs)


@pytest.fixture
def recorded(url: str) -> tuple[RpcClient, Recording]:
    """A registered agent whose requests are noted."""
    session = Recording()
    client = RpcClient(url, SECRET, session=session)
    client.register(RegisterParams(name="agent-b", backend="dummy"))
    return client, session


def _fresh() -> None:
    """End the test thread's transaction so it sees what the server's threads committed."""
    db.session.rollback()
    db.session.expire_all()


def test_each_short_step_is_reported_in_one_round_trip(app, url, repo, recorded, tmp_path, monkeypatch):
    """A step's start, its lines and its end leave in one batch, in that order, the last step's with `done`;
    the build is stored complete.

    A workflow that ends before the cancel watch starts never calls `wait`.
    """
    monkeypatch.setattr(task_module, "CANCEL_WATCH_DELAY", 60.0)
    client, session = recorded
    config = configs.create(repo_id=repo.id, name="batched", content=THREE_STEPS)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit="b" * 40))
    task = client.next(NextParams())
    session.sent.clear()
    TaskRun(client, task, AgentOptions(servers=[url], secret=SECRET, backend="dummy", workdir=str(tmp_path))).run()
    assert session.sent == ["init", *[["update", "log", "update"]] * 2, ["update", "log", "update", "done"]]
    _fresh()
    assert build_store.get(build.id).status == "success"
    for name in ("one", "two", "three"):
        step = next(p for p in build_store.list_procs(build.id) if p.name == name)
        assert step.state == "success"
        assert [e[2] for e in log_store.list_page(step.id, limit=10)] == [f"{name} a", f"{name} b"]


def test_a_cancel_before_the_watch_starts_is_seen_when_it_starts(app, url, repo, recorded, tmp_path, monkeypatch):
    """A build canceled before the agent watches for it is stopped as soon as the watch starts."""
    monkeypatch.setattr(task_module, "CANCEL_WATCH_DELAY", 0.3)
    client, session = recorded
    config = configs.create(repo_id=repo.id, name="slow", content=SLOW_STEP)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40))
    task = client.next(NextParams())
    builds.cancel(repo, build_store.get(build.id))
    db.session.commit()
    run = threading.Thread(target=TaskRun(client, task, AgentOptions(servers=[url], secret=SECRET, backend="dummy",
                                                                     workdir=str(tmp_path))).run, daemon=True)
    run.start()
    run.join(60)  # the step would sleep 600 s
    assert not run.is_alive() and "wait" in session.sent
    _fresh()
    assert build_store.get(build.id).status == "killed"


def test_a_batch_answers_each_call_in_order_with_its_own_error(app, url, agent, make_build):
    """One refused call of a batch is its own RpcError; the calls around it are applied."""
    build = make_build()
    task = agent.next(NextParams())
    answers = agent.batch([("update", update_params(task.id, StepReport(proc="build", started=101))),
                           ("update", update_params(task.id, StepReport(proc="nosuch"))),
                           ("log", log_params(task.id, [LogLine(proc="build", pos=0, out="hello")]))])
    assert answers[0] is None and answers[2] == 1
    assert isinstance(answers[1], RpcError) and answers[1].code == INVALID_PARAMS
    assert str(answers[1]) == f"the workflow of task {task.id.split('.')[0]} has no step 'nosuch'"
    _fresh()
    step = next(p for p in build_store.list_procs(build.id) if p.name == "build")
    assert step.state == "running"
    assert [e[2] for e in log_store.list_page(step.id, limit=10)] == ["hello"]


def test_a_one_call_batch_is_a_plain_call(url, agent):
    """A batch of one goes as a single request and answers its error in the list."""
    answers = agent.batch([("extend", {"id": "1.nosuch"})])
    assert len(answers) == 1 and isinstance(answers[0], RpcError)
    assert answers[0].code == NOT_LEASED and str(answers[0]) == "task 1 is not leased by this agent"


ONE_LOCAL_STEP = """
skip_clone: true
steps:
  hello:
    image: x
    commands: [echo hello]
"""


class Watching(Recording):
    """A Recording that also notes, when a request carries `done`, the pipeline directories under `root`."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.at_done: list[list[str]] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:  # noqa: A002
        """Note the pipeline directories when `done` is sent, then POST."""
        if "done" in _methods(json):
            self.at_done.append(sorted(path.name for path in self.root.glob("circle-*")))
        return super().post(url, data=data, json=json, **kwargs)


def test_done_is_reported_before_the_workspace_is_removed(app, url, repo, tmp_path, monkeypatch):
    """The server learns the workflow ended while its workspace still exists; it is removed right after."""
    monkeypatch.setattr(task_module, "CANCEL_WATCH_DELAY", 60.0)
    workdir = tmp_path / "work"
    session = Watching(workdir)
    client = RpcClient(url, SECRET, session=session)
    client.register(RegisterParams(name="agent-w", backend="local"))
    config = configs.create(repo_id=repo.id, name="local", content=ONE_LOCAL_STEP)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit="d" * 40))
    task = client.next(NextParams())
    TaskRun(client, task, AgentOptions(servers=[url], secret=SECRET, backend="local", workdir=str(workdir),
                                       local={"sandbox": False})).run()
    assert len(session.at_done) == 1 and len(session.at_done[0]) == 1
    assert list(workdir.glob("circle-*")) == []
    _fresh()
    assert build_store.get(build.id).status == "success"
    step = next(p for p in build_store.list_procs(build.id) if p.name == "hello")
    assert [e[2] for e in log_store.list_page(step.id, limit=10)][-1] == "hello"


def test_a_teardown_that_fails_after_done_is_logged_and_the_result_stands(app, url, repo, recorded, tmp_path,
                                                                          monkeypatch, caplog):
    """The teardown runs once the build is stored finished; its failure is logged and changes nothing."""
    client, session = recorded
    config = configs.create(repo_id=repo.id, name="batched", content=THREE_STEPS)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit="e" * 40))
    seen: list[str] = []

    def failing_destroy(backend: DummyBackend, config: Config) -> None:
        """Note the build's status as stored, then fail."""
        _fresh()
        seen.append(build_store.get(build.id).status)
        raise OSError("the disk is gone")

    monkeypatch.setattr(DummyBackend, "destroy", failing_destroy)
    task = client.next(NextParams())
    TaskRun(client, task, AgentOptions(servers=[url], secret=SECRET, backend="dummy", workdir=str(tmp_path))).run()
    assert seen == ["success"]
    assert "could not tear the pipeline down" in caplog.text and "the disk is gone" in caplog.text
    _fresh()
    assert build_store.get(build.id).status == "success"


def test_a_lost_task_sends_no_done_and_is_still_torn_down(app, url, repo, recorded, tmp_path):
    """A task the server took back is not reported done, and its backend is torn down all the same."""
    client, session = recorded
    configs.create(repo_id=repo.id, name="batched", content=THREE_STEPS)
    builds.create(repo, configs.list_by_repo(repo.id)[-1],
                  Origin(event="push", ref="refs/heads/main", branch="main", commit="f" * 40))
    run = TaskRun(client, client.next(NextParams()), AgentOptions(servers=[url], secret=SECRET, backend="dummy",
                                                                  workdir=str(tmp_path)))
    run._lost.set()
    run.run()
    assert all("done" not in ([sent] if isinstance(sent, str) else sent) for sent in session.sent)
    assert run.runtime is not None and ("destroy", "") in run.runtime.backend.calls  # type: ignore[attr-defined]


SIX_STEPS = "skip_clone: true\nsteps:\n" + "".join(
    f"  s{n}:\n    image: x\n    environment: {{DUMMY_OUTPUT: \"line {n}\"}}\n" for n in range(6))


class SlowLogs(Recording):
    """A Recording whose requests carrying `log` take 0.3 s longer, as over a slow link."""

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:  # noqa: A002
        """Wait before a request with lines, then POST."""
        if "log" in _methods(json):
            time.sleep(0.3)
        return super().post(url, data=data, json=json, **kwargs)


def test_the_lease_is_kept_while_the_reports_of_ended_steps_are_still_sent(app, url, repo, monkeypatch):
    """Steps that end at once leave a backlog of batches (≥ 1.8 s here); the agent extends its 1 s lease meanwhile,
    and `done` goes last."""
    monkeypatch.setattr(task_module, "CANCEL_WATCH_DELAY", 60.0)
    app.extensions["circle"].queue.lease_seconds = 1
    session = SlowLogs()
    client = RpcClient(url, SECRET, session=session)
    client.register(RegisterParams(name="agent-s", backend="dummy"))
    config = configs.create(repo_id=repo.id, name="wide", content=SIX_STEPS)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main", commit="9" * 40))
    task = client.next(NextParams())
    assert task is not None and task.lease == 1
    TaskRun(client, task, AgentOptions(servers=[url], secret=SECRET, backend="dummy")).run()
    assert session.sent.count("extend") >= 2
    assert session.sent[-1][-1] == "done"
    _fresh()
    assert build_store.get(build.id).status == "success"

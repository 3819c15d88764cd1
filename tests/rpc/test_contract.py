"""The contract of SPEC §6: the real RpcClient against the real /rpc endpoint served on 127.0.0.1, on every database."""
from __future__ import annotations

import inspect
import threading
import time
from typing import Any, Callable

import pytest
import requests
from sqlalchemy.exc import OperationalError

from circle import crypto
from circle.agent.options import AgentOptions
from circle.agent.task import TaskRun
from circle.extensions import db
from circle.origin import Origin
from circle.rpc import jsonrpc, protocol
from circle.rpc.client import RpcClient
from circle.rpc.jsonrpc import INTERNAL_ERROR
from circle.rpc.protocol import (
    INVALID_PARAMS,
    LONG_POLL_SECONDS,
    NOT_LEASED,
    NOT_REGISTERED,
    DoneState,
    InitState,
    LogLine,
    NextParams,
    RegisterParams,
    RpcError,
    StepReport,
    UploadFile,
)
from circle.rpc.server import Peer
from circle.service import builds, reaper
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import configs
from circle.store import files as file_store
from circle.store import logs as log_store
from circle.store import tasks as task_store
from rpc.conftest import SECRET

MATRIX = """
pipeline:
  build:
    image: busybox
    commands: [echo $GO]
matrix:
  GO: ["1", "2"]
"""


def _fresh() -> None:
    """End the test thread's transaction so it sees what the server's threads committed."""
    db.session.rollback()
    db.session.expire_all()


def _states(build_id: int) -> dict[int, str]:
    """Return pid → state of a build's procs."""
    _fresh()
    return {p.pid: p.state for p in build_store.list_procs(build_id)}


def _refused(code: int, call: Callable[[], Any]) -> str:
    """Make a call that must fail with `code`; return the error message."""
    with pytest.raises(RpcError) as caught:
        call()
    assert caught.value.code == code, caught.value
    return str(caught.value)


def _failing(times: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `real` so its first `times` calls fail as a database outage does."""
    left = [times]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if left[0] > 0:
            left[0] -= 1
            raise OperationalError("SELECT 1", {}, ConnectionError("the database went away"))
        return real(*args, **kwargs)
    return wrapper


def test_client_and_server_implement_the_same_peer():
    """Every Peer method has the same signature on the protocol, the server and the client."""
    for name, method in inspect.getmembers(protocol.Peer, inspect.isfunction):
        if name.startswith("_"):
            continue
        expected = inspect.signature(method)
        assert inspect.signature(getattr(Peer, name)) == expected, name
        assert inspect.signature(getattr(RpcClient, name)) == expected, name


def test_shared_secret_registers_and_gets_a_token_used_afterwards(app, url, make_build):
    """register with the shared secret answers a new per-agent token (stored hashed); later calls use it."""
    client = RpcClient(url, SECRET)
    registration = client.register(RegisterParams(name="fresh", capacity=2, labels={"gpu": "yes"}))
    assert registration.token and client.token == registration.token != SECRET
    row = agent_store.get(registration.agent_id)
    assert row.token_hash == crypto.hash_token(registration.token) and row.labels == {"gpu": "yes"}
    make_build()
    assignment = client.next(NextParams())
    assert assignment is not None and assignment.config["stages"] and assignment.timeout == 60
    assert task_store.get(int(assignment.id.partition(".")[0])).agent_id == registration.agent_id


def test_next_waits_as_long_as_the_agent_asks(app, url, agent):
    """`poll` sets how long an idle `next` waits: a 1 s poll answers null long before the 30 s default."""
    started = time.monotonic()
    assert agent.next(NextParams(poll=1)) is None
    assert time.monotonic() - started < LONG_POLL_SECONDS / 2


def test_an_agent_with_its_own_token_refreshes_its_row(app, url):
    """An agent made by `circle agents add` registers with its token: same id back, no new token."""
    row, token = agent_store.create_with_token("added")
    client = RpcClient(url, token)
    registration = client.register(RegisterParams(name="added", backend="local"))
    assert (registration.agent_id, registration.token, client.token) == (row.id, None, token)
    _fresh()
    assert agent_store.get(row.id).backend == "local" and agent_store.count() == 1


def test_a_build_runs_through_the_client(app, url, agent, make_build):
    """next → init → update/log/upload → extend → done, all typed, turn a pending build into a successful one."""
    build = make_build()
    task = agent.next(NextParams())
    agent.init(task.id, InitState(started=100))
    for name in ("clone", "build", "test"):
        agent.update(task.id, StepReport(proc=name, started=101))
        assert agent.log(task.id, [LogLine(proc=name, pos=i, time=0, out=f"{name} {i}") for i in range(2)]) == 2
        agent.update(task.id, StepReport(proc=name, started=101, finished=102, exited=True))
    file_id = agent.upload(task.id, UploadFile(proc="build", name="report.xml", mime="text/xml", data=b"<x/>"))
    agent.extend(task.id)
    agent.done(task.id, DoneState(finished=103))
    _fresh()
    assert build_store.get(build.id).status == "success" and set(_states(build.id).values()) == {"success"}
    build_step = build_store.get_proc_by_pid(build.id, 3)
    assert [e[2] for e in log_store.list_page(build_step.id, limit=1000)] == ["build 0", "build 1"]
    assert (file_store.get(file_id).pid, file_store.get(file_id).data) == (3, b"<x/>")


def test_wait_answers_canceled_and_done(app, url, agent, repo, make_build, monkeypatch):
    """wait says canceled once the build is canceled, and done once the task is finished during the wait."""
    canceled = make_build()
    task = agent.next(NextParams())
    builds.cancel(repo, canceled)
    assert agent.wait(task.id) == protocol.WaitResult(canceled=True, done=False)
    agent.done(task.id, DoneState(exit_code=137))
    make_build()
    task = agent.next(NextParams())
    queue, waiting = app.extensions["circle"].queue, threading.Event()
    real_wait = queue.wait

    def announced_wait(task_id: int, timeout: float) -> dict[str, bool]:
        waiting.set()
        return real_wait(task_id, timeout)
    monkeypatch.setattr(queue, "wait", announced_wait)
    answers: list[protocol.WaitResult] = []
    waiter = threading.Thread(target=lambda: answers.append(RpcClient(url, agent.token).wait(task.id)))
    waiter.start()
    assert waiting.wait(30)
    agent.done(task.id, DoneState())
    waiter.join(60)
    assert answers == [protocol.WaitResult(canceled=False, done=True)]


def test_a_stale_lease_changes_nothing(app, url, agent, make_build):
    """After a requeue, every call with the old id is -32001, also when the same agent leases the task again."""
    build = make_build()
    stale = agent.next(NextParams())
    agent.init(stale.id, InitState(started=1))
    assert reaper.reap(time.time() + 31) == 1
    before = _states(build.id)
    calls: list[Callable[[], Any]] = [
        lambda: agent.wait(stale.id), lambda: agent.init(stale.id, InitState(started=2)),
        lambda: agent.update(stale.id, StepReport(proc="build", exited=True, exit_code=1)),
        lambda: agent.log(stale.id, [LogLine(proc="build", pos=0, out="stale")]),
        lambda: agent.upload(stale.id, UploadFile(proc="build", name="x", data=b"x")),
        lambda: agent.extend(stale.id), lambda: agent.done(stale.id, DoneState(exit_code=1))]
    for call in calls:
        assert "is not leased by this agent" in _refused(NOT_LEASED, call)
    fresh = agent.next(NextParams())
    assert fresh.id != stale.id and fresh.id.partition(".")[0] == stale.id.partition(".")[0]
    for call in calls:
        _refused(NOT_LEASED, call)
    assert _states(build.id) == before
    assert all(log_store.list_page(p.id, limit=1000) == [] for p in build_store.list_procs(build.id))


def test_a_retried_done_cannot_finish_another_build(app, url, agent, make_build):
    """A second done for a finished build's task leaves the next build's task (maybe the same row id) alone."""
    first = make_build()
    old = agent.next(NextParams())
    agent.done(old.id, DoneState())
    second = make_build()
    new = agent.next(NextParams())
    _refused(NOT_LEASED, lambda: agent.done(old.id, DoneState(exit_code=1)))
    _fresh()
    assert build_store.get(first.id).status == "success" and build_store.get(second.id).status == "pending"
    assert task_store.count() == 1
    agent.done(new.id, DoneState())


def test_the_shared_secret_only_registers(app, url, agent, make_build):
    """Every method but register with the shared secret is -32002, whatever agent id a header names."""
    build = make_build()
    task = agent.next(NextParams())
    anonymous = RpcClient(url, SECRET)
    assert "register first" in _refused(NOT_REGISTERED, lambda: anonymous.next(NextParams()))
    _refused(NOT_REGISTERED, lambda: anonymous.update(task.id, StepReport(proc="build", exited=True, exit_code=1)))
    _refused(NOT_REGISTERED, lambda: anonymous.done(task.id, DoneState(exit_code=1)))
    body = jsonrpc.request("done", {"id": task.id, "state": {"exit_code": 1}}, 1)
    answer = requests.post(f"{url}/rpc", json=body, timeout=10, headers={
        "Authorization": f"Bearer {SECRET}", "X-Circle-Agent-Id": str(agent.agent_id)}).json()
    assert answer["error"]["code"] == NOT_REGISTERED
    assert _states(build.id)[1] == "pending" and task_store.count() == 1


def test_another_agents_token_cannot_touch_the_task(app, url, agent, make_build):
    """Agent B, with its own token, gets -32001 for every call on agent A's task, which stays untouched."""
    build = make_build()
    task = agent.next(NextParams())
    other = RpcClient(url, agent_store.create_with_token("agent-b")[1])
    other.register(RegisterParams(name="agent-b"))
    _refused(NOT_LEASED, lambda: other.update(task.id, StepReport(proc="build", exited=True, exit_code=1)))
    _refused(NOT_LEASED, lambda: other.extend(task.id))
    _refused(NOT_LEASED, lambda: other.done(task.id, DoneState(exit_code=1)))
    assert set(_states(build.id).values()) == {"pending"} and task_store.count() == 1
    agent.done(task.id, DoneState())


def test_unknown_steps_are_invalid_params(app, url, agent, make_build):
    """update, log and upload naming a step the workflow lacks are -32602 naming it; the lease is kept."""
    make_build()
    task = agent.next(NextParams())
    calls: list[Callable[[], Any]] = [
        lambda: agent.update(task.id, StepReport(proc="nosuch", exited=True)),
        lambda: agent.log(task.id, [LogLine(proc="nosuch", pos=0, out="x")]),
        lambda: agent.upload(task.id, UploadFile(proc="nosuch", name="f", data=b"x"))]
    for call in calls:
        assert _refused(INVALID_PARAMS, call).endswith("has no step 'nosuch'")
    agent.extend(task.id)


def test_steps_are_found_under_their_own_workflow(app, url, agent, repo):
    """With two workflows of the same steps, update, log and upload of one task reach only its workflow's step."""
    config = configs.create(repo_id=repo.id, name="matrix", content=MATRIX)
    build = builds.create(repo, config, Origin(event="push", ref="refs/heads/main", branch="main",
                                                       commit="b" * 40))
    first, second = agent.next(NextParams()), agent.next(NextParams())
    agent.update(second.id, StepReport(proc="build", exited=True, exit_code=3))
    agent.log(second.id, [LogLine(proc="build", pos=0, out="second")])
    file_id = agent.upload(second.id, UploadFile(proc="build", name="f", data=b"x"))
    _fresh()
    workflow = build_store.get_proc(task_store.get(int(second.id.partition(".")[0])).proc_id)
    step = build_store.get_step(build.id, workflow.pid, "build")
    assert step.state == "failure" and file_store.get(file_id).proc_id == step.id
    assert [e[2] for e in log_store.list_page(step.id, limit=1000)] == ["second"]
    assert [p.state for p in build_store.list_procs(build.id) if p.name == "build"].count("pending") == 1
    agent.done(first.id, DoneState())


def test_a_database_outage_is_internal_error_and_the_client_retries(app, url, agent, make_build, monkeypatch):
    """A DB error inside a call answers -32603 with a clear sentence; `retrying` repeats it until it works."""
    make_build()
    task, real = agent.next(NextParams()), task_store.get_leased
    monkeypatch.setattr(task_store, "get_leased", _failing(1, real))
    message = _refused(INTERNAL_ERROR, lambda: agent.extend(task.id))
    assert message == "the server's database is unavailable; retry"
    monkeypatch.setattr(task_store, "get_leased", _failing(2, real))
    agent.retrying(lambda: agent.extend(task.id), what="extend")
    _refused(INVALID_PARAMS, lambda: agent.retrying(
        lambda: agent.update(task.id, StepReport(proc="nosuch")), what="update"))


def test_the_agent_rides_out_an_outage_and_keeps_the_task(app, url, agent, make_build, monkeypatch, tmp_path):
    """Step reports failing with -32603 are retried while the steps run; the build still succeeds."""
    build = make_build()
    monkeypatch.setattr(build_store, "get_step", _failing(3, build_store.get_step))
    task = agent.next(NextParams())
    TaskRun(agent, task, AgentOptions(servers=[url], secret=SECRET, backend="dummy", workdir=str(tmp_path))).run()
    _fresh()
    assert build_store.get(build.id).status == "success" and set(_states(build.id).values()) == {"success"}


def test_only_a_lost_lease_drops_the_task(url, agent, tmp_path):
    """A refused report (e.g. an unknown step) is dropped; only -32001 makes the agent give the task up."""
    assignment = protocol.Assignment(id="1.x", config={"stages": []})
    run = TaskRun(agent, assignment, AgentOptions(servers=[url], secret=SECRET, backend="dummy", workdir=str(tmp_path)))
    run._rejected(RpcError(INVALID_PARAMS, "the workflow of task 1 has no step 'nosuch'"))
    run._rejected(RpcError(INTERNAL_ERROR, "the server's database is unavailable; retry"))
    assert not run._lost.is_set()
    run._rejected(RpcError(NOT_LEASED, "task 1 is not leased by this agent"))
    assert run._lost.is_set()

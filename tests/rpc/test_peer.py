"""The agent protocol's methods against the server: lease, report, log, upload, finish, cancel."""
from __future__ import annotations

import base64
import threading
import time

from circle.extensions import db
from circle.rpc.protocol import INVALID_PARAMS, MAX_LOG_BATCH, NOT_LEASED
from circle.service import builds
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store import logs as log_store
from circle.store import repos
from circle.store import tasks as task_store


def _states(build_id: int) -> dict[str, str]:
    """Return proc name → state of a build."""
    db.session.expire_all()
    return {p.name: p.state for p in build_store.list_procs(build_id)}


def test_a_build_runs_through_the_protocol(app, repo, make_build, rpc):
    """next → init → update/log → done turns a pending build into a successful one with its logs."""
    build = make_build()
    assert build.status == "pending" and _states(build.id) == {
        "default": "pending", "clone": "pending", "build": "pending", "test": "pending"}
    task = rpc.ok("next", labels={})
    assert [s["name"] for st in task["config"]["stages"] for s in st["steps"]] == ["clone", "build", "test"]
    assert task["timeout"] == 60
    rpc.ok("init", id=task["id"], state={"started": 100})
    for name in ("clone", "build", "test"):
        rpc.ok("update", id=task["id"], state={"proc": name, "started": 101})
        rpc.ok("log", id=task["id"], lines=[{"proc": name, "pos": i, "time": 0, "out": f"{name} {i}"}
                                            for i in range(3)])
        rpc.ok("update", id=task["id"], state={"proc": name, "started": 101, "finished": 102, "exited": True,
                                                "exit_code": 0})
    rpc.ok("done", id=task["id"], state={"finished": 103, "exit_code": 0})
    db.session.expire_all()
    build = build_store.get(build.id)
    assert build.status == "success" and build.started == 100 and build.finished > 0
    assert set(_states(build.id).values()) == {"success"}
    test_proc = build_store.get_proc_by_pid(build.id, 4)
    assert [line[2] for line in log_store.list_page(test_proc.id, limit=1000)] == ["test 0", "test 1", "test 2"]
    assert task_store.count() == 0


def test_failing_step_fails_the_build_and_skips_the_rest(app, repo, make_build, rpc):
    """A non-zero exit fails the build; steps the agent never reached end skipped."""
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("init", id=task["id"], state={"started": 1})
    rpc.ok("update", id=task["id"], state={"proc": "clone", "exited": True, "exit_code": 0})
    rpc.ok("update", id=task["id"], state={"proc": "build", "exited": True, "exit_code": 2})
    rpc.ok("done", id=task["id"], state={"finished": 2, "exit_code": 2})
    assert _states(build.id) == {"default": "failure", "clone": "success", "build": "failure", "test": "skipped"}
    assert build_store.get(build.id).status == "failure"


def test_second_done_and_foreign_tasks_are_errors(app, repo, make_build, rpc):
    """A second done, or a call on a task another agent holds, is a -32001 error and changes nothing."""
    make_build()
    task = rpc.ok("next", labels={})
    other = type(rpc)(rpc.client).register("agent-2")
    answer = other("update", id=task["id"], state={"proc": "build", "exited": True, "exit_code": 1})
    assert answer["error"]["code"] == NOT_LEASED
    rpc.ok("done", id=task["id"], state={"finished": 2, "exit_code": 0})
    again = rpc("done", id=task["id"], state={"finished": 3, "exit_code": 1})
    assert again["error"]["code"] == NOT_LEASED and "not leased" in again["error"]["message"]


def test_log_batch_over_the_limit_is_refused(app, repo, make_build, rpc):
    """A 10 MB log batch is invalid params naming the limit, and stores nothing (not even its first lines)."""
    build = make_build()
    task = rpc.ok("next", labels={})
    huge = [{"proc": "build", "pos": i, "time": 0, "out": "x" * (1024 * 1024)} for i in range(10)]
    answer = rpc("log", id=task["id"], lines=huge)
    assert answer["error"]["code"] == INVALID_PARAMS and str(MAX_LOG_BATCH) in answer["error"]["message"]
    assert all(log_store.list_page(p.id, limit=1000) == [] for p in build_store.list_procs(build.id))


def test_log_batch_limit_counts_bytes_not_characters(app, repo, make_build, rpc):
    """A batch under the limit in characters but over it in UTF-8 bytes is refused."""
    build = make_build()
    task = rpc.ok("next", labels={})
    wide = [{"proc": "build", "pos": 0, "time": 0, "out": "é" * (MAX_LOG_BATCH // 2 + 1)}]
    assert rpc("log", id=task["id"], lines=wide)["error"]["code"] == INVALID_PARAMS
    assert all(log_store.list_page(p.id, limit=1000) == [] for p in build_store.list_procs(build.id))


def test_log_positions_are_idempotent(app, repo, make_build, rpc):
    """Resending a batch after a lost answer stores no duplicate lines."""
    build = make_build()
    task = rpc.ok("next", labels={})
    lines = [{"proc": "build", "pos": i, "time": 0, "out": f"line {i}"} for i in range(5)]
    assert rpc.ok("log", id=task["id"], lines=lines) == 5
    assert rpc.ok("log", id=task["id"], lines=lines[2:] + [{"proc": "build", "pos": 5, "time": 1,
                                                              "out": "line 5"}]) == 1
    proc = build_store.get_proc_by_pid(build.id, 3)
    assert [e[0] for e in log_store.list_page(proc.id, limit=1000)] == list(range(6))


def test_upload_stores_an_artifact(app, repo, make_build, rpc):
    """upload keeps the bytes, name and mime of a step's file."""
    build = make_build()
    task = rpc.ok("next", labels={})
    data = b"\x00binary\xffartifact"
    file_id = rpc.ok("upload", id=task["id"], file={"proc": "build", "name": "dist/app.bin",
                                                    "mime": "application/x-binary",
                                                    "data": base64.b64encode(data).decode()})
    stored = file_store.get(file_id)
    assert (stored.build_id, stored.name, stored.mime, stored.data, stored.pid) == (
        build.id, "dist/app.bin", "application/x-binary", data, 3)


def test_labels_select_the_agent(app, repo, make_build, rpc):
    """A task for another platform is not leased to this agent; a glob label on the agent matches."""
    queue = app.extensions["circle"].queue
    build = make_build()
    task = task_store.list_by_build(build.id)[0]
    task_store.update(task, labels={"platform": "linux/arm64", "gpu": "yes"})
    assert queue.poll(rpc.agent_id, {"platform": "linux/amd64", "gpu": "yes"}, 0) is None
    assert queue.poll(rpc.agent_id, {"platform": "linux/*", "gpu": "y*"}, 0).id == task.id


def test_cancel_reaches_a_waiting_agent(app, repo, make_build, rpc):
    """`wait` answers canceled once the build is canceled; the done that follows leaves it killed."""
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("init", id=task["id"], state={"started": 1})
    build_id, repo_id = build.id, repo.id
    timer = threading.Timer(0.3, lambda: _cancel(app, repo_id, build_id))
    timer.start()
    started = time.monotonic()
    answer = rpc.ok("wait", id=task["id"])
    assert answer == {"canceled": True, "done": False} and time.monotonic() - started < 5
    rpc.ok("update", id=task["id"], state={"proc": "clone", "exited": True, "killed": True, "exit_code": 137})
    rpc.ok("done", id=task["id"], state={"finished": 2, "exit_code": 137})
    db.session.expire_all()
    assert build_store.get(build.id).status == "killed"
    assert _states(build.id)["clone"] == "killed" and _states(build.id)["test"] == "skipped"


def _cancel(app, repo_id: int, build_id: int) -> None:
    """Cancel a build from another thread."""
    with app.app_context():
        builds.cancel(repos.get(repo_id), build_store.get(build_id))


def test_cancel_of_a_pending_build_removes_its_task(app, repo, make_build, rpc):
    """A canceled pending build is killed at once and never leased."""
    build = make_build()
    builds.cancel(repo, build)
    assert build_store.get(build.id).status == "killed" and task_store.count() == 0
    assert app.extensions["circle"].queue.poll(rpc.agent_id, {"platform": "linux/amd64"}, 0) is None


def test_a_late_started_report_does_not_reopen_a_closed_step(app, repo, make_build, rpc):
    """A `started` that crossed a cancel leaves the step closed; the agent's final report still counts."""
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("init", id=task["id"], state={"started": 1})
    rpc.ok("update", id=task["id"], state={"proc": "clone", "started": 2})
    builds.cancel(repo, build_store.get(build.id))
    rpc.ok("update", id=task["id"], state={"proc": "build", "started": 3})
    assert _states(build.id)["build"] == "skipped"
    rpc.ok("update", id=task["id"], state={"proc": "build", "started": 3, "exited": True, "killed": True,
                                            "exit_code": 137})
    assert _states(build.id)["build"] == "killed"


def test_a_steps_attempts_are_stored_and_an_agent_that_sends_none_counts_one(app, repo, make_build, rpc):
    """`attempts` in an update (a retried step) reaches the proc; an older agent's update without it counts 1."""
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("init", id=task["id"], state={"started": 1})
    rpc.ok("update", id=task["id"], state={"proc": "clone", "started": 1, "exited": True, "exit_code": 0})
    rpc.ok("update", id=task["id"], state={"proc": "build", "started": 2, "attempts": 1})
    rpc.ok("update", id=task["id"], state={"proc": "build", "started": 2, "attempts": 3})
    rpc.ok("update", id=task["id"], state={"proc": "build", "started": 2, "exited": True, "attempts": 3})
    rpc.ok("done", id=task["id"], state={"finished": 3, "exit_code": 0})
    db.session.expire_all()
    attempts = {p.name: p.attempts for p in build_store.list_procs(build.id)}
    assert attempts == {"default": 0, "clone": 1, "build": 3, "test": 0}

"""A JSON-RPC batch is one transaction on every database: a lease checked once, one commit, events after it,
and a refused call undoing only itself."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from circle.extensions import db
from circle.models import LogEntry, Proc, Task
from circle.rpc.jsonrpc import INTERNAL_ERROR
from circle.rpc.protocol import INVALID_PARAMS, NOT_LEASED
from circle.service.events import ALL_EVENTS
from circle.store import builds as build_store
from rpc.conftest import Rpc

STARTED = {"proc": "build", "started": 100}
FINISHED = {"proc": "build", "started": 100, "finished": 105, "exited": True, "exit_code": 0}


def _batch(rpc: Rpc, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Send `calls` as one batch (ids 1, 2, …) and return the answers in order."""
    body = [{"jsonrpc": "2.0", "method": method, "params": params, "id": index}
            for index, (method, params) in enumerate(calls, 1)]
    response = rpc.raw(body)
    assert response.status_code == 200, response.data[:300]
    answers = response.get_json()
    assert [answer["id"] for answer in answers] == list(range(1, len(calls) + 1))
    return answers


def _step(build_id: int, name: str = "build") -> Proc:
    """Return a step of a build as committed."""
    db.session.rollback()
    return next(p for p in build_store.list_procs(build_id) if p.name == name)


def _lines(proc_id: int) -> int:
    """Return how many log batches of a proc are committed, read on a connection of its own."""
    with db.engine.connect() as connection:
        return len(list(connection.execute(select(LogEntry.pos).where(LogEntry.proc_id == proc_id))))


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """The SQL the app sends (with "COMMIT" for each commit) while the test runs."""
    sent: list[str] = []
    engine = db.engine
    listeners = [("before_cursor_execute", lambda _conn, _cursor, sql, *_: sent.append(sql)),
                 ("commit", lambda _conn: sent.append("COMMIT"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield sent
    for name, listener in listeners:
        event.remove(engine, name, listener)


def test_a_batch_about_one_task_checks_its_lease_once_and_commits_once(app, rpc, make_build, statements):
    """A step's start, lines and end (the agent's usual batch): one lease query, one commit; all of it stored."""
    build = make_build()
    task = rpc.ok("next", labels={})["id"]
    statements.clear()
    answers = _batch(rpc, ("update", {"id": task, "state": STARTED}),
                     ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
                     ("update", {"id": task, "state": FINISHED}))
    assert [answer.get("result") for answer in answers] == [None, 1, None]
    assert statements.count("COMMIT") == 1
    assert len([sql for sql in statements if "tasks.lease =" in sql]) == 1
    step = _step(build.id)
    assert step.state == "success" and _lines(step.id) == 1


def test_a_refused_call_of_a_batch_leaves_the_others_applied(app, rpc, make_build):
    """Calls about another agent's task or an unknown step are refused alone; the agent's own calls are applied."""
    mine, theirs = make_build(), make_build()
    own = rpc.ok("next", labels={})["id"]
    other = Rpc(app.test_client()).register("agent-2", backend="dummy")
    foreign = other.ok("next", labels={})["id"]
    answers = _batch(rpc, ("update", {"id": own, "state": STARTED}),
                     ("update", {"id": foreign, "state": STARTED}),
                     ("log", {"id": own, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
                     ("log", {"id": foreign, "lines": [{"proc": "build", "pos": 0, "out": "not mine"}]}),
                     ("update", {"id": own, "state": {"proc": "nosuch"}}),
                     ("update", {"id": own, "state": FINISHED}))
    assert [answer.get("error", {}).get("code") for answer in answers] == [None, NOT_LEASED, None, NOT_LEASED,
                                                                            INVALID_PARAMS, None]
    step = _step(mine.id)
    assert step.state == "success" and _lines(step.id) == 1
    foreign_step = _step(theirs.id)
    assert foreign_step.state == "pending" and _lines(foreign_step.id) == 0


def test_a_call_after_done_in_the_same_batch_is_refused(app, rpc, make_build):
    """`done` ends the lease: a later call of the batch about the task finds it no longer held."""
    build = make_build()
    task = rpc.ok("next", labels={})["id"]
    rpc.ok("init", id=task, state={"started": 100})
    answers = _batch(rpc, ("update", {"id": task, "state": FINISHED}),
                     ("done", {"id": task, "state": {"finished": 110, "exit_code": 0}}),
                     ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "late"}]}))
    assert [answer.get("error", {}).get("code") for answer in answers] == [None, None, NOT_LEASED]
    assert _step(build.id).state == "success" and _lines(_step(build.id).id) == 0


def test_a_batchs_events_are_told_once_all_of_it_is_committed(app, rpc, make_build):
    """Each event of a batch (the step's states, its log's position) arrives when the whole batch is stored."""
    build = make_build()
    task = rpc.ok("next", labels={})["id"]
    step_id = _step(build.id).id
    engine, seen = db.engine, []

    def look(message: dict[str, Any]) -> None:
        """Note what a reader on its own connection finds stored when the message arrives."""
        with engine.connect() as connection:
            state = connection.execute(select(Proc.state).where(Proc.id == step_id)).scalar_one()
            lines = len(list(connection.execute(select(LogEntry.pos).where(LogEntry.proc_id == step_id))))
        seen.append((message.get("proc", {}).get("name", "log"), state, lines))

    watch = app.extensions["circle"].pubsub.watch([ALL_EVENTS, f"logs:{step_id}"], look)
    try:
        _batch(rpc, ("update", {"id": task, "state": STARTED}),
               ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
               ("update", {"id": task, "state": FINISHED}))
    finally:
        app.extensions["circle"].pubsub.unsubscribe(watch)
    assert seen and {(state, lines) for _, state, lines in seen} == {("success", 1)}
    assert [name for name, _, _ in seen] == ["build", "log", "build", "log"]


# Not on SQLite: it has one writer, so once the batch wrote, nothing else commits before it does.
@pytest.mark.parametrize("migrated_app", ["postgres", "mysql"], indirect=True)
def test_done_in_a_batch_sees_a_cancel_committed_during_the_batch(app, rpc, make_build):
    """A cancel another server commits between two calls of a batch is seen by the later `done`, as between
    two requests: the workflow ends killed."""
    build = make_build()
    task = rpc.ok("next", labels={})["id"]
    rpc.ok("init", id=task, state={"started": 100})
    engine, task_id, canceled = db.engine, int(task.split(".")[0]), []

    def cancel_meanwhile(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        """Commit a cancel of the task on a connection of its own once the batch stores its log line."""
        if sql.startswith("INSERT INTO log_entries") and not canceled:
            canceled.append(task_id)
            with engine.begin() as connection:
                connection.execute(update(Task).where(Task.id == task_id).values(state="canceled"))

    event.listen(engine, "before_cursor_execute", cancel_meanwhile)
    try:
        answers = _batch(rpc, ("update", {"id": task, "state": STARTED}),
                         ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
                         ("done", {"id": task, "state": {"finished": 110, "exit_code": 0}}))
    finally:
        event.remove(engine, "before_cursor_execute", cancel_meanwhile)
    assert canceled
    assert [answer.get("error") for answer in answers] == [None, None, None]
    db.session.rollback()
    workflow = next(p for p in build_store.list_procs(build.id) if p.ppid == 0)
    assert workflow.state == "killed"


def test_a_call_the_database_fails_stops_the_batch_there(app, rpc, make_build):
    """When storing a log batch fails, the calls after it (the step's end, `done`) are not applied but answered
    INTERNAL_ERROR, so the agent sends them again in order: the server never has `done` without the lines."""
    build = make_build()
    task = rpc.ok("next", labels={})["id"]
    rpc.ok("init", id=task, state={"started": 100})

    def fail_log_inserts(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        """Fail like a database that went away, on each insert of a log line."""
        if sql.startswith("INSERT INTO log_entries"):
            raise OperationalError(sql, {}, Exception("the database went away"))

    event.listen(db.engine, "before_cursor_execute", fail_log_inserts)
    try:
        answers = _batch(rpc, ("update", {"id": task, "state": STARTED}),
                         ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
                         ("update", {"id": task, "state": FINISHED}),
                         ("done", {"id": task, "state": {"finished": 110, "exit_code": 0}}))
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_log_inserts)
    assert [answer.get("error", {}).get("code") for answer in answers] == [None, INTERNAL_ERROR, INTERNAL_ERROR,
                                                                            INTERNAL_ERROR]
    assert answers[3]["error"]["message"] == "not run: call 2 of this batch failed; send the calls again from that one"
    assert _step(build.id).state == "running"
    answers = _batch(rpc, ("log", {"id": task, "lines": [{"proc": "build", "pos": 0, "out": "hello"}]}),
                     ("update", {"id": task, "state": FINISHED}),
                     ("done", {"id": task, "state": {"finished": 110, "exit_code": 0}}))
    assert [answer.get("error") for answer in answers] == [None, None, None]
    step = _step(build.id)
    assert step.state == "success" and _lines(step.id) == 1

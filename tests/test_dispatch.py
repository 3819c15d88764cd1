"""The dispatcher on every database: no head-of-line blocking, fairness between repos, limits, quiet hand-overs."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event

from circle import states
from circle.extensions import db
from circle.hub import hub
from circle.service import reaper
from circle.store import agents, builds, repos, scms, tasks, users
from circle.store.base import transaction

ARM = {"platform": "linux/arm64"}
AMD = {"platform": "linux/amd64"}


def _repo(name: str) -> int:
    """Create a repo (and its owner and SCM on first use); return its id."""
    user = users.get_by_login("u") if users.count() else users.create("u", "pw")
    scm = scms.list_all()[0] if scms.count() else scms.create(kind="local", name="s", url="/x", owner_id=user.id)
    return repos.create(scm_id=scm.id, full_name=f"a/{name}", owner="a", name=name, clone_url=f"/x/a/{name}").id


def _push(repo_id: int, labels: dict[str, str], count: int = 1) -> list[int]:
    """Queue `count` one-workflow builds of a repo with `labels`; return the task ids in order."""
    queue, ids = hub().queue, []
    for _ in range(count):
        number = repos.next_number(repos.get(repo_id))
        build = builds.create(repo_id=repo_id, number=number, event="push", status="pending")
        proc = builds.create_procs([builds.Proc(build_id=build.id, pid=1, name="default")])[0]
        ids.append(queue.push(build_id=build.id, proc_id=proc.id, payload={}, labels=labels, timeout=1).id)
    return ids


def test_a_runnable_task_behind_150_that_nobody_can_run_is_handed_out(app):
    """150 pending arm64 tasks and one amd64 task behind them: an amd64 agent gets that one at once."""
    repo_id = _repo("busy")
    _push(repo_id, ARM, 150)
    [runnable] = _push(repo_id, AMD)
    started = time.monotonic()
    task = hub().queue.poll(agents.create(name="amd").id, AMD, 5)
    print(f"handed out after {time.monotonic() - started:.3f} s")
    assert task is not None and task.id == runnable


def test_one_repos_backlog_does_not_starve_another_repos_build(app):
    """Repo A queues 100 builds, then repo B one; one agent running them one by one starts B's among the first 3."""
    a_ids = _push(_repo("a"), AMD, 100)
    [b_id] = _push(_repo("b"), AMD)
    agent_id, order = agents.create(name="only").id, []
    queue = hub().queue
    for _ in range(3):
        task = queue.poll(agent_id, AMD, 5)
        assert task is not None
        order.append(task.id)
        assert queue.confirm(task.id, agent_id, task.lease) and queue.finish(task)
    assert b_id in order and set(order) - {b_id} <= set(a_ids)


def test_a_repos_concurrency_limit_holds_and_others_run_meanwhile(app):
    """With max_concurrent 1, a repo's second task waits while its first runs; another repo's task is handed out."""
    limited = _repo("limited")
    repos.update(repos.get(limited), max_concurrent=1)
    first, second = _push(limited, AMD, 2)
    [other] = _push(_repo("other"), AMD)
    queue = hub().queue
    got = [queue.poll(agents.create(name=f"a{i}").id, AMD, 3) for i in range(2)]
    assert sorted(t.id for t in got if t) == sorted([first, other])
    assert queue.poll(agents.create(name="a2").id, AMD, 1) is None
    running = next(t for t in got if t and t.id == first)
    assert queue.finish(running)
    again = queue.poll(agents.create(name="a3").id, AMD, 3)
    assert again is not None and again.id == second


def test_an_unconfirmed_hand_over_goes_back_quietly_within_seconds(app):
    """A task whose agent never calls init is pending again after the hand-over time, with no attempt counted."""
    [task_id] = _push(_repo("r"), AMD)
    queue = hub().queue
    task = queue.poll(agents.create(name="gone").id, AMD, 3)
    assert task is not None and task.id == task_id
    assert reaper.reap(time.time() + queue.dispatcher.handover_seconds + 1) == 1
    db.session.expire_all()
    row = tasks.get(task_id)
    assert (row.state, row.attempts, row.lease) == ("pending", 0, None)
    workflow = builds.get_proc(row.proc_id)
    assert (workflow.state, workflow.error) == (states.PENDING, "")
    again = queue.poll(agents.create(name="there").id, AMD, 3)
    assert again is not None and again.id == task_id


def test_the_woken_long_poll_is_handed_its_task_without_a_query(app):
    """The claim reads the payload and the build's name in its own transaction: the waiter runs no statement."""
    [task_id] = _push(_repo("quiet"), AMD)
    db.session.get(tasks.TaskPayload, task_id).data = {"config": {"stages": ["s"]}}
    db.session.commit()
    queue, agent_id, me, mine = hub().queue, agents.create(name="waiter").id, threading.get_ident(), []

    def note(conn, cursor, statement, params, context, executemany) -> None:
        if threading.get_ident() == me:  # not the dispatcher's thread
            mine.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        claimed = queue.poll(agent_id, AMD, 3)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert claimed is not None and claimed.id == task_id and mine == []
    assert claimed.payload == {"config": {"stages": ["s"]}} and claimed.build == "a/quiet#1"
    row = tasks.get(task_id)
    assert (row.state, row.agent_id, row.lease) == ("running", agent_id, claimed.lease)


def test_a_confirmed_task_keeps_its_whole_lease(app):
    """After init's confirmation the hand-over time passing takes nothing back; the lease does."""
    _push(_repo("r"), AMD)
    queue, agent_id = hub().queue, agents.create(name="steady").id
    task = queue.poll(agent_id, AMD, 3)
    assert queue.confirm(task.id, agent_id, task.lease)
    assert reaper.reap(time.time() + queue.dispatcher.handover_seconds + 1) == 0
    assert reaper.reap(time.time() + queue.lease_seconds + 1) == 1


def test_idle_waiters_cost_no_queries_beyond_the_refresh(app):
    """40 agents waiting with 200 pending tasks none of them can run make only the dispatcher's few queries."""
    _push(_repo("arm"), ARM, 200)
    agent_ids = [agents.create(name=f"idle{i}").id for i in range(40)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        threads = [threading.Thread(target=_wait_in_app, args=(app, agent_id, 2.0)) for agent_id in agent_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    refreshes = sum("GROUP BY" in s and "min(" in s.lower() for s in statements)
    assert refreshes <= 3
    assert len(statements) <= 5 * refreshes + 2, statements


def _wait_in_app(app, agent_id: int, seconds: float) -> None:
    """Long-poll the app's queue for `seconds` in a thread of its own."""
    with app.app_context():
        assert hub().queue.poll(agent_id, AMD, seconds) is None
        db.session.remove()


def test_a_pushed_task_is_claimed_for_a_waiting_agent_without_a_refresh(app):
    """A push's announcement names its task: a waiting agent gets it with one claim, no re-read of the queue."""
    repo_id, agent_id = _repo("quick"), agents.create(name="waiting").id
    statements: list[str] = []
    got: list[int | None] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def wait() -> None:
        with app.app_context():
            task = hub().queue.poll(agent_id, AMD, 10)
            got.append(task.id if task else None)
            db.session.remove()

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        waiter = threading.Thread(target=wait)
        waiter.start()
        deadline = time.monotonic() + 5
        while not any(_is_refresh(s) for s in statements) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the first round (the waiter's) ends
        seen = len(statements)
        [pushed] = _push(repo_id, AMD)
        waiter.join(15)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert got == [pushed]
    assert not [s for s in statements[seen:] if _is_refresh(s)]


def _waiting_agent(app, name: str) -> tuple[threading.Thread, list]:
    """Start an agent long-polling in a thread of its own; return the thread and the list its answer goes to,
    once the dispatcher has looked at it (so its index is current)."""
    agent_id, got = agents.create(name=name).id, []
    db.session.commit()

    def wait() -> None:
        with app.app_context():
            got.append(hub().queue.poll(agent_id, AMD, 10))
            db.session.remove()

    thread = threading.Thread(target=wait)
    thread.start()
    dispatcher, deadline = hub().queue.dispatcher, time.monotonic() + 5
    while not (dispatcher.waiting() and not dispatcher._fresh and not dispatcher._dirty) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    return thread, got


def _push_in_a_transaction(repo_id: int, fail: bool = False) -> int:
    """Queue a one-workflow build in one transaction block (as a trigger does); raise Crash inside it if `fail`."""
    with transaction("build"):
        number = repos.next_number(repos.get(repo_id))
        build = builds.create(repo_id=repo_id, number=number, event="push", status="pending")
        proc = builds.create_procs([builds.Proc(build_id=build.id, pid=1, name="default")])[0]
        task = hub().queue.push(build_id=build.id, proc_id=proc.id, payload={"config": {}}, labels=AMD,
                                timeout=1, repo_id=repo_id)
        if fail:
            assert hub().queue.dispatcher.waiting() == 0  # the agent was reserved for this task
            raise Crash("injected")
    return task.id


class Crash(Exception):
    """The injected failure."""


def test_a_push_with_an_idle_agent_waiting_leases_it_in_its_own_transaction(app):
    """A task an idle agent can run is written leased to it and handed over as the push commits: no claim."""
    repo_id = _repo("direct")
    thread, got = _waiting_agent(app, "idle")
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        task_id = _push_in_a_transaction(repo_id)
        thread.join(15)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    db.session.expire_all()
    row = tasks.get(task_id)
    [claimed] = got
    assert claimed is not None and claimed.id == task_id and claimed.build == "a/direct#1"
    assert (row.state, row.lease) == ("running", claimed.lease)
    assert not [s for s in statements if s.startswith("UPDATE tasks")]  # the INSERT leased it


def test_a_rolled_back_push_gives_the_reserved_agent_back(app):
    """The reserved agent of a push that rolls back waits on and gets the next task."""
    repo_id = _repo("undone")
    thread, got = _waiting_agent(app, "patient")
    with pytest.raises(Crash):
        _push_in_a_transaction(repo_id, fail=True)
    assert tasks.count() == 0 and hub().queue.dispatcher.waiting() == 1
    [task_id] = _push(repo_id, AMD)
    thread.join(15)
    assert [c.id if c else None for c in got] == [task_id]


def test_a_malformed_announcement_makes_the_dispatcher_refresh(app):
    """An announcement whose task cannot be read is taken as "something changed": the next round re-reads."""
    dispatcher = hub().queue.dispatcher
    dispatcher.announce({"changed": True, "task": {"id": "x"}})
    assert dispatcher._dirty


def _is_refresh(statement: str) -> bool:
    """Tell whether a statement is the dispatcher's refresh of the pending groups."""
    return "GROUP BY" in statement and "min(" in statement.lower()


def test_a_refresh_reads_the_queue_in_one_query(app):
    """Pending groups, running tasks per repo and repo limits come from one statement, not one each."""
    limited, other = _repo("limited"), _repo("other")
    repos.update(repos.get(limited), max_concurrent=1)
    _push(limited, AMD, 2)
    _push(other, ARM)
    agent_id = agents.create(name="one").id
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        first = hub().queue.poll(agent_id, AMD, 3)
        assert first is not None and hub().queue.poll(agent_id, AMD, 0.5) is None  # the limit holds
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    aggregates = [s for s in statements if "GROUP BY" in s]
    assert aggregates and all("max_concurrent" in s for s in aggregates), aggregates


def test_the_queue_state_counts_pending_groups_leased_tasks_and_limits(app):
    """queue_state: a group per repo and labels, running and canceled leases per repo, limits of those repos."""
    limited, other = _repo("limited"), _repo("other")
    repos.update(repos.get(limited), max_concurrent=2)
    first, second, third = _push(limited, AMD, 3)
    arm = _push(other, ARM)[0]
    agent_id = agents.create(name="one").id
    for task_id in (first, second):
        assert tasks.claim(task_id, agent_id, time.time() + 60)
    tasks.update(tasks.get(second), state=tasks.CANCELED)
    state = tasks.queue_state()
    assert sorted(state.groups, key=lambda g: g.repo_id) == [
        tasks.PendingGroup(limited, tasks.labels_key(AMD), third, 1),
        tasks.PendingGroup(other, tasks.labels_key(ARM), arm, 1)]
    assert state.running == {limited: 2} and state.limits == {limited: 2}

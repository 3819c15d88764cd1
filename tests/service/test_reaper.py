"""Taking back expired leases: the build follows its workflows, and one reaper never undoes another's work."""
from __future__ import annotations

import time
from dataclasses import replace

from circle.extensions import db
from circle.hub import hub
from circle.service import progress, reaper
from circle.store import agents, builds, tasks
from dbtools import make_workflow


def _leased(name: str = "agent") -> tuple[int, int, tasks.Task]:
    """Queue one workflow and lease it to a new agent; return (build id, proc id, task)."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    agent = agents.create(name=name)
    return build_id, proc_id, tasks.get(queue.poll(agent.id, {}, 0).id)


def test_a_requeued_running_build_reads_pending_again(app):
    """After its only workflow's lease expires, a running build and all its procs read pending."""
    build_id, proc_id, task = _leased()
    progress.workflow_started(task, task.agent_id, agents.get(task.agent_id).name, int(time.time()))
    assert builds.get(build_id).status == "running"
    assert reaper.reap(time.time() + hub().queue.lease_seconds + 1) == 1
    db.session.expire_all()
    assert builds.get(build_id).status == "pending"
    assert {p.state for p in builds.list_procs(build_id)} == {"pending"}
    assert builds.get_proc(proc_id).machine == ""
    why = "agent stopped answering; waiting for another agent to run it again"
    assert why in builds.get_proc(proc_id).error and why in builds.get(build_id).error
    task = tasks.get(hub().queue.poll(agents.create(name="second").id, {}, 0).id)
    progress.workflow_started(task, task.agent_id, agents.get(task.agent_id).name, int(time.time()))
    db.session.expire_all()
    assert builds.get(build_id).status == "running" and builds.get(build_id).error == ""
    assert builds.get_proc(proc_id).error == ""


def test_a_lease_extended_after_the_reaper_looked_is_not_lost(app):
    """The reaper's "agent lost" is conditional: a task extended since it was listed keeps running."""
    build_id, proc_id, task = _leased()
    tasks.update(task, attempts=reaper.MAX_ATTEMPTS)
    later = time.time() + hub().queue.lease_seconds + 1
    [stale] = tasks.list_expired(later)
    tasks.update(task, lease_deadline=later + 60)  # the agent (through another server) extended meanwhile
    reaper._lost(stale, later)
    db.session.expire_all()
    assert tasks.get(task.id).state == "running"
    assert builds.get_proc(proc_id).state == "pending" and builds.get(build_id).status == "pending"



def test_a_start_grants_grace_only_when_no_other_server_could_serve(app):
    """A lone server's start extends leases once; with a shared bus (other servers running) a start grants none."""
    _, _, task = _leased()
    moment = time.time()
    tasks.update(task, lease_deadline=moment - 1)
    alone = hub().settings
    try:
        hub().settings = replace(alone, pubsub_url="redis://127.0.0.1:6379/0")
        assert reaper.grant_start_grace() == 0
        db.session.expire_all()
        assert tasks.get(task.id).lease_deadline == moment - 1
    finally:
        hub().settings = alone
    assert reaper.grant_start_grace() == 1
    db.session.expire_all()
    assert tasks.get(task.id).lease_deadline >= moment + hub().queue.lease_seconds - 1


def test_a_done_racing_a_requeue_changes_nothing(app):
    """`done` checked under a lease that the reaper took back before the delete is refused and rolls back."""
    import pytest

    from circle.errors import NotFound
    from circle.rpc.protocol import DoneState
    from circle.store.base import transaction

    build_id, proc_id, task = _leased()
    stale = tasks.Task(id=task.id, build_id=build_id, proc_id=proc_id, state="running", lease=task.lease)
    assert reaper.reap(time.time() + hub().queue.lease_seconds + 1) == 1
    with pytest.raises(NotFound), transaction("task"):
        progress.workflow_done(stale, DoneState(finished=1, exit_code=0, error=""))
    db.session.expire_all()
    assert tasks.get(task.id).state == "pending" and builds.get_proc(proc_id).state == "pending"
    assert builds.get(build_id).status == "pending"

"""The durable queue on every database: one claimer per task, wake-ups, labels, leases taken back."""
from __future__ import annotations

import threading
import time

from circle.dispatch import labels_match
from circle.extensions import db
from circle.hub import hub
from circle.queue import Queue
from circle.service import reaper
from circle.store import agents, builds, tasks
from circle.store.base import transaction
from dbtools import make_workflow


def test_concurrent_claimers_never_share_a_task(app):
    """Eight threads polling 30 tasks lease each exactly once."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    pushed = {queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=60).id
              for _ in range(30)}
    agent_ids = [agents.create(name=f"a{i}").id for i in range(8)]
    claimed: list[int] = []
    lock = threading.Lock()

    def claim(agent_id: int) -> None:
        with app.app_context():
            while (task := queue.poll(agent_id, {}, 0)) is not None:
                with lock:
                    claimed.append(task.id)
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(a,)) for a in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == sorted(pushed)
    assert tasks.count(tasks.Task.state == "running") == 30


def test_a_push_wakes_a_waiting_poller(app):
    """A long-poll that started before the push returns the task instead of timing out."""
    build_id, proc_id = make_workflow()
    queue, agent_id = hub().queue, agents.create(name="waiter").id
    result: dict[str, object] = {}

    def wait() -> None:
        with app.app_context():
            task = queue.poll(agent_id, {"platform": "linux/*"}, 20)
            result["task"] = task.id if task else None
            result["elapsed"] = time.monotonic() - started

    started = time.monotonic()
    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.2)
    task = queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={"platform": "linux/amd64"}, timeout=1)
    thread.join(30)
    assert result["task"] == task.id and result["elapsed"] < 20


def test_label_matching():
    """Every task label must be matched, with globs allowed on the agent side only."""
    assert labels_match({}, {"platform": "linux/amd64"})
    assert labels_match({"platform": "linux/amd64"}, {"platform": "linux/*"})
    assert not labels_match({"platform": "linux/*"}, {"platform": "linux/amd64"})
    assert not labels_match({"gpu": "yes"}, {"platform": "linux/amd64"})


def test_pending_tasks_survive_a_new_queue(app):
    """Rows are the truth: a fresh Queue (a restarted server) leases what the old one was given."""
    build_id, proc_id = make_workflow()
    pushed = hub().queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    fresh = Queue(hub().pubsub)
    assert fresh.poll(agents.create(name="after-restart").id, {}, 0).id == pushed.id


def test_expired_lease_is_requeued_once_then_the_workflow_errors(app):
    """A lease nobody extends goes back to the queue once; the second expiry ends it as agent lost."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    agent_id = agents.create(name="flaky").id
    task = queue.poll(agent_id, {}, 0)
    assert queue.confirm(task.id, agent_id, task.lease)
    assert reaper.reap(time.time() + queue.lease_seconds + 1) == 1
    db.session.expire_all()
    assert tasks.get(task.id).state == "pending" and builds.get(build_id).status == "pending"
    again = queue.poll(agent_id, {}, 0)
    assert queue.confirm(again.id, agent_id, again.lease)
    db.session.expire_all()
    assert again.id == task.id and tasks.get(again.id).attempts == 2
    assert reaper.reap(time.time() + queue.lease_seconds + 1) == 1
    db.session.expire_all()
    workflow = builds.get_proc(proc_id)
    assert (workflow.state, workflow.error) == ("error", "agent lost")
    assert builds.get(build_id).status == "error" and tasks.count() == 0
    assert builds.get_proc_by_pid(build_id, 2).state == "skipped"


def test_extended_lease_is_not_reaped(app):
    """Extending keeps a task leased past its first deadline."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    agent_id = agents.create(name="steady").id
    task = queue.poll(agent_id, {}, 0)
    assert queue.extend(task.id, agent_id, task.lease)
    assert reaper.reap(time.time()) == 0
    assert not queue.extend(task.id, agent_id + 1000, task.lease)
    assert not queue.extend(task.id, agent_id, "another-lease")


def test_every_claim_gets_a_fresh_lease_and_a_requeue_clears_it(app):
    """A claim sets a random lease token; taking the lease back clears it; the next claim gets a new one."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    agent_id = agents.create(name="flaky").id
    first = queue.poll(agent_id, {}, 0).lease
    assert first and len(first) == 32
    assert reaper.reap(time.time() + queue.lease_seconds + 1) == 1
    assert tasks.list_by_build(build_id)[0].lease is None
    assert queue.poll(agent_id, {}, 0).lease not in (None, first)


def test_a_finished_tasks_id_is_never_reused(app):
    """Deleting the newest task does not hand its id to the next one (SQLite's AUTOINCREMENT)."""
    build_id, proc_id = make_workflow()
    queue = hub().queue
    first = queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1)
    first_id = first.id
    queue.finish(first)
    assert queue.push(build_id=build_id, proc_id=proc_id, payload={}, labels={}, timeout=1).id > first_id


def test_a_long_poll_holds_no_lock_while_it_waits(app):
    """A `next` whose transaction wrote and then waits lets other writers commit meanwhile (SQLite's lock)."""
    agent_id, order = agents.create(name="poller").id, []

    def poll() -> None:
        with app.app_context():
            with transaction("rpc"):
                agents.update(agents.get(agent_id), version="polling")
                hub().queue.poll(agent_id, {}, 3)
            order.append("poll ended")
            db.session.remove()

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.5)
    agents.create(name="another")
    order.append("write committed")
    thread.join(30)
    assert order == ["write committed", "poll ended"]

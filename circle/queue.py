"""The durable task queue: rows in the tasks table are the truth; the dispatcher only hands them out.

Long-polling agents wait in this process's Dispatcher (circle.dispatch), which claims tasks for them with
one conditional UPDATE each (store.tasks.claim), so two agents or two server processes can never lease the
same task, and idle agents cost no database queries beyond the dispatcher's periodic refresh.

A claim is a hand-over: its deadline is `handover_seconds`, and only the agent's `init` (Queue.confirm)
gives it a whole lease and counts a start. A task handed to a long-poll whose client was already gone
goes back to the queue within seconds (the reaper), not after a lease, and without counting an attempt.

Pushes, leases taken back and freed tasks are announced on the pubsub topic "queue"; a push's
announcement names its task (dispatch.Announced), which every dispatcher takes in without reading the
database, and the others make it refresh, so with a shared bus (CIRCLE_PUBSUB_URL) a push in one server process reaches
pollers in every other at once (without one, at the next refresh).
"""
from __future__ import annotations

import logging
import time
from typing import Any, cast

from circle.dispatch import Announced, Dispatcher, Waiter
from circle.extensions import db
from circle.models import Task
from circle.pubsub import PubSub
from circle.store import builds as build_store
from circle.store import repos as repo_store
from circle.store import tasks as task_store
from circle.store.base import after_commit, in_transaction, on_rollback, release
from circle.store.tasks import Claimed

log = logging.getLogger(__name__)

CANCELED = task_store.CANCELED
# The pubsub topic on which a change of the pending tasks is announced.
QUEUE_TOPIC = "queue"
# An agent confirms (init) a task handed to it within this many seconds, or it goes back to the queue.
HANDOVER_SECONDS = 10.0
# While agents wait, the dispatcher re-reads the pending tasks at least this often (seconds).
REFRESH_SECONDS = 5.0


class Queue:
    """Push, hand out, confirm, extend, finish and cancel workflows."""

    def __init__(self, pubsub: PubSub, *, lease_seconds: float = 30.0, handover_seconds: float = HANDOVER_SECONDS,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.pubsub = pubsub
        self.lease_seconds = lease_seconds
        self.dispatcher = Dispatcher(handover_seconds=handover_seconds, refresh_seconds=refresh_seconds)
        self._watch = pubsub.watch([QUEUE_TOPIC], self._on_announce)

    def push(
        self, *, build_id: int, proc_id: int, payload: dict[str, Any], labels: dict[str, str], timeout: int,
        waiting: bool = False, repo_id: int | None = None,
    ) -> Task:
        """Store a pending task (or a waiting one, see `release`) and tell the dispatchers once it is committed.

        `repo_id` is the build's repo (read from the build when not given). Inside a `transaction` block, a
        task an idle agent of this process can run at once (Dispatcher.reserve) is leased to it in the same
        transaction and handed over as it commits: no claim of its own.
        """
        where = {} if repo_id is None else {"repo_id": repo_id}
        waiter = None if waiting or repo_id is None else self._reserve(repo_id, labels)
        leased = {} if waiter is None else task_store.lease_values(
            waiter.agent_id, time.time() + self.dispatcher.handover_seconds)
        state = task_store.WAITING if waiting else task_store.PENDING
        task = task_store.create(build_id=build_id, proc_id=proc_id, payload=payload, labels=labels,
                                 timeout=timeout, **{"state": state, **where, **leased})
        if waiter is not None:
            self._hand_when_committed(waiter, task, payload)
        elif not waiting:
            self._announce_pending(task)
        return task

    def _reserve(self, repo_id: int, labels: dict[str, str]) -> Waiter | None:
        """Reserve an idle local waiter for a task about to be pushed, inside a transaction block only: the
        waiter goes back to its line if the block rolls back."""
        if not in_transaction():
            return None
        waiter = self.dispatcher.reserve(repo_id, labels, repo_store.get(repo_id).max_concurrent)
        if waiter is not None:
            on_rollback(lambda: self.dispatcher.give_back(waiter, repo_id))
        return waiter

    def _hand_when_committed(self, waiter: Waiter, task: Task, payload: dict[str, Any]) -> None:
        """Wake the waiter a task was written leased to, with all it hands out, once the push commits."""
        name = f"{repo_store.get(task.repo_id).full_name}#{build_store.get(task.build_id).number}"
        claimed = Claimed(task.id, task.build_id, cast(str, task.lease), task.timeout, task.created, payload, name)
        repo_id = task.repo_id
        after_commit(lambda: self.dispatcher.hand(waiter, claimed, repo_id))

    def release(self, task: Task) -> None:
        """Make a waiting task pending, once the workflows it waited for have finished."""
        task_store.update(task, state=task_store.PENDING)
        self._announce_pending(task)

    def _announce_pending(self, task: Task) -> None:
        """Announce a task that became pending, with what a dispatcher needs to hand it out at once."""
        repo = repo_store.get(task.repo_id)
        announced = Announced(task.id, repo.id, task.labels_key, dict(task.labels or {}), repo.max_concurrent)
        message = {"changed": True, "task": announced.to_json()}
        after_commit(lambda: self.pubsub.publish(QUEUE_TOPIC, message))

    def wake(self) -> None:
        """Announce to every process's dispatcher, once committed, that the pending tasks changed."""
        after_commit(lambda: self.pubsub.publish(QUEUE_TOPIC, {"changed": True}))

    def _on_announce(self, message: dict[str, Any]) -> None:
        """Pass an announcement (from this process or, through the bus, another) to the dispatcher."""
        self.dispatcher.announce(message)

    def poll(self, agent_id: int, labels: dict[str, str], timeout: float) -> Claimed | None:
        """Hand over the fairest pending task that fits `labels`, waiting up to `timeout` seconds; None if none."""
        release()  # no connection (nor SQLite's write lock, after the agent's contact was noted) is held while waiting
        return self.dispatcher.take(agent_id, labels, timeout)

    def park(self, agent_id: int, timeout: float) -> None:
        """Hold a paused agent's long-poll for `timeout` seconds, or until the agent changes (resumed, deleted)."""
        release()
        self.dispatcher.park(agent_id, timeout)

    def close(self) -> None:
        """Stop watching for announcements and end the dispatcher (a Queue thrown away before its PubSub)."""
        self._watch.close()
        self.dispatcher.stop()

    def confirm(self, task_id: int, agent_id: int, lease: str, *, first: bool = True) -> bool:
        """Take the agent's word that it received the task: a whole lease, and (the first time) one start counted."""
        return task_store.confirm(task_id, agent_id, lease, time.time() + self.lease_seconds, count=first)

    def extend(self, task_id: int, agent_id: int, lease: str) -> bool:
        """Renew the lease of a task the agent holds under the lease token `lease`."""
        return task_store.extend(task_id, agent_id, lease, time.time() + self.lease_seconds)

    def finish(self, task: Task) -> bool:
        """Remove a finished task still held under its lease and tell whoever waits on it; False if taken back."""
        if not task_store.remove_leased(task.id, task.lease):
            return False
        self.announce_done(task.id)
        self.wake()
        return True

    def announce_done(self, task_id: int) -> None:
        """Tell whoever waits on a task that it is gone (once that is committed)."""
        after_commit(lambda: self.pubsub.publish(f"task:{task_id}", {"done": True}))

    def cancel(self, task: Task) -> None:
        """Drop a pending task, or mark a leased one canceled so its agent stops it."""
        if task.state in (task_store.PENDING, task_store.WAITING):
            task_store.delete(task)
        else:
            task_store.update(task, state=CANCELED)
        task_id = task.id
        after_commit(lambda: self.pubsub.publish(f"task:{task_id}", {"canceled": True}))

    def wait(self, task_id: int, timeout: float) -> dict[str, bool]:
        """Block until the task is canceled or gone, or `timeout` passes; answer {"canceled", "done"}.

        The database is read when the wait starts and when a message or the timeout comes, never polled.
        """
        deadline = time.monotonic() + timeout
        with self.pubsub.subscribe([f"task:{task_id}"]) as subscription:
            while True:
                state = self._state(task_id)
                if state is not None:
                    return state
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {"canceled": False, "done": False}
                subscription.get(timeout=remaining)

    @staticmethod
    def _state(task_id: int) -> dict[str, bool] | None:
        """Return the wait answer when the task was canceled or is gone, else None."""
        try:
            row = db.session.get(Task, task_id, populate_existing=True)
            if row is None:
                return {"canceled": False, "done": True}
            if row.state == CANCELED:
                return {"canceled": True, "done": False}
            return None
        finally:
            release()

    def info(self) -> dict[str, Any]:
        """Return counts of pending and running tasks and of waiting agents."""
        return {"pending": task_store.count(Task.state == task_store.PENDING),
                "running": task_store.count(Task.state.in_(task_store.LEASED)),
                "waiting_agents": self.dispatcher.waiting()}

"""The durable task queue: rows in the tasks table are the truth, in-memory waiters only wake sooner.

An agent's claim is one conditional UPDATE (store.tasks.claim), so two agents or two server
processes can never lease the same task. Long-polling agents register a waiter *before* looking at
the database, so a push between their look and their sleep still wakes them; a push wakes only the
first idle waiter whose labels fit, so 1 000 idle agents cost nothing until work arrives.

A push (or a lease taken back) is announced on the pubsub topic "queue" as {"labels": …}; every
Queue watches that topic and wakes one of its own waiters, so with a shared bus (CIRCLE_PUBSUB_URL)
a push in one server process wakes a poller in another, and each process exactly once.
"""
from __future__ import annotations

import fnmatch
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from circle.extensions import db
from circle.models import Task
from circle.pubsub import PubSub
from circle.store import tasks as task_store
from circle.store.base import Page, after_commit, release

log = logging.getLogger(__name__)

CANCELED = task_store.CANCELED
# The pubsub topic on which a task that can be taken is announced.
QUEUE_TOPIC = "queue"
# How many pending tasks one poll looks at (oldest first) for one whose labels fit.
SCAN = 100


def labels_match(task_labels: dict[str, str], agent_labels: dict[str, str]) -> bool:
    """Tell whether every label of the task is matched by the agent's (glob patterns on the agent side)."""
    for key, wanted in task_labels.items():
        offered = agent_labels.get(key)
        if offered is None or not fnmatch.fnmatchcase(str(wanted), str(offered)):
            return False
    return True


@dataclass
class _Waiter:
    """One long-polling caller waiting for a task."""

    labels: dict[str, str]
    event: threading.Event = field(default_factory=threading.Event)


class Queue:
    """Push, lease, extend, finish and cancel workflows."""

    def __init__(self, pubsub: PubSub, *, lease_seconds: float = 30.0, recheck_seconds: float = 5.0) -> None:
        self.pubsub = pubsub
        self.lease_seconds = lease_seconds
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        self._watch = pubsub.watch([QUEUE_TOPIC], self._on_announce)

    def push(
        self, *, build_id: int, proc_id: int, payload: dict[str, Any], labels: dict[str, str], timeout: int
    ) -> Task:
        """Store a pending task and wake one waiting agent that can take it."""
        task = task_store.create(build_id=build_id, proc_id=proc_id, payload=payload, labels=labels,
                                 timeout=timeout)
        self.wake(labels)
        return task

    def wake(self, labels: dict[str, str]) -> None:
        """Announce a task with `labels` to every process once it is committed, so each wakes a waiter that fits."""
        after_commit(lambda: self.pubsub.publish(QUEUE_TOPIC, {"labels": labels}))

    def _on_announce(self, message: dict[str, Any]) -> None:
        """Wake a local waiter for an announced task (called by the pubsub, here or from the bus)."""
        labels = message.get("labels")
        self.wake_local(labels if isinstance(labels, dict) else {})

    def wake_local(self, labels: dict[str, str]) -> None:
        """Wake this process's oldest waiter whose labels fit a task with `labels`."""
        with self._lock:
            for waiter in self._waiters:
                if labels_match(labels, waiter.labels):
                    self._waiters.remove(waiter)
                    waiter.event.set()
                    return

    def poll(self, agent_id: int, labels: dict[str, str], timeout: float) -> Task | None:
        """Lease the oldest pending task that fits `labels`, waiting up to `timeout` seconds; None if none came."""
        deadline = time.monotonic() + timeout
        while True:
            waiter = _Waiter(labels)
            with self._lock:
                self._waiters.append(waiter)
            task = self._claim_first(agent_id, labels)
            remaining = deadline - time.monotonic()
            if task is None and remaining > 0:
                waiter.event.wait(min(remaining, self.recheck_seconds))
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if task is not None:
                return task
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        """Stop watching for announced tasks (a Queue that is thrown away before its PubSub)."""
        self._watch.close()

    def _claim_first(self, agent_id: int, labels: dict[str, str]) -> Task | None:
        """Try to lease one fitting pending task; release the DB connection before returning."""
        try:
            for task in task_store.list_pending(Page(1, SCAN)):
                if labels_match(task.labels or {}, labels):
                    if task_store.claim(task.id, agent_id, time.time() + self.lease_seconds):
                        db.session.refresh(task)
                        return task
            return None
        finally:
            release()

    def extend(self, task_id: int, agent_id: int, lease: str) -> bool:
        """Renew the lease of a task the agent holds under the lease token `lease`."""
        return task_store.extend(task_id, agent_id, lease, time.time() + self.lease_seconds)

    def finish(self, task: Task) -> bool:
        """Remove a finished task still held under its lease and tell whoever waits on it; False if taken back."""
        if not task_store.remove_leased(task.id, task.lease):
            return False
        self.announce_done(task.id)
        return True

    def announce_done(self, task_id: int) -> None:
        """Tell whoever waits on a task that it is gone (once that is committed)."""
        after_commit(lambda: self.pubsub.publish(f"task:{task_id}", {"done": True}))

    def cancel(self, task: Task) -> None:
        """Drop a pending task, or mark a leased one canceled so its agent stops it."""
        if task.state == task_store.PENDING:
            task_store.delete(task)
        else:
            task_store.update(task, state=CANCELED)
        task_id = task.id
        after_commit(lambda: self.pubsub.publish(f"task:{task_id}", {"canceled": True}))

    def wait(self, task_id: int, timeout: float) -> dict[str, bool]:
        """Block until the task is canceled or gone, or `timeout` passes; answer {"canceled", "done"}."""
        deadline = time.monotonic() + timeout
        with self.pubsub.subscribe([f"task:{task_id}"]) as subscription:
            while True:
                state = self._state(task_id)
                if state is not None:
                    return state
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {"canceled": False, "done": False}
                subscription.get(timeout=min(remaining, self.recheck_seconds))

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
        with self._lock:
            waiting = len(self._waiters)
        return {"pending": task_store.count(Task.state == task_store.PENDING),
                "running": task_store.count(Task.state != task_store.PENDING),
                "waiting_agents": waiting}

"""The dispatcher: one loop per server process hands pending tasks to the agents long-polling it.

Waiting agents register here and sleep; they never query the database. The loop keeps an index of the
pending tasks grouped by repo and labels, with the leased tasks per repo and the repos' limits
(store.tasks.queue_state, one aggregate over an index; no payloads, no rows), refreshed when a task is
freed or taken back (the pubsub "queue" topic) and at least every `refresh_seconds` while someone waits.
A push's announcement names the task it queued (Announced: its repo, labels and the repo's limit), so a
fresh index takes it in without a refresh and the task is claimed at once: a push costs the dispatcher
one claim, not a refresh and a claim.

It matches waiters to groups in memory, each pair of label sets once, and claims the oldest task of the
chosen group in the database (one conditional UPDATE, after SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL
and MariaDB), so claims stay atomic across servers. The claim reads what the agent is handed (the payload,
the build's name) in its transaction: the woken long-poll answers without a query.

Order among the groups a waiter can run: the repo with the fewest running tasks first, then the repo
served longest ago, then the oldest task. So one repo's backlog never starves another repo's build, and
tasks nobody can run never block one behind them. A repo's `max_concurrent` caps its running tasks.
"""
from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from circle.extensions import db
from circle.store import tasks as task_store
from circle.store.tasks import Claimed, PendingGroup

log = logging.getLogger(__name__)

# Pushes taken in between rounds at most; past it the next round refreshes instead.
MAX_ANNOUNCED = 1000
# A waiter whose deadline passed while the loop was claiming for it waits this long at most for the answer.
ANSWER_SECONDS = 30.0


def labels_match(task_labels: dict[str, str], agent_labels: dict[str, str]) -> bool:
    """Tell whether every label of the task is matched by the agent's (glob patterns on the agent side)."""
    for key, wanted in task_labels.items():
        offered = agent_labels.get(key)
        if offered is None or not fnmatch.fnmatchcase(str(wanted), str(offered)):
            return False
    return True


@dataclass(eq=False)
class Waiter:
    """One long-polling agent: what it offers, until when it waits, and the task claimed for it."""

    agent_id: int
    labels: dict[str, str]
    key: str
    deadline: float
    event: threading.Event = field(default_factory=threading.Event)
    claimed: Claimed | None = None
    # Set once a round has looked at it: a waiter is answered "nothing" only after one real try.
    considered: bool = False


@dataclass(frozen=True)
class Announced:
    """A task just pushed, as its announcement on the "queue" topic describes it."""

    task_id: int
    repo_id: int
    labels_key: str
    labels: dict[str, str]
    max_concurrent: int

    def to_json(self) -> dict[str, Any]:
        """Return the announcement's "task" member."""
        return {"id": self.task_id, "repo": self.repo_id, "key": self.labels_key, "labels": self.labels,
                "limit": self.max_concurrent}

    @classmethod
    def from_json(cls, data: Any) -> Announced | None:
        """Read an announcement's "task" member; None when it is missing or malformed (a refresh then)."""
        try:
            return cls(int(data["id"]), int(data["repo"]), str(data["key"]),
                       {str(k): str(v) for k, v in data["labels"].items()}, int(data["limit"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


@dataclass
class _Index:
    """The pending tasks as the last refresh saw them, minus the claims made since."""

    groups: list[PendingGroup] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    running: dict[int, int] = field(default_factory=dict)
    limits: dict[int, int] = field(default_factory=dict)
    taken: dict[tuple[int, str], int] = field(default_factory=dict)

    def left(self, group: PendingGroup) -> int:
        """Return how many tasks of a group are still unclaimed as far as this index knows."""
        return group.count - self.taken.get((group.repo_id, group.labels_key), 0)

    def full(self, repo_id: int) -> bool:
        """Tell whether a repo runs as many tasks as its limit allows."""
        limit = self.limits.get(repo_id, 0)
        return limit > 0 and self.running.get(repo_id, 0) >= limit

    def open_groups(self) -> list[PendingGroup]:
        """Return the groups with unclaimed tasks whose repo is under its limit."""
        return [g for g in self.groups if self.left(g) > 0 and not self.full(g.repo_id)]

    def took(self, group: PendingGroup) -> None:
        """Count one task of a group claimed."""
        ident = (group.repo_id, group.labels_key)
        self.taken[ident] = self.taken.get(ident, 0) + 1
        self.running[group.repo_id] = self.running.get(group.repo_id, 0) + 1

    def add(self, task: Announced) -> None:
        """Count in a task pushed since the refresh, as its announcement describes it."""
        self.labels.setdefault(task.labels_key, task.labels)
        if task.max_concurrent > 0:
            self.limits[task.repo_id] = task.max_concurrent
        else:
            self.limits.pop(task.repo_id, None)
        for number, group in enumerate(self.groups):
            if (group.repo_id, group.labels_key) == (task.repo_id, task.labels_key):
                self.groups[number] = PendingGroup(group.repo_id, group.labels_key, min(group.oldest, task.task_id),
                                                   group.count + 1)
                return
        self.groups.append(PendingGroup(task.repo_id, task.labels_key, task.task_id, 1))

    def exhaust(self, group: PendingGroup) -> None:
        """Treat a group as empty (a claim found nothing: the index is stale)."""
        self.taken[(group.repo_id, group.labels_key)] = group.count


class Dispatcher:
    """Match long-polling agents to pending tasks in one loop (a thread, a greenlet under gevent)."""

    def __init__(self, *, handover_seconds: float, refresh_seconds: float) -> None:
        self.handover_seconds = handover_seconds
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        # Lines of waiters by label set, oldest first; an OrderedDict so that a waiter leaves its line in O(1).
        self._waiting: dict[str, OrderedDict[Waiter, None]] = {}
        self._fresh: list[Waiter] = []
        self._parked: dict[Waiter, None] = {}  # paused agents' long-polls: never matched, only let go
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dirty = True
        self._announced: list[Announced] = []
        self._refreshed = 0.0
        self._index = _Index()
        self._fits: dict[tuple[str, str], bool] = {}
        self._served: dict[int, float] = {}
        self._thread: threading.Thread | None = None
        self._app: Flask | None = None

    def take(self, agent_id: int, labels: dict[str, str], timeout: float) -> Claimed | None:
        """Wait up to `timeout` seconds for a task claimed for this agent; return it, or None."""
        self._start()
        waiter = Waiter(agent_id, labels, task_store.labels_key(labels), time.monotonic() + timeout)
        with self._lock:
            self._waiting.setdefault(waiter.key, OrderedDict())[waiter] = None
            self._fresh.append(waiter)
        self._wake.set()
        if waiter.event.wait(timeout):
            return waiter.claimed
        with self._lock:
            if waiter.considered and self._unqueue(waiter):
                return None
        waiter.event.wait(ANSWER_SECONDS)  # the loop is looking at it or claiming for it right now
        with self._lock:
            self._unqueue(waiter)
        return waiter.claimed

    def park(self, agent_id: int, timeout: float) -> None:
        """Hold a long-poll that must get no task for `timeout` seconds, or until `let_go` names its agent."""
        waiter = Waiter(agent_id, {}, "", time.monotonic() + timeout)
        with self._lock:
            self._parked[waiter] = None
        try:
            waiter.event.wait(timeout)
        finally:
            with self._lock:
                self._parked.pop(waiter, None)

    def let_go(self, agent_id: int) -> None:
        """Answer "nothing" at once to the long-polls of an agent that changed, so its next call sees the change."""
        with self._lock:
            gone = [waiter for line in list(self._waiting.values()) for waiter in line if waiter.agent_id == agent_id]
            gone = [waiter for waiter in gone if self._unqueue(waiter)]
            gone += [waiter for waiter in self._parked if waiter.agent_id == agent_id]
        for waiter in gone:
            waiter.event.set()

    def announce(self, message: dict[str, Any]) -> None:
        """Note that the pending tasks changed: a push naming its task is taken in, anything else refreshes."""
        task = Announced.from_json(message.get("task")) if "task" in message else None
        with self._lock:
            if task is None or len(self._announced) >= MAX_ANNOUNCED:
                self._dirty = True  # the refresh reads them all anyway
                self._announced.clear()
            else:
                self._announced.append(task)
        self._wake.set()

    def reserve(self, repo_id: int, labels: dict[str, str], max_concurrent: int) -> Waiter | None:
        """Take a waiter a task about to be pushed can be leased to in the push's own transaction, or None.

        Only a waiter for whom the index holds nothing fairer (no open group it fits), only when the index is
        current (no refresh due, no announcement untaken) and the repo is under its limit; otherwise the loop
        decides as usual. The caller then `hand`s the task over once committed, or `give_back`s the waiter.
        """
        with self._lock:
            if self._thread is None or self._dirty or self._announced:
                return None
            index = self._index
            if max_concurrent > 0 and index.running.get(repo_id, 0) >= max_concurrent:
                return None
            open_groups = index.open_groups()
            for key, line in self._waiting.items():
                first = next(iter(line), None)
                if first is None or not labels_match(labels, first.labels):
                    continue
                if any(self._fit(first, group) for group in open_groups):
                    continue  # it has older work waiting: the loop serves it
                self._unqueue(first)
                index.running[repo_id] = index.running.get(repo_id, 0) + 1
                return first
        return None

    def hand(self, waiter: Waiter, claimed: Claimed, repo_id: int) -> None:
        """Wake a reserved waiter with the task leased to it (its push committed)."""
        self._served[repo_id] = time.monotonic()
        waiter.claimed = claimed
        waiter.event.set()

    def give_back(self, waiter: Waiter, repo_id: int) -> None:
        """Return a reserved waiter to the head of its line (its push rolled back) and let the loop look again."""
        with self._lock:
            running = self._index.running
            running[repo_id] = max(0, running.get(repo_id, 0) - 1)
        self._requeue_waiter(waiter)
        self._wake.set()

    def waiting(self) -> int:
        """Return how many agents wait here."""
        with self._lock:
            return sum(len(queue) for queue in self._waiting.values())

    def stop(self) -> None:
        """End the loop."""
        self._stop.set()
        self._wake.set()

    def _start(self) -> None:
        """Start the loop on first use, in the app of the caller."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._app = current_app._get_current_object()  # type: ignore[attr-defined]
                self._thread = threading.Thread(target=self._run, name="circle-dispatch", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """Run rounds when woken, and every refresh period; a failing round is logged and the next one tried."""
        assert self._app is not None
        while not self._stop.is_set():
            self._wake.wait(self.refresh_seconds)
            self._wake.clear()
            if self._stop.is_set() or not (self.waiting() or self._fresh):
                continue
            with self._app.app_context():
                try:
                    self._round()
                except Exception:  # process boundary: the loop must outlive one bad round
                    log.exception("dispatch round failed")
                    db.session.rollback()
                    self._dirty = True
                    self._stop.wait(1.0)
                finally:
                    db.session.remove()

    def _round(self) -> None:
        """Refresh the index when due, serve every waiter a fitting task can go to, answer expired fresh waiters."""
        with self._lock:
            fresh, self._fresh = self._fresh, []
            announced, self._announced = self._announced, []
        if self._dirty or time.monotonic() - self._refreshed >= self.refresh_seconds:
            self._refresh()  # sees every task announced so far: they were committed before being announced
        else:
            for task in announced:
                self._index.add(task)
        while (pick := self._pick()) is not None:
            self._serve(*pick)
        moment = time.monotonic()
        with self._lock:
            for waiter in fresh:
                waiter.considered = True
                if waiter.deadline <= moment and self._unqueue(waiter):
                    waiter.event.set()
        if self._dirty:
            self._wake.set()

    def _refresh(self) -> None:
        """Read the pending groups, running tasks and repo limits (one query), and the labels of new groups."""
        with self._lock:
            self._dirty = False
            self._announced.clear()
        state = task_store.queue_state()
        groups = state.groups
        known = self._index.labels
        labels = {g.labels_key: known[g.labels_key] for g in groups if g.labels_key in known}
        labels.update(task_store.labels_by_key(g.oldest for g in groups if g.labels_key not in labels))
        if len(self._fits) > 100_000:
            self._fits.clear()
        self._index = _Index(groups=groups, labels=labels, running=state.running, limits=state.limits)
        self._refreshed = time.monotonic()

    def _fit(self, waiter: Waiter, group: PendingGroup) -> bool:
        """Tell whether a waiter's labels fit a group's (remembered per pair of label sets)."""
        pair = (waiter.key, group.labels_key)
        fit = self._fits.get(pair)
        if fit is None:
            fit = self._fits[pair] = labels_match(self._index.labels.get(group.labels_key, {}), waiter.labels)
        return fit

    def _rank(self, group: PendingGroup) -> tuple[int, float, int]:
        """Order groups fairly: fewest running tasks of the repo, repo served longest ago, oldest task."""
        return (self._index.running.get(group.repo_id, 0), self._served.get(group.repo_id, 0.0), group.oldest)

    def _pick(self) -> tuple[Waiter, PendingGroup] | None:
        """Take the waiter and group to claim for next, or None when no waiter fits any available task."""
        index = self._index
        open_groups = index.open_groups()
        if not open_groups:
            return None
        best: tuple[tuple[int, float, int], Waiter, PendingGroup] | None = None
        with self._lock:
            for queue in self._waiting.values():
                if not queue:
                    continue
                first = next(iter(queue))
                for group in open_groups:
                    if self._fit(first, group):
                        rank = self._rank(group)
                        if best is None or rank < best[0]:
                            best = (rank, first, group)
            if best is None:
                return None
            _, waiter, group = best
            self._waiting[waiter.key].popitem(last=False)
        return waiter, group

    def _serve(self, waiter: Waiter, group: PendingGroup) -> None:
        """Claim the group's oldest task for the waiter and wake it; put it back first in line if none was left."""
        try:
            claimed = task_store.claim_oldest(group.repo_id, group.labels_key, waiter.agent_id,
                                              time.time() + self.handover_seconds)
        except Exception:
            self._requeue_waiter(waiter)
            raise
        if claimed is None:
            self._index.exhaust(group)
            self._dirty = True
            self._requeue_waiter(waiter)
            return
        self._index.took(group)
        self._served[group.repo_id] = time.monotonic()
        waiter.claimed = claimed
        waiter.event.set()

    def _requeue_waiter(self, waiter: Waiter) -> None:
        """Put a waiter back at the head of its line."""
        with self._lock:
            line = self._waiting.setdefault(waiter.key, OrderedDict())
            line[waiter] = None
            line.move_to_end(waiter, last=False)

    def _unqueue(self, waiter: Waiter) -> bool:
        """Remove a waiter from its line (the lock is held); False when it is not in it."""
        line = self._waiting.get(waiter.key)
        if line is None or line.pop(waiter, False) is False:
            return False
        if not line:
            del self._waiting[waiter.key]
        return True

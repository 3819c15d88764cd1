"""Queue rows: pending and leased workflows. A claim is one conditional UPDATE."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Iterable, cast

from sqlalchemy import CursorResult, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update
from sqlalchemy.sql import Executable

from circle.errors import NotFound
from circle.extensions import db
from circle.models import Build, Repo, Task, TaskPayload
from circle.store.base import Crud, Page, commit, flush

PENDING = "pending"
# A workflow whose dependencies (other workflows of its build) have not all finished: never claimed.
WAITING = "waiting"
RUNNING = "running"
CANCELED = "canceled"
LEASED = (RUNNING, CANCELED)

_crud = Crud(Task, "task")

get = _crud.get
delete = _crud.delete
count = _crud.count


@dataclass(frozen=True)
class PendingGroup:
    """Pending tasks of one repo with the same labels: how many, and the oldest's id."""

    repo_id: int
    labels_key: str
    oldest: int
    count: int


@dataclass(frozen=True)
class Claimed:
    """A task just leased to an agent, with all that `next` hands out and logs (read in the claim's transaction)."""

    id: int
    build_id: int
    lease: str
    timeout: int
    created: int
    payload: dict[str, Any]
    build: str  # owner/name#number, for the log line


@dataclass(frozen=True)
class QueueState:
    """What the dispatcher indexes: the pending groups, leased tasks per repo, and the limits of those repos."""

    groups: list[PendingGroup]
    running: dict[int, int]
    limits: dict[int, int]


def labels_key(labels: dict[str, str]) -> str:
    """Return the key that groups tasks with equal labels (sha1 of their canonical JSON)."""
    text = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()


def update(task: Task, **values: Any) -> Task:
    """Change a task's columns (its labels key follows its labels)."""
    if "labels" in values:
        values["labels_key"] = labels_key(values["labels"] or {})
    return _crud.update(task, **values)


def create(*, payload: dict[str, Any], **values: Any) -> Task:
    """Insert a task (of its build's repo) and its sealed payload."""
    values.setdefault("repo_id", select(Build.repo_id).where(Build.id == values["build_id"]).scalar_subquery())
    task = Task(labels_key=labels_key(values.get("labels") or {}), **values)
    db.session.add(task)
    db.session.flush()
    db.session.add(TaskPayload(task_id=task.id, data=payload))
    flush("task")
    return task


def payload(task_id: int) -> dict[str, Any]:
    """Return the payload a task hands out, or raise NotFound."""
    row = db.session.get(TaskPayload, task_id)
    if row is None:
        raise NotFound(f"task {task_id} has no payload")
    return row.data


def count_by_state() -> dict[str, int]:
    """Return how many tasks are in each state (pending, running, canceled)."""
    return {state: int(count) for state, count in
            db.session.execute(select(Task.state, func.count()).group_by(Task.state))}


def list_pending(page: Page | None = None) -> list[Task]:
    """Return pending tasks, oldest first."""
    return _crud.list(Task.state == PENDING, page=page)


def queue_state() -> QueueState:
    """Read the pending groups, the leased tasks per repo and the repos' limits in one aggregate over an index."""
    stmt = (select(Task.repo_id, Task.labels_key, Task.state, func.min(Task.id), func.count(),
                   func.max(Repo.max_concurrent))
            .join(Repo, Repo.id == Task.repo_id).where(Task.state.in_((PENDING, *LEASED)))
            .group_by(Task.repo_id, Task.labels_key, Task.state))
    state = QueueState([], {}, {})
    for repo_id, key, task_state, oldest, count, limit in db.session.execute(stmt):
        if task_state == PENDING:
            state.groups.append(PendingGroup(repo_id, key, oldest, count))
        else:
            state.running[repo_id] = state.running.get(repo_id, 0) + count
        if limit:
            state.limits[repo_id] = limit
    return state


def labels_by_key(task_ids: Iterable[int]) -> dict[str, dict[str, str]]:
    """Return {labels key: labels} of the given tasks."""
    ids = list(task_ids)
    if not ids:
        return {}
    stmt = select(Task.labels_key, Task.labels).where(Task.id.in_(ids))
    return {key: labels for key, labels in db.session.execute(stmt)}


def running_by_repo() -> dict[int, int]:
    """Return how many leased tasks each repo has."""
    stmt = select(Task.repo_id, func.count()).where(Task.state.in_(LEASED)).group_by(Task.repo_id)
    return {key: value for key, value in db.session.execute(stmt)}


def claim_oldest(repo_id: int, key: str, agent_id: int, deadline: float) -> Claimed | None:
    """Lease the oldest pending task of a repo with labels `key`; return it, or None when there is none left.

    PostgreSQL and MariaDB lock the row and skip rows other claimers hold (FOR UPDATE SKIP LOCKED), so
    concurrent servers never wait on each other; SQLite, which has one writer, retries a lost race. What the
    agent is handed is read before the commit, so handing it out costs no query of its own.
    """
    for _ in range(3):
        task_id = db.session.scalar(
            select(Task.id).where(Task.state == PENDING, Task.repo_id == repo_id, Task.labels_key == key)
            .order_by(Task.id).limit(1).with_for_update(skip_locked=True))
        if task_id is None:
            commit("task")
            return None
        lease = _lease(task_id, agent_id, deadline)
        claimed = None if lease is None else _claimed(task_id, lease)
        commit("task")
        if claimed is not None:
            return claimed
    return None


def _claimed(task_id: int, lease: str) -> Claimed:
    """Read what a task just leased under `lease` hands out: its columns, payload and build's name."""
    row = db.session.execute(
        select(Task.build_id, Task.timeout, Task.created, TaskPayload.data, Build.number, Repo.full_name)
        .join(TaskPayload, TaskPayload.task_id == Task.id).join(Build, Build.id == Task.build_id)
        .join(Repo, Repo.id == Build.repo_id).where(Task.id == task_id)).one()
    return Claimed(task_id, row.build_id, lease, row.timeout, row.created, row.data, f"{row.full_name}#{row.number}")


def list_running(page: Page | None = None) -> list[Task]:
    """Return leased tasks, oldest first."""
    return _crud.list(Task.state == RUNNING, page=page)


def list_expired(now: float) -> list[Task]:
    """Return leased (or canceled) tasks whose lease ended before `now`."""
    return _crud.list(Task.state.in_(LEASED), Task.lease_deadline < now)


def list_waiting(build_id: int) -> list[Task]:
    """Return a build's tasks waiting for other workflows, oldest first."""
    return _crud.list(Task.build_id == build_id, Task.state == WAITING)


def list_by_build(build_id: int) -> list[Task]:
    """Return every task of a build."""
    return _crud.list(Task.build_id == build_id)


def get_leased(task_id: int, agent_id: int, lease: str) -> Task:
    """Return the task an agent holds under the lease token `lease` as stored now (even when the session holds
    it already), or raise NotFound."""
    task = db.session.scalars(
        select(Task).where(Task.id == task_id, Task.state.in_(LEASED), Task.agent_id == agent_id, Task.lease == lease)
        .limit(1).execution_options(populate_existing=True)).first()
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def _changed(statement: Executable) -> int:
    """Execute an UPDATE or DELETE and return how many rows it changed."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def claim(task_id: int, agent_id: int, deadline: float) -> bool:
    """Lease a pending task to an agent under a fresh lease token; False when someone else got it first.

    `deadline` is the hand-over's: the agent confirms it received the task (`confirm`) or loses it then.
    """
    leased = _lease(task_id, agent_id, deadline) is not None
    commit("task")
    return leased


def _lease(task_id: int, agent_id: int, deadline: float) -> str | None:
    """Lease a pending task (uncommitted); return the fresh lease token, or None when it is no longer pending."""
    values = lease_values(agent_id, deadline)
    changed = _changed(sql_update(Task).where(Task.id == task_id, Task.state == PENDING).values(**values))
    return values["lease"] if changed == 1 else None


def lease_values(agent_id: int, deadline: float) -> dict[str, Any]:
    """Return the columns of a task leased to an agent under a fresh lease token until the hand-over `deadline`."""
    return {"state": RUNNING, "agent_id": agent_id, "lease": secrets.token_hex(16), "lease_deadline": deadline}


def confirm(task_id: int, agent_id: int, lease: str, deadline: float, *, count: bool) -> bool:
    """Give a task its agent confirmed it received a whole lease, counting a start if asked; False if not held."""
    changed = _changed(
        sql_update(Task).where(Task.id == task_id, Task.state.in_(LEASED), Task.agent_id == agent_id,
                               Task.lease == lease)
        .values(lease_deadline=deadline, attempts=Task.attempts + (1 if count else 0)))
    flush("task")
    return changed == 1


def extend(task_id: int, agent_id: int, lease: str, deadline: float) -> bool:
    """Push a leased task's deadline; False when the agent does not hold it under `lease`."""
    changed = _changed(
        sql_update(Task).where(Task.id == task_id, Task.state.in_(LEASED), Task.agent_id == agent_id,
                               Task.lease == lease)
        .values(lease_deadline=deadline))
    flush("task")
    return changed == 1


def requeue(task_id: int, deadline_before: float) -> bool:
    """Hand an expired lease back to the queue; False when it was extended or finished meanwhile."""
    changed = _changed(
        sql_update(Task).where(Task.id == task_id, Task.state == RUNNING, Task.lease_deadline < deadline_before)
        .values(state=PENDING, agent_id=None, lease=None, lease_deadline=0.0))
    flush("task")
    return changed == 1


def delete_by_build(build_id: int) -> None:
    """Delete every task of a build."""
    db.session.execute(sql_delete(Task).where(Task.build_id == build_id))
    flush("task")


def remove_leased(task_id: int, lease: str | None) -> bool:
    """Delete a task still held under `lease`; False when it was taken back (or finished) meanwhile."""
    changed = _changed(sql_delete(Task).where(Task.id == task_id, Task.lease == lease))
    flush("task")
    return changed == 1


def remove_expired(task_id: int, deadline_before: float) -> bool:
    """Delete a task whose lease ended before `deadline_before`; False when it was extended or finished meanwhile."""
    changed = _changed(
        sql_delete(Task).where(Task.id == task_id, Task.state.in_(LEASED), Task.lease_deadline < deadline_before))
    flush("task")
    return changed == 1


def extend_all(deadline: float) -> int:
    """Push the deadline of every leased task to at least `deadline` (a server restart's grace)."""
    changed = _changed(
        sql_update(Task).where(Task.state.in_(LEASED), Task.lease_deadline < deadline)
        .values(lease_deadline=deadline))
    commit("task")
    return changed


def list_by_agent(agent_id: int) -> list[Task]:
    """Return the tasks an agent runs, oldest first."""
    return _crud.list(Task.agent_id == agent_id, Task.state == RUNNING)


def list_pending_with_builds(limit: int, build_id: int | None = None) -> list[tuple[Task, int, str]]:
    """Return up to `limit` pending and waiting tasks (of one build, or all), oldest first, with their build
    number and repo."""
    stmt = (select(Task, Build.number, Repo.full_name).join(Build, Build.id == Task.build_id)
            .join(Repo, Repo.id == Task.repo_id).where(Task.state.in_((PENDING, WAITING))).order_by(Task.id)
            .limit(limit))
    if build_id is not None:
        stmt = stmt.where(Task.build_id == build_id)
    return [(task, number, name) for task, number, name in db.session.execute(stmt)]


def running_by_agent() -> dict[int, int]:
    """Return how many leased tasks each agent holds."""
    stmt = (select(Task.agent_id, func.count()).where(Task.state.in_(LEASED), Task.agent_id.is_not(None))
            .group_by(Task.agent_id))
    return {key: value for key, value in db.session.execute(stmt) if key is not None}

"""Queue rows: pending and leased workflows. A claim is one conditional UPDATE."""
from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update
from sqlalchemy.sql import Executable

from circle.errors import NotFound
from circle.extensions import db
from circle.models import Task, TaskPayload
from circle.store.base import Crud, Page, commit, flush

PENDING = "pending"
RUNNING = "running"
CANCELED = "canceled"
LEASED = (RUNNING, CANCELED)

_crud = Crud(Task, "task")

get = _crud.get
update = _crud.update
delete = _crud.delete
count = _crud.count


def create(*, payload: dict[str, Any], **values: Any) -> Task:
    """Insert a task and its sealed payload."""
    task = Task(**values)
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


def list_pending(page: Page | None = None) -> list[Task]:
    """Return pending tasks, oldest first."""
    return _crud.list(Task.state == PENDING, page=page)


def list_running(page: Page | None = None) -> list[Task]:
    """Return leased tasks, oldest first."""
    return _crud.list(Task.state == RUNNING, page=page)


def list_expired(now: float) -> list[Task]:
    """Return leased (or canceled) tasks whose lease ended before `now`."""
    return _crud.list(Task.state.in_(LEASED), Task.lease_deadline < now)


def list_by_build(build_id: int) -> list[Task]:
    """Return every task of a build."""
    return _crud.list(Task.build_id == build_id)


def get_leased(task_id: int, agent_id: int, lease: str) -> Task:
    """Return the task an agent holds under the lease token `lease`, or raise NotFound."""
    return _crud.find(str(task_id), Task.id == task_id, Task.state.in_(LEASED), Task.agent_id == agent_id,
                      Task.lease == lease)


def _changed(statement: Executable) -> int:
    """Execute an UPDATE or DELETE and return how many rows it changed."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def claim(task_id: int, agent_id: int, deadline: float) -> bool:
    """Lease a pending task to an agent under a fresh lease token; False when someone else got it first."""
    changed = _changed(
        sql_update(Task).where(Task.id == task_id, Task.state == PENDING)
        .values(state=RUNNING, agent_id=agent_id, lease=secrets.token_hex(16), lease_deadline=deadline,
                attempts=Task.attempts + 1))
    commit("task")
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

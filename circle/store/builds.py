"""Builds and their procs."""
from __future__ import annotations

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from circle import states
from circle.errors import NotFound
from circle.extensions import db
from circle.models import Build, Proc, Task
from circle.store.base import Crud, Page, flush

_builds = Crud(Build, "build")
_procs = Crud(Proc, "proc")

get = _builds.get
create = _builds.create
update = _builds.update
delete = _builds.delete


def get_by_number(repo_id: int, number: int) -> Build:
    """Return build `number` of a repo, or raise NotFound."""
    return _builds.find(f"#{number}", Build.repo_id == repo_id, Build.number == number)


def _filters(repo_id: int, branch: str | None, status: str | None, event: str | None) -> list:
    """Return the WHERE clauses of a build listing."""
    where = [Build.repo_id == repo_id]
    if branch:
        where.append(Build.branch == branch)
    if status:
        where.append(Build.status == status)
    if event:
        where.append(Build.event == event)
    return where


def list_by_repo(repo_id: int, *, branch: str | None = None, status: str | None = None,
                 event: str | None = None, page: Page | None = None) -> list[Build]:
    """Return one page of a repo's builds, newest first."""
    return _builds.list(*_filters(repo_id, branch, status, event), order_by=(Build.number.desc(),), page=page)


def count_by_repo(repo_id: int, *, branch: str | None = None, status: str | None = None,
                  event: str | None = None) -> int:
    """Return how many builds of a repo match the filters."""
    return _builds.count(*_filters(repo_id, branch, status, event))


def count_by_status_and_event() -> list[tuple[str, str, int]]:
    """Return (status, event, how many builds) over every repo."""
    rows = db.session.execute(select(Build.status, Build.event, func.count()).group_by(Build.status, Build.event))
    return [(status, event, int(count)) for status, event, count in rows]


def latest(repo_id: int, branch: str | None = None) -> Build | None:
    """Return the newest build of a repo (on a branch), or None."""
    rows = list_by_repo(repo_id, branch=branch, page=Page(1, 1))
    return rows[0] if rows else None


get_proc = _procs.get
update_proc = _procs.update


def create_procs(procs: list[Proc]) -> list[Proc]:
    """Insert several procs at once."""
    db.session.add_all(procs)
    flush("proc")
    return procs


def get_proc_by_pid(build_id: int, pid: int) -> Proc:
    """Return proc `pid` of a build, or raise NotFound."""
    return _procs.find(str(pid), Proc.build_id == build_id, Proc.pid == pid)


def list_procs(build_id: int) -> list[Proc]:
    """Return every proc of a build ordered by pid."""
    return _procs.list(Proc.build_id == build_id, order_by=(Proc.pid,))


def list_proc_ids_by_repo(repo_id: int) -> list[int]:
    """Return the ids of every proc of every build of a repo."""
    return list(db.session.scalars(select(Proc.id).join(Build, Build.id == Proc.build_id)
                                   .where(Build.repo_id == repo_id)))


def delete_procs(build_id: int) -> None:
    """Delete every proc of a build (their logs and tasks go with them)."""
    db.session.execute(sql_delete(Proc).where(Proc.build_id == build_id))
    flush("proc")


def get_step(build_id: int, workflow_pid: int, name: str, *, lock: bool = False) -> Proc:
    """Return the step called `name` under the workflow proc `workflow_pid` of a build, or raise NotFound.

    With `lock` the row is read for update (on PostgreSQL and MySQL), so a concurrent change waits for this one.
    """
    query = select(Proc).where(Proc.build_id == build_id, Proc.ppid == workflow_pid, Proc.name == name).limit(1)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = db.session.scalars(query).first()
    if row is None:
        raise NotFound(f"build {build_id} has no step {name!r} in workflow {workflow_pid}")
    return row


def step_ids(build_id: int, workflow_proc_id: int, names: list[str]) -> dict[str, int]:
    """Return name → id of the named steps under a workflow proc, in one query."""
    workflow_pid = select(Proc.pid).where(Proc.id == workflow_proc_id).scalar_subquery()
    rows = db.session.execute(select(Proc.name, Proc.id).where(
        Proc.build_id == build_id, Proc.ppid == workflow_pid, Proc.name.in_(names)))
    return {name: proc_id for name, proc_id in rows}


def list_workflows(build_id: int) -> list[Proc]:
    """Return the workflow procs of a build ordered by pid."""
    return _procs.list(Proc.build_id == build_id, Proc.ppid == 0, order_by=(Proc.pid,))


def list_steps(build_id: int, workflow_pid: int) -> list[Proc]:
    """Return the steps of one workflow of a build ordered by pid."""
    return _procs.list(Proc.build_id == build_id, Proc.ppid == workflow_pid, order_by=(Proc.pid,))


def list_orphans(before: int) -> list[Build]:
    """Return pending or running builds, untouched since `before`, that no task carries any more."""
    carried = select(Task.id).where(Task.build_id == Build.id).exists()
    return _builds.list(Build.status.in_((states.PENDING, states.RUNNING)), Build.created < before,
                        Build.enqueued < before, ~carried)

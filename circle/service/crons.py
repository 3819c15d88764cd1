"""Cron jobs: create and change them, and turn due ones into builds (`run_due`, every reaper round).

Every server runs `run_due`. A due time belongs to the server whose conditional UPDATE moves the job's
`next` from it (store.crons.claim), so several servers on one database build it once. Due times missed
while no server ran are not made up: the job builds once and moves to its next time after now.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from circle import cron as schedules
from circle import states
from circle.errors import CircleError, Conflict, NotFound
from circle.models import Build, Cron, Repo, User
from circle.service import builds as build_service
from circle.service.triggers import head_origin, matching_configs
from circle.store import crons as cron_store
from circle.store import repos as repo_store

log = logging.getLogger(__name__)


def _next(schedule: str, moment: float) -> int:
    """Return the first due time of `schedule` (checked by schemas.crons) after `moment`."""
    return schedules.parse(schedule).next_after(moment)


def _check_name(repo: Repo, name: str, cron_id: int | None = None) -> None:
    """Refuse a name another cron job of the repo has."""
    if any(c.name == name and c.id != cron_id for c in cron_store.list_by_repo(repo.id)):
        raise Conflict(f"{repo.full_name} already has a cron job named {name!r}")


def create(repo: Repo, user: User, body: dict[str, Any]) -> Cron:
    """Add a cron job; its first build is due at the schedule's first time from now."""
    _check_name(repo, body["name"])
    return cron_store.create(repo_id=repo.id, creator=user.login, next=_next(body["schedule"], time.time()), **body)


def update(repo: Repo, job: Cron, body: dict[str, Any]) -> Cron:
    """Change a cron job's name, schedule or branch; a new schedule is due at its first time from now."""
    if "name" in body:
        _check_name(repo, body["name"], job.id)
    if "schedule" in body:
        body = {**body, "next": _next(body["schedule"], time.time())}
    return cron_store.update_row(job, error="", **body)


def run_due(now_: float | None = None) -> list[Build]:
    """Claim every cron job due by now and build it; return the builds this server created."""
    moment = int(now_ if now_ is not None else time.time())
    created: list[Build] = []
    for job in cron_store.list_due(moment):
        schedule = schedules.parse(job.schedule)
        following = schedule.next_after(job.next)
        if following <= moment:
            following = schedule.next_after(moment)
        if not cron_store.claim(job.id, job.next, following):
            continue  # another server took this due time
        created.extend(_build(job))
    return created


def _build(job: Cron) -> list[Build]:
    """Build a claimed cron job's branch head, one build per matching config; a failure is kept on the job."""
    repo = repo_store.get(job.repo_id)
    try:
        if not repo.active:
            raise Conflict(f"{repo.full_name} is not active; its cron jobs build nothing")
        branch = job.branch or repo.default_branch
        configs = matching_configs(repo, branch)
        if not configs:
            raise NotFound(f"no config of {repo.full_name} builds branch {branch!r}")
        origin = head_origin(repo, branch, None, event=states.CRON, sender=job.creator, cron=job.name)
        made = [build_service.create(repo, config, origin) for config in configs]
    except CircleError as err:
        log.warning("%s cron %r: nothing built: %s", repo.full_name, job.name, err)
        cron_store.update_row(job, error=str(err)[:1024])
        return []
    if job.error:
        cron_store.update_row(job, error="")
    log.info("%s cron %r: created builds %s", repo.full_name, job.name, [b.number for b in made])
    return made

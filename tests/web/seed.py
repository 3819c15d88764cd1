"""Rows for the page tests, written through the store: users, an SCM, repos with permissions, builds, procs."""
from __future__ import annotations

from typing import Any

from circle.models import Build, Proc, Repo, Scm, User
from circle.models.types import now
from circle.store import builds, configs, repos, scms, users


def scm(owner: User, **columns: Any) -> Scm:
    """Create a local SCM owned by `owner`."""
    values = {"kind": "local", "name": "disk", "url": "/srv/git", **columns}
    return scms.create(owner_id=owner.id, **values)


def repo(source: Scm, full_name: str = "acme/app", **columns: Any) -> Repo:
    """Create an active repo of `source` with a default config."""
    owner, _, name = full_name.partition("/")
    found = repos.create(scm_id=source.id, full_name=full_name, owner=owner, name=name,
                         clone_url=f"/srv/git/{full_name}.git", **columns)
    configs.create(repo_id=found.id, name="default", path=".circle.yml")
    return found


def grant(user: User, target: Repo, level: str) -> None:
    """Give `user` pull, push or admin on `target`."""
    rank = ("pull", "push", "admin").index(level)
    repos.set_perm(user.id, target.id, pull=True, push=rank >= 1, admin=rank >= 2)


def build(target: Repo, number: int, steps: dict[str, str] | None = None, **columns: Any) -> Build:
    """Create build `number` with one workflow whose steps are {name: state}."""
    values = {"event": "push", "status": "success", "branch": "main", "ref": "refs/heads/main", "commit": "c0ffee" * 6,
              "message": "Fix the thing", "author": "ada", "created": now() - 60, "started": now() - 50,
              "finished": now() - 5, **columns}
    made = builds.create(repo_id=target.id, number=number, **values)
    procs = [Proc(build_id=made.id, pid=1, ppid=0, name="default", state=values["status"])]
    for pid, (name, state) in enumerate((steps or {}).items(), start=2):
        procs.append(Proc(build_id=made.id, pid=pid, ppid=1, name=name, state=state,
                          exit_code=1 if state == "failure" else 0))
    builds.create_procs(procs)
    return made


def person(login: str, *, admin: bool = False) -> User:
    """Create a user whose password is `login` + "-pw"."""
    return users.create(login, f"{login}-pw", admin=admin)

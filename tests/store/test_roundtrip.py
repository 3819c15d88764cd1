"""Every store entity on every database: create, get, list with pages, update, delete, NotFound, Conflict."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from circle.errors import Conflict, NotFound
from circle.store import agents, builds, configs, repos, scms, secrets, tasks, users
from circle.store.base import Page


@dataclass
class World:
    """Parent rows the entities hang from."""

    user: Any
    scm: Any
    repo: Any
    build: Any


@pytest.fixture
def world(app) -> World:
    """Create a user, an SCM, a repo and a build."""
    user = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url="/srv/git", owner_id=user.id, token="scm-token")
    repo = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app", clone_url="/srv/git/app")
    build = builds.create(repo_id=repo.id, number=1, event="push")
    return World(user, scm, repo, build)


@dataclass
class Spec:
    """How to exercise one entity through its store module."""

    create: Callable[[World, int], Any]
    get: Callable[[World, Any], Any]
    page: Callable[[World, Page], list]
    update: Callable[[Any], Any]
    updated: Callable[[Any], bool]
    delete: Callable[[Any], None]


SPECS = {
    "user": Spec(
        create=lambda w, i: users.create(f"user{i}", "pw"),
        get=lambda w, r: users.get_by_login(r.login),
        page=lambda w, p: [u for u in users.list_all(p)],
        update=lambda r: users.update(r, email="a@b.c"),
        updated=lambda r: r.email == "a@b.c",
        delete=users.delete),
    "scm": Spec(
        create=lambda w, i: scms.create(kind="gitea", name=f"forge{i}", url="http://forge", owner_id=w.user.id),
        get=lambda w, r: scms.get(r.id),
        page=lambda w, p: scms.list_all(p),
        update=lambda r: scms.update(r, url="http://other"),
        updated=lambda r: r.url == "http://other",
        delete=scms.delete),
    "repo": Spec(
        create=lambda w, i: repos.create(scm_id=w.scm.id, full_name=f"acme/r{i}", owner="acme", name=f"r{i}",
                                         clone_url="x"),
        get=lambda w, r: repos.get_by_full_name(w.scm.id, r.full_name),
        page=lambda w, p: repos.list_for_user(w.user.id, True, page=p),
        update=lambda r: repos.update(r, gated=True, timeout=5),
        updated=lambda r: r.gated and r.timeout == 5,
        delete=repos.delete),
    "config": Spec(
        create=lambda w, i: configs.create(repo_id=w.repo.id, name=f"c{i}", path=".circle.yml"),
        get=lambda w, r: configs.get_by_name(w.repo.id, r.name),
        page=lambda w, p: configs.list_by_repo(w.repo.id, p),
        update=lambda r: configs.update(r, branches_include=["main", "release/*"]),
        updated=lambda r: r.branches_include == ["main", "release/*"],
        delete=configs.delete),
    "secret": Spec(
        create=lambda w, i: secrets.create(repo_id=w.repo.id, name=f"S{i}", value="v", events=["push"]),
        get=lambda w, r: secrets.get_by_name(w.repo.id, r.name),
        page=lambda w, p: secrets.list_by_repo(w.repo.id, p),
        update=lambda r: secrets.update(r, value="new value"),
        updated=lambda r: r.value == "new value",
        delete=secrets.delete),
    "registry": Spec(
        create=lambda w, i: secrets.create_registry(repo_id=w.repo.id, address=f"r{i}.example", username="u",
                                                    password="p"),
        get=lambda w, r: secrets.get_registry_by_address(w.repo.id, r.address),
        page=lambda w, p: secrets.list_registries(w.repo.id, p),
        update=lambda r: secrets.update_registry(r, username="robot"),
        updated=lambda r: r.username == "robot",
        delete=secrets.delete_registry),
    "build": Spec(
        create=lambda w, i: builds.create(repo_id=w.repo.id, number=10 + i, event="manual", params={"K": "V"}),
        get=lambda w, r: builds.get_by_number(w.repo.id, r.number),
        page=lambda w, p: builds.list_by_repo(w.repo.id, event="manual", page=p),
        update=lambda r: builds.update(r, status="success", finished=5),
        updated=lambda r: r.status == "success" and r.finished == 5,
        delete=builds.delete),
    "proc": Spec(
        create=lambda w, i: builds.create_procs([builds.Proc(build_id=w.build.id, pid=i + 1, name=f"p{i}")])[0],
        get=lambda w, r: builds.get_proc_by_pid(w.build.id, r.pid),
        page=lambda w, p: builds.list_procs(w.build.id)[p.offset:p.offset + p.limit],
        update=lambda r: builds.update_proc(r, state="running", environment={"GO": "1.22"}),
        updated=lambda r: r.state == "running" and r.environment == {"GO": "1.22"},
        delete=lambda r: builds.delete_procs(r.build_id)),
    "agent": Spec(
        create=lambda w, i: agents.create(name=f"agent{i}", token_hash=f"{i:064d}", labels={"os": "linux"}),
        get=lambda w, r: agents.get_by_name(r.name),
        page=lambda w, p: agents.list_all(p),
        update=lambda r: agents.update(r, capacity=4),
        updated=lambda r: r.capacity == 4,
        delete=agents.delete),
    "task": Spec(
        create=lambda w, i: tasks.create(payload={}, build_id=w.build.id, proc_id=_proc(w).id, labels={"n": str(i)}),
        get=lambda w, r: tasks.get(r.id),
        page=lambda w, p: tasks.list_pending(p),
        update=lambda r: tasks.update(r, attempts=2),
        updated=lambda r: r.attempts == 2,
        delete=tasks.delete),
}


def _proc(world: World):
    """Return the build's workflow proc, creating it on first use."""
    existing = builds.list_procs(world.build.id)
    return existing[0] if existing else builds.create_procs([builds.Proc(build_id=world.build.id, pid=1,
                                                                         name="wf")])[0]


@pytest.mark.parametrize("entity", list(SPECS))
def test_roundtrip(app, world, entity):
    """Create three rows, read them back singly and by page, update one, delete it."""
    spec = SPECS[entity]
    rows = [spec.create(world, i) for i in range(3)]
    ids = {row.id for row in rows}
    assert {spec.get(world, row).id for row in rows} == ids
    everything = spec.page(world, Page(1, 200))
    assert ids <= {row.id for row in everything}
    first, second = spec.page(world, Page(1, 2)), spec.page(world, Page(2, 2))
    assert len(first) == 2 and not {r.id for r in first} & {r.id for r in second}
    assert {r.id for r in first + second} <= {r.id for r in everything}
    spec.update(rows[0])
    assert spec.updated(spec.get(world, rows[0]))
    spec.delete(rows[0])
    with pytest.raises(NotFound):
        spec.get(world, rows[0])


DUPLICATES = {
    "user": lambda w: users.create("owner"),
    "scm": lambda w: scms.create(kind="local", name="disk", url="/x", owner_id=w.user.id),
    "repo": lambda w: repos.create(scm_id=w.scm.id, full_name="acme/app", owner="acme", name="app", clone_url="y"),
    "config": lambda w: [configs.create(repo_id=w.repo.id, name="same", content="x") for _ in range(2)],
    "secret": lambda w: [secrets.create(repo_id=w.repo.id, name="T", value="v") for _ in range(2)],
    "registry": lambda w: [secrets.create_registry(repo_id=w.repo.id, address="r", username="u", password="p")
                           for _ in range(2)],
    "build": lambda w: builds.create(repo_id=w.repo.id, number=1, event="push"),
    "proc": lambda w: builds.create_procs([builds.Proc(build_id=w.build.id, pid=7, name="a"),
                                           builds.Proc(build_id=w.build.id, pid=7, name="b")]),
    "agent": lambda w: [agents.create(name=f"a{i}", token_hash="f" * 64) for i in range(2)],
}


# The fields each conflict names (the unique key's columns, "_id" dropped; users check their login first).
DUPLICATE_FIELDS = {"user": "login 'owner'", "scm": "owner and name", "repo": "scm and full name",
                    "config": "repo and name",
                    "secret": "repo and name", "registry": "repo and address", "build": "repo and number",
                    "proc": "build and pid", "agent": "token hash"}


@pytest.mark.parametrize("entity", list(DUPLICATES))
def test_unique_key_is_a_conflict(app, world, entity):
    """A second row with the same unique key raises Conflict naming its fields, not a driver error, and the
    session stays usable."""
    with pytest.raises(Conflict, match=f"with (this )?{DUPLICATE_FIELDS[entity]} already exists"):
        DUPLICATES[entity](world)
    assert users.get_by_login("owner").id == world.user.id


def test_missing_rows_raise_not_found(app, world):
    """Unknown ids and keys raise NotFound with the noun in the message."""
    with pytest.raises(NotFound, match="repo 9999"):
        repos.get(9999)
    with pytest.raises(NotFound, match="build #42"):
        builds.get_by_number(world.repo.id, 42)
    with pytest.raises(NotFound, match="token"):
        users.get_by_token("not-a-token")

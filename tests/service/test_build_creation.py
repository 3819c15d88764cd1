"""Fault injection in build creation: a crash at any step leaves no half-made build, or one the sweeper ends."""
from __future__ import annotations

import time

import pytest

from circle.extensions import db
from circle.hub import hub
from circle.origin import Origin
from circle.service import builds, reaper
from circle.service.pipelines import INLINE_COMPILE_BYTES
from circle.store import builds as build_store
from circle.store import configs, tasks

GOOD = "pipeline:\n  a:\n    image: busybox\n    commands: [echo a]\n  b:\n    image: busybox\n    commands: [echo b]\n"


class Crash(Exception):
    """The injected failure."""


def _create(repo):
    """Create a push build of the repo's config, its pipeline read ahead (as a manual build does)."""
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    config = configs.list_by_repo(repo.id)[0]
    return builds.create(repo, config, origin, files=builds.read_ahead(repo, config, origin))


def _create_crashing(repo, monkeypatch, where: str) -> None:
    """Create a build that crashes in `where` (create_procs or push), then forget the session's rows."""
    monkeypatch.setattr(*((build_store, "create_procs", _crash) if where == "create_procs"
                          else (hub().queue, "push", _crash)))
    with pytest.raises(Crash):
        _create(repo)
    monkeypatch.undo()
    db.session.expire_all()


def _crash(*_args, **_kwargs):
    """Raise the injected failure."""
    raise Crash("injected")


def test_a_crash_after_the_number_leaves_no_build(app, repo, monkeypatch):
    """The number is taken and then creating the row fails: nothing is left, the number is free again."""
    monkeypatch.setattr(build_store, "create", _crash)
    with pytest.raises(Crash):
        _create(repo)
    monkeypatch.undo()
    db.session.expire_all()
    assert build_store.count_by_repo(repo.id) == 0
    assert _create(repo).number == 1


@pytest.mark.parametrize("where", ["create_procs", "push"])
def test_a_crash_while_queueing_a_small_pipeline_leaves_nothing(app, repo, monkeypatch, where):
    """A small pipeline is compiled and queued with the build row, in one transaction: a crash leaves no build."""
    _create_crashing(repo, monkeypatch, where)
    assert build_store.list_by_repo(repo.id) == [] and tasks.count() == 0
    assert _create(repo).number == 1


@pytest.mark.parametrize("where", ["create_procs", "push"])
def test_a_crash_after_the_procs_or_before_the_task_leaves_nothing_half_made(app, repo, monkeypatch, where):
    """A big pipeline's procs and tasks are written together or not at all; the sweeper ends the bare build."""
    config = configs.list_by_repo(repo.id)[0]
    configs.update(config, content=GOOD + "# padding\n" * (INLINE_COMPILE_BYTES // 10))
    _create_crashing(repo, monkeypatch, where)
    [build] = build_store.list_by_repo(repo.id)
    assert build.status == "pending" and build_store.list_procs(build.id) == [] and tasks.count() == 0
    assert reaper.sweep(time.time()) == 0  # it may still be compiling: left alone within the grace
    assert reaper.sweep(time.time() + reaper.ORPHAN_GRACE + 1) == 1
    db.session.expire_all()
    build = build_store.get(build.id)
    assert build.status == "error" and "before this build was queued" in build.error and build.finished


def test_the_sweeper_ends_a_running_build_whose_task_vanished(app, repo):
    """A running build with procs but no task (lost in a crash) has its workflows ended, and the build with them."""
    build = _create(repo)
    [task] = tasks.list_by_build(build.id)
    build_store.update(build, status="running")
    tasks.delete(task)
    assert reaper.sweep(time.time() + reaper.ORPHAN_GRACE + 1) == 1
    db.session.expire_all()
    assert build_store.get(build.id).status == "error"
    assert {p.state for p in build_store.list_procs(build.id)} == {"error", "skipped"}


def test_the_sweeper_leaves_queued_and_blocked_builds_alone(app, repo):
    """Builds that have their tasks, and blocked builds, are not orphans."""
    _create(repo)
    origin = Origin(event="pull_request", ref="refs/pull/1/head", branch="main", commit="d" * 40)
    builds.create(repo, configs.list_by_repo(repo.id)[0], origin, gated=True)
    assert reaper.sweep(time.time() + reaper.ORPHAN_GRACE + 1) == 0

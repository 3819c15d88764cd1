"""The build lifecycle without agents: compile errors, skips, restart/fork rules, approve/decline, cancel."""
from __future__ import annotations

from dataclasses import replace

import pytest

from circle.errors import Conflict
from circle.hub import hub
from circle.logfiles import LogFiles
from circle.origin import Origin
from circle.service import builds
from circle.store import builds as build_store
from circle.store import configs, tasks, users

GOOD = "pipeline:\n  build:\n    image: busybox\n    commands: [echo hi]\n"


def _build(repo, content: str | None = None, **trigger):
    """Create a push build of the repo's config (with `content` when given)."""
    config = configs.list_by_repo(repo.id)[0]
    if content is not None:
        configs.update(config, content=content)
    values = {"event": "push", "ref": "refs/heads/main", "branch": "main", "commit": "c" * 40, **trigger}
    return builds.create(repo, config, Origin(**values))


def test_invalid_yaml_ends_the_build_in_error_with_the_position(app, repo):
    """A config that is not valid YAML makes an `error` build whose message names line and column."""
    build = _build(repo, "pipeline:\n  build:\n    image: [unclosed\n")
    assert build.status == "error" and build.finished > 0
    assert "the pipeline is invalid" in build.error and "default:" in build.error
    assert build_store.list_procs(build.id) == [] and tasks.count() == 0


def test_a_pipeline_that_excludes_the_event_is_skipped(app, repo):
    """When no step or workflow runs for the event, the build is skipped, not queued."""
    build = _build(repo, "pipeline:\n  build:\n    image: busybox\n    commands: [x]\n"
                         "branches:\n  include: [release/*]\n")
    assert build.status == "skipped" and tasks.count() == 0


def test_restart_refuses_an_active_build_and_fork_numbers_onwards(app, repo):
    """Restarting a pending build is a conflict; a fork takes the next number and records its parent."""
    build = _build(repo)
    with pytest.raises(Conflict, match="cancel it"):
        builds.restart(repo, build)
    forked = builds.fork(repo, build, params={"X": "1"})
    assert (forked.number, forked.parent, forked.params) == (build.number + 1, build.number, {"X": "1"})
    assert Origin.from_columns(forked) == replace(Origin.from_columns(build), params={"X": "1"})
    assert tasks.count() == 2


def test_gated_builds_wait_for_approval(app, repo):
    """A blocked build creates no task until approved; a declined one never runs."""
    config = configs.list_by_repo(repo.id)[0]
    trigger = Origin(event="pull_request", ref="refs/pull/1/head", branch="main", commit="d" * 40)
    blocked = builds.create(repo, config, trigger, gated=True)
    declined = builds.create(repo, config, trigger, gated=True)
    assert blocked.status == "blocked" and tasks.count() == 0
    reviewer = users.get_by_login("owner")
    approved = builds.approve(repo, blocked, reviewer)
    assert approved.status == "pending" and approved.reviewer == "owner" and tasks.count() == 1
    assert builds.decline(repo, declined, reviewer).status == "declined"
    with pytest.raises(Conflict):
        builds.approve(repo, declined, reviewer)


def test_cancel_then_restart(app, repo):
    """A canceled pending build is killed; restarting it queues it again in place."""
    build = _build(repo)
    builds.cancel(repo, build)
    assert build.status == "killed" and tasks.count() == 0
    with pytest.raises(Conflict, match="already killed"):
        builds.cancel(repo, build)
    again = builds.restart(repo, build)
    assert again.number == build.number and again.status == "pending" and tasks.count() == 1
    assert {p.state for p in build_store.list_procs(build.id)} == {"pending"}


def test_restart_deletes_the_log_files_of_the_old_procs(app, repo, tmp_path, monkeypatch):
    """With the file log store, restarting a build in place deletes its finished logs' files."""
    files = LogFiles(tmp_path / "logs")
    monkeypatch.setattr(hub().logs, "files", files)
    build = _build(repo)
    builds.cancel(repo, build)
    step = build_store.list_procs(build.id)[-1]
    hub().logs.write(step.id, [(0, 0, "old output")])
    hub().logs.close(step.id)
    assert files.path(step.id).exists()
    builds.restart(repo, build)
    assert not files.path(step.id).exists()

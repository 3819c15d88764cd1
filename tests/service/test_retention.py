"""Retention: old finished builds go with their procs, logs, tasks and artifacts; the newest and active stay."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circle.extensions import db
from circle.hub import hub
from circle.models import Build, File, LogEntry, Proc, Repo, Task
from circle.models.types import now
from circle.service import retention
from circle.store import builds, files, repos, scms, users
from dbtools import has_object

DAY = 86400


def _repo(name: str, **overrides: int) -> Repo:
    """Create a repo of its own SCM with retention overrides."""
    owner = users.create(f"owner-{name}", "pw")
    scm = scms.create(kind="local", name=f"disk-{name}", url="/srv", owner_id=owner.id)
    return repos.create(scm_id=scm.id, full_name=f"a/{name}", owner="a", name=name, clone_url=f"/srv/a/{name}",
                        **overrides)


def _build(repo: Repo, number: int, *, branch: str = "main", age_days: float = 40, status: str = "success",
           with_rows: bool = False) -> int:
    """Insert a build `age_days` old; `with_rows` gives it a workflow, a step with log lines, an artifact, a task."""
    build = builds.create(repo_id=repo.id, number=number, event="push", status=status, branch=branch,
                          created=now() - int(age_days * DAY))
    if with_rows:
        workflow = builds.create_procs([builds.Proc(build_id=build.id, pid=1, name="default")])[0]
        step = builds.create_procs([builds.Proc(build_id=build.id, pid=2, ppid=1, name="t")])[0]
        hub().logs.write(step.id, [(0, 0, "hello"), (1, 1, "bye")])
        files.create(build_id=build.id, proc_id=step.id, pid=2, name="out.txt", size=3, data=b"out")
        hub().queue.push(build_id=build.id, proc_id=workflow.id, payload={"config": {}}, labels={}, timeout=1)
    db.session.commit()
    return build.id


def _count(model, *where) -> int:
    """Return how many rows of `model` match."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _numbers(repo: Repo) -> list[int]:
    """Return the numbers of a repo's builds left."""
    return sorted(db.session.scalars(select(Build.number).where(Build.repo_id == repo.id)))


def test_old_builds_go_but_the_newest_per_branch_recent_and_active_stay(app):
    repo = _repo("x")
    doomed = _build(repo, 1, with_rows=True)
    for number in range(2, 10):
        _build(repo, number)
    _build(repo, 10, status="running")
    _build(repo, 11, status="pending")
    _build(repo, 12)                                  # the newest three of main: 12, 11, 10
    for number in (13, 14, 15):
        _build(repo, number, branch="dev")             # all three kept: the newest of dev
    for number in (16, 17, 18, 19):
        _build(repo, number, branch="feature", age_days=1)  # recent
    _build(repo, 20, status="blocked", branch="old", age_days=90)
    freed = retention.purge(policy=retention.Policy(days=30, keep_min=3, artifact_days=0))
    db.session.remove()
    assert _numbers(repo) == [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    assert (freed.builds, freed.procs, freed.log_batches, freed.artifacts) == (9, 2, 1, 1)
    assert _count(Proc, Proc.build_id == doomed) == 0 and _count(Task, Task.build_id == doomed) == 0
    assert _count(File, File.build_id == doomed) == 0 and _count(LogEntry) == 0


def test_dry_run_counts_and_deletes_nothing(app):
    repo = _repo("x")
    _build(repo, 1, with_rows=True)
    _build(repo, 2)
    freed = retention.purge(policy=retention.Policy(days=30, keep_min=1, artifact_days=0), dry_run=True)
    assert (freed.builds, freed.procs, freed.log_batches, freed.artifacts) == (1, 2, 1, 1)
    assert _numbers(repo) == [1, 2]


def test_the_background_job_follows_each_repos_policy_in_small_batches(app, monkeypatch: pytest.MonkeyPatch):
    """A repo's own days apply, another repo keeps the global forever; a backlog goes over several rounds."""
    monkeypatch.setattr(retention, "BATCH", 3)
    monkeypatch.setattr(retention, "ROUND_BATCHES", 2)
    kept_forever, limited = _repo("forever"), _repo("limited", retention_days=30, retention_keep_min=2)
    for number in range(1, 11):
        _build(kept_forever, number)
        _build(limited, number, branch="main" if number % 2 else "dev")
    assert retention.apply_policies().builds == 6
    assert retention.apply_policies().builds == 0
    db.session.remove()
    assert _numbers(limited) == [7, 8, 9, 10] and _numbers(kept_forever) == list(range(1, 11))


def test_artifacts_older_than_their_days_go_and_the_builds_stay(app):
    repo = _repo("x", artifact_retention_days=7)
    old = _build(repo, 1, with_rows=True)
    running = _build(repo, 2, with_rows=True, status="running")
    db.session.execute(File.__table__.update().values(created=now() - 10 * DAY))
    fresh = _build(repo, 3, with_rows=True)
    db.session.commit()
    assert retention.apply_policies().artifacts == 1
    db.session.remove()
    assert _numbers(repo) == [1, 2, 3]
    assert (_count(File, File.build_id == old), _count(File, File.build_id == running),
            _count(File, File.build_id == fresh)) == (0, 1, 1)


def test_retention_logs_what_it_freed_and_the_database_size(app, caplog: pytest.LogCaptureFixture):
    repo = _repo("x")
    _build(repo, 1)
    _build(repo, 2)
    with caplog.at_level("INFO", logger="circle.service.retention"):
        retention.purge(policy=retention.Policy(days=30, keep_min=1, artifact_days=0))
    assert "deleted 1 builds (0 procs, 0 log batches), 0 artifacts of repo" in caplog.text
    size = caplog.text.split("database size now ")[1].split()[0]
    assert int(size) > 0


def _two_builds_logs_in(store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make `store` the log store, create two builds of one repo and close a step's log of each; return the steps."""
    monkeypatch.setattr(hub().logs, "files", store)
    repo = _repo("x")
    steps = []
    for number in (1, 2):
        build_id = _build(repo, number, with_rows=True)
        steps.append(builds.get_proc_by_pid(build_id, 2).id)
        hub().logs.close(steps[-1])
        db.session.commit()
    return steps


def test_the_log_files_of_deleted_builds_go_too(app, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """With the file log store a purged build's finished logs leave the disk; a kept build's stay."""
    from circle.logfiles import LogFiles

    files = LogFiles(tmp_path / "logs")
    steps = _two_builds_logs_in(files, monkeypatch)
    assert all(files.path(step).exists() for step in steps)
    retention.purge(policy=retention.Policy(days=30, keep_min=1, artifact_days=0))
    assert not files.path(steps[0]).exists() and files.path(steps[1]).exists()


def test_the_log_objects_of_deleted_builds_go_too(app, log_bucket, monkeypatch: pytest.MonkeyPatch):
    """With the S3 log store a purged build's finished logs leave the bucket; a kept build's stay."""
    steps = _two_builds_logs_in(log_bucket, monkeypatch)
    assert all(has_object(log_bucket, step) for step in steps)
    retention.purge(policy=retention.Policy(days=30, keep_min=1, artifact_days=0))
    assert not has_object(log_bucket, steps[0])
    assert [line[2] for page in hub().logs.pages(steps[1]) for line in page]

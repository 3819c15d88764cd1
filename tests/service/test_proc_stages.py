"""Each step proc records the stage it runs in, so the build page can show a parallel group as one."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from circle import states
from circle.extensions import db
from circle.origin import Origin
from circle.service import builds
from circle.store import builds as build_store
from circle.store import configs

GOOD = ("pipeline:\n"
        "  lint:\n    image: busybox\n    group: checks\n    commands: [echo lint]\n"
        "  unit:\n    image: busybox\n    group: checks\n    commands: [echo unit]\n"
        "  package:\n    image: busybox\n    commands: [echo package]\n")


def test_steps_record_their_stage_and_workflows_none(app, repo):
    """Steps of one `group` share its stage name; a lone step's stage is its own; a workflow's is empty."""
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    stages = [(proc.name, proc.stage) for proc in build_store.list_procs(build.id)]
    assert stages == [("default", ""), ("clone", "clone"), ("lint", "checks"), ("unit", "checks"),
                      ("package", "package")]


# Round trips count on the servers; SQLite's driver inserts a row per statement (each a call in this process).
@pytest.mark.parametrize("migrated_app", ["postgres", "mysql"], indirect=True)
def test_a_builds_workflow_and_step_procs_go_in_one_insert(app, repo):
    """Workflow and step rows carry the same columns, so the whole process tree is one multi-row INSERT."""
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    inserts: list[str] = []

    def note(_conn, _cursor, sql, *_args) -> None:
        if sql.startswith("INSERT INTO procs"):
            inserts.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(build_store.list_procs(build.id)) == 5 and len(inserts) == 1
    workflow, step = build_store.list_procs(build.id)[:2]
    assert (workflow.depends_on, workflow.stage, step.depends_on, step.platform) == (None, "", None, "")


def test_a_group_longer_than_a_stage_name_fails_the_build_with_a_sentence(app, repo):
    """A `group` too long for the proc's stage column is a pipeline error, not a failed INSERT (all databases)."""
    configs.update(configs.list_by_repo(repo.id)[0], content=GOOD.replace("group: checks", "group: " + "g" * 256))
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    assert build.status == states.ERROR
    assert "`group` of step `lint` has 256 characters; at most 255" in build.error
    assert build_store.list_procs(build.id) == []


def test_a_step_name_longer_than_a_proc_name_fails_the_build_with_a_sentence(app, repo):
    """A step name too long for the proc's name column is a pipeline error, not a build left pending for ever."""
    configs.update(configs.list_by_repo(repo.id)[0], content=GOOD.replace("  package:", "  " + "p" * 256 + ":"))
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    assert build.status == states.ERROR
    assert f"the name of step `{'p' * 40}…` has 256 characters; at most 255" in build.error
    assert build_store.list_procs(build.id) == []


def test_a_matrix_workflow_name_longer_than_a_proc_name_fails_the_build_with_a_sentence(app, repo):
    """A workflow named after a long matrix axis is a pipeline error, not a build left pending for ever."""
    long = "v" * 260
    configs.update(configs.list_by_repo(repo.id)[0], content=GOOD + f"matrix:\n  LONG: [{long}, short]\n")
    origin = Origin(event="push", ref="refs/heads/main", branch="main", commit="c" * 40)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], origin)
    assert build.status == states.ERROR
    assert f"the workflow name `LONG={'v' * 35}…` has 265 characters; at most 255" in build.error
    assert build_store.list_procs(build.id) == []

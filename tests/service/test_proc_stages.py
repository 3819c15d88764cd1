"""Each step proc records the stage it runs in, so the build page can show a parallel group as one."""
from __future__ import annotations

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

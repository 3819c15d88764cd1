"""Compiled results that follow Drone 0.8 (for `pipeline:` files) and Woodpecker (for `steps:` files) where
circle used to differ (issue 12, compiler semantics)."""
from __future__ import annotations

import pytest

from circle.compiler import Metadata, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.pipeline.types import Step, Workflow


def build(event: str = "push", branch: str = "master", tag: str = "") -> Metadata:
    """Return a build of a trusted repository; a tag build carries the tag as its branch, as origins do."""
    ref = f"refs/tags/{tag}" if tag else f"refs/heads/{branch}"
    return Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello", trusted=True),
                    commit=CommitInfo(sha="a" * 40, ref=ref, branch=tag or branch),
                    build=BuildInfo(number=1, event=event, tag=tag))


def steps(workflows: list[Workflow]) -> dict[str, Step]:
    """Return the steps of the only workflow by name, clone step excluded."""
    assert len(workflows) == 1
    return {s.name: s for stage in workflows[0].config.stages for s in stage.steps if s.name != "clone"}


@pytest.mark.parametrize("key", ["pipeline", "steps"])
def test_status_changed_never_matches(key: str) -> None:
    text = (f"{key}:\n  build:\n    image: alpine\n    commands: [make]\n"
            "  notify:\n    image: plugins/slack\n    when:\n      status: [changed, failure]\n"
            "  only_changed:\n    image: plugins/slack\n    when:\n      status: changed\n")
    got = steps(compile_pipeline(text, build()))
    assert (got["notify"].on_success, got["notify"].on_failure) == (False, True)
    assert (got["only_changed"].on_success, got["only_changed"].on_failure) == (False, False)


DRONE_TAGGED = """pipeline:
  build:
    image: alpine
    commands: [make]
  release:
    image: plugins/github-release
    when:
      event: tag
      branch: [refs/tags/*]
  master_only:
    image: alpine
    commands: [deploy]
    when:
      branch: master
"""


def test_drone_tag_build_matches_branch_refs_tags() -> None:
    got = steps(compile_pipeline(DRONE_TAGGED, build("tag", tag="v1.2.0")))
    assert sorted(got) == ["build", "release"]


def test_woodpecker_tag_build_ignores_branch() -> None:
    text = ("when:\n  - event: tag\n    branch: main\nsteps:\n  build:\n    image: alpine\n    commands: [make]\n"
            "  release:\n    image: alpine\n    commands: [release]\n    when:\n      event: tag\n      branch: main\n")
    got = steps(compile_pipeline(text, build("tag", tag="v1.2.0")))
    assert sorted(got) == ["build", "release"]
    assert compile_pipeline(text.replace("event: tag\n    branch", "event: push\n    branch"),
                            build("tag", tag="v1")) == []


@pytest.mark.parametrize("key", ["pipeline", "steps"])
@pytest.mark.parametrize("event", ["tag", "deployment"])
def test_top_level_branches_skipped_on_tags_and_deployments(key: str, event: str) -> None:
    text = f"branches: [master]\n{key}:\n  build:\n    image: alpine\n    commands: [make]\n"
    meta = build(event, branch="production", tag="v1" if event == "tag" else "")
    assert len(compile_pipeline(text, meta)) == 1
    assert compile_pipeline(text, build("push", branch="feature")) == []

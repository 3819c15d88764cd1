"""Every step sees the build's CI_*/DRONE_* variables (SPEC §7), in a fixed order of precedence."""
from __future__ import annotations

from circle.compiler import Metadata, SecretSpec, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo, SystemInfo

SPEC_VARIABLES = ["CI", "CIRCLE", "CI_REPO", "CI_REPO_OWNER", "CI_REPO_NAME", "CI_REPO_REMOTE", "CI_COMMIT_SHA",
                  "CI_COMMIT_REF", "CI_COMMIT_BRANCH", "CI_COMMIT_MESSAGE", "CI_COMMIT_AUTHOR", "CI_BUILD_NUMBER",
                  "CI_PARENT_BUILD_NUMBER", "CI_BUILD_EVENT", "CI_BUILD_STATUS", "CI_BUILD_LINK", "CI_JOB_NUMBER",
                  "CI_WORKSPACE", "CI_SYSTEM_NAME", "CI_MACHINE", "CIRCLE_UPLOAD_URL", "DRONE", "DRONE_REPO",
                  "DRONE_COMMIT_SHA", "DRONE_COMMIT_BRANCH", "DRONE_BRANCH", "DRONE_BUILD_NUMBER", "DRONE_BUILD_EVENT",
                  "DRONE_BUILD_STATUS", "DRONE_WORKSPACE"]


def meta(**build: object) -> Metadata:
    return Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                                  clone_url="https://h/octo/hello.git"),
                    commit=CommitInfo(sha="c" * 40, ref="refs/heads/main", branch="main", message="fix it",
                                      author="octo"),
                    build=BuildInfo(**{"number": 12, "parent": 11, "event": "push",  # type: ignore[arg-type]
                                       "link": "http://ci/octo/hello/12", **build}),
                    system=SystemInfo(machine="agent-7"), upload_url="http://ci/api/upload/xyz",
                    params={"PARAM": "from-params", "SHARED": "params"})


def steps(text: str, m: Metadata | None = None, **kwargs: object) -> dict:
    workflows = compile_pipeline(text, m or meta(), trusted=True, **kwargs)  # type: ignore[arg-type]
    return {s.name: s for w in workflows for s in w.config.steps()}


def test_every_step_has_the_spec_variables() -> None:
    env = steps("pipeline:\n  a:\n    image: x\n    commands: [env]\n")["a"].environment
    for name in SPEC_VARIABLES:
        assert name in env, name
    assert env["CI"] == env["CIRCLE"] == env["DRONE"] == "true"
    assert (env["CI_REPO"], env["CI_REPO_OWNER"], env["CI_REPO_NAME"]) == ("octo/hello", "octo", "hello")
    assert env["CI_BUILD_STATUS"] == "success" and env["CI_PARENT_BUILD_NUMBER"] == "11"
    assert env["CI_WORKSPACE"] == env["DRONE_WORKSPACE"] == "/circle/src"
    assert env["CI_SYSTEM_NAME"] == "circle" and env["CI_MACHINE"] == "agent-7"
    assert env["CIRCLE_UPLOAD_URL"] == "http://ci/api/upload/xyz"
    assert "CI_TAG" not in env and "CI_PULL_REQUEST" not in env


def test_tag_and_pull_request_variables() -> None:
    tag = steps("pipeline:\n  a:\n    image: x\n", meta(event="tag", tag="v2"))["a"].environment
    assert tag["CI_TAG"] == tag["DRONE_TAG"] == "v2"
    pr = meta(event="pull_request", pull_request=9, source_branch="topic", target_branch="main")
    env = steps("pipeline:\n  a:\n    image: x\n", pr)["a"].environment
    assert env["CI_PULL_REQUEST"] == env["DRONE_PULL_REQUEST"] == "9"
    assert env["CI_COMMIT_REFSPEC"] == "topic:main"


def test_precedence_axis_params_env_step_secret_settings_builtins() -> None:
    text = ("matrix:\n  SHARED: [axis]\n  AXIS: [a1]\npipeline:\n  a:\n    image: x\n    environment:\n"
            "      STEP: step\n      SHARED: step\n      CI_REPO: forged\n      TOKEN: step\n    secrets: [token]\n"
            "    PLUGIN_ONLY: p\n")
    env = steps(text, env={"EXTRA": "extra", "PARAM": "env"}, secrets=[SecretSpec("token", "s3")])["a"].environment
    assert env["AXIS"] == "a1" and env["EXTRA"] == "extra" and env["PARAM"] == "env"
    assert env["SHARED"] == "step" and env["TOKEN"] == "s3" and env["PLUGIN_PLUGIN_ONLY"] == "p"
    assert env["CI_REPO"] == "octo/hello"


def test_job_number_counts_matrix_axes() -> None:
    text = "matrix:\n  V: [1, 2, 3]\npipeline:\n  a:\n    image: x:${V}\n    commands:\n      - echo ${CI_JOB_NUMBER}\n"
    workflows = compile_pipeline(text, meta(), trusted=True)
    assert [w.config.steps()[1].environment["CI_JOB_NUMBER"] for w in workflows] == ["1", "2", "3"]
    assert [w.config.steps()[1].commands for w in workflows] == [["echo 1"], ["echo 2"], ["echo 3"]]
    assert [w.axis for w in workflows] == [{"V": "1"}, {"V": "2"}, {"V": "3"}]


def test_platform_key_sets_the_platform_variables() -> None:
    env = steps("platform: linux/arm64\npipeline:\n  a:\n    image: x\n")["a"].environment
    assert env["CI_SYSTEM_ARCH"] == env["DRONE_ARCH"] == "linux/arm64"


def test_workspace_comes_from_base() -> None:
    text = "workspace:\n  base: /go\n  path: src/h\npipeline:\n  a:\n    image: x\n"
    step = steps(text)["a"]
    assert step.working_dir == step.environment["CI_WORKSPACE"] == "/go/src/h"
    assert step.volumes == ["workspace:/go"]

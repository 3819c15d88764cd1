"""Compiled results that follow Drone 0.8 (for `pipeline:` files) and Woodpecker (for `steps:` files) where
circle used to differ (issue 12, compiler semantics)."""
from __future__ import annotations

from pathlib import Path

import pytest

from circle.cli import main
from circle.compiler import Metadata, SecretSpec, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.errors import CompileError
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


def lint_lines(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str], command: str = "lint") -> list[str]:
    """Return what `circle lint` (or `compile`) prints for a file holding `data`, checking it exits 1."""
    path = tmp_path / ".drone.yml"
    path.write_bytes(data)
    assert main([command, str(path)]) == 1
    return [line.replace(str(path), "F") for line in capsys.readouterr().out.splitlines()]


def test_duplicate_keys_inside_settings_are_lint_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("steps:\n  build:\n    image: plugins/x\n    settings:\n      a:\n        b: 1\n        b: 2\n"
            "      list:\n        - {c: 1, c: 2}\n")
    assert lint_lines(tmp_path, text.encode(), capsys) == [
        "F:7:9: `b` appears twice in a mapping of setting `a` of step `build`",
        "F:9:18: `c` appears twice in a mapping of setting `list` of step `build`"]


TABBED = [("pipeline:\n  build:\n\timage: alpine\n", "3:1"),
          ("pipeline:\n  build:\n    image: a\n    commands:\n    \t- make\n", "5:5")]


@pytest.mark.parametrize(("text", "where"), TABBED)
def test_tab_indentation_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str) -> None:
    assert lint_lines(tmp_path, text.encode(), capsys) == [
        f"F:{where}: a tab is used for indentation; YAML indents with spaces only"]


def test_step_without_image_nor_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_lines(tmp_path, b"steps:\n  build:\n    environment: {A: b}\n", capsys) == [
        "F:2:3: step `build` has no `image` (nor `commands`)"]


def test_drone_1_file_is_named_in_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (b"kind: pipeline\nname: default\nsteps:\n- name: build\n  image: alpine\n  commands: [make]\n"
            b"---\nkind: secret\nname: token\n")
    assert lint_lines(tmp_path, text, capsys) == [
        "F:1:1: this is a Drone 1.x file (`kind:`); circle reads Drone 0.8 files (`pipeline:`) "
        "and Woodpecker files (`steps:`)"]


@pytest.mark.parametrize("command", ["lint", "compile"])
def test_non_utf8_file_has_a_position(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    text = "pipeline:\n  build:\n    image: alpine\n    commands: [echo é \xe9]\n".encode("latin-1")
    text = text.replace(b"\xe9 ", "é ".encode())  # one valid two-byte character before the bad byte
    assert lint_lines(tmp_path, text, capsys, command) == ["F:4:23: the file is not UTF-8 text (byte 0xE9)"]


FILTERED_DEPENDENCY = """steps:
  build:
    image: alpine
    commands: [make]
    when:
      event: push
  release:
    image: alpine
    commands: [release]
    depends_on: [build]
"""


def test_dependency_on_a_step_when_leaves_out_is_refused() -> None:
    assert sorted(steps(compile_pipeline(FILTERED_DEPENDENCY, build()))) == ["build", "release"]
    with pytest.raises(CompileError) as err:
        compile_pipeline(FILTERED_DEPENDENCY, build("pull_request"))
    assert [(p.line, p.col) for p in err.value.problems] == [(10, 18)]
    assert "depends on `build`, which `when` leaves out of this build" in err.value.problems[0].message
    optional = FILTERED_DEPENDENCY.replace("[build]", "[{name: build, optional: true}]")
    assert sorted(steps(compile_pipeline(optional, build("pull_request")))) == ["release"]


def test_from_secret_nested_in_settings_is_resolved_and_masked() -> None:
    text = ("steps:\n  deploy:\n    image: plugins/x\n    settings:\n"
            "      hosts:\n        - name: a\n          password: {from_secret: pw}\n"
            "      auth: {zone: z, token: {from_secret: token}, user: u}\n"
            "      tokens: [plain, {from_secret: token}]\n")
    secrets = [SecretSpec("pw", "s3cret"), SecretSpec("token", "t0ken")]
    workflows = compile_pipeline(text, build(), secrets=secrets)
    env = steps(workflows)["deploy"].environment
    assert env["PLUGIN_HOSTS"] == '[{"name":"a","password":"s3cret"}]'
    assert env["PLUGIN_AUTH"] == '{"token":"t0ken","user":"u","zone":"z"}'
    assert env["PLUGIN_TOKENS"] == "plain,t0ken"
    assert sorted(s.value for s in workflows[0].config.secrets) == ["s3cret", "t0ken"]


def test_matrix_include_wins_over_axis_lists() -> None:
    text = ("matrix:\n  GO: [\"1.20\", \"1.21\"]\n  include:\n    - {GO: \"1.22\", DB: pg}\n"
            "steps:\n  build:\n    image: golang:${GO}\n    commands: [go test]\n")
    workflows = compile_pipeline(text, build())
    assert [w.axis for w in workflows] == [{"GO": "1.22", "DB": "pg"}]


def test_evaluate_reads_dollar_env() -> None:
    text = ("steps:\n  a:\n    image: alpine\n    commands: [x]\n    when:\n"
            "      evaluate: '$env[\"CI_COMMIT_BRANCH\"] == \"master\" && \"CI_REPO\" in $env'\n"
            "  b:\n    image: alpine\n    commands: [x]\n    when:\n"
            "      evaluate: '$env.CI_COMMIT_BRANCH == \"dev\"'\n")
    assert sorted(steps(compile_pipeline(text, build()))) == ["a"]


DUPLICATE_NAMES = ("steps:\n  - name: test\n    image: alpine\n    commands: [a]\n"
                   "  - name: test\n    image: alpine\n    commands: [b]\n")


def test_list_steps_may_share_a_name_outside_dag_mode() -> None:
    workflows = compile_pipeline(DUPLICATE_NAMES, build())
    assert [(s.name, s.commands) for s in steps(workflows).values()] == [("test", ["a"]), ("test-2", ["b"])]
    with pytest.raises(CompileError) as err:
        compile_pipeline(DUPLICATE_NAMES + "  - name: last\n    image: alpine\n    depends_on: [test]\n", build())
    assert [(p.line, p.col) for p in err.value.problems] == [(5, 5)]
    assert "two steps are named `test`" in err.value.problems[0].message


WORKSPACES = [("{base: /mnt, path: /}", "/mnt"), ("{base: /build, path: .}", "/build"),
              ("{base: /go/, path: src/./x/../y/}", "/go/src/y")]


@pytest.mark.parametrize(("workspace", "full"), WORKSPACES)
def test_workspace_paths_are_cleaned(workspace: str, full: str) -> None:
    text = f"workspace: {workspace}\nsteps:\n  a:\n    image: alpine\n    commands: [pwd]\n"
    step = steps(compile_pipeline(text, build()))["a"]
    assert (step.working_dir, step.environment["CI_WORKSPACE"]) == (full, full)


def test_woodpecker_variables() -> None:
    meta = build()
    meta.repo.link = "https://git.example.com/octo/hello"
    meta.repo.clone_url = "https://git.example.com/octo/hello.git"
    meta.build.link = "https://ci.example.com/octo/hello/1"
    meta.commit.files = ["a.go", "b/c.go"]
    text = "steps:\n  - name: test\n    image: alpine\n    commands: [go test]\n"
    workflows = compile_pipeline(text, meta, filename=".woodpecker/unit.yml")
    env = steps(workflows)["test"].environment
    assert {key: env[key] for key in ("CI_PIPELINE_NUMBER", "CI_PIPELINE_EVENT", "CI_PIPELINE_URL", "CI_PIPELINE_FILES",
                                      "CI_WORKFLOW_NAME", "CI_WORKFLOW_NUMBER", "CI_STEP_NAME", "CI_REPO_URL",
                                      "CI_REPO_CLONE_URL", "CI_FORGE_URL")} == {
        "CI_PIPELINE_NUMBER": "1", "CI_PIPELINE_EVENT": "push", "CI_PIPELINE_URL": "https://ci.example.com/octo/hello/1",
        "CI_PIPELINE_FILES": '["a.go","b/c.go"]', "CI_WORKFLOW_NAME": "unit", "CI_WORKFLOW_NUMBER": "1",
        "CI_STEP_NAME": "test", "CI_REPO_URL": "https://git.example.com/octo/hello",
        "CI_REPO_CLONE_URL": "https://git.example.com/octo/hello.git", "CI_FORGE_URL": "https://git.example.com"}


def test_drone_services_and_detached_steps_get_no_plugin_settings() -> None:
    text = ("pipeline:\n  server:\n    image: plugins/x\n    detach: true\n    port: 80\n"
            "  deploy:\n    image: plugins/x\n    port: 80\n    secrets: [{source: token, target: plugin_port}]\n"
            "services:\n  cache:\n    image: redis\n    port: 6379\n")
    workflows = compile_pipeline(text, build(), secrets=[SecretSpec("token", "from-secret")])
    got = {s.name: s.environment for stage in workflows[0].config.stages for s in stage.steps}
    assert "PLUGIN_PORT" not in got["server"] and "PLUGIN_PORT" not in got["cache"]
    assert got["deploy"]["PLUGIN_PORT"] == "from-secret"  # Drone 0.8 set secrets after the settings
    woodpecker = compile_pipeline("steps:\n  server:\n    image: plugins/x\n    detach: true\n"
                                  "    settings: {port: 80}\n", build())
    assert steps(woodpecker)["server"].environment["PLUGIN_PORT"] == "80"


def test_woodpecker_2_file_with_pipeline_key_and_top_level_when() -> None:
    text = ("pipeline:\n  build:\n    image: golang\n    settings: {test: 'true'}\n"
            "when:\n  branch: main\n  event: push\n")
    assert steps(compile_pipeline(text, build(branch="main")))["build"].environment["PLUGIN_TEST"] == "true"
    assert compile_pipeline(text, build(branch="dev")) == []


def test_list_setting_without_secrets_skips_empty_items() -> None:
    text = "steps:\n  a:\n    image: plugins/x\n    settings:\n      plain: [a, ~, b]\n"
    assert steps(compile_pipeline(text, build()))["a"].environment["PLUGIN_PLAIN"] == "a,b"


def test_woodpecker_status_rule() -> None:
    text = ("steps:\n  build:\n    image: alpine\n    commands: [make]\n"
            "  either:\n    image: alpine\n    commands: [x]\n    when:\n"
            "      - {event: push, status: [failure]}\n      - {event: tag}\n"
            "  not_success:\n    image: alpine\n    commands: [x]\n    when:\n      status: {exclude: [success]}\n")
    got = steps(compile_pipeline(text, build()))
    # status counts in every alternative, matching or not; only `include` counts
    assert (got["either"].on_success, got["either"].on_failure) == (True, True)
    assert (got["not_success"].on_success, got["not_success"].on_failure) == (True, False)
    drone = "pipeline:\n  not_success:\n    image: alpine\n    when:\n      status: {exclude: [success]}\n"
    got = steps(compile_pipeline(drone, build()))
    assert (got["not_success"].on_success, got["not_success"].on_failure) == (False, True)  # Drone 0.8's rule


@pytest.mark.parametrize("key", ["pipeline", "steps"])
def test_unknown_condition_says_upstream_would_ignore_it(key: str) -> None:
    text = (f"{key}:\n  notify:\n    image: plugins/slack\n    when:\n      change: true\n"
            "  deploy:\n    image: alpine\n    commands: [make]\n    when:\n      brach: main\n")
    with pytest.raises(CompileError) as raised:
        compile_pipeline(text, build())
    assert [str(p) for p in raised.value.problems] == [
        ".circle.yml:5:7: unknown key `change` in `when` of step `notify` (Drone 0.8 and Woodpecker ignore unknown "
        "conditions, which would run it regardless)",
        ".circle.yml:10:7: unknown key `brach` in `when` of step `deploy` (did you mean `branch`?)"]


def test_github_actions_keys_in_a_woodpecker_step_are_named_as_such() -> None:
    text = "steps:\n  - name: upload\n    image: rust\n    uses: actions/upload-artifact@v4\n    with:\n      path: x\n"
    with pytest.raises(CompileError) as raised:
        compile_pipeline(text, build())
    assert [p.message for p in raised.value.problems] == [
        "unknown key `uses` in step `upload` (a GitHub Actions key; Woodpecker would ignore it)",
        "unknown key `with` in step `upload` (a GitHub Actions key; Woodpecker would ignore it)"]

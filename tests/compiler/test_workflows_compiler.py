"""Several workflow files of one build: names, `depends_on`/`runs_on`, their order and their problems (issue 12)."""
from __future__ import annotations

from pathlib import Path

import pytest

from circle.cli import main
from circle.compiler.metadata import BuildInfo, CommitInfo, Metadata, RepoInfo
from circle.compiler.workflows import PipelineFile, compile_files, lint_files
from circle.errors import CompileError


def meta(event: str = "push") -> Metadata:
    return Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello", clone_url="https://h/o/h.git"),
                    commit=CommitInfo(sha="c" * 40, ref="refs/heads/main", branch="main"),
                    build=BuildInfo(number=3, event=event))


def step(name: str, extra: str = "") -> str:
    return f"{extra}steps:\n  {name}:\n    image: x\n    commands: [echo {name}]\n"


def files(**texts: str) -> list[PipelineFile]:
    return [PipelineFile(f".woodpecker/{name}.yml", text) for name, text in texts.items()]


def test_workflows_are_named_after_their_files_and_listed_after_their_dependencies() -> None:
    workflows = compile_files(files(deploy=step("ship", "depends_on: [test]\n"),
                                    test=step("check", "depends_on: build\nruns_on: [success, failure]\n"),
                                    build=step("compile")), meta())
    assert [(w.name, w.depends_on, w.runs_on) for w in workflows] == [
        ("build", [], ["success"]), ("test", ["build"], ["success", "failure"]), ("deploy", ["test"], ["success"])]
    assert workflows[1].to_json()["depends_on"] == ["build"]


def test_matrix_workflows_are_all_dependencies() -> None:
    matrix = "matrix:\n  GO: [1, 2]\n" + step("compile")
    workflows = compile_files(files(build=matrix, test=step("check", "depends_on: [build]\n")), meta())
    assert [w.name for w in workflows] == ["build (GO=1)", "build (GO=2)", "test"]
    assert workflows[2].depends_on == ["build (GO=1)", "build (GO=2)"]


def test_a_dependency_with_nothing_to_run_drops_its_dependents() -> None:
    tagged = "when:\n  event: tag\n" + step("release")
    workflows = compile_files(files(release=tagged, announce=step("tell", "depends_on: [release]\n"),
                                    lint=step("lint")), meta())
    assert [w.name for w in workflows] == ["lint"]


def test_unknown_names_and_cycles_are_problems_with_their_position() -> None:
    with pytest.raises(CompileError) as err:
        compile_files(files(a=step("one", "depends_on: [nope]\n"), b=step("two")), meta())
    assert str(err.value) == (".woodpecker/a.yml:1:14: `depends_on` names `nope`, which is no workflow of this "
                              "build (there are: a, b)")
    with pytest.raises(CompileError) as err:
        compile_files(files(a=step("one", "depends_on: [c]\n"), b=step("two", "depends_on: [a]\n"),
                            c=step("three", "depends_on:\n  - b\n")), meta())
    assert str(err.value) == ".woodpecker/b.yml:1:14: workflow `depends_on` makes a cycle: a → c → b → a"


def test_runs_on_takes_only_success_and_failure() -> None:
    problems = lint_files(files(a=step("one"), b=step("two", "depends_on: [a]\nruns_on: [changed]\n")))
    assert [str(p) for p in problems] == [".woodpecker/b.yml:2:10: `runs_on` takes success and failure, "
                                          "not `changed`"]


def test_lint_of_a_directory_checks_the_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ".woodpecker"
    folder.mkdir()
    (folder / "build.yml").write_text(step("compile"))
    (folder / "test.yaml").write_text(step("check", "depends_on: [biuld]\n"))
    (folder / "README.md").write_text("not a workflow\n")
    assert main(["lint", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{folder}/test.yaml:1:14: `depends_on` names `biuld`, which is no workflow of this build "
        "(there are: build, test)"]
    (folder / "test.yaml").write_text(step("check", "depends_on: [build]\n"))
    assert main(["lint", str(folder)]) == 0


def test_two_files_with_one_name_and_a_self_dependency_are_problems() -> None:
    problems = lint_files([PipelineFile(".woodpecker/build.yml", step("a")),
                           PipelineFile(".woodpecker/build.yaml", step("b", "depends_on: [build]\n"))])
    assert [str(p) for p in problems] == [
        ".woodpecker/build.yaml:1:1: this file's workflow is named `build`, like .woodpecker/build.yml's; "
        "rename one of them",
        ".woodpecker/build.yaml:1:14: workflow `build` depends on itself"]


def test_one_file_keeps_its_depends_on_inert() -> None:
    """A single file is a whole build: its top-level depends_on names nothing to wait for (documented)."""
    [workflow] = compile_files([PipelineFile(".woodpecker.yml", step("a", "depends_on: [elsewhere]\n"))], meta())
    assert (workflow.depends_on, lint_files([PipelineFile(".woodpecker.yml", step("a", "depends_on: [x]\n"))])) == (
        [], [])


def test_a_workflow_name_longer_than_the_server_stores_is_a_problem_of_its_file() -> None:
    """`file (AXIS=value)` over 255 characters is refused with the file's path, not left to fail an INSERT."""
    matrix = f"matrix:\n  GO: [{'1' * 250}, 2]\n" + step("compile")
    with pytest.raises(CompileError) as caught:
        compile_files(files(build=matrix, test=step("check")), meta())
    assert [str(p) for p in caught.value.problems] == [
        f".woodpecker/build.yml:1:1: the workflow name `build (GO={'1' * 30}…` has 261 characters; at most 255 "
        "(shorten the file name or the matrix values)"]

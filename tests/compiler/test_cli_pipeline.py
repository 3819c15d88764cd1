"""`circle lint` and `circle compile` through the real command-line entry point."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from circle.cli import main
from circle.compiler.schema import pipeline_schema

GOOD = "pipeline:\n  build:\n    image: alpine\n    commands:\n      - echo ${CI_COMMIT_BRANCH}\n"
BAD = "pipeline:\n  build:\n    commands: [make]\n    when:\n      evnt: push\n"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / ".circle.yml"
    path.write_text(text)
    return str(path)


def test_lint_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD)
    assert main(["lint", path]) == 0
    assert capsys.readouterr().out == f"{path}: ok\n"


def test_lint_prints_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BAD)
    assert main(["lint", path]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:2:3: step `build` has no `image`",
        f"{path}:5:7: unknown key `evnt` in `when` of step `build` (did you mean `event`?)",
    ]


def test_lint_untrusted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "steps:\n  - name: a\n    image: x\n    privileged: true\n")
    assert main(["lint", path]) == 0
    assert main(["lint", "--untrusted", path]) == 1
    assert "only a trusted repository" in capsys.readouterr().out


def test_lint_missing_file_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(tmp_path / "nope.yml")]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"circle: {tmp_path / 'nope.yml'} does not exist"


def test_compile_prints_workflows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "matrix:\n  V: [a, b]\n" + GOOD)
    assert main(["compile", path, "--branch", "dev", "--repo", "octo/hello", "--secret", "x=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [w["axis"] for w in out] == [{"V": "a"}, {"V": "b"}]
    build = out[0]["config"]["stages"][1]["steps"][0]
    assert build["commands"] == ["echo dev"] and build["environment"]["CI_REPO"] == "octo/hello"


def test_compile_errors_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["compile", write(tmp_path, "- not a mapping\n")]) == 1
    assert "not a list" not in capsys.readouterr().err


def test_schema_prints_the_pipeline_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == pipeline_schema() and out.startswith('{\n  "$schema": ')

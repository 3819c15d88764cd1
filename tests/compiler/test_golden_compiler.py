"""Golden files: each golden/NAME.yml compiles to golden/NAME.json (YAML in, IR JSON out).

The first line of a .yml may be `# golden: {json}` with build details: event, branch, ref, tag,
deploy_to, pull_request, target_branch, platform, params, env, files, secrets ([{name, value,
events, images}]), netrc ({machine, login, password}), trusted (default true), full (default
false). Rendered JSON leaves out the CI_*/DRONE_* variables circle sets on every step (the
environment tests check those), shows the clone script as "<clone script>" and, unless `full`,
leaves out step fields that hold their default (the workspace mount and directory, the default
network, the step's own name as alias). Set CIRCLE_UPDATE_GOLDEN=1 to rewrite the .json files.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from circle.compiler import Metadata, SecretSpec, compile_pipeline
from circle.compiler.clone import CLONE_COMMANDS
from circle.compiler.metadata import BuildInfo, CommitInfo, Netrc, RepoInfo, SystemInfo
from circle.errors import CompileError
from circle.pipeline.types import Step

STEP_DEFAULTS = Step(name="").to_json()

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.yml"))


def golden_metadata(spec: dict[str, Any]) -> Metadata:
    """Return the metadata a golden header describes (a push to main of octo/hello by default)."""
    event = spec.get("event", "push")
    branch = spec.get("branch", "main")
    tag = spec.get("tag", "")
    ref = spec.get("ref") or (f"refs/tags/{tag}" if tag else f"refs/heads/{branch}")
    netrc = Netrc(**spec["netrc"]) if "netrc" in spec else None
    return Metadata(
        repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                      clone_url="https://git.example.com/octo/hello.git",
                      link="https://git.example.com/octo/hello", default_branch="main", trusted=True),
        commit=CommitInfo(sha="0123456789abcdef0123456789abcdef01234567", ref=ref, branch=branch, message="a change",
                          author="octocat", author_email="octocat@example.com", files=spec.get("files")),
        build=BuildInfo(number=7, parent=0, event=event, created=1700000000, started=1700000001,
                        link="http://127.0.0.1:8000/octo/hello/7", deploy_to=spec.get("deploy_to", ""), tag=tag,
                        pull_request=spec.get("pull_request", 0), target_branch=spec.get("target_branch", "")),
        system=SystemInfo(host="ci.example.com", link="http://127.0.0.1:8000",
                          platform=spec.get("platform", "linux/amd64"), machine="agent-1"),
        params=spec.get("params", {}), netrc=netrc)


def render(text: str, spec: dict[str, Any], filename: str) -> Any:
    """Compile `text` and return what the golden file holds (the workflows, or the problems)."""
    meta = golden_metadata(spec)
    secrets = [SecretSpec(s["name"], s["value"], s.get("events", []), s.get("images", []))
               for s in spec.get("secrets", [])]
    try:
        workflows = compile_pipeline(text, meta, filename=filename, secrets=secrets, env=spec.get("env"),
                                     trusted=spec.get("trusted", True))
    except CompileError as err:
        return {"problems": [str(p) for p in err.problems]}
    out = []
    for workflow in workflows:
        data = workflow.to_json()
        builtins = {k for k in meta.environ()} | {"CI_WORKSPACE", "DRONE_WORKSPACE", "CI_WORKSPACE_BASE",
                                                  "CI_SYSTEM_PLATFORM", "DRONE_SYSTEM_PLATFORM", "DRONE_SYSTEM_ARCH",
                                                  "CI_WORKFLOW_NAME", "CI_WORKFLOW_NUMBER", "CI_STEP_NAME"}
        workspace = workflow.config.workspace
        for stage in data["config"]["stages"]:
            stage["steps"] = [_compact(step, builtins, workspace.full_path, f"workspace:{workspace.base}",
                                       spec.get("full", False)) for step in stage["steps"]]
        if not spec.get("full"):
            for key, standard in (("volumes", [{"name": "workspace", "driver": "local"}]),
                                  ("networks", [{"name": "default", "driver": "bridge"}]),
                                  ("secrets", []), ("registries", [])):
                if data["config"][key] == standard:
                    del data["config"][key]
        out.append(data)
    return out


def _compact(step: dict[str, Any], builtins: set[str], workdir: str, mount: str, full: bool) -> dict[str, Any]:
    """Return a step's JSON without builtin variables and (unless `full`) without default fields."""
    step["environment"] = {k: v for k, v in sorted(step["environment"].items()) if k not in builtins}
    if step["commands"] == CLONE_COMMANDS:
        step["commands"] = "<clone script>"
        del step["trace"]  # circle's clone script prints its own lines: implied
    if full:
        return step
    implied = {"volumes": [mount] + step["volumes"][1:], "working_dir": workdir, "networks": ["default"],
               "aliases": [step["name"]]}
    if step["volumes"][:1] == [mount]:
        step["volumes"] = step["volumes"][1:]
        implied["volumes"] = []
    return {k: v for k, v in step.items()
            if k in ("name", "image", "commands") or v != implied.get(k, STEP_DEFAULTS.get(k))}


def header(text: str) -> dict[str, Any]:
    """Return the `# golden:` header of a case."""
    first = text.split("\n", 1)[0]
    return json.loads(first.removeprefix("# golden:")) if first.startswith("# golden:") else {}


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    text = (GOLDEN / f"{case}.yml").read_text()
    got = render(text, header(text), f"{case}.yml")
    expected_path = GOLDEN / f"{case}.json"
    if os.environ.get("CIRCLE_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert expected_path.exists(), f"no {expected_path.name}: run with CIRCLE_UPDATE_GOLDEN=1 and review it"
    assert got == json.loads(expected_path.read_text())


def test_a_100_by_100_matrix_is_refused_at_its_position():
    """A 2 KiB file asking for 10 000 workflows is one clear error, not 10 000 tasks."""
    values = ", ".join(str(n) for n in range(100))
    text = f"matrix:\n  A: [{values}]\n  B: [{values}]\npipeline:\n  s:\n    image: busybox\n    commands: [true]\n"
    with pytest.raises(CompileError) as caught:
        compile_pipeline(text, Metadata())
    assert ".circle.yml:2:3: `matrix` makes 10000 combinations; the limit is 256" in str(caught.value)

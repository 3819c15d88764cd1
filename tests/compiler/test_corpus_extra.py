"""Real files collected for issue 12 (tests/compiler/corpus_extra, sources in its README.md): each compiles to
what Woodpecker would run for the listed builds (steps, stages, variables, on_success/on_failure), or is refused
with the listed sentence. Substitution follows Woodpecker's drone/envsubst: a `${NAME}` that is not a build
variable becomes empty even where the shell meant it (`${HOST}-strip` → `-strip`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.corpus import EXTRA, UPSTREAM_REFUSES, measure, metadata
from circle.compiler import Metadata, compile_pipeline
from circle.errors import CompileError
from circle.pipeline.types import Step, Workflow

EXPECTED: dict[str, dict[str, Any]] = json.loads((EXTRA / "expected.json").read_text())
README = (EXTRA / "README.md").read_text()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pipelines.md"


def build(spec: str) -> Metadata:
    """Return the build `spec` names: "push main", "pull_request main" (target branch), "tag v1.0.0", "manual main"."""
    event, _, name = spec.partition(" ")
    return metadata(event, name)


def compiled(name: str, spec: str) -> list[Workflow]:
    """Compile corpus_extra file `name` for the build `spec`."""
    return compile_pipeline((EXTRA / name).read_text(), build(spec), filename=name, trusted=True)


def step(name: str, spec: str, step_name: str) -> Step:
    """Return step `step_name` of the only workflow `name` compiles to for `spec`."""
    (workflow,) = compiled(name, spec)
    return next(s for stage in workflow.config.stages for s in stage.steps if s.name == step_name)


def test_every_file_has_expected_facts_and_a_source() -> None:
    files = {str(p.relative_to(EXTRA)) for p in EXTRA.glob("*/*.y*ml")}
    assert files == set(EXPECTED)
    for name in files:
        assert f"`{name}`" in README, f"{name} has no source line in corpus_extra/README.md"


@pytest.mark.parametrize("name", sorted(n for n, facts in EXPECTED.items() if "refused" not in facts))
def test_compiles_to_what_upstream_runs(name: str) -> None:
    facts = EXPECTED[name]
    for spec, names in facts.get("runs", {}).items():
        workflows = compiled(name, spec)
        got = [s.name for w in workflows for stage in w.config.stages for s in stage.steps if s.name != "clone"]
        assert got == names, (spec, got)
    for spec, stages in facts.get("stages", {}).items():
        (workflow,) = compiled(name, spec)
        assert [[s.name for s in stage.steps] for stage in workflow.config.stages] == stages, spec
    for spec, step_name, variable, value in facts.get("env", []):
        assert step(name, spec, step_name).environment.get(variable) == value, (spec, step_name, variable)
    for spec, step_name, variable in facts.get("no_env", []):
        assert variable not in step(name, spec, step_name).environment, (spec, step_name, variable)
    for spec, step_name, index, command in facts.get("commands", []):
        assert step(name, spec, step_name).commands[index] == command, (spec, step_name)
    for spec, step_name, on_success, on_failure in facts.get("status", []):
        got = step(name, spec, step_name)
        assert (got.on_success, got.on_failure) == (on_success, on_failure), (spec, step_name)
    for spec, step_name, workdir in facts.get("workdir", []):
        assert step(name, spec, step_name).working_dir == workdir, (spec, step_name)
    for spec, step_name, image in facts.get("image", []):
        assert step(name, spec, step_name).image == image, (spec, step_name)
    for spec, step_name, index, fragment in facts.get("contains", []):
        assert fragment in step(name, spec, step_name).commands[index], (spec, step_name)
    if "labels" in facts:
        assert compiled(name, "push main")[0].labels == facts["labels"]


@pytest.mark.parametrize("name", sorted(n for n, facts in EXPECTED.items() if "refused" in facts))
def test_refused_with_one_sentence_saying_why(name: str) -> None:
    with pytest.raises(CompileError) as raised:
        compiled(name, "push main")
    first = raised.value.problems[0]
    assert EXPECTED[name]["refused"] in first.message
    assert "\n" not in first.message
    assert name.rsplit("/", 1)[-1] in DOCS.read_text() or name in UPSTREAM_REFUSES, \
        f"{name}: circle is stricter than upstream here, so docs/pipelines.md must say why"


def test_bench_marks_only_refused_files_as_refused_upstream() -> None:
    """bench/corpus.py's list of files upstream refuses names files circle refuses too; the rest compile or are
    documented refusals."""
    results = {r.name: r for r in measure()}
    assert set(UPSTREAM_REFUSES) <= {name for name, r in results.items() if r.problem}
    documented = DOCS.read_text()
    for name, result in results.items():
        if result.problem:
            assert name.rsplit("/", 1)[-1] in documented, name

"""The JSON Schema of pipeline files: valid per its metaschema, accepts every corpus file circle compiles,
and refuses wrong types and names as `circle lint` does."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bench.corpus import PIPELINES, corpus_files, metadata
from circle.compiler import lint, steps
from circle.compiler.schema import pipeline_schema
from circle.compiler.workflows import PipelineFile, compile_files, lint_files
from circle.compiler.yamlnodes import load
from circle.errors import CompileError

VALIDATOR = jsonschema.Draft202012Validator(pipeline_schema())
DRAFT7 = jsonschema.Draft7Validator(pipeline_schema())
STEP = "steps:\n  build:\n    image: alpine\n    commands: [make]\n"
DRONE_STEP = "pipeline:\n  build:\n    image: alpine\n"


def data_of(text: str) -> Any:
    """Return the data of a YAML file as an editor sees it (anchors and merge keys resolved)."""
    documents = load(text)
    return documents[0].plain() if documents else None


def errors(text: str) -> list[str]:
    """Return the schema's complaints about a pipeline file (the same by draft 7's rules: checked here)."""
    found = [error.message for error in VALIDATOR.iter_errors(data_of(text))]
    assert bool(found) != DRAFT7.is_valid(data_of(text))
    return found


def problems(text: str) -> list[str]:
    """Return what `circle lint` says of a file that is one workflow of a build beside `build.yml`."""
    files = [PipelineFile("f.yml", text), PipelineFile("build.yml", STEP)]
    return [str(problem) for problem in lint_files(files)]


def units() -> list[list[Path]]:
    """Return the corpus (shared and corpus_extra) as circle compiles it: a file, or a workflow directory's files."""
    paths = [path for _, path in corpus_files()]
    by_dir = itertools.groupby(paths, key=lambda p: p.parent if "__e2e" in p.parent.parent.name else p)
    return [list(files) for _, files in by_dir]


def test_schema_is_valid_per_the_2020_12_metaschema() -> None:
    schema = pipeline_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_ref_stands_alone_so_draft_07_editors_read_it_the_same() -> None:
    """Draft 7 (what VS Code's YAML extension validates with) ignores the keywords beside a `$ref`."""
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    assert all(set(node) == {"$ref"} for node in walk(pipeline_schema()) if "$ref" in node)
    jsonschema.Draft7Validator.check_schema({**pipeline_schema(), "$schema": "http://json-schema.org/draft-07/schema#"})


def test_every_corpus_file_circle_compiles_validates() -> None:
    checked = 0
    for files in units():
        try:
            compile_files([PipelineFile(str(p), p.read_text()) for p in files], metadata(), trusted=True)
        except CompileError:
            continue
        for path in files:
            assert errors(path.read_text()) == [], path
            checked += 1
    assert checked >= 0.9 * len(corpus_files())


# Woodpecker's own schema tests reject these files; so does circle's schema
SCHEMA_INVALID = [p for p in sorted(PIPELINES.glob("invalid/*.yml"))
                  if "__schema" in p.name or "settings" in p.name or "missing-steps" in p.name]


@pytest.mark.parametrize("path", SCHEMA_INVALID, ids=lambda p: p.name)
def test_files_woodpeckers_schema_rejects_are_refused(path: Path) -> None:
    assert errors(path.read_text())
    assert lint(path.read_text(), filename=path.name)


WRONG = {
    "commands as a mapping": "steps:\n  build:\n    image: alpine\n    commands: {make: all}\n",
    "a boolean that is none": STEP + "    privileged: maybe\n",
    "retry beyond the limit": STEP + f"    retry: {steps.MAX_RETRY + 1}\n",
    "an unknown key of retry": STEP + "    retry: {count: 2, pause: 3s}\n",
    "a timeout without a unit": STEP + "    timeout: 10 minutes\n",
    "an unknown event": STEP + "    when:\n      event: [push, merge]\n",
    "an unknown key in when": STEP + "    when:\n      evnt: push\n",
    "a failure mode": STEP + "    failure: sometimes\n",
    "a size that is none": STEP + "    mem_limit: lots\n",
    "an environment item without a name": STEP + "    environment: ['=x']\n",
    "a secret without source": STEP + "    secrets: [{target: token}]\n",
    "a dependency without name": STEP + "    depends_on: [{optional: true}]\n",
    "from_secret beside another key": STEP + "    environment:\n      TOKEN: {from_secret: t, x: 1}\n",
    "an unknown Woodpecker step key": STEP + "    colour: blue\n",
    "a plugin with commands": "steps:\n  push:\n    image: plugins/docker\n    settings: {repo: a}\n"
                              "    commands: [env]\n",
    "steps as a number": "steps: 3\n",
    "no steps": "steps: {}\n",
    "a step without image": "pipeline:\n  build:\n    commands: [make]\n",
    "a list step without name": "steps:\n  - image: alpine\n",
    "a relative workspace": STEP + "workspace:\n  base: build\n",
    "matrix include as a string": STEP + "matrix:\n  include: GO=1\n",
    "a list as a label": STEP + "labels:\n  arch: [amd64]\n",
    "an unknown runs_on": STEP + "runs_on: [always]\n",
    "concurrency without limit": STEP + "concurrency:\n  group: deploy\n",
    "an unknown top-level key": STEP + "matri:\n  GO: [1]\n",
    "a Drone 1.x file": "kind: pipeline\n" + STEP,
    "both dialects": STEP + DRONE_STEP,
}


@pytest.mark.parametrize("text", WRONG.values(), ids=WRONG.keys())
def test_wrong_types_and_names_are_refused_like_lint_does(text: str) -> None:
    assert problems(text), "the case itself must be a mistake"
    assert errors(text)


RIGHT = {
    "retry as a map": STEP + "    retry: {count: 2, delay: 30s}\n",
    "a compound timeout": STEP + "    timeout: 1h30m\n",
    "a variable where a boolean goes": STEP + "    privileged: ${PRIVILEGED}\n",
    "YAML 1.1 booleans as an editor reads them": STEP + "    pull: 'yes'\n    detach: off\n",
    "a size": STEP + "    shm_size: 64m\n",
    "a glob event": STEP + "    when:\n      - event: pull_*\n      - status: [success, failure]\n",
    "Drone plugin settings at the step": DRONE_STEP + "    repo: octo/hello\n    tags: [latest]\n",
    "a Drone plugin's bare-number timeout": DRONE_STEP + "    timeout: 30\n",
    "Woodpecker clone settings": STEP + "clone:\n  git:\n    image: woodpeckerci/plugin-git\n    depth: 1\n",
    "clone disabled": DRONE_STEP + "clone:\n  disable: true\n",
    "a workflow that depends on another": STEP + "depends_on: build\nruns_on: [success, failure]\n",
    "a matrix with include": STEP + "matrix:\n  include:\n    - GO: 1.10\n",
    "a legacy Woodpecker file": "pipeline:\n  build:\n    image: alpine\n    commands: [make]\nwhen:\n  event: push\n",
}


@pytest.mark.parametrize("text", RIGHT.values(), ids=RIGHT.keys())
def test_what_lint_accepts_the_schema_accepts(text: str) -> None:
    assert problems(text) == []
    assert errors(text) == []


def test_a_step_key_without_a_type_stops_the_schema_from_being_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "HANDLED", (*steps.HANDLED, "reports"))
    with pytest.raises(LookupError, match="no type for reports in a step"):
        pipeline_schema.__wrapped__()

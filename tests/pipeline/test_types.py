"""The IR's hand-written to_json gives exactly what dataclasses.asdict gave, and copies what it returns."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from circle.compiler import Metadata, compile_pipeline
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.pipeline.types import (
    Config,
    LogLine,
    Network,
    Registry,
    Secret,
    Stage,
    Step,
    StepState,
    Volume,
    Workflow,
    Workspace,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pipelines" / "drone08" / "owncloud__core.yml"


def every_field_set() -> Step:
    """Return a step whose every field differs from its default."""
    values = {"str": "x", "str | None": "img", "bool": True, "int": 7, "float": 1.5, "list[str]": ["a", "b"],
              "dict[str, str]": {"K": "V"}, "list[str] | None": ["sh", "-c"]}
    return Step(**{f.name: values[str(f.type)] for f in dataclasses.fields(Step)})


def test_every_type_gives_what_asdict_gives() -> None:
    step = every_field_set()
    config = Config(stages=[Stage("s", [step, Step("plain")])], volumes=[Volume("v")], networks=[Network("n")],
                    secrets=[Secret("s", "v", False)], registries=[Registry("r", "u", "p")],
                    workspace=Workspace("/w", "p"), trusted=True)
    assert config.to_json() == dataclasses.asdict(config)
    assert list(step.to_json()) == [f.name for f in dataclasses.fields(Step)]
    for value in (StepState("1", 2, 3, True, 4, "e", True, True, True, 2), LogLine("1", 2, 3, "out")):
        assert value.to_json() == dataclasses.asdict(value)


def test_the_returned_object_is_a_copy() -> None:
    step = every_field_set()
    data = step.to_json()
    data["commands"].append("more")
    data["environment"]["NEW"] = "1"
    assert step.commands == ["a", "b"] and step.environment == {"K": "V"}


def test_a_large_compiled_file_serialises_as_before() -> None:
    meta = Metadata(repo=RepoInfo(full_name="o/r", owner="o", name="r", clone_url="https://example.com/o/r.git"),
                    commit=CommitInfo(sha="a" * 40, ref="refs/heads/master", branch="master"),
                    build=BuildInfo(number=1, event="push"))
    workflows = compile_pipeline(CORPUS.read_text(), meta, trusted=True)
    assert sum(len(w.config.steps()) for w in workflows) > 1000
    for workflow in workflows:
        assert workflow.to_json()["config"] == dataclasses.asdict(workflow.config)
        assert Workflow.from_json(workflow.to_json()) == workflow

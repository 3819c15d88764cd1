"""Whatever YAML (or non-YAML) goes in, only workflows or a CompileError come out."""
from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from circle.compiler import Metadata, SecretSpec, compile_pipeline, lint
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.errors import CompileError, Problem
from circle.pipeline.types import Workflow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pipelines"
SAMPLE = (CORPUS / "drone08" / "cncd_samples" / "sample_5.yml").read_text()

KEYS = ["pipeline", "steps", "services", "clone", "workspace", "matrix", "branches", "labels", "platform", "when",
        "skip_clone", "include", "image", "commands", "environment", "secrets", "group", "depends_on", "detach",
        "privileged", "volumes", "pull", "entrypoint", "command", "failure", "settings", "from_secret", "name",
        "event", "branch", "status", "ref", "tag", "matrix", "evaluate", "path", "exclude", "source", "target",
        "base", "disable", "optional", "<<", "x"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True),
                    st.sampled_from(["alpine", "push", "main", "ignore", "${CI_COMMIT_SHA}", "${X=1}", "${",
                                     "$${Y}", "a: b", "build", "golang:1.21", "/host:/c", "", "*", "success",
                                     "failure", "TASK == \"x\"", "[", "${A##*/}"]),
                    st.text(max_size=12))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=40)

META = Metadata(repo=RepoInfo(full_name="o/r", owner="o", name="r", clone_url="https://example.com/o/r.git"),
                commit=CommitInfo(sha="b" * 40, ref="refs/heads/main", branch="main"), build=BuildInfo(number=1))
SECRETS = [SecretSpec("x", "secret-value")]


def dump(document: object) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(document, stream)
    return stream.getvalue()


def check(text: str) -> None:
    """Compile and lint `text`: workflows that survive JSON, or CompileError with positioned problems."""
    for trusted in (True, False):
        try:
            workflows = compile_pipeline(text, META, secrets=SECRETS, trusted=trusted)
        except CompileError as err:
            assert err.problems and all(isinstance(p, Problem) and p.line >= 1 and p.col >= 1 for p in err.problems)
        else:
            for workflow in workflows:
                data = json.loads(json.dumps(workflow.to_json()))
                assert Workflow.from_json(data).to_json() == data
    problems = lint(text, filename="f.yml")
    assert all(p.line >= 1 and p.col >= 1 for p in problems)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_arbitrary_documents(document: object) -> None:
    check(dump(document))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["pipeline", "steps"]),
                       st.dictionaries(st.text(min_size=1, max_size=5), DOCUMENTS, min_size=1, max_size=3),
                       min_size=1, max_size=2),
       DOCUMENTS)
def test_arbitrary_steps(document: dict[str, object], extra: object) -> None:
    document = {**document, "matrix": extra} if isinstance(extra, dict) else document
    check(dump(document))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SAMPLE) - 1), st.integers(1, 40), st.text(max_size=5))
def test_damaged_real_file(start: int, length: int, insert: str) -> None:
    check(SAMPLE[:start] + insert + SAMPLE[start + length:])

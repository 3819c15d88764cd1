"""The real-world corpus: Drone 0.8 and Woodpecker files compile (or are rejected for a documented reason),
and every file Woodpecker rejects is rejected here too, at the offending node."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from circle.compiler import Metadata, compile_pipeline, lint
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.errors import CompileError
from circle.pipeline.types import Workflow

PIPELINES = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pipelines"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pipelines.md"
CORPUS = sorted([*PIPELINES.glob("drone08/*.yml"), *PIPELINES.glob("drone08/cncd_samples/*.yml"),
                 *PIPELINES.glob("woodpecker/**/*.yml"), *PIPELINES.glob("woodpecker/**/*.yaml")])
INVALID = sorted(PIPELINES.glob("invalid/*.yml"))

# Corpus files circle rejects, with a fragment of the (first) problem. Each is listed in docs/pipelines.md.
KNOWN_REJECTS = {
    "drone08/KyleOndy__kyleondy.com.yml": "step `sftp_cache` has no `image`: Drone 0.8 needs one",
    "drone08/SierraSoftworks__chieftan-server.yml": "step `docker` has no `image`: Drone 0.8 needs one",
    "drone08/SAP-archive__marmolata-frp-dive.yml": "unknown key `change` in `when`",
    "drone08/drone__drone-kubernetes-secrets.yml": "a second YAML document",
    "woodpecker/Camilo716__sale_opportunity_management.yml": "unknown key `template`",
    "woodpecker/anbraten__wp-test__moin.yml": "step `hello` has no `image`",
    "woodpecker/woodpecker-ci__woodpecker__e2e/11_multi_workflow_failure_ignore/flaky.yaml":
        "unknown key `failure` in `when`",
}

# Files Woodpecker 3 rejects that circle reads, with why (pipelines/invalid/README.md allows these).
ACCEPTED_INVALID = {
    # `pipeline:` with a top-level `when:`: Woodpecker 1.x/2.x accepted it; circle reads it as their file
    "woodpecker-ci__woodpecker__linter_legacy-pipeline-key.yml",
}

# Where the first problem of each invalid file must point (line, column, message fragment).
INVALID_AT = {
    "woodpecker-ci__woodpecker__e2e_17_step_missing_required_depends_on.yml": (15, 9, "depends on `ghost-step`"),
    "woodpecker-ci__woodpecker__linter_commands-and-settings.yml": (1, 62, "cannot also set `commands`"),
    "woodpecker-ci__woodpecker__linter_duplicate-service-name.yml": (1, 93, "named `database`"),
    "woodpecker-ci__woodpecker__linter_empty-image.yml": (1, 19, "has no `image`"),
    "woodpecker-ci__woodpecker__linter_entrypoint-and-settings.yml": (1, 62, "cannot also set `entrypoint`"),
    "woodpecker-ci__woodpecker__linter_missing-steps.yml": (1, 1, "the file is empty"),
    "woodpecker-ci__woodpecker__linter_trust-devices.yml": (1, 34, "`devices`"),
    "woodpecker-ci__woodpecker__linter_trust-dns-search.yml": (1, 34, "`dns_search`"),
    "woodpecker-ci__woodpecker__linter_trust-dns.yml": (1, 34, "`dns`"),
    "woodpecker-ci__woodpecker__linter_trust-extra-hosts.yml": (1, 34, "`extra_hosts`"),
    "woodpecker-ci__woodpecker__linter_trust-network-mode-container.yml": (1, 34, "`network_mode`"),
    "woodpecker-ci__woodpecker__linter_trust-network-mode-host.yml": (1, 34, "`network_mode`"),
    "woodpecker-ci__woodpecker__linter_trust-privileged.yml": (1, 34, "`privileged`"),
    "woodpecker-ci__woodpecker__linter_trust-volumes.yml": (1, 34, "host path `/opt/data`"),
    "woodpecker-ci__woodpecker__linter_unknown-depends-on.yml": (1, 76, "depends on `binary`"),
    "woodpecker-ci__woodpecker__schema-v0.15_test-broken.yml": (3, 1, "unknown top-level key `matri`"),
    "woodpecker-ci__woodpecker__schema_test-broken-plugin.yml": (7, 5, "cannot also set `environment`"),
    "woodpecker-ci__woodpecker__schema_test-broken-plugin2.yml": (7, 5, "cannot also set `commands`"),
    "woodpecker-ci__woodpecker__schema_test-broken-service-without-name.yml": (8, 5, "needs a `name`"),
    "woodpecker-ci__woodpecker__schema_test-broken.yml": (3, 1, "unknown top-level key `matri`"),
    "woodpecker-ci__woodpecker__schema_test-concurrency-invalid.yml": (8, 3, "`concurrency` needs a `limit`"),
}


def metadata(event: str = "push", branch: str = "master") -> Metadata:
    """Return a build of a trusted repository."""
    tag = "v1.0.0" if event == "tag" else ""
    return Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                                  clone_url="https://git.example.com/octo/hello.git", trusted=True),
                    commit=CommitInfo(sha="a" * 40, ref=f"refs/tags/{tag}" if tag else f"refs/heads/{branch}",
                                      branch=branch),
                    build=BuildInfo(number=3, event=event, tag=tag, pull_request=5 if event == "pull_request" else 0,
                                    deploy_to="production" if event == "deployment" else ""))


def name_of(path: Path) -> str:
    return str(path.relative_to(PIPELINES))


def test_corpus_compiles(capsys: pytest.CaptureFixture[str]) -> None:
    compiled, rejected = [], {}
    for path in CORPUS:
        try:
            compile_pipeline(path.read_text(), metadata(), filename=name_of(path), trusted=True)
            compiled.append(name_of(path))
        except CompileError as err:
            rejected[name_of(path)] = err.problems
    with capsys.disabled():
        print(f"\ncorpus: {len(compiled)} of {len(CORPUS)} files compile "
              f"({100 * len(compiled) / len(CORPUS):.1f} %), {len(rejected)} rejected")
    assert len(CORPUS) >= 200
    assert len(compiled) / len(CORPUS) >= 0.95
    assert set(rejected) == set(KNOWN_REJECTS), {k: [str(p) for p in v] for k, v in rejected.items()}
    documented = DOCS.read_text()
    for name, problems in rejected.items():
        assert KNOWN_REJECTS[name] in problems[0].message
        assert name.rsplit("/", 1)[-1] in documented, f"{name} is not listed in docs/pipelines.md"


@pytest.mark.parametrize("event", ["push", "tag", "pull_request", "deployment", "manual"])
def test_every_event_gives_workflows_or_a_compile_error(event: str) -> None:
    for path in CORPUS:
        try:
            workflows = compile_pipeline(path.read_text(), metadata(event, branch="main"), filename=name_of(path))
        except CompileError as err:
            assert err.problems
            continue
        for workflow in workflows:
            data = json.loads(json.dumps(workflow.to_json()))
            assert Workflow.from_json(data).to_json() == data
            assert workflow.config.steps()


def test_lint_agrees_with_compile_on_the_corpus() -> None:
    for path in CORPUS:
        problems = lint(path.read_text(), filename=name_of(path))
        assert bool(problems) == (name_of(path) in KNOWN_REJECTS), (name_of(path), [str(p) for p in problems])


@pytest.mark.parametrize("path", [p for p in INVALID if p.name not in ACCEPTED_INVALID], ids=lambda p: p.name)
def test_invalid_files_are_rejected_at_the_offending_node(path: Path) -> None:
    text = path.read_text()
    problems = lint(text, filename=path.name, trusted=False)
    line, col, fragment = INVALID_AT[path.name]
    assert (problems[0].line, problems[0].col) == (line, col), [str(p) for p in problems]
    assert fragment in problems[0].message
    assert str(problems[0]).startswith(f"{path.name}:{line}:{col}: ")
    with pytest.raises(CompileError) as raised:
        compile_pipeline(text, metadata(), filename=path.name, trusted=False)
    assert raised.value.problems[0] == problems[0]


def test_every_invalid_file_is_covered() -> None:
    assert {p.name for p in INVALID} == set(INVALID_AT) | ACCEPTED_INVALID

"""Which steps see the SCM credentials (CI_NETRC_*): circle's own clone always; a file's own clone step only on a
trusted repo and never for a pull request; other steps never."""
from __future__ import annotations

import pytest

from circle.compiler.compile import compile_pipeline
from circle.compiler.metadata import BuildInfo, Metadata, Netrc
from circle.compiler.secrets import SecretSpec

NETRC = Netrc(machine="git.example.com", login="owner", password="owner-T0KEN")
DEFAULT = "pipeline:\n  b:\n    image: x\n    commands: [env]\n"
CUSTOM = "clone:\n  mine:\n    image: evil/cloner\n    commands: [cat $HOME/.netrc]\n" + DEFAULT


def _steps(text: str, event: str, trusted: bool) -> dict[str, dict[str, str]]:
    """Compile `text` for an `event` build and return each step's environment by name."""
    meta = Metadata(build=BuildInfo(number=1, event=event), netrc=NETRC)
    [workflow] = compile_pipeline(text, meta, trusted=trusted)
    return {step.name: step.environment for stage in workflow.config.stages for step in stage.steps}


def _has_netrc(environment: dict[str, str]) -> bool:
    """Tell whether a step's environment carries any of the credentials."""
    return any(key.startswith("CI_NETRC_") for key in environment) or "owner-T0KEN" in environment.values()


@pytest.mark.parametrize("event", ["push", "pull_request", "tag"])
@pytest.mark.parametrize("trusted", [True, False])
def test_circles_clone_gets_the_credentials_and_no_other_step(event, trusted):
    """The default clone runs circle's script: it gets them; the file's steps never do."""
    steps = _steps(DEFAULT, event, trusted)
    assert _has_netrc(steps["clone"]) and not _has_netrc(steps["b"])


@pytest.mark.parametrize("event, trusted, expected", [
    ("push", True, True), ("tag", True, True),
    ("pull_request", True, False), ("push", False, False), ("pull_request", False, False),
])
def test_a_files_own_clone_step_gets_them_only_when_trusted_and_not_a_pull_request(event, trusted, expected):
    """A pull request's author writes its clone step; an untrusted repo's pipeline is anyone's with push access."""
    steps = _steps(CUSTOM, event, trusted)
    assert _has_netrc(steps["mine"]) is expected and not _has_netrc(steps["b"])


SECRET_STEP = "pipeline:\n  b:\n    image: x\n    secrets: [token]\n    commands: [env]\n"


@pytest.mark.parametrize("events, event, seen", [
    ([], "push", True), ([], "manual", True), ([], "pull_request", False),
    (["push"], "pull_request", False), (["push", "pull_request"], "pull_request", True),
])
def test_a_secret_reaches_a_pull_request_only_when_its_events_name_it(events, event, seen):
    """A secret without events is for every event but pull_request; a pull request needs it named."""
    spec = SecretSpec(name="token", value="s3cr3t-V4LUE", events=events)
    meta = Metadata(build=BuildInfo(number=1, event=event))
    [workflow] = compile_pipeline(SECRET_STEP, meta, secrets=[spec], trusted=True)
    step = {s.name: s for stage in workflow.config.stages for s in stage.steps}["b"]
    assert ("s3cr3t-V4LUE" in step.environment.values()) is seen

"""Fixtures for the runtime and backend tests: backends by name, a recording tracer, IR builders."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from circle.pipeline.backends import docker_available, get_backend
from circle.pipeline.collect import Collected
from circle.pipeline.result import RunResult
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import Config, LogLine, Secret, Stage, Step, StepState, Workspace

BUSYBOX = "circle-test/busybox:latest"
GIT_IMAGE = "circle-test/git:latest"
BUILD_SH = Path(__file__).resolve().parents[1] / "images" / "build.sh"
WORKSPACE = Workspace(base="/circle", path="src")


class Recorder:
    """A tracer that keeps every state and line, and can wake a test when a line arrives."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []
        self.lines: dict[str, list[LogLine]] = {}
        self.states: dict[str, list[StepState]] = {}
        self._waiters: list[tuple[str, threading.Event]] = []

    def state(self, step: Step, state: StepState) -> None:
        """Record a state."""
        self.events.append(("state", step.name, state))
        self.states.setdefault(step.name, []).append(state)

    def line(self, step: Step, line: LogLine) -> None:
        """Record a line and wake whoever waits for its text."""
        self.events.append(("line", step.name, line))
        self.lines.setdefault(step.name, []).append(line)
        for text, event in self._waiters:
            if text in line.out:
                event.set()

    def file(self, step: Step, found: Collected) -> None:
        """Record a collected file."""
        self.events.append(("file", step.name, found))

    def waiter(self, text: str) -> threading.Event:
        """Return an event set when a line containing `text` arrives."""
        event = threading.Event()
        self._waiters.append((text, event))
        return event

    def out(self, name: str) -> list[str]:
        """Return the text of a step's lines."""
        return [line.out for line in self.lines.get(name, [])]

    def final(self, name: str) -> StepState:
        """Return a step's last reported state."""
        return self.states[name][-1]

    def all_text(self) -> str:
        """Return every line and every state error, joined."""
        texts = [line.out for lines in self.lines.values() for line in lines]
        texts += [state.error for states in self.states.values() for state in states]
        return "\n".join(texts)


def scripted(name: str, out: str = "", code: int = 0, sleep: float = 0, count: int = 0, **fields: Any) -> Step:
    """Return a step that prints `out` (or `count` numbered lines), sleeps, and exits `code` on any backend."""
    commands, env = [], {}
    if out:
        commands.append(f'echo "{out}"')
        env["DUMMY_OUTPUT"] = out
    if count:
        commands.append(f"seq 1 {count}")
        env["DUMMY_OUTPUT"] = "\n".join(str(i) for i in range(1, count + 1))
    if sleep:
        commands.append(f"sleep {sleep}")
        env["DUMMY_SLEEP"] = str(sleep)
    if code:
        commands.append(f"exit {code}")
        env["DUMMY_EXIT_CODE"] = str(code)
    env.update(fields.pop("environment", {}))
    fields.setdefault("commands", commands)
    fields.setdefault("image", BUSYBOX)
    return Step(name=name, environment=env, working_dir=WORKSPACE.full_path, **fields)


def pipeline(*stages: list[Step], secrets: list[Secret] | None = None) -> Config:
    """Return a config with one stage per list of steps."""
    return Config(stages=[Stage(name=f"stage-{i}", steps=list(steps)) for i, steps in enumerate(stages)],
                  secrets=secrets or [], workspace=Workspace(WORKSPACE.base, WORKSPACE.path))


@pytest.fixture
def ir() -> SimpleNamespace:
    """Return the IR builders and the recording tracer (test modules cannot import conftest)."""
    return SimpleNamespace(step=scripted, pipeline=pipeline, Recorder=Recorder, busybox=BUSYBOX, git=GIT_IMAGE,
                           workspace=WORKSPACE, assert_clean=assert_clean)


@pytest.fixture(scope="session")
def docker_images() -> None:
    """Make sure a docker engine answers and the test images exist (skip without an engine, unless CI)."""
    if not docker_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no docker engine answers")
        pytest.skip("no docker engine answers")
    subprocess.run(["bash", str(BUILD_SH)], check=True, capture_output=True, timeout=300)


@pytest.fixture(params=["dummy", "local", pytest.param("docker", marks=pytest.mark.docker)])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Return each backend's name in turn."""
    if request.param == "docker":
        request.getfixturevalue("docker_images")
    return request.param


@pytest.fixture
def workdir() -> Iterator[Path]:
    """Return a directory for local pipelines that the sandbox's uid can enter (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="circle-test-"))
    path.chmod(0o711)
    yield path / "pipelines"
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_backend(backend_name: str, workdir: Path) -> Callable[..., Any]:
    """Return a factory of fresh backends of the current kind (local ones under `workdir`)."""
    def make(**options: Any) -> Any:
        options.setdefault("root", str(workdir))
        return get_backend(backend_name, **options)
    return make


@pytest.fixture
def execute() -> Iterator[Callable[..., tuple[RunResult, Recorder, Any]]]:
    """Return a function that runs a config on a given backend: (result, recorder, backend); checks cleanup."""
    backends = []

    def do(config: Config, *, backend: Any, recorder: Recorder | None = None, **options: Any
           ) -> tuple[RunResult, Recorder, Any]:
        backends.append(backend)
        recorder = recorder or Recorder()
        result = Runtime(config, backend, recorder, **options).run()
        return result, recorder, backend

    yield do
    for backend in backends:
        assert_clean(backend)


@pytest.fixture
def run(execute: Callable[..., Any], make_backend: Callable[..., Any]) -> Callable[..., Any]:
    """Return `execute` on a fresh backend of the current kind unless one is given."""
    def do(config: Config, *, backend: Any = None, **options: Any) -> tuple[RunResult, Recorder, Any]:
        return execute(config, backend=backend or make_backend(), **options)
    return do


def assert_clean(backend: Any) -> None:
    """Assert that a backend left nothing behind after its pipeline."""
    if backend.name == "dummy":
        assert ("destroy", "") in backend.calls
    elif backend.name == "local":
        assert backend.dir == ""
        root = Path(backend.root)
        assert not root.exists() or list(root.iterdir()) == []
    elif backend.name == "docker":
        assert docker_leftovers(backend.id) == []


def docker_leftovers(pipeline_id: str) -> list[str]:
    """Return the containers, volumes and networks that still carry a pipeline's label."""
    import docker

    api = docker.APIClient()
    label = {"label": f"io.circle.pipeline={pipeline_id}"}
    try:
        found = [c["Names"][0] for c in api.containers(all=True, filters=label)]
        found += [v["Name"] for v in api.volumes(filters=label).get("Volumes") or []]
        found += [n["Name"] for n in api.networks(filters=label)]
        return found
    finally:
        api.close()

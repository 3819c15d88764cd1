"""A backend that runs nothing: each step follows DUMMY_* variables of its environment.

    DUMMY_OUTPUT        text the step prints (newlines separate lines; $VAR and ${VAR} expand
                        from the step's environment, as a shell's echo would)
    DUMMY_SLEEP         seconds the step runs after printing (ended early by destroy_step)
    DUMMY_EXIT_CODE     the exit code (default 0)
    DUMMY_START_ERROR   start_step fails with this sentence
    DUMMY_OOM           "true": the step reports an out-of-memory kill
    DUMMY_WORKSPACE     a host directory `collect` reads the step's reports and artifacts from

It records every call in `calls`, so tests can check that teardown ran.
"""
from __future__ import annotations

import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from circle.pipeline.collect import Collection, collect
from circle.pipeline.errors import EXIT_KILLED, BackendError
from circle.pipeline.types import Config, Step, StepState


@dataclass
class _Run:
    """One started step: it ends at `deadline` unless stopped before."""

    deadline: float
    stopped: threading.Event = field(default_factory=threading.Event)

    def sleep(self) -> None:
        """Block until the deadline or a stop."""
        self.stopped.wait(max(0.0, self.deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop the step when it has not ended yet."""
        if time.monotonic() < self.deadline:
            self.stopped.set()


class DummyBackend:
    """Scripted steps for fast runtime tests."""

    name = "dummy"

    def __init__(self, setup_error: str = "") -> None:
        self.setup_error = setup_error
        self.calls: list[tuple[str, str]] = []
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def _call(self, method: str, name: str) -> None:
        with self._lock:
            self.calls.append((method, name))

    def setup(self, config: Config) -> None:
        """Fail with `setup_error` when one was given."""
        self._call("setup", "")
        if self.setup_error:
            raise BackendError(self.setup_error)

    def start_step(self, step: Step) -> None:
        """Start the scripted step, or fail with DUMMY_START_ERROR."""
        self._call("start_step", step.name)
        error = step.environment.get("DUMMY_START_ERROR")
        if error:
            raise BackendError(error)
        sleep = float(step.environment.get("DUMMY_SLEEP", "0") or 0)
        self._runs[step.name] = _Run(deadline=time.monotonic() + sleep)

    def tail_step(self, step: Step) -> Iterator[str]:
        """Yield DUMMY_OUTPUT, then sleep DUMMY_SLEEP seconds unless destroyed."""
        run = self._runs.get(step.name)
        if run is None:
            return
        output = string.Template(step.environment.get("DUMMY_OUTPUT", "")).safe_substitute(step.environment)
        if output:
            yield output if output.endswith("\n") else output + "\n"
        run.sleep()

    def wait_step(self, step: Step) -> StepState:
        """Return the scripted exit state (137 when destroyed while running)."""
        self._call("wait_step", step.name)
        run = self._runs.get(step.name)
        if run is None:
            return StepState(proc=step.name, exited=True, exit_code=EXIT_KILLED, killed=True)
        run.sleep()
        if run.stopped.is_set():
            return StepState(proc=step.name, exited=True, exit_code=EXIT_KILLED, killed=True)
        return StepState(proc=step.name, exited=True,
                         exit_code=int(step.environment.get("DUMMY_EXIT_CODE", "0") or 0),
                         oom_killed=step.environment.get("DUMMY_OOM") == "true")

    def collect(self, step: Step, max_bytes: int) -> Collection:
        """Read the step's reports and artifacts from DUMMY_WORKSPACE (none without it)."""
        self._call("collect", step.name)
        return collect(step.environment.get("DUMMY_WORKSPACE", ""), step.reports, step.artifacts, max_bytes)

    def destroy_step(self, step: Step) -> None:
        """Stop the step if it still runs."""
        self._call("destroy_step", step.name)
        run = self._runs.get(step.name)
        if run is not None:
            run.stop()

    def destroy(self, config: Config) -> None:
        """Stop every step."""
        self._call("destroy", "")
        for run in self._runs.values():
            run.stop()

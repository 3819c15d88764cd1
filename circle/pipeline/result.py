"""What leaves a pipeline's run: the Tracer it reports to, one call at a time, and the RunResult it ends with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from circle.pipeline.collect import Collected
from circle.pipeline.errors import EXIT_KILLED
from circle.pipeline.types import LogLine, Step, StepState
from circle.states import ERROR, FAILURE, KILLED, SUCCESS


class Tracer(Protocol):
    """Receives everything that leaves the runtime; calls come one at a time, from any thread."""

    def state(self, step: Step, state: StepState) -> None:
        """Take a step's new state: started, finished, skipped or killed."""

    def line(self, step: Step, line: LogLine) -> None:
        """Take one masked output line of a step."""

    def file(self, step: Step, found: Collected) -> None:
        """Take one file a step's `reports` or `artifacts` named, after its last line and before its end."""


@dataclass
class RunResult:
    """How a pipeline ended: `state` is success, failure, killed or error."""

    state: str
    exit_code: int = 0
    error: str = ""
    steps: dict[str, StepState] = field(default_factory=dict)


def result_of(states: dict[str, StepState], stop_reason: str, failure: StepState | None, timeout: float | None,
              setup_error: str) -> RunResult:
    """Return how a run ended: its set-up error, else its stop ("timeout", "cancel"), else its first failure."""
    states = dict(states)
    if setup_error:
        return RunResult(ERROR, 1, setup_error, states)
    if stop_reason == "timeout":
        return RunResult(KILLED, EXIT_KILLED, f"the pipeline timed out after {duration(timeout or 0)}", states)
    if stop_reason == "cancel":
        return RunResult(KILLED, EXIT_KILLED, "", states)
    if failure is None:
        return RunResult(SUCCESS, 0, "", states)
    if failure.killed:  # a step past its own timeout: a failure, its reason on the step
        return RunResult(FAILURE, failure.exit_code, "", states)
    return RunResult(ERROR if failure.error else FAILURE, failure.exit_code or 1, failure.error, states)


def duration(seconds: float) -> str:
    """Return `seconds` as words: "90 minutes", "1.5 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"

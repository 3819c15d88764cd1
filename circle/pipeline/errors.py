"""Errors of the runtime and its backends.

The pipeline package imports nothing of circle outside itself (an agent installed without the
server must run), so it keeps its own small tree:

    PipelineError             base of every error the runtime or a backend raises on purpose
    ├── UnknownBackend        no backend has the requested name
    └── BackendError          a backend cannot do what a step or the pipeline needs
        └── BackendUnavailable    the backend's engine does not answer (docker daemon down)

A `BackendError` message is one sentence meant for the user: the runtime puts it in the step's
log and state. `exit_code` is the code the failed step reports.
"""
from __future__ import annotations

# Exit codes of steps that never ran, as a shell would report them.
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127
EXIT_KILLED = 137


class PipelineError(Exception):
    """Base of every deliberate runtime or backend error."""


class UnknownBackend(PipelineError):
    """No backend has the requested name."""


class BackendError(PipelineError):
    """A backend cannot start a step or prepare the pipeline; the message is one sentence."""

    def __init__(self, message: str, exit_code: int = EXIT_CANNOT_RUN) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BackendUnavailable(BackendError):
    """The backend's engine does not answer."""

"""The backend interface: what the runtime asks of an engine that runs steps.

One backend instance runs one pipeline: `setup` once, then for each step `start_step`,
`tail_step` (until the step's output ends), `wait_step`, `destroy_step`, then `collect` once when the
step names reports or artifacts; `destroy` once at the end, also after a cancel or a failure. Methods
may be called from several threads at once (one per running step); `destroy_step` may be called
from another thread while `tail_step` or `wait_step` blocks, and must make them return.
Expected failures raise `BackendError` with one sentence for the user.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from circle.pipeline.collect import Collection
from circle.pipeline.types import Config, Step, StepState


class Backend(Protocol):
    """An engine that runs the steps of one pipeline."""

    name: str

    def setup(self, config: Config) -> None:
        """Create what the whole pipeline shares (workspace, volume, network)."""

    def start_step(self, step: Step) -> None:
        """Start one step; raise BackendError when it cannot start."""

    def tail_step(self, step: Step) -> Iterator[bytes | str]:
        """Yield the step's raw output (stdout and stderr) until it ends."""

    def wait_step(self, step: Step) -> StepState:
        """Block until the step exits and return its exit state."""

    def collect(self, step: Step, max_bytes: int) -> Collection:
        """Read the workspace files the step's `reports` and `artifacts` globs match (after the step ended)."""

    def destroy_step(self, step: Step) -> None:
        """Stop and remove the step; safe twice and after a failed start."""

    def destroy(self, config: Config) -> None:
        """Remove everything the pipeline left: steps, workspace, volume, network."""

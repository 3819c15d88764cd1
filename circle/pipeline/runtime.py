"""Execute a compiled pipeline (the IR of SPEC §7) on a backend.

Stages run in order; the steps of one stage run in parallel, one thread each. A step runs when no
earlier step failed and it has `on_success`, or when one failed and it has `on_failure`; a failing
step with `failure: ignore` does not count as failed. Detached steps and services start, stream
their output in the background and are stopped when the pipeline ends. `cancel()` (or the timeout)
stops the running steps, reports them killed (exit code 137) and skips the rest.

A failed step with `retry: N` runs again, up to N more times (after `retry_delay` seconds), in the
same workspace; its log goes on across attempts, each new one opened by a "--- attempt 2 of 3 ---"
line, and its states carry the attempt number. A step running longer than its own `timeout` is
stopped, reported killed with the error "the step timed out after …", and fails the pipeline (unless
`failure: ignore`); a timed-out attempt is retried like a failed one. Detached steps are not retried.

After a step's last attempt (also a failed one, not after a cancel), the files its `reports:` and
`artifacts:` globs match in the workspace go to the tracer, with a warning line in the step's log for a
glob that matched nothing or a file over `max_file` bytes.

Concurrency uses the `threading` and `subprocess` modules: under gevent's monkey-patching (the
agent) they are greenlets and cooperative pipes, unpatched (`circle exec`, tests) real threads, so
blocking backend calls (the docker SDK) never stall the other steps in either mode.

Every state change and every output line leaves through the `Tracer`, one call at a time (the
runtime serialises them), lines already masked.

`run()` is `execute()` then `destroy()`: the agent reports the result between the two, so removing the
workspace (or the containers, volumes and network) is not part of a build's latency.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable

from circle.pipeline.backends.base import Backend
from circle.pipeline.collect import MAX_FILE
from circle.pipeline.errors import EXIT_KILLED, EXIT_NOT_FOUND, BackendError
from circle.pipeline.masking import Masker, secret_values
from circle.pipeline.output import OUTPUT_LIMIT, StepOutput
from circle.pipeline.result import RunResult, Tracer, duration, result_of
from circle.pipeline.types import KIND_SERVICE, Config, LogLine, Step, StepState
from circle.states import FAILURE, SUCCESS

log = logging.getLogger(__name__)

STATUS_VARIABLES = ("CI_BUILD_STATUS", "DRONE_BUILD_STATUS", "CI_PIPELINE_STATUS")


def is_detached(step: Step) -> bool:
    """Return whether the step runs in the background until the pipeline ends."""
    return step.detach or step.kind == KIND_SERVICE


class Runtime:
    """Run one pipeline on one backend, reporting to one tracer."""

    def __init__(self, config: Config, backend: Backend, tracer: Tracer, *, timeout: float | None = None,
                 max_output: int = OUTPUT_LIMIT, max_file: int = MAX_FILE) -> None:
        self.config = config
        self.backend = backend
        self.tracer = tracer
        self.timeout = timeout
        self.max_output = max_output
        self.max_file = max_file
        self.masker = Masker(secret_values(config))
        self._lock = threading.RLock()  # guards the fields below and serialises tracer calls
        self._stop_reason = ""  # "", "cancel" or "timeout"
        self._running: dict[str, Step] = {}
        self._killed: set[str] = set()
        self._detached: list[tuple[Step, threading.Thread]] = []
        self._tearing_down = False
        self._failure: StepState | None = None
        self._states: dict[str, StepState] = {}
        self._timed_out: set[str] = set()
        self._halt = threading.Event()  # set when stopped: ends a pause between attempts

    # -- control ----------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the running steps (reported killed) and skip the rest; returns at once."""
        self._stop("cancel")

    def _stop(self, reason: str) -> None:
        with self._lock:
            if self._stop_reason:
                return
            self._stop_reason = reason
            steps = list(self._running.values())
            self._killed.update(s.name for s in steps)
        self._halt.set()
        log.info("pipeline %s: stopping %d running steps", reason, len(steps))
        for step in steps:
            threading.Thread(target=self._destroy, args=(step,), name=f"circle-stop-{step.name}",
                             daemon=True).start()

    @property
    def stopped(self) -> bool:
        """Return whether the pipeline was cancelled or timed out."""
        return bool(self._stop_reason)

    # -- reporting --------------------------------------------------------------------------

    def _report(self, step: Step, state: StepState) -> None:
        state.error = self.masker.mask(state.error)
        with self._lock:
            self._states[step.name] = state
            self.tracer.state(step, state)

    def _emitter(self, step: Step) -> Callable[[LogLine], None]:
        tracer_line, lock = self.tracer.line, self._lock

        def emit(line: LogLine) -> None:
            with lock:
                tracer_line(step, line)
        return emit

    def _skip(self, step: Step) -> None:
        self._report(step, StepState(proc=step.name, skipped=True, exited=True))

    # -- running ----------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run every stage, tear down, and return how the pipeline ended."""
        try:
            return self.execute()
        finally:
            self.destroy()

    def execute(self) -> RunResult:
        """Run every stage and stop the detached steps; return how the pipeline ended, leaving `destroy()` to do."""
        deadline = time.monotonic() + self.timeout if self.timeout else None
        setup_error = ""
        try:
            try:
                self.backend.setup(self.config)
            except BackendError as err:
                setup_error = str(err)
                self._fail_setup(setup_error)
            else:
                for stage in self.config.stages:
                    self._run_stage(stage.steps, deadline)
        finally:
            self._stop_detached()
        return result_of(self._states, self._stop_reason, self._failure, self.timeout, self.masker.mask(setup_error))

    def destroy(self) -> None:
        """Remove what the pipeline left on the backend (workspace, containers, volumes); a failure is logged."""
        try:
            self.backend.destroy(self.config)
        except Exception:  # the pipeline's result stands; the leftover is logged
            log.exception("could not tear the pipeline down")

    def _fail_setup(self, error: str) -> None:
        steps = self.config.steps()
        log.warning("pipeline setup failed: %s", error)
        for index, step in enumerate(steps):
            if index:
                self._skip(step)
                continue
            now = int(time.time())
            StepOutput(step.name, self.masker, self._emitter(step)).notice(error)
            self._report(step, StepState(proc=step.name, started=now, finished=now, exited=True,
                                         exit_code=1, error=error))

    def _run_stage(self, steps: Iterable[Step], deadline: float | None) -> None:
        threads = []
        for step in steps:
            step = self._with_status(step)
            if self.stopped or not self._should_run(step):
                self._skip(step)
                continue
            thread = threading.Thread(target=self._guarded, args=(step, self._exec, step),
                                      name=f"circle-step-{step.name}", daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            self._join(thread, deadline)

    def _join(self, thread: threading.Thread, deadline: float | None) -> None:
        while thread.is_alive():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0 and not self.stopped:
                self._stop("timeout")
            thread.join(None if self.stopped or remaining is None else max(remaining, 0.01))

    def _should_run(self, step: Step) -> bool:
        return step.on_failure if self._failure else step.on_success

    def _with_status(self, step: Step) -> Step:
        status = FAILURE if self._failure else SUCCESS
        environment = {**step.environment, **dict.fromkeys(STATUS_VARIABLES, status)}
        return dataclasses.replace(step, environment=environment)

    def _guarded(self, step: Step, func: Callable[..., None], *args: object) -> None:
        """Call `func(*args)` for `step`; an unexpected error becomes the step's error, not a dead thread."""
        try:
            func(*args)
        except Exception as err:  # a thread boundary: report, clean up, never leave it running
            log.exception("step %s crashed", step.name)
            self._destroy(step)
            known = self._states.get(step.name)
            self._finish(step, StepState(proc=step.name, exited=True, exit_code=1, error=f"internal error: {err}"),
                         known.started if known and known.started else time.time())

    def _exec(self, step: Step) -> None:
        started = time.time()
        with self._lock:
            if self.stopped:
                self._skip(step)
                return
            self._running[step.name] = step
        attempts = 1 if is_detached(step) else 1 + max(step.retry, 0)
        self._report(step, StepState(proc=step.name, started=int(started), attempts=1))
        output = StepOutput(step.name, self.masker, self._emitter(step), max_output=self.max_output)
        state: StepState | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                output.notice(f"--- attempt {attempt} of {attempts} ---")
                self._report(step, StepState(proc=step.name, started=int(started), attempts=attempt))
            state = self._attempt(step, output, started)
            if state is None:  # a detached step, followed in the background
                return
            state.attempts = attempt
            if attempt == attempts or not self._retryable(step, state) or not self._pause(step.retry_delay):
                break
        assert state is not None  # the loop ran at least once
        if (step.reports or step.artifacts) and not self.stopped:
            self._collect(step, output)
        self._finish(step, state, started)

    def _collect(self, step: Step, output: StepOutput) -> None:
        """Hand the files the step's globs match to the tracer, with a warning line for each miss."""
        found = self.backend.collect(step, self.max_file)
        for warning in found.warnings:
            output.notice(warning)
        for item in found.files:
            with self._lock:
                self.tracer.file(step, item)

    def _attempt(self, step: Step, output: StepOutput, started: float) -> StepState | None:
        """Run the step once and return how it ended (None for a detached step, which goes on)."""
        try:
            self.backend.start_step(step)
        except BackendError as err:
            output.notice(str(err))
            self._destroy(step)
            return StepState(proc=step.name, exited=True, exit_code=err.exit_code, error=str(err))
        if self.stopped:  # a cancel that came while the step was starting
            self._destroy(step)
        if is_detached(step):
            thread = threading.Thread(target=self._guarded, args=(step, self._watch, step, output, started),
                                      name=f"circle-detached-{step.name}", daemon=True)
            with self._lock:
                self._detached.append((step, thread))
            thread.start()
            return None
        timer = self._arm(step)
        try:
            state = self._follow(step, output)
        finally:
            if timer is not None:
                timer.cancel()
        self._destroy(step)
        with self._lock:
            timed_out = step.name in self._timed_out
            self._timed_out.discard(step.name)
        if timed_out and step.name not in self._killed:
            error = f"the step timed out after {duration(step.timeout)}"
            output.notice(f"{error} and was killed")
            state = StepState(proc=step.name, exited=True, exit_code=EXIT_KILLED, killed=True, error=error)
        return state

    def _arm(self, step: Step) -> threading.Timer | None:
        """Start the timer that stops the step after its `timeout`, when it has one."""
        if step.timeout <= 0:
            return None
        timer = threading.Timer(step.timeout, self._time_out, (step,))
        timer.daemon = True
        timer.start()
        return timer

    def _time_out(self, step: Step) -> None:
        """Stop a step that ran past its timeout (unless the whole pipeline is stopping anyway)."""
        with self._lock:
            if step.name not in self._running or self.stopped:
                return
            self._timed_out.add(step.name)
        log.info("step %s timed out after %s", step.name, duration(step.timeout))
        self._destroy(step)

    def _retryable(self, step: Step, state: StepState) -> bool:
        """Tell whether an attempt that ended in `state` is worth another one."""
        if self.stopped or step.name in self._killed:
            return False
        return state.exit_code != 0 or bool(state.error)

    def _pause(self, seconds: float) -> bool:
        """Wait `seconds` before the next attempt; False when the pipeline was stopped meanwhile."""
        return not (self._halt.wait(seconds) if seconds > 0 else self.stopped)

    def _watch(self, step: Step, output: StepOutput, started: float) -> None:
        """Follow a detached step to its end and report its final state."""
        self._finish(step, self._follow(step, output), started)

    def _follow(self, step: Step, output: StepOutput) -> StepState:
        """Stream the step's output, wait for it and return its state."""
        try:
            for chunk in self.backend.tail_step(step):
                output.feed(chunk)
            output.close()
            state = self.backend.wait_step(step)
        except BackendError as err:
            output.notice(str(err))
            state = StepState(proc=step.name, exited=True, exit_code=err.exit_code, error=str(err))
        if state.exit_code == EXIT_NOT_FOUND and not state.error:
            last = output.last_line
            state.error = last if "not found" in last else "a command was not found (exit code 127)"
        return state

    def _finish(self, step: Step, state: StepState, started: float) -> None:
        state = dataclasses.replace(state, proc=step.name, started=int(started), finished=int(time.time()),
                                    exited=True)
        with self._lock:
            self._running.pop(step.name, None)
            if step.name in self._killed:
                state.killed, state.exit_code = True, EXIT_KILLED
            elif self._tearing_down and is_detached(step):
                state.killed, state.exit_code = False, 0  # a service stopped because the pipeline ended
            if state.oom_killed and not state.error:
                state.error = "the step ran out of memory and was killed"
            timed_out = state.killed and bool(state.error)  # killed by its own timeout, not by a cancel
            failed = (state.exit_code != 0 or bool(state.error)) and (timed_out or not state.killed)
            if failed and step.failure != "ignore" and not is_detached(step) and self._failure is None:
                self._failure = state
            self._report(step, state)

    def _destroy(self, step: Step) -> None:
        try:
            self.backend.destroy_step(step)
        except Exception:  # teardown must go on whatever one step's removal does
            log.exception("could not remove step %s", step.name)

    def _stop_detached(self) -> None:
        """Stop the detached steps and services, and wait until their final states are reported."""
        with self._lock:
            self._tearing_down = True
            detached = list(self._detached)
        stoppers = [threading.Thread(target=self._destroy, args=(step,), daemon=True) for step, _ in detached]
        for thread in stoppers:
            thread.start()
        for thread in stoppers + [thread for _, thread in detached]:
            thread.join()

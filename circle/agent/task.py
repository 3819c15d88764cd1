"""One leased workflow: init, run with the runtime, keep the lease, watch for cancel, report done, tear down.

`done` goes in one batch with the workflow's last lines and states (see circle.agent.reporter); only then is the
workspace removed (the backend's `destroy`), so the teardown adds nothing to the build's latency. A teardown that
fails is logged, and the result already reported stands; an agent that dies before the teardown leaves the
workspace behind, as one dying during a step does.

The cancel watch (the `wait` long poll) starts CANCEL_WATCH_DELAY seconds into the workflow: most workflows of
short steps end before, and save the request; a cancel that comes earlier is seen as soon as the watch starts
(`wait` answers at once for a task already canceled).

Only NOT_LEASED means the task is no longer ours: the steps are stopped and nothing more is sent.
A server that is unreachable hands the call to the next server (the lease holds on every server of the
database); no server answering, or one answering INTERNAL_ERROR, is retried with backoff while the steps
keep running; a report the server refuses for itself (e.g. an unknown step) is logged and dropped.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

from circle.agent.options import AgentOptions
from circle.agent.reporter import Call, Reporter
from circle.pipeline.backends import get_backend
from circle.pipeline.result import RunResult
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import Config
from circle.rpc.client import MAX_BACKOFF, RpcClient, ServerUnavailable, done_params
from circle.rpc.protocol import NOT_LEASED, Assignment, DoneState, InitState, RpcError
from circle.states import ERROR

log = logging.getLogger(__name__)

T = TypeVar("T")

CANCEL_WATCH_DELAY = 1.0


def lease_lost(err: Exception) -> bool:
    """Tell whether a failed call means the server took the task back."""
    return isinstance(err, RpcError) and err.code == NOT_LEASED


class TaskRun:
    """Run one task from `next` to `done`."""

    def __init__(self, client: RpcClient, task: Assignment, options: AgentOptions) -> None:
        self.client = client
        self.task_id = task.id
        self.config = Config.from_json(task.config)
        self.timeout = float(task.timeout or 60) * 60
        self.lease = float(task.lease or 30)
        self.options = options
        self.runtime: Runtime | None = None
        self._finished = threading.Event()
        self._lost = threading.Event()

    def run(self) -> None:
        """Run the workflow and report it; never raises."""
        log.info("task %s: starting (%d stages)", self.task_id, len(self.config.stages))
        try:
            self._retrying("init", lambda: self.client.init(self.task_id, InitState(started=int(time.time()))))
        except (RpcError, ServerUnavailable) as err:
            log.warning("task %s: init refused (%s); dropping it", self.task_id, err)
            return
        threads = [threading.Thread(target=self._keep_lease, daemon=True, name=f"circle-lease-{self.task_id}"),
                   threading.Thread(target=self._watch_cancel, daemon=True, name=f"circle-wait-{self.task_id}")]
        for thread in threads:
            thread.start()
        reporter = Reporter(self.client, self.task_id, [step.name for step in self.config.steps()],
                            on_rejected=self._rejected)
        try:
            result = self._execute(reporter)
            reporter.close(self._done(result), drained=self._finished.set)  # the lease is kept until then
        finally:
            self._finished.set()
            if self.runtime is not None:
                self.runtime.destroy()

    def _done(self, result: RunResult) -> Call | None:
        """Return the call that reports the workflow's end (None once the lease is lost), and log the end."""
        if self._lost.is_set():
            log.warning("task %s: lease lost; the server took it back", self.task_id)
            return None
        log.info("task %s: %s (exit code %d)", self.task_id, result.state, result.exit_code)
        state = DoneState(finished=int(time.time()), exit_code=result.exit_code, error=result.error)
        return "done", done_params(self.task_id, state)

    def _retrying(self, what: str, call: Callable[[], T], *, while_running: bool = False) -> T:
        """Make one call of this task, retrying while the server is unwell (only while it runs, if asked)."""
        return self.client.retrying(call, what=f"task {self.task_id} {what}",
                                    stop=self._finished if while_running else None)

    def _execute(self, reporter: Reporter) -> RunResult:
        """Run the pipeline on the configured backend, reporting through `reporter`; leave its teardown to run()."""
        try:
            backend = get_backend(self.options.backend, root=self.options.workdir, **self.options.local)
            self.runtime = Runtime(self.config, backend, reporter, timeout=self.timeout)
            if self._lost.is_set():
                self.runtime.cancel()
            return self.runtime.execute()
        except Exception as err:  # process boundary: a backend that cannot start ends the workflow in error
            log.exception("task %s: the workflow could not run", self.task_id)
            return RunResult(state=ERROR, exit_code=1, error=f"the agent could not run the workflow: {err}")

    def _rejected(self, err: Exception) -> None:
        """Stop the workflow when a report is refused because the task is no longer ours; drop it otherwise."""
        if lease_lost(err):
            self._lose()

    def _lose(self) -> None:
        """Mark the task lost and stop its steps."""
        self._lost.set()
        if self.runtime is not None:
            self.runtime.cancel()

    def _keep_lease(self) -> None:
        """Extend the lease every third of its length until the workflow ends (or the lease is lost)."""
        while not self._finished.wait(max(self.lease / 3, 0.2)):
            try:
                self._retrying("extend", lambda: self.client.extend(self.task_id), while_running=True)
            except (RpcError, ServerUnavailable) as err:
                log.warning("task %s: extend failed: %s", self.task_id, err)
                if lease_lost(err):
                    self._lose()
                    return

    def _watch_cancel(self) -> None:
        """Long-poll `wait` (once the workflow ran CANCEL_WATCH_DELAY s); cancel the runtime when the server says so."""
        self._finished.wait(CANCEL_WATCH_DELAY)
        while not self._finished.is_set():
            try:
                answer = self._retrying("wait", lambda: self.client.wait(self.task_id), while_running=True)
            except (RpcError, ServerUnavailable) as err:
                if lease_lost(err):
                    self._lose()
                    return
                log.warning("task %s: wait failed: %s", self.task_id, err)
                self._finished.wait(MAX_BACKOFF)
                continue
            if answer.canceled:
                log.info("task %s: canceled by the server", self.task_id)
                if self.runtime is not None:
                    self.runtime.cancel()
                return
            if answer.done:
                return

"""One leased workflow: init, run with the runtime, keep the lease, watch for cancel, report done."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from circle.agent.options import AgentOptions
from circle.agent.reporter import Reporter
from circle.pipeline.backends import get_backend
from circle.pipeline.runtime import Runtime, RunResult
from circle.pipeline.types import Config
from circle.rpc.client import RpcCallError, RpcClient, ServerUnavailable
from circle.states import ERROR

log = logging.getLogger(__name__)


class TaskRun:
    """Run one task from `next` to `done`."""

    def __init__(self, client: RpcClient, task: dict[str, Any], options: AgentOptions) -> None:
        self.client = client
        self.task_id = str(task["id"])
        self.config = Config.from_json(task["config"])
        self.timeout = float(task.get("timeout") or 60) * 60
        self.lease = float(task.get("lease") or 30)
        self.options = options
        self.runtime: Runtime | None = None
        self._finished = threading.Event()
        self._lost = threading.Event()

    def run(self) -> None:
        """Run the workflow and report it; never raises."""
        log.info("task %s: starting (%d stages)", self.task_id, len(self.config.stages))
        try:
            self.client.retrying(lambda: self.client.init(self.task_id, {"started": int(time.time())}),
                                 what=f"task {self.task_id} init")
        except (RpcCallError, ServerUnavailable) as err:
            log.warning("task %s: init refused (%s); dropping it", self.task_id, err)
            return
        threads = [threading.Thread(target=self._keep_lease, daemon=True, name=f"circle-lease-{self.task_id}"),
                   threading.Thread(target=self._watch_cancel, daemon=True, name=f"circle-wait-{self.task_id}")]
        for thread in threads:
            thread.start()
        result = self._execute()
        self._finished.set()
        if self._lost.is_set():
            log.warning("task %s: lease lost; the server took it back", self.task_id)
            return
        state = {"finished": int(time.time()), "exit_code": result.exit_code, "error": result.error}
        try:
            self.client.retrying(lambda: self.client.done(self.task_id, state), what=f"task {self.task_id} done")
        except (RpcCallError, ServerUnavailable) as err:
            log.warning("task %s: done refused: %s", self.task_id, err)
        log.info("task %s: %s (exit code %d)", self.task_id, result.state, result.exit_code)

    def _execute(self) -> RunResult:
        """Run the pipeline on the configured backend, reporting through a Reporter."""
        reporter = Reporter(self.client, self.task_id, on_rejected=self._rejected)
        try:
            backend = get_backend(self.options.backend, root=self.options.workdir)
            self.runtime = Runtime(self.config, backend, reporter, timeout=self.timeout)
            if self._lost.is_set():
                self.runtime.cancel()
            return self.runtime.run()
        except Exception as err:  # process boundary: a backend that cannot start ends the workflow in error
            log.exception("task %s: the workflow could not run", self.task_id)
            return RunResult(state=ERROR, exit_code=1, error=f"the agent could not run the workflow: {err}")
        finally:
            reporter.close()

    def _rejected(self, err: Exception) -> None:
        """Stop the workflow when the server refuses its reports (the task is no longer ours)."""
        if isinstance(err, RpcCallError):
            self._lose()

    def _lose(self) -> None:
        """Mark the task lost and stop its steps."""
        self._lost.set()
        if self.runtime is not None:
            self.runtime.cancel()

    def _keep_lease(self) -> None:
        """Extend the lease every third of its length until the workflow ends."""
        while not self._finished.wait(max(self.lease / 3, 0.2)):
            try:
                self.client.extend(self.task_id)
            except RpcCallError as err:
                log.warning("task %s: extend refused: %s", self.task_id, err)
                self._lose()
                return
            except ServerUnavailable as err:
                log.warning("task %s: extend failed, will retry: %s", self.task_id, err)

    def _watch_cancel(self) -> None:
        """Long-poll `wait`; cancel the runtime when the server says the task was canceled."""
        delay = 0.25
        while not self._finished.is_set():
            try:
                answer = self.client.wait(self.task_id)
                delay = 0.25
            except RpcCallError:
                self._lose()
                return
            except ServerUnavailable:
                self._finished.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            if answer.get("canceled"):
                log.info("task %s: canceled by the server", self.task_id)
                if self.runtime is not None:
                    self.runtime.cancel()
                return
            if answer.get("done"):
                return

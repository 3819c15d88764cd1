"""Everything a running workflow says to the server, in order: lines in batches, step states at once.

The runtime calls `state()` and `line()` (the Tracer protocol); they only enqueue, so a slow server
never stalls a step. One sender thread drains the queue: consecutive lines become one `log` call
(flushed every ≤ 200 ms or 256 KiB), and a state is sent after every line queued before it, so a
step's lines are stored before it is reported finished. A step's files (`reports:`, `artifacts:`) are
uploaded in the same order: after its lines, before its final state. Calls are retried while the server is unwell;
a call the server refuses is logged and dropped, and the workflow is told (it stops only for a lost lease).
"""
from __future__ import annotations

import functools
import logging
import mimetypes
import queue
import threading
import time
from typing import Any, Callable

from circle.pipeline.collect import Collected
from circle.pipeline.types import LogLine, Step, StepState
from circle.rpc import protocol
from circle.rpc.client import RpcClient

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
FLUSH_BYTES = 256 * 1024
_CLOSE = object()


class Reporter:
    """The tracer of one workflow, sending to the server through `client`."""

    def __init__(self, client: RpcClient, task_id: str, *, on_rejected: Callable[[Exception], None]) -> None:
        self.client = client
        self.task_id = task_id
        self.on_rejected = on_rejected
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"circle-report-{task_id}", daemon=True)
        self._thread.start()

    def state(self, step: Step, state: StepState) -> None:
        """Queue a step's state."""
        self._queue.put(state)

    def line(self, step: Step, line: LogLine) -> None:
        """Queue one output line."""
        self._queue.put(line)

    def file(self, step: Step, found: Collected) -> None:
        """Queue a file to upload (as a test report when the step's `reports` named it)."""
        self._queue.put(protocol.UploadFile(name=found.name, data=found.data, proc=step.name, mime=_mime(found.name),
                                            meta={"report": True} if found.report else {}))

    def close(self) -> None:
        """Send everything still queued, then stop the sender."""
        self._queue.put(_CLOSE)
        self._thread.join()

    def _run(self) -> None:
        """Drain the queue until closed."""
        batch: list[protocol.LogLine] = []
        size, started = 0, 0.0
        while True:
            timeout = None if not batch else max(0.0, started + FLUSH_SECONDS - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if isinstance(item, LogLine):
                if not batch:
                    started = time.monotonic()
                batch.append(protocol.LogLine(proc=item.proc, pos=item.pos, time=item.time, out=item.out))
                size += len(item.out)
                if size < FLUSH_BYTES:
                    continue
            if batch:
                self._send("log", functools.partial(self.client.log, self.task_id, batch))
                batch, size = [], 0
            if item is _CLOSE:
                return
            if isinstance(item, StepState):
                self._send("update", functools.partial(self._update, item))
            elif isinstance(item, protocol.UploadFile):
                self._send(f"upload of {item.name}", functools.partial(self.client.upload, self.task_id, item))

    def _update(self, state: StepState) -> None:
        """Report one step's state."""
        self.client.update(self.task_id, protocol.StepReport.of(state))

    def _send(self, what: str, call: Callable[[], object]) -> None:
        """Make one call, retrying while the server is unwell; tell the workflow when it was refused."""
        try:
            self.client.retrying(call, what=f"task {self.task_id} {what}")
        except Exception as err:  # thread boundary: the workflow must learn its reports are refused
            log.warning("task %s: %s failed: %s", self.task_id, what, err)
            self.on_rejected(err)


def _mime(name: str) -> str:
    """Return the MIME type a file name suggests."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"

"""Everything a running workflow says to the server, in order, in as few round trips as the order allows.

The runtime calls `state()` and `line()` (the Tracer protocol); they only enqueue, so a slow server
never stalls a step. One sender thread drains the queue into one JSON-RPC batch per flush: consecutive
lines become one `log` call, each state an `update` call, in the order they came. A batch is flushed
when a step that ran ends (its lines and its end leave together, the lines first, so a step's lines are
stored before it is reported finished), when it reaches 256 KiB of text or MAX_BATCH calls, and at the
latest 200 ms after its first item: so a step's start rides with its output and its end when it is short.
The end of the workflow's last step (once every step has a final state, nothing but `done` follows) is held
for `close(last)`, which sends what is pending and `last` (the workflow's `done`) in one batch, `done` last:
the server stores every line before the workflow ends, in one round trip. The sender may still have a backlog
when the workflow ends (a wide stage's many batches): `close` says when only the final batch is left, so the
agent keeps the task's lease until then.
A step's files (`reports:`, `artifacts:`) are uploaded in the same order, each on its own call: after its
lines, before its final state. Calls are retried while the server is unwell (from the first call it could
not take); a call the server refuses is logged and dropped, and the workflow is told (it stops only for a
lost lease).
"""
from __future__ import annotations

import itertools
import logging
import mimetypes
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable, Union

from circle.pipeline.collect import Collected
from circle.pipeline.types import LogLine, Step, StepState
from circle.rpc import protocol
from circle.rpc.client import RpcClient, is_retryable, log_params, update_params
from circle.rpc.jsonrpc import MAX_BATCH

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
FLUSH_BYTES = 256 * 1024
Item = Union[LogLine, StepState]
Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class _Close:
    """The sender's last item: tell `drained`, then send what is pending with `call` after it in one batch."""

    call: Call | None
    drained: Callable[[], None]


def ends_a_step(item: Item) -> bool:
    """Tell whether an item is the final state of a step that ran (not a start, not a skip)."""
    return isinstance(item, StepState) and item.exited and not item.skipped


class Reporter:
    """The tracer of one workflow, sending to the server through `client`."""

    def __init__(self, client: RpcClient, task_id: str, steps: Iterable[str], *,
                 on_rejected: Callable[[Exception], None]) -> None:
        self.client = client
        self.task_id = task_id
        self.on_rejected = on_rejected
        self._open = set(steps)  # the steps without a final state yet
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"circle-report-{task_id}", daemon=True)
        self._thread.start()

    def state(self, step: Step, state: StepState) -> None:
        """Queue a copy of a step's state (the runtime may go on changing its own)."""
        self._queue.put(protocol.StepReport.of(state))

    def line(self, step: Step, line: LogLine) -> None:
        """Queue one output line."""
        self._queue.put(protocol.LogLine(proc=line.proc, pos=line.pos, time=line.time, out=line.out))

    def file(self, step: Step, found: Collected) -> None:
        """Queue a file to upload (as a test report when the step's `reports` named it)."""
        self._queue.put(protocol.UploadFile(name=found.name, data=found.data, proc=step.name, mime=_mime(found.name),
                                            meta={"report": True} if found.report else {}))

    def close(self, last: Call | None = None, *, drained: Callable[[], None] = lambda: None) -> None:
        """Send everything still queued (and the call `last` in the same batch, after it), then stop the sender.

        `drained` is called once only that final batch is left to send (a backlog of batches may come first).
        """
        self._queue.put(_Close(last, drained))
        self._thread.join()

    def _run(self) -> None:
        """Drain the queue into batches until closed."""
        pending: list[Item] = []
        size, calls, started = 0, 0, 0.0
        while True:
            timeout = None if not pending else max(0.0, started + FLUSH_SECONDS - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if isinstance(item, (LogLine, StepState)):
                if not pending:
                    started = time.monotonic()
                calls += not (isinstance(item, LogLine) and pending and isinstance(pending[-1], LogLine))
                pending.append(item)
                size += len(item.out) if isinstance(item, LogLine) else 0
                if not self._flushes(item) and size < FLUSH_BYTES and calls < MAX_BATCH:
                    continue
            if isinstance(item, _Close):
                item.drained()
            last = [item.call] if isinstance(item, _Close) and item.call else []
            if pending or last:
                self._send(self._calls(pending) + last)
                pending, size, calls = [], 0, 0
            if isinstance(item, protocol.UploadFile):
                self._upload(item)
            if isinstance(item, _Close):
                return

    def _flushes(self, item: Item) -> bool:
        """Tell whether `item` is sent at once: the end of a step that ran, unless it is the workflow's last."""
        if isinstance(item, StepState) and item.exited:
            self._open.discard(item.proc)
            return ends_a_step(item) and bool(self._open)
        return False

    def _calls(self, items: list[Item]) -> list[Call]:
        """Return the calls that report `items` in order: a `log` per run of lines, an `update` per state."""
        calls: list[Call] = []
        for is_line, group in itertools.groupby(items, key=lambda item: isinstance(item, LogLine)):
            if is_line:
                calls.append(("log", log_params(self.task_id, [line for line in group
                                                               if isinstance(line, protocol.LogLine)])))
            else:
                calls += [("update", update_params(self.task_id, state))
                          for state in group if isinstance(state, protocol.StepReport)]
        return calls

    def _send(self, calls: list[Call]) -> None:
        """Send the calls as one batch, retrying from the first one an unwell server could not take."""
        remaining = list(calls)

        def attempt() -> None:
            for index, answer in enumerate(self.client.batch(remaining)):
                if isinstance(answer, Exception) and is_retryable(answer):
                    del remaining[:index]
                    raise answer
                if isinstance(answer, Exception):
                    self._refused(remaining[index][0], answer)

        try:
            self.client.retrying(attempt, what=f"task {self.task_id} {'+'.join(m for m, _ in calls)}")
        except Exception as err:  # thread boundary: the workflow must learn its reports are refused
            self._refused("+".join(m for m, _ in remaining), err)

    def _upload(self, item: protocol.UploadFile) -> None:
        """Upload one file, retrying while the server is unwell."""
        what = f"upload of {item.name}"
        try:
            self.client.retrying(lambda: self.client.upload(self.task_id, item), what=f"task {self.task_id} {what}")
        except Exception as err:  # thread boundary: the workflow must learn its reports are refused
            self._refused(what, err)

    def _refused(self, what: str, err: Exception) -> None:
        """Log a call the server refused and tell the workflow."""
        log.warning("task %s: %s failed: %s", self.task_id, what, err)
        self.on_rejected(err)


def _mime(name: str) -> str:
    """Return the MIME type a file name suggests."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"

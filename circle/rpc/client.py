"""The agent side of the protocol: the Peer methods of SPEC §6 as calls over HTTP.

Uses requests (cooperative under gevent's monkey patching). Transport failures raise ServerUnavailable,
credentials refused raise AgentRejected, and JSON-RPC errors raise jsonrpc.RpcError. `retrying` repeats a
call while the server is unwell (unreachable, or answering INTERNAL_ERROR); any other RpcError is final.
"""
from __future__ import annotations

import itertools
import logging
import time
from typing import Any, Callable, TypeVar

import requests

from circle.rpc import jsonrpc, protocol
from circle.rpc.protocol import (
    Assignment,
    DoneState,
    InitState,
    LogLine,
    NextParams,
    RegisterParams,
    Registration,
    RpcError,
    StepReport,
    UploadFile,
    WaitResult,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# Blocking calls wait this much longer than the server's long poll before giving up on the socket.
POLL_SLACK = 15.0
CALL_TIMEOUT = 60.0
MAX_BACKOFF = 10.0


class ServerUnavailable(Exception):
    """The server did not answer, or answered with a server-side HTTP error."""


class AgentRejected(Exception):
    """The server refused the agent's credentials (HTTP 401/403)."""


def is_retryable(err: Exception) -> bool:
    """Tell whether a failed call may succeed later: the server is unwell, not refusing this call."""
    return isinstance(err, ServerUnavailable) or isinstance(err, RpcError) and err.code == jsonrpc.INTERNAL_ERROR


class RpcClient:
    """JSON-RPC 2.0 client of one agent: the shared secret registers, the token it answers is used afterwards."""

    def __init__(self, server: str, secret: str, *, session: requests.Session | None = None) -> None:
        self.url = server.rstrip("/") + "/rpc"
        self.token = secret
        self.agent_id: int | None = None
        self.session = session or requests.Session()
        self._ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any], *, timeout: float = CALL_TIMEOUT) -> Any:
        """Make one call and return its result."""
        body = jsonrpc.request(method, params, next(self._ids))
        try:
            response = self.session.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"},
                                         timeout=timeout)
        except requests.RequestException as err:
            raise ServerUnavailable(f"{self.url}: {err.__class__.__name__}: {err}") from None
        if response.status_code in (401, 403):
            raise AgentRejected(f"the server refused the agent's credentials ({response.status_code})")
        if response.status_code != 200:
            raise ServerUnavailable(f"{self.url} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ServerUnavailable(f"{self.url} answered something that is not JSON") from None
        if "error" in answer:
            raise RpcError(int(answer["error"].get("code", 0)), str(answer["error"].get("message", "")))
        return answer.get("result")

    def retrying(self, call: Callable[[], T], *, what: str, give_up_after: float = 3600.0,
                 should_stop: Callable[[], bool] = lambda: False) -> T:
        """Repeat `call` with exponential backoff while the server is unwell (see is_retryable)."""
        delay, deadline = 0.25, time.monotonic() + give_up_after
        while True:
            try:
                return call()
            except (ServerUnavailable, RpcError) as err:
                if not is_retryable(err) or time.monotonic() + delay > deadline or should_stop():
                    raise
                log.warning("%s: the server is unwell (%s); retrying in %.1fs", what, err, delay)
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def register(self, params: RegisterParams) -> Registration:
        """Register this agent; remember its id, and the token to use from now on when one is answered."""
        registration = Registration.from_json(self.call("register", params.to_json()))
        self.agent_id = registration.agent_id
        if registration.token:
            self.token = registration.token
        return registration

    def next(self, params: NextParams) -> Assignment | None:
        """Wait for and lease the next task (None: call again)."""
        answer = self.call("next", params.to_json(), timeout=protocol.LONG_POLL_SECONDS + POLL_SLACK)
        return None if answer is None else Assignment.from_json(answer)

    def wait(self, task_id: str) -> WaitResult:
        """Block until the task is canceled or done (or the long poll ends)."""
        return WaitResult.from_json(self.call("wait", {"id": task_id},
                                              timeout=protocol.LONG_POLL_SECONDS + POLL_SLACK))

    def init(self, task_id: str, state: InitState) -> None:
        """Report the workflow started."""
        self.call("init", {"id": task_id, "state": state.to_json()})

    def update(self, task_id: str, report: StepReport) -> None:
        """Report one step's state."""
        self.call("update", {"id": task_id, "state": report.to_json()})

    def log(self, task_id: str, lines: list[LogLine]) -> int:
        """Send a batch of log lines; return how many the server had not stored yet."""
        return int(self.call("log", {"id": task_id, "lines": [line.to_json() for line in lines]}))

    def upload(self, task_id: str, file: UploadFile) -> int:
        """Send an artifact; return its file id."""
        return int(self.call("upload", {"id": task_id, "file": file.to_json()}))

    def extend(self, task_id: str) -> None:
        """Renew the task's lease."""
        self.call("extend", {"id": task_id})

    def done(self, task_id: str, state: DoneState) -> None:
        """Report the workflow finished."""
        self.call("done", {"id": task_id, "state": state.to_json()})

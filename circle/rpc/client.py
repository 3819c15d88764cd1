"""The agent side of the protocol: the Peer methods of SPEC §6 as calls over HTTP, to one of several servers.

Uses requests (cooperative under gevent's monkey patching). A call that gets no JSON-RPC answer (no connection,
a reset, a timeout, an HTTP error status such as 502/503/504) moves on to the next server of the ServerList at
once, each server tried once per call; when none answers it raises ServerUnavailable. Credentials refused raise
AgentRejected, and JSON-RPC errors raise jsonrpc.RpcError: an answer, never a reason to switch servers.
`retrying` repeats a call with capped backoff while no server answers, or the answering one is unwell
(INTERNAL_ERROR); any other RpcError is final.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any, Callable, Sequence, TypeVar

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
from circle.rpc.servers import ServerList

log = logging.getLogger(__name__)

T = TypeVar("T")
# Blocking calls wait this much longer than the server's long poll before giving up on the socket.
POLL_SLACK = 15.0
CALL_TIMEOUT = 60.0
# A server that accepts no connection within this many seconds is given up for the next one.
CONNECT_TIMEOUT = 5.0
MAX_BACKOFF = 10.0


class ServerUnavailable(Exception):
    """No server gave a JSON-RPC answer: unreachable, timed out, or an HTTP error status."""


class AgentRejected(Exception):
    """The server refused the agent's credentials (HTTP 401/403)."""


def is_retryable(err: Exception) -> bool:
    """Tell whether a failed call may succeed later: the server is unwell, not refusing this call."""
    return isinstance(err, ServerUnavailable) or isinstance(err, RpcError) and err.code == jsonrpc.INTERNAL_ERROR


def describe(err: requests.RequestException) -> str:
    """Return why a request got no answer in a few words, e.g. "Connection refused"."""
    if isinstance(err, requests.Timeout):
        return "timed out"
    cause: BaseException | None = err
    innermost: BaseException = err
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException) and cause.strerror:
            return cause.strerror
        innermost = cause
        inner = next((arg for arg in cause.args if isinstance(arg, BaseException)), None)
        reason = getattr(inner, "reason", None)  # urllib3's MaxRetryError names the socket error here
        cause = cause.__cause__ or cause.__context__ or (reason if isinstance(reason, BaseException) else inner)
    return str(innermost) or innermost.__class__.__name__


def _result(answer: dict[str, Any]) -> Any:
    """Return the result of one JSON-RPC answer; raise its error as RpcError."""
    if "error" in answer:
        error = answer["error"] if isinstance(answer["error"], dict) else {}
        raise RpcError(int(error.get("code", 0)), str(error.get("message", "")))
    return answer.get("result")


def update_params(task_id: str, report: StepReport) -> dict[str, Any]:
    """Return the params of `update`: one step's state."""
    return {"id": task_id, "state": report.to_json()}


def log_params(task_id: str, lines: list[LogLine]) -> dict[str, Any]:
    """Return the params of `log`: a batch of lines."""
    return {"id": task_id, "lines": [line.to_json() for line in lines]}


def done_params(task_id: str, state: DoneState) -> dict[str, Any]:
    """Return the params of `done`: how the workflow ended."""
    return {"id": task_id, "state": state.to_json()}


class RpcClient:
    """JSON-RPC 2.0 client of one agent: the shared secret registers, the token it answers is used afterwards.

    `servers` is one URL or several of servers on one database: the token and every task's lease hold on each.
    """

    def __init__(self, servers: str | Sequence[str], secret: str, *, session: requests.Session | None = None) -> None:
        self.servers = ServerList([servers] if isinstance(servers, str) else servers)
        self.token = secret
        self.agent_id: int | None = None
        self.session = session or requests.Session()
        self._ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any], *, timeout: float = CALL_TIMEOUT) -> Any:
        """Make one call on the current server, moving on to the next while none answers; return its result."""
        return _result(self._send(jsonrpc.request(method, params, next(self._ids)), timeout))

    def batch(self, calls: Sequence[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Make several calls in one JSON-RPC batch (one round trip); return, in order, each result or its RpcError.

        The server runs them in order. No answer at all raises ServerUnavailable, as for one call.
        """
        if len(calls) == 1:
            try:
                return [self.call(*calls[0])]
            except RpcError as err:
                return [err]
        body = [jsonrpc.request(method, params, next(self._ids)) for method, params in calls]
        answers = self._send(body, CALL_TIMEOUT)
        if not isinstance(answers, list):  # the batch as a whole was refused
            _result(answers)
            raise ServerUnavailable("the server answered a batch with a single result")
        by_id = {answer.get("id"): answer for answer in answers if isinstance(answer, dict)}
        if any(request["id"] not in by_id for request in body):
            raise ServerUnavailable("the server left calls of a batch unanswered")
        out: list[Any] = []
        for request in body:
            try:
                out.append(_result(by_id[request["id"]]))
            except RpcError as err:
                out.append(err)
        return out

    def _send(self, body: Any, timeout: float) -> Any:
        """POST a request or batch to the current server, moving on while none answers; return the answer."""
        failure = ServerUnavailable("no server to call")
        for _ in self.servers.urls:
            url = self.servers.current
            try:
                answer = self._post(url, body, timeout)
            except ServerUnavailable as err:
                self.servers.failed(url, str(err))
                failure = err
                continue
            self.servers.answered(url)
            return answer
        self.servers.all_failed(str(failure))
        raise failure

    def _post(self, url: str, body: Any, timeout: float) -> Any:
        """POST one request (or batch) to `url`; return its JSON-RPC answer; raise ServerUnavailable if none."""
        try:
            response = self.session.post(url + "/rpc", json=body, headers={"Authorization": f"Bearer {self.token}"},
                                         timeout=(CONNECT_TIMEOUT, timeout))
        except requests.RequestException as err:
            raise ServerUnavailable(f"{url}: {describe(err)}") from None
        if response.status_code in (401, 403):
            raise AgentRejected(f"the server refused the agent's credentials ({response.status_code})")
        if response.status_code != 200:
            raise ServerUnavailable(f"{url} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) and not (isinstance(body, list) and isinstance(answer, list)):
            raise ServerUnavailable(f"{url} answered something that is not a JSON-RPC answer")
        return answer

    def retrying(self, call: Callable[[], T], *, what: str, give_up_after: float = 3600.0,
                 stop: threading.Event | None = None) -> T:
        """Repeat `call` with capped exponential backoff while no server answers or it is unwell (is_retryable)."""
        delay, deadline = 0.25, time.monotonic() + give_up_after
        pause = stop or threading.Event()
        while True:
            try:
                return call()
            except (ServerUnavailable, RpcError) as err:
                if not is_retryable(err) or time.monotonic() + delay > deadline:
                    raise
                # No server answering is logged once by the ServerList; an unwell one on every retry.
                log.log(logging.WARNING if isinstance(err, RpcError) else logging.DEBUG,
                        "%s: the server is unwell (%s); retrying in %.1fs", what, err, delay)
                if pause.wait(delay):
                    raise
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
        answer = self.call("next", params.to_json(), timeout=params.poll + POLL_SLACK)
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
        self.call("update", update_params(task_id, report))

    def log(self, task_id: str, lines: list[LogLine]) -> int:
        """Send a batch of log lines; return how many the server had not stored yet."""
        return int(self.call("log", log_params(task_id, lines)))

    def upload(self, task_id: str, file: UploadFile) -> int:
        """Send an artifact; return its file id."""
        return int(self.call("upload", {"id": task_id, "file": file.to_json()}))

    def extend(self, task_id: str) -> None:
        """Renew the task's lease."""
        self.call("extend", {"id": task_id})

    def done(self, task_id: str, state: DoneState) -> None:
        """Report the workflow finished."""
        self.call("done", done_params(task_id, state))

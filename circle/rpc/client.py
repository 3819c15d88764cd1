"""The agent side of the protocol: the Peer methods of SPEC §6 as calls over HTTP.

Uses requests (cooperative under gevent's monkey patching). Transport failures raise
ServerUnavailable so the caller can retry with backoff; JSON-RPC errors raise RpcCallError.
"""
from __future__ import annotations

import itertools
import logging
import time
from typing import Any, Callable, TypeVar

import requests

from circle.rpc import protocol

log = logging.getLogger(__name__)

T = TypeVar("T")
AGENT_HEADER = "X-Circle-Agent-Id"
# Blocking calls wait this much longer than the server's long poll before giving up on the socket.
POLL_SLACK = 15.0
CALL_TIMEOUT = 60.0


class ServerUnavailable(Exception):
    """The server did not answer, or answered with a server-side HTTP error."""


class AgentRejected(Exception):
    """The server refused the agent's credentials (HTTP 401/403)."""


class RpcCallError(Exception):
    """The server answered the call with a JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code


class RpcClient:
    """JSON-RPC 2.0 client of one agent."""

    def __init__(self, server: str, secret: str, *, session: requests.Session | None = None) -> None:
        self.url = server.rstrip("/") + "/rpc"
        self.secret = secret
        self.agent_id: int | None = None
        self.session = session or requests.Session()
        self._ids = itertools.count(1)

    def call(self, method: str, params: dict[str, Any], *, timeout: float = CALL_TIMEOUT) -> Any:
        """Make one call and return its result."""
        headers = {"Authorization": f"Bearer {self.secret}"}
        if self.agent_id is not None:
            headers[AGENT_HEADER] = str(self.agent_id)
        body = protocol.request(method, params, next(self._ids))
        try:
            response = self.session.post(self.url, json=body, headers=headers, timeout=timeout)
        except requests.RequestException as err:
            raise ServerUnavailable(f"{self.url}: {err.__class__.__name__}: {err}") from None
        if response.status_code in (401, 403):
            raise AgentRejected(f"the server refused the agent's credentials ({response.status_code})")
        if response.status_code >= 500 or response.status_code != 200:
            raise ServerUnavailable(f"{self.url} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ServerUnavailable(f"{self.url} answered something that is not JSON") from None
        if "error" in answer:
            raise RpcCallError(int(answer["error"].get("code", 0)), str(answer["error"].get("message", "")))
        return answer.get("result")

    def retrying(self, call: Callable[[], T], *, what: str, give_up_after: float = 3600.0,
                 should_stop: Callable[[], bool] = lambda: False) -> T:
        """Repeat `call` with exponential backoff while the server is unavailable."""
        delay, deadline = 0.25, time.monotonic() + give_up_after
        while True:
            try:
                return call()
            except ServerUnavailable as err:
                if time.monotonic() + delay > deadline or should_stop():
                    raise
                log.warning("%s: server unavailable (%s); retrying in %.1fs", what, err, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def register(self, name: str, platform: str, backend: str, capacity: int, labels: dict[str, str],
                 version: str = "") -> int:
        """Register this agent; remember and return its id."""
        result = self.call("register", {"name": name, "platform": platform, "backend": backend,
                                        "capacity": capacity, "labels": labels, "version": version})
        self.agent_id = int(result["agent_id"])
        return self.agent_id

    def next(self, labels: dict[str, str]) -> dict[str, Any] | None:
        """Wait for and lease the next task (None: call again)."""
        return self.call("next", {"labels": labels}, timeout=protocol.LONG_POLL_SECONDS + POLL_SLACK)

    def wait(self, task_id: str) -> dict[str, bool]:
        """Block until the task is canceled or done (or the long poll ends)."""
        return self.call("wait", {"id": task_id}, timeout=protocol.LONG_POLL_SECONDS + POLL_SLACK)

    def init(self, task_id: str, state: dict[str, Any]) -> None:
        """Report the workflow started."""
        self.call("init", {"id": task_id, "state": state})

    def update(self, task_id: str, state: dict[str, Any]) -> None:
        """Report one step's state."""
        self.call("update", {"id": task_id, "state": state})

    def log(self, task_id: str, lines: list[dict[str, Any]]) -> None:
        """Send a batch of log lines."""
        self.call("log", {"id": task_id, "lines": lines})

    def upload(self, task_id: str, file: dict[str, Any]) -> None:
        """Send an artifact."""
        self.call("upload", {"id": task_id, "file": file})

    def extend(self, task_id: str) -> None:
        """Renew the task's lease."""
        self.call("extend", {"id": task_id})

    def done(self, task_id: str, state: dict[str, Any]) -> None:
        """Report the workflow finished."""
        self.call("done", {"id": task_id, "state": state})

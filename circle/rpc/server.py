"""The server side of the agent protocol: each method checks the caller holds the task, then acts."""
from __future__ import annotations

import base64
import binascii
import logging
from typing import Any, Callable

from circle.errors import NotFound
from circle.hub import hub
from circle.models import Agent, Task
from circle.models.types import now
from circle.rpc.protocol import (INVALID_PARAMS, LONG_POLL_SECONDS, MAX_LOG_BATCH, MAX_UPLOAD, NOT_LEASED,
                                 NOT_REGISTERED, TOO_LARGE, ProtocolError)
from circle.service import progress
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store import tasks as task_store

log = logging.getLogger(__name__)

# Agents' last contact is written at most this often (seconds), not on every call.
CONTACT_EVERY = 5


def _require(condition: bool, message: str) -> None:
    """Raise invalid params with `message` unless `condition` holds."""
    if not condition:
        raise ProtocolError(INVALID_PARAMS, message)


def _mapping(params: dict[str, Any], key: str) -> dict[str, Any]:
    """Return params[key] when it is an object."""
    value = params.get(key)
    _require(isinstance(value, dict), f"{key} must be an object")
    return value


def _task_id(params: dict[str, Any]) -> int:
    """Return the task id param as an integer."""
    value = params.get("id")
    _require(isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).isdigit(),
             "id must be a task id")
    return int(value)


class Peer:
    """The RPC methods of SPEC §6 for one calling agent (None until it registers, with the shared secret)."""

    def __init__(self, agent: Agent | None) -> None:
        self.agent = agent

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Run one method and return its result."""
        handler: Callable[[dict[str, Any]], Any] = getattr(self, f"rpc_{method}")
        if method != "register":
            self._touch()
        return handler(params)

    def _touch(self) -> None:
        """Require a registered agent and record its contact."""
        if self.agent is None:
            raise ProtocolError(NOT_REGISTERED, "register first (or send X-Circle-Agent-Id)")
        if now() - self.agent.last_contact >= CONTACT_EVERY:
            agent_store.touch(self.agent)

    def _held(self, params: dict[str, Any]) -> Task:
        """Return the task named by params if this agent holds it."""
        task_id = _task_id(params)
        try:
            task = task_store.get(task_id)
        except NotFound:
            raise ProtocolError(NOT_LEASED, f"task {task_id} is not leased by this agent") from None
        if task.state == task_store.PENDING or task.agent_id != self.agent.id:
            raise ProtocolError(NOT_LEASED, f"task {task_id} is not leased by this agent")
        return task

    def rpc_register(self, params: dict[str, Any]) -> dict[str, Any]:
        """Create or refresh the agent row; answer its id."""
        labels = params.get("labels") or {}
        _require(isinstance(labels, dict), "labels must be an object")
        _require(isinstance(params["name"], str) and params["name"].strip() != "", "name must be a non-empty string")
        values = {"platform": str(params.get("platform") or "linux/amd64"), "backend": str(params.get("backend", "")),
                  "capacity": int(params.get("capacity") or 1), "version": str(params.get("version", "")),
                  "labels": {str(k): str(v) for k, v in labels.items()}, "last_contact": now()}
        if self.agent is not None:
            agent = agent_store.update(self.agent, name=params["name"], **values)
        else:
            agent = agent_store.create(name=params["name"], **values)
        log.info("agent %s registered as %r (%s, %s)", agent.id, agent.name, agent.platform, agent.backend)
        return {"agent_id": agent.id}

    def rpc_next(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Lease the next fitting task, waiting up to ~30 s; None means call again."""
        labels = params.get("labels") or {}
        _require(isinstance(labels, dict), "labels must be an object")
        offered = {"platform": self.agent.platform, **(self.agent.labels or {}),
                   **{str(k): str(v) for k, v in labels.items()}}
        task = hub().queue.poll(self.agent.id, offered, LONG_POLL_SECONDS)
        if task is None:
            return None
        payload = task_store.payload(task.id)
        log.info("task %s (build %s) leased to agent %s", task.id, task.build_id, self.agent.id)
        return {"id": str(task.id), "config": payload["config"], "timeout": task.timeout,
                "lease": hub().queue.lease_seconds}

    def rpc_wait(self, params: dict[str, Any]) -> dict[str, bool]:
        """Block until the task is canceled or done, or ~30 s pass."""
        task = self._held(params)
        return hub().queue.wait(task.id, LONG_POLL_SECONDS)

    def rpc_extend(self, params: dict[str, Any]) -> bool:
        """Renew the lease of a held task."""
        task = self._held(params)
        if not hub().queue.extend(task.id, self.agent.id):
            raise ProtocolError(NOT_LEASED, f"task {task.id} is not leased by this agent")
        return True

    def rpc_init(self, params: dict[str, Any]) -> bool:
        """Mark the workflow started."""
        task = self._held(params)
        state = _mapping(params, "state")
        progress.workflow_started(task, self.agent, int(state.get("started") or 0))
        return True

    def rpc_update(self, params: dict[str, Any]) -> bool:
        """Apply one step's state."""
        task = self._held(params)
        state = _mapping(params, "state")
        _require(isinstance(state.get("proc"), str), "state.proc must name a step")
        try:
            progress.step_changed(task, state)
        except NotFound as err:
            raise ProtocolError(INVALID_PARAMS, str(err)) from None
        return True

    def rpc_log(self, params: dict[str, Any]) -> int:
        """Store a batch of lines (before answering); return how many were new."""
        task = self._held(params)
        lines = params.get("lines")
        _require(isinstance(lines, list), "lines must be a list")
        by_proc: dict[str, list[tuple[int, int, str]]] = {}
        size = 0
        for line in lines:
            _require(isinstance(line, dict) and isinstance(line.get("proc"), str)
                     and isinstance(line.get("pos"), int) and isinstance(line.get("out", ""), str),
                     "each line needs proc (string), pos (integer) and out (string)")
            size += len(line.get("out", ""))
            by_proc.setdefault(line["proc"], []).append((line["pos"], int(line.get("time") or 0), line.get("out", "")))
        if size > MAX_LOG_BATCH:
            raise ProtocolError(TOO_LARGE, f"log batch of {size} bytes is over the {MAX_LOG_BATCH} byte limit")
        ids = build_store.step_ids(task.build_id, task.proc_id, list(by_proc))
        unknown = sorted(set(by_proc) - set(ids))
        if unknown:
            raise ProtocolError(INVALID_PARAMS, f"build {task.build_id} has no step {unknown[0]!r}")
        return sum(hub().logs.write(ids[name], batch) for name, batch in by_proc.items())

    @staticmethod
    def _step(build, workflow, name: str):
        """Return the step proc `name`, or raise invalid params."""
        try:
            return progress.step_proc(build, workflow, name)
        except NotFound as err:
            raise ProtocolError(INVALID_PARAMS, str(err)) from None

    def rpc_upload(self, params: dict[str, Any]) -> int:
        """Store an artifact of a step; answer the file id."""
        task = self._held(params)
        file = _mapping(params, "file")
        _require(isinstance(file.get("name"), str) and file["name"] != "", "file.name must be a non-empty string")
        try:
            data = base64.b64decode(file.get("data", ""), validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ProtocolError(INVALID_PARAMS, "file.data must be base64") from None
        if len(data) > MAX_UPLOAD:
            raise ProtocolError(TOO_LARGE, f"file of {len(data)} bytes is over the {MAX_UPLOAD} byte limit")
        build, workflow = build_store.get(task.build_id), build_store.get_proc(task.proc_id)
        proc = self._step(build, workflow, str(file.get("proc", ""))) if file.get("proc") else workflow
        row = file_store.create(build_id=build.id, proc_id=proc.id, pid=proc.pid, name=file["name"],
                                mime=str(file.get("mime") or "application/octet-stream"), size=len(data), data=data)
        return row.id

    def rpc_done(self, params: dict[str, Any]) -> bool:
        """End the workflow with its final state."""
        task = self._held(params)
        state = _mapping(params, "state")
        build = progress.workflow_done(task, state)
        log.info("task %s done by agent %s; build %s is %s", task.id, self.agent.id, build.id, build.status)
        return True

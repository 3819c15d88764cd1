"""The server side of the agent protocol: each method checks the caller holds the task's lease, then acts.

The calls of a batch run in one transaction when they all succeed (rpc.endpoint), so a batch checks a task's lease
once, at its first call about it, as a single call checks it at its start; `done` ends the lease, so a call after it
checks again.

A task id handed out by `next` is "<task row id>.<lease token>": calls are bound to the lease they were
issued for, so an agent whose lease was taken back (or whose task row id was reused) changes nothing.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, cast

from circle.errors import NotFound, TooLarge
from circle.hub import hub
from circle.identities import AgentIdentity
from circle.limits import INT_MAX
from circle.metrics import QUEUE_WAIT
from circle.models import Proc, Task
from circle.models.types import now
from circle.rpc import protocol
from circle.rpc.protocol import (
    INVALID_PARAMS,
    LONG_POLL_SECONDS,
    MAX_LOG_BATCH,
    MAX_UPLOAD,
    NOT_LEASED,
    NOT_REGISTERED,
    TOO_LARGE,
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
from circle.service import agents as agent_service
from circle.service import progress, reports
from circle.service.names import build_name
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import tasks as task_store
from circle.store.base import expire_loaded

log = logging.getLogger(__name__)

# The shape of the task ids `next` hands out: "<row id>.<lease token>".
TASK_REF = re.compile(r"([0-9]{1,10})\.(.+)", re.ASCII)


class KeptRefusal(RpcError):
    """A refusal that keeps what the call wrote (a line in the step's log saying why): committed, then answered."""


def task_ref(task_id: int, lease: str) -> str:
    """Return the opaque id of a task under a lease, as `next` hands it out."""
    return f"{task_id}.{lease}"


def _not_leased(ref: str) -> RpcError:
    """Return the error for a task id (well-formed or not) that names no task this agent holds."""
    return RpcError(NOT_LEASED, f"task {ref.partition('.')[0][:32]} is not leased by this agent")


def _unknown_step(task: Task, name: str) -> RpcError:
    """Return the invalid-params error for a step the task's workflow does not have."""
    return RpcError(INVALID_PARAMS, f"the workflow of task {task.id} has no step {name!r}")


class Peer:
    """The RPC methods of SPEC §6 for one caller: an agent, or None for the shared secret (which may only register)."""

    def __init__(self, agent: AgentIdentity | None) -> None:
        self.agent = agent
        # The tasks found held, by the id the agent named: the calls of a batch (one transaction) about one task
        # check its lease once. `done` ends a lease (and reads the task's state), so it checks it afresh.
        self._held_tasks: dict[str, Task] = {}
        self._calls = 0

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Parse the params, run one method and return its result as JSON."""
        args = protocol.decode_params(method, params)
        if method != "register":
            self._touch()
        if self._calls:  # a later call of a batch sees the rows as stored now, as after a commit
            expire_loaded(keep=self._held_tasks.values())
        self._calls += 1
        return protocol.encode_result(getattr(self, method)(*args))

    def _touch(self) -> None:
        """Require an agent's own token and note its contact (written by the reaper, for all agents at once)."""
        if self.agent is None:
            raise RpcError(NOT_REGISTERED, "register first: the shared agent secret only registers")
        hub().contacts.note(self.agent.id)

    @property
    def _caller(self) -> AgentIdentity:
        """The calling agent; every method but register runs after _touch, which requires one."""
        if self.agent is None:
            raise RpcError(NOT_REGISTERED, "register first: the shared agent secret only registers")
        return self.agent

    def _held(self, ref: str) -> Task:
        """Return the task named by `ref` if this agent holds it under that lease (as an earlier call found)."""
        task = self._held_tasks.get(ref)
        if task is not None:
            return task
        match = TASK_REF.fullmatch(ref)
        if match is None or int(match[1]) > INT_MAX:
            raise _not_leased(ref)
        try:
            task = task_store.get_leased(int(match[1]), self._caller.id, match[2])
        except NotFound:
            raise _not_leased(ref) from None
        self._held_tasks[ref] = task
        return task

    def _step(self, task: Task, name: str) -> Proc:
        """Return the step `name` of the task's workflow, or raise invalid params."""
        try:
            return build_store.get_step(task.build_id, build_store.get_proc(task.proc_id).pid, name)
        except NotFound:
            raise _unknown_step(task, name) from None

    def register(self, params: RegisterParams) -> Registration:
        """Refresh the calling agent's row; a shared-secret caller gets a new token for its name's row, or a new row.

        So an agent restarted under the same name (the server's embedded ones, at every start) keeps one row;
        the token its previous run held stops working.
        """
        values = {"platform": params.platform, "backend": params.backend, "capacity": params.capacity,
                  "version": params.version, "labels": params.labels, "last_contact": now()}
        token = None
        if self.agent is not None:
            agent = agent_store.update(agent_store.get(self.agent.id), name=params.name, **values)
            hub().identities.forget(agent.id)
        else:
            try:
                known = agent_store.get_by_name(params.name)
            except NotFound:
                agent, token = agent_store.create_with_token(params.name, **values)
            else:
                agent, token = agent_store.reissue_token(known, **values)
                log.info("agent %s %r registered again: the token of its previous run stops working", agent.id,
                         agent.name)
                hub().identities.forget(agent.id)
        agent_service.changed(agent)
        log.info("agent %s registered as %r (%s, %s)", agent.id, agent.name, agent.platform, agent.backend)
        return Registration(agent_id=agent.id, token=token)

    def next(self, params: NextParams) -> Assignment | None:
        """Lease the next fitting task, waiting up to `params.poll` seconds; None: call again (always, when paused)."""
        if self._caller.paused:
            hub().queue.park(self._caller.id, params.poll)
            return None
        offered = {"platform": self._caller.platform, **(self._caller.labels or {}), **params.labels}
        task = hub().queue.poll(self._caller.id, offered, params.poll)
        if task is None:
            return None
        QUEUE_WAIT.observe(max(0.0, time.time() - task.created))
        log.info("task %s (%s) leased to agent %s", task.id, task.build, self._caller.id)
        return Assignment(id=task_ref(task.id, task.lease), config=task.payload["config"], timeout=task.timeout,
                          lease=hub().queue.lease_seconds)

    def wait(self, task_id: str) -> WaitResult:
        """Block until the task is canceled or done, or ~30 s pass."""
        task = self._held(task_id)
        return WaitResult(**hub().queue.wait(task.id, LONG_POLL_SECONDS))

    def extend(self, task_id: str) -> None:
        """Renew the lease of a held task."""
        task = self._held(task_id)
        # _held found the task under its lease, so it has one.
        if not hub().queue.extend(task.id, self._caller.id, cast(str, task.lease)):
            raise RpcError(NOT_LEASED, f"task {task.id} is not leased by this agent")

    def init(self, task_id: str, state: InitState) -> None:
        """Confirm the hand-over (a whole lease from now) and mark the workflow started."""
        task = self._held(task_id)
        try:
            progress.workflow_started(task, self._caller.id, self._caller.name, state.started)
        except NotFound as err:
            raise RpcError(NOT_LEASED, str(err)) from None

    def update(self, task_id: str, report: StepReport) -> None:
        """Apply one step's state."""
        task = self._held(task_id)
        try:
            progress.step_changed(task, report)
        except NotFound:
            raise _unknown_step(task, report.proc) from None

    def log(self, task_id: str, lines: list[LogLine]) -> int:
        """Store a batch of lines (before answering); return how many were new. Over MAX_LOG_BATCH: nothing stored."""
        task = self._held(task_id)
        size = len("".join([line.out for line in lines]).encode())
        if size > MAX_LOG_BATCH:
            raise RpcError(INVALID_PARAMS, f"the log batch holds {size} bytes of text; the limit is {MAX_LOG_BATCH} "
                                           "bytes per call: send smaller batches")
        by_proc: dict[str, list[tuple[int, int, str]]] = {}
        for line in lines:
            by_proc.setdefault(line.proc, []).append((line.pos, line.time, line.out))
        ids = build_store.step_ids(task.build_id, task.proc_id, list(by_proc))
        unknown = sorted(set(by_proc) - set(ids))
        if unknown:
            raise _unknown_step(task, unknown[0])
        return sum(hub().logs.write(ids[name], batch) for name, batch in by_proc.items())

    def upload(self, task_id: str, file: UploadFile) -> int:
        """Store an artifact of a step (or of the workflow), a test report when meta.report; answer the file id."""
        task = self._held(task_id)
        if len(file.data) > MAX_UPLOAD:
            raise RpcError(TOO_LARGE, f"file of {len(file.data)} bytes is over the {MAX_UPLOAD} byte limit")
        proc = self._step(task, file.proc) if file.proc else build_store.get_proc(task.proc_id)
        try:
            return reports.store_file(proc, file.name, file.mime, file.data, report=file.meta.get("report") is True).id
        except TooLarge as err:  # past an artifact limit: the step's log says so, the workflow goes on
            raise KeptRefusal(TOO_LARGE, str(err)) from None

    def done(self, task_id: str, state: DoneState) -> None:
        """End the workflow with its final state."""
        self._held_tasks.pop(task_id, None)  # checked afresh, and held no more whatever happens
        task = self._held(task_id)
        del self._held_tasks[task_id]
        try:
            build = progress.workflow_done(task, state)
        except NotFound as err:
            raise RpcError(NOT_LEASED, str(err)) from None
        log.info("task %s done by agent %s; %s is %s", task.id, self._caller.id, build_name(build), build.status)

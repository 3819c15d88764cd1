"""The typed methods of the agent protocol (SPEC §6), shared by server and client (the envelope: rpc.jsonrpc).

Only the stdlib (and the pipeline's types): the agent imports this without Flask or SQLAlchemy.
Every payload is a dataclass whose `from_json` checks the wire types and ranges and raises
RpcError(INVALID_PARAMS) naming the field, and whose `to_json` gives back the wire object. Integers lie in
circle.limits' stored range, strings within the columns they are stored in.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol

from circle.limits import INT_MAX, INT_MIN
from circle.pipeline.collect import MAX_FILE
from circle.pipeline.types import LogLine as RuntimeLine
from circle.pipeline.types import StepState
from circle.rpc import wire
from circle.rpc.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from circle.rpc.wire import NAME_MAX

# Application errors (-32000…-32099); the spec's codes are in rpc.jsonrpc.
NOT_LEASED = -32001
NOT_REGISTERED = -32002
TOO_LARGE = -32003
NOT_FOUND = -32004

# Seconds `next` and `wait` block at most before answering "call again"; they may not be part of a batch.
# An agent may ask `next` to wait from MIN_POLL_SECONDS to MAX_POLL_SECONDS instead (its `poll` param):
# longer polls mean fewer idle calls, and a proxy between agent and server must allow them.
LONG_POLL_SECONDS = 30.0
MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 300.0
LONG_POLLS = frozenset({"next", "wait"})
# Largest log batch (sum of line bytes) and artifact (decoded bytes) one call may carry.
MAX_LOG_BATCH = 4 * 1024 * 1024
MAX_UPLOAD = MAX_FILE
# Longest file names and error texts (names and labels: rpc.wire).
FILE_NAME_MAX = 1024
ERROR_MAX = 16_000

# method → (required params, optional params)
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "next": (frozenset(), frozenset({"labels", "poll"})),
    "wait": (frozenset({"id"}), frozenset()),
    "init": (frozenset({"id", "state"}), frozenset()),
    "update": (frozenset({"id", "state"}), frozenset()),
    "log": (frozenset({"id", "lines"}), frozenset()),
    "upload": (frozenset({"id", "file"}), frozenset()),
    "extend": (frozenset({"id"}), frozenset()),
    "done": (frozenset({"id", "state"}), frozenset()),
    "register": (frozenset({"name"}), frozenset({"platform", "backend", "capacity", "labels", "version"})),
}


@dataclass
class RegisterParams:
    """What an agent says about itself when it registers."""

    name: str
    platform: str = "linux/amd64"
    backend: str = ""
    capacity: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def from_json(cls, data: Any) -> RegisterParams:
        """Parse the params of `register`."""
        data = wire.json_object(data, "params")
        name = wire.text(data, "name")
        if not name.strip():
            raise RpcError(INVALID_PARAMS, "name must be a non-empty string")
        return cls(name=name, platform=wire.text(data, "platform", default="", limit=64) or "linux/amd64",
                   backend=wire.text(data, "backend", default="", limit=32),
                   capacity=wire.integer(data, "capacity", default=1) or 1,
                   labels=wire.labels(data), version=wire.text(data, "version", default="", limit=64))

    def to_json(self) -> dict[str, Any]:
        """Return the params object."""
        return asdict(self)


@dataclass
class Registration:
    """The answer to `register`: the agent's id, and its new token when it registered with the shared secret."""

    agent_id: int
    token: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Registration:
        """Parse the result of `register`."""
        data = wire.json_object(data, "the register result")
        return cls(agent_id=wire.field(data, "agent_id", int), token=wire.field(data, "token", str, default=None))

    def to_json(self) -> dict[str, Any]:
        """Return the result object (without `token` when none was made)."""
        return {"agent_id": self.agent_id} if self.token is None else asdict(self)


@dataclass
class NextParams:
    """The labels an agent offers when it asks for work, and how many seconds it will wait for some."""

    labels: dict[str, str] = field(default_factory=dict)
    poll: float = LONG_POLL_SECONDS

    @classmethod
    def from_json(cls, data: Any) -> NextParams:
        """Parse the params of `next`."""
        params = wire.json_object(data, "params")
        poll = wire.field(params, "poll", float, default=LONG_POLL_SECONDS)
        if not MIN_POLL_SECONDS <= poll <= MAX_POLL_SECONDS:
            raise RpcError(INVALID_PARAMS, f"poll must be from {MIN_POLL_SECONDS:g} to {MAX_POLL_SECONDS:g} seconds")
        return cls(labels=wire.labels(params), poll=float(poll))

    def to_json(self) -> dict[str, Any]:
        """Return the params object."""
        return asdict(self)


@dataclass
class Assignment:
    """A leased task: its opaque id (bound to this lease), the IR, the timeout in minutes, the lease in seconds."""

    id: str
    config: dict[str, Any]
    timeout: int = 60
    lease: float = 30.0

    @classmethod
    def from_json(cls, data: Any) -> Assignment:
        """Parse the result of `next`."""
        data = wire.json_object(data, "the next result")
        return cls(id=wire.field(data, "id", str), config=wire.field(data, "config", dict),
                   timeout=wire.field(data, "timeout", int, default=60),
                   lease=float(wire.field(data, "lease", float, default=30.0)))

    def to_json(self) -> dict[str, Any]:
        """Return the result object."""
        return asdict(self)


@dataclass
class WaitResult:
    """The answer to `wait`: both false means call again."""

    canceled: bool = False
    done: bool = False

    @classmethod
    def from_json(cls, data: Any) -> WaitResult:
        """Parse the result of `wait`."""
        data = wire.json_object(data, "the wait result")
        return cls(canceled=wire.field(data, "canceled", bool, default=False),
                   done=wire.field(data, "done", bool, default=False))

    def to_json(self) -> dict[str, Any]:
        """Return the result object."""
        return asdict(self)


@dataclass
class InitState:
    """The `state` of `init`: when the workflow started (epoch seconds)."""

    started: int = 0

    @classmethod
    def from_json(cls, data: Any) -> InitState:
        """Parse the state of `init`."""
        return cls(started=wire.integer(wire.json_object(data, "state"), "started", "state.", 0))

    def to_json(self) -> dict[str, Any]:
        """Return the state object."""
        return asdict(self)


@dataclass
class StepReport(StepState):
    """The `state` of `update`: the runtime's StepState of one step (named by `proc`), parsed with checks."""

    @classmethod
    def of(cls, state: StepState) -> StepReport:
        """Return the report of a state the runtime produced."""
        return cls(**asdict(state))

    @classmethod
    def from_json(cls, data: Any) -> StepReport:
        """Parse the state of `update`."""
        data = wire.json_object(data, "state")
        proc = wire.text(data, "proc", "state.")
        if not proc:
            raise RpcError(INVALID_PARAMS, "state.proc must name a step")
        return cls(proc=proc, started=wire.integer(data, "started", "state.", 0),
                   finished=wire.integer(data, "finished", "state.", 0),
                   exited=wire.field(data, "exited", bool, "state.", False),
                   exit_code=wire.integer(data, "exit_code", "state.", 0, low=INT_MIN),
                   error=wire.text(data, "error", "state.", "", ERROR_MAX),
                   skipped=wire.field(data, "skipped", bool, "state.", False),
                   killed=wire.field(data, "killed", bool, "state.", False),
                   oom_killed=wire.field(data, "oom_killed", bool, "state.", False),
                   attempts=wire.integer(data, "attempts", "state.", 0))


@dataclass
class LogLine(RuntimeLine):
    """One line of a `log` batch (the runtime's LogLine), parsed with checks."""

    @classmethod
    def from_json(cls, data: Any, where: str = "line.") -> LogLine:
        """Parse one line of a batch."""
        data = wire.json_object(data, where.rstrip("."))
        return cls(proc=wire.text(data, "proc", where), pos=wire.integer(data, "pos", where),
                   time=wire.integer(data, "time", where, 0), out=wire.field(data, "out", str, where, ""))

    @classmethod
    def batch_from_json(cls, data: Any) -> list[LogLine]:
        """Parse the `lines` of `log`: lines that pass from_json's checks on a fast path, any other through them."""
        if not isinstance(data, list):
            raise RpcError(INVALID_PARAMS, "lines must be a list")
        lines = []
        for index, line in enumerate(data):
            if type(line) is dict:
                proc, pos, time, out = line.get("proc"), line.get("pos"), line.get("time", 0), line.get("out", "")
                if (type(proc) is str and len(proc) <= NAME_MAX and type(out) is str and type(pos) is int
                        and type(time) is int and 0 <= pos <= INT_MAX and 0 <= time <= INT_MAX):
                    lines.append(cls(proc, pos, time, out))
                    continue
            lines.append(cls.from_json(line, f"lines[{index}]."))
        return lines


@dataclass
class UploadFile:
    """The `file` of `upload`: an artifact of a step (`proc` empty: of the workflow)."""

    name: str
    data: bytes
    proc: str = ""
    mime: str = "application/octet-stream"
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> UploadFile:
        """Parse the file of `upload`, decoding its base64 data."""
        data = wire.json_object(data, "file")
        name = wire.text(data, "name", "file.", limit=FILE_NAME_MAX)
        if not name:
            raise RpcError(INVALID_PARAMS, "file.name must be a non-empty string")
        try:
            content = base64.b64decode(wire.field(data, "data", str, "file.", ""), validate=True)
        except (binascii.Error, ValueError):
            raise RpcError(INVALID_PARAMS, "file.data must be base64") from None
        return cls(name=name, data=content, proc=wire.text(data, "proc", "file.", ""),
                   mime=wire.text(data, "mime", "file.", "") or "application/octet-stream",
                   meta=wire.field(data, "meta", dict, "file.", {}))

    def to_json(self) -> dict[str, Any]:
        """Return the file object with its data in base64."""
        return {"proc": self.proc, "name": self.name, "mime": self.mime,
                "data": base64.b64encode(self.data).decode("ascii"), "meta": self.meta}


@dataclass
class DoneState:
    """The `state` of `done`: when the workflow ended, its exit code, and why it could not run (if so)."""

    finished: int = 0
    exit_code: int = 0
    error: str = ""

    @classmethod
    def from_json(cls, data: Any) -> DoneState:
        """Parse the state of `done`."""
        data = wire.json_object(data, "state")
        return cls(finished=wire.integer(data, "finished", "state.", 0),
                   exit_code=wire.integer(data, "exit_code", "state.", 0, low=INT_MIN),
                   error=wire.text(data, "error", "state.", "", ERROR_MAX))

    def to_json(self) -> dict[str, Any]:
        """Return the state object."""
        return asdict(self)


class Peer(Protocol):
    """The methods of SPEC §6, with the same signatures on the server (rpc.server) and the agent (rpc.client)."""

    def register(self, params: RegisterParams) -> Registration:
        """Create or refresh the caller's agent row."""

    def next(self, params: NextParams) -> Assignment | None:
        """Lease the next fitting task (None: call again)."""

    def wait(self, task_id: str) -> WaitResult:
        """Block until the task is canceled or done, or the long poll ends."""

    def init(self, task_id: str, state: InitState) -> None:
        """Mark the workflow started."""

    def update(self, task_id: str, report: StepReport) -> None:
        """Apply one step's state."""

    def log(self, task_id: str, lines: list[LogLine]) -> int:
        """Store a batch of log lines; return how many were new."""

    def upload(self, task_id: str, file: UploadFile) -> int:
        """Store an artifact; return its id."""

    def extend(self, task_id: str) -> None:
        """Renew the task's lease."""

    def done(self, task_id: str, state: DoneState) -> None:
        """End the workflow with its final state."""


# Methods on one task: the param after "id" and how to parse it (None: the method takes only the id).
_TASK_BODIES: dict[str, tuple[str, Callable[[Any], Any]] | None] = {
    "wait": None,
    "extend": None,
    "init": ("state", InitState.from_json),
    "update": ("state", StepReport.from_json),
    "log": ("lines", LogLine.batch_from_json),
    "upload": ("file", UploadFile.from_json),
    "done": ("state", DoneState.from_json),
}


def decode_params(method: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Return the typed arguments of the Peer method `method`; raise RpcError for unknown methods or bad params."""
    check_params(method, params)
    if method == "register":
        return (RegisterParams.from_json(params),)
    if method == "next":
        return (NextParams.from_json(params),)
    task_id = wire.text(params, "id")
    body = _TASK_BODIES[method]
    return (task_id,) if body is None else (task_id, body[1](params[body[0]]))


def encode_result(value: Any) -> Any:
    """Return the JSON of a Peer method's result."""
    return value.to_json() if hasattr(value, "to_json") else value


def check_params(method: str, params: dict[str, Any]) -> None:
    """Raise RpcError when the method is unknown or its params are missing or unexpected."""
    if method not in METHODS:
        raise RpcError(METHOD_NOT_FOUND, f"method not found: {method}")
    required, optional = METHODS[method]
    missing = sorted(required - params.keys())
    unknown = sorted(params.keys() - required - optional)
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise RpcError(INVALID_PARAMS, f"invalid params for {method}: {'; '.join(parts)}")

"""The typed methods of the agent protocol (SPEC §6), shared by server and client (the envelope: rpc.jsonrpc).

Only the stdlib (and the pipeline's types): the agent imports this without Flask or SQLAlchemy.
Every payload is a dataclass whose `from_json` checks the wire types and raises RpcError(INVALID_PARAMS)
naming the field, and whose `to_json` gives back the wire object.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol

from circle.pipeline.types import LogLine as RuntimeLine
from circle.pipeline.types import StepState
from circle.rpc.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError

# Application errors (-32000…-32099); the spec's codes are in rpc.jsonrpc.
NOT_LEASED = -32001
NOT_REGISTERED = -32002
TOO_LARGE = -32003
NOT_FOUND = -32004

# Seconds `next` and `wait` block at most before answering "call again".
LONG_POLL_SECONDS = 30.0
# Largest log batch (sum of line bytes) and artifact (decoded bytes) one call may carry.
MAX_LOG_BATCH = 4 * 1024 * 1024
MAX_UPLOAD = 48 * 1024 * 1024

# method → (required params, optional params)
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "next": (frozenset(), frozenset({"labels"})),
    "wait": (frozenset({"id"}), frozenset()),
    "init": (frozenset({"id", "state"}), frozenset()),
    "update": (frozenset({"id", "state"}), frozenset()),
    "log": (frozenset({"id", "lines"}), frozenset()),
    "upload": (frozenset({"id", "file"}), frozenset()),
    "extend": (frozenset({"id"}), frozenset()),
    "done": (frozenset({"id", "state"}), frozenset()),
    "register": (frozenset({"name"}), frozenset({"platform", "backend", "capacity", "labels", "version"})),
}


_REQUIRED = object()
_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
                           dict: "an object", list: "a list"}


def _object(value: Any, where: str) -> dict[str, Any]:
    """Return `value` when it is a JSON object; raise invalid params naming `where` otherwise."""
    if not isinstance(value, dict):
        raise RpcError(INVALID_PARAMS, f"{where} must be an object")
    return value


def _field(data: dict[str, Any], key: str, kind: type, where: str = "", default: Any = _REQUIRED) -> Any:
    """Return data[key] checked to be of `kind` (`default` when absent or null); raise invalid params naming it."""
    value = data.get(key)
    if value is None:
        if default is _REQUIRED:
            raise RpcError(INVALID_PARAMS, f"{where}{key} is required")
        return default
    accepted = (int, float) if kind is float else kind
    if not isinstance(value, accepted) or (kind is not bool and isinstance(value, bool)):
        raise RpcError(INVALID_PARAMS, f"{where}{key} must be {_KINDS[kind]}")
    return value


def _labels(data: dict[str, Any], where: str = "") -> dict[str, str]:
    """Return the optional `labels` object with its keys and values as strings."""
    return {str(k): str(v) for k, v in _field(data, "labels", dict, where, {}).items()}


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
        data = _object(data, "params")
        name = _field(data, "name", str)
        if not name.strip():
            raise RpcError(INVALID_PARAMS, "name must be a non-empty string")
        return cls(name=name, platform=_field(data, "platform", str, default="") or "linux/amd64",
                   backend=_field(data, "backend", str, default=""),
                   capacity=_field(data, "capacity", int, default=1) or 1,
                   labels=_labels(data), version=_field(data, "version", str, default=""))

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
        data = _object(data, "the register result")
        return cls(agent_id=_field(data, "agent_id", int), token=_field(data, "token", str, default=None))

    def to_json(self) -> dict[str, Any]:
        """Return the result object (without `token` when none was made)."""
        return {"agent_id": self.agent_id} if self.token is None else asdict(self)


@dataclass
class NextParams:
    """The labels an agent offers when it asks for work."""

    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> NextParams:
        """Parse the params of `next`."""
        return cls(labels=_labels(_object(data, "params")))

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
        data = _object(data, "the next result")
        return cls(id=_field(data, "id", str), config=_field(data, "config", dict),
                   timeout=_field(data, "timeout", int, default=60),
                   lease=float(_field(data, "lease", float, default=30.0)))

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
        data = _object(data, "the wait result")
        return cls(canceled=_field(data, "canceled", bool, default=False),
                   done=_field(data, "done", bool, default=False))

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
        return cls(started=_field(_object(data, "state"), "started", int, "state.", 0))

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
        data = _object(data, "state")
        proc = _field(data, "proc", str, "state.")
        if not proc:
            raise RpcError(INVALID_PARAMS, "state.proc must name a step")
        return cls(proc=proc, started=_field(data, "started", int, "state.", 0),
                   finished=_field(data, "finished", int, "state.", 0),
                   exited=_field(data, "exited", bool, "state.", False),
                   exit_code=_field(data, "exit_code", int, "state.", 0),
                   error=_field(data, "error", str, "state.", ""),
                   skipped=_field(data, "skipped", bool, "state.", False),
                   killed=_field(data, "killed", bool, "state.", False),
                   oom_killed=_field(data, "oom_killed", bool, "state.", False))


@dataclass
class LogLine(RuntimeLine):
    """One line of a `log` batch (the runtime's LogLine), parsed with checks."""

    @classmethod
    def from_json(cls, data: Any, where: str = "line.") -> LogLine:
        """Parse one line of a batch."""
        data = _object(data, where.rstrip("."))
        return cls(proc=_field(data, "proc", str, where), pos=_field(data, "pos", int, where),
                   time=int(_field(data, "time", float, where, 0)), out=_field(data, "out", str, where, ""))

    @classmethod
    def batch_from_json(cls, data: Any) -> list[LogLine]:
        """Parse the `lines` of `log`: well-formed lines on a fast path, any other through from_json's checks."""
        if not isinstance(data, list):
            raise RpcError(INVALID_PARAMS, "lines must be a list")
        lines = []
        for index, line in enumerate(data):
            if type(line) is dict:
                proc, pos, time, out = line.get("proc"), line.get("pos"), line.get("time", 0), line.get("out", "")
                if type(proc) is str and type(pos) is int and type(out) is str and type(time) in (int, float):
                    lines.append(cls(proc, pos, int(time), out))
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
        data = _object(data, "file")
        name = _field(data, "name", str, "file.")
        if not name:
            raise RpcError(INVALID_PARAMS, "file.name must be a non-empty string")
        try:
            content = base64.b64decode(_field(data, "data", str, "file.", ""), validate=True)
        except (binascii.Error, ValueError):
            raise RpcError(INVALID_PARAMS, "file.data must be base64") from None
        return cls(name=name, data=content, proc=_field(data, "proc", str, "file.", ""),
                   mime=_field(data, "mime", str, "file.", "") or "application/octet-stream",
                   meta=_field(data, "meta", dict, "file.", {}))

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
        data = _object(data, "state")
        return cls(finished=_field(data, "finished", int, "state.", 0),
                   exit_code=_field(data, "exit_code", int, "state.", 0),
                   error=_field(data, "error", str, "state.", ""))

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
    task_id = _field(params, "id", str)
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

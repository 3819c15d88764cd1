"""The compiled pipeline (IR) and the step states and log lines that leave the runtime.

This module is the contract between the compiler (which emits `Config`), the queue and RPC
(which carry it as JSON), and the runtime (which executes it). It imports only the stdlib.
Every type round-trips through `to_json()` / `from_json()`; unknown keys are ignored on input
so that an older agent can run a newer server's IR.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")

# Step kinds: the clone step, a service (runs detached for the whole pipeline), an ordinary step.
KIND_CLONE = "clone"
KIND_SERVICE = "service"
KIND_STEP = "step"

MASK = "********"


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the keys of `data` that are fields of dataclass `cls`."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    """Return the field names of dataclass `cls`, in order."""
    return tuple(f.name for f in fields(cls))


def _fields_json(obj: Any) -> dict[str, Any]:
    """Return the fields of a flat dataclass as a JSON object, as dataclasses.asdict does but without its deep
    copy (about 30× faster): the fields hold scalars, or lists and dicts of scalars, which are copied."""
    out: dict[str, Any] = {}
    for name in _field_names(obj.__class__):
        value = getattr(obj, name)
        out[name] = value.copy() if isinstance(value, (list, dict)) else value
    return out


@dataclass
class Step:
    """One container or process of the pipeline."""

    name: str
    image: str | None = None
    commands: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    kind: str = KIND_STEP
    detach: bool = False
    on_success: bool = True
    on_failure: bool = False
    failure: str = "fail"  # "fail" | "ignore"
    privileged: bool = False
    pull: bool = False
    volumes: list[str] = field(default_factory=list)
    working_dir: str = ""
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    network_mode: str = ""
    networks: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    shm_size: int = 0
    mem_limit: int = 0
    cpu_quota: int = 0
    group: str = ""
    retry: int = 0  # times a failed step is run again
    retry_delay: float = 0  # seconds between attempts
    timeout: float = 0  # seconds the step may run (each attempt); 0 = only the pipeline's timeout
    trace: bool = True  # the script echoes each command as `+ cmd` (the clone step prints its own lines instead)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this step."""
        return _fields_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        """Build a step from its JSON object."""
        return cls(**_known(cls, data))


@dataclass
class Stage:
    """Steps that run in parallel; stages run one after the other."""

    name: str
    steps: list[Step] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this stage."""
        return {"name": self.name, "steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        """Build a stage from its JSON object."""
        return cls(name=data["name"], steps=[Step.from_json(s) for s in data.get("steps", [])])


@dataclass
class Volume:
    """A named volume shared by the steps of one pipeline (the workspace)."""

    name: str
    driver: str = "local"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this volume."""
        return _fields_json(self)


@dataclass
class Network:
    """A network the steps of one pipeline join, so services are reachable by name."""

    name: str
    driver: str = "bridge"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this network."""
        return _fields_json(self)


@dataclass
class Secret:
    """A secret value known to the pipeline; masked in every log line when `mask` is set."""

    name: str
    value: str
    mask: bool = True

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this secret."""
        return _fields_json(self)


@dataclass
class Registry:
    """Credentials for pulling images from one registry host."""

    address: str
    username: str
    password: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this registry."""
        return _fields_json(self)


@dataclass
class Workspace:
    """Where the source is checked out: `base` is the shared mount, `path` the dir below it."""

    base: str = "/circle"
    path: str = "src"

    @property
    def full_path(self) -> str:
        """Return base joined with path."""
        return self.base.rstrip("/") + "/" + self.path.strip("/") if self.path else self.base

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this workspace."""
        return _fields_json(self)


@dataclass
class Config:
    """A compiled workflow: what one agent executes for one matrix axis."""

    stages: list[Stage] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    registries: list[Registry] = field(default_factory=list)
    workspace: Workspace = field(default_factory=Workspace)
    trusted: bool = False  # the repo is trusted: the local backend may run it unsandboxed on a non-root agent

    def steps(self) -> list[Step]:
        """Return every step of every stage, in order."""
        return [step for stage in self.stages for step in stage.steps]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this config (the IR of SPEC §7)."""
        return {
            "stages": [s.to_json() for s in self.stages],
            "volumes": [v.to_json() for v in self.volumes],
            "networks": [n.to_json() for n in self.networks],
            "secrets": [s.to_json() for s in self.secrets],
            "registries": [r.to_json() for r in self.registries],
            "workspace": self.workspace.to_json(),
            "trusted": self.trusted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Config:
        """Build a config from its JSON object."""
        return cls(
            stages=[Stage.from_json(s) for s in data.get("stages", [])],
            volumes=[Volume(**_known(Volume, v)) for v in data.get("volumes", [])],
            networks=[Network(**_known(Network, n)) for n in data.get("networks", [])],
            secrets=[Secret(**_known(Secret, s)) for s in data.get("secrets", [])],
            registries=[Registry(**_known(Registry, r)) for r in data.get("registries", [])],
            workspace=Workspace(**_known(Workspace, data.get("workspace", {}))),
            trusted=bool(data.get("trusted", False)),
        )


@dataclass
class Workflow:
    """One matrix axis and its compiled config; `circle compile` prints a list of these."""

    axis: dict[str, str]
    config: Config
    name: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    # Names of the workflows of the same build this one waits for, and the outcomes of theirs it runs after.
    depends_on: list[str] = field(default_factory=list)
    runs_on: list[str] = field(default_factory=lambda: ["success"])

    def to_json(self) -> dict[str, Any]:
        """Return {"axis", "config", "name", "labels"}, with "depends_on" and "runs_on" when it has dependencies."""
        data: dict[str, Any] = {"axis": dict(self.axis), "config": self.config.to_json(), "name": self.name,
                                "labels": dict(self.labels)}
        if self.depends_on:
            data.update(depends_on=list(self.depends_on), runs_on=list(self.runs_on))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Workflow:
        """Build a workflow from its JSON object."""
        return cls(axis=dict(data.get("axis", {})), config=Config.from_json(data["config"]),
                   name=data.get("name", ""), labels=dict(data.get("labels", {})),
                   depends_on=list(data.get("depends_on", [])), runs_on=list(data.get("runs_on", ["success"])))


@dataclass
class StepState:
    """The state of one step as the runtime reports it (the `update` RPC's `state`)."""

    proc: str
    started: int = 0
    finished: int = 0
    exited: bool = False
    exit_code: int = 0
    error: str = ""
    skipped: bool = False
    killed: bool = False
    oom_killed: bool = False
    attempts: int = 0  # attempts started so far (1 + retries); 0 = not reported

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this state."""
        return _fields_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepState:
        """Build a state from its JSON object."""
        return cls(**_known(cls, data))


@dataclass
class LogLine:
    """One output line of one step: `pos` counts from 0 per step, `time` is seconds since the step started."""

    proc: str
    pos: int
    time: int = 0
    out: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this line."""
        return _fields_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogLine:
        """Build a line from its JSON object."""
        return cls(**_known(cls, data))

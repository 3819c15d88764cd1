"""The parsed pipeline, the same for both dialects: what the front ends produce and the back half consumes.

Values here are already substituted for one matrix axis but not yet filtered by `when`,
and secrets are still references (resolved per step when the environment is built).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from circle.compiler.constraints import Condition
from circle.compiler.yamlnodes import Mapping, Node
from circle.pipeline.types import KIND_STEP, Workspace

log = logging.getLogger(__name__)

DRONE08 = "drone08"
WOODPECKER = "woodpecker"


@dataclass(frozen=True)
class SecretRef:
    """An environment value or setting that comes from a secret (`from_secret: name`)."""

    name: str


@dataclass
class Dependency:
    """One `depends_on` entry."""

    name: str
    optional: bool
    node: Node


@dataclass
class StepEntry:
    """A step as its collection lists it, not yet read: name, mapping, kind, and the node naming it."""

    name: str
    node: Mapping
    kind: str
    name_node: Node


@dataclass
class StepDef:
    """One step, service or clone step as written."""

    name: str
    node: Node
    kind: str = KIND_STEP
    image: str = ""
    commands: list[str] = field(default_factory=list)
    environment: dict[str, str | SecretRef] = field(default_factory=dict)
    settings: list[tuple[str, Node]] = field(default_factory=list)
    secrets: list[tuple[str, str]] = field(default_factory=list)  # (source, target)
    when: Condition = field(default_factory=Condition)
    group: str = ""
    depends_on: list[Dependency] | None = None
    detach: bool = False
    privileged: bool = False
    pull: bool = False
    failure: str = "fail"
    directory: str = ""
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    volumes: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    network_mode: str = ""
    shm_size: int = 0
    mem_limit: int = 0
    cpu_quota: int = 0
    retry: int = 0
    retry_delay: float = 0
    timeout: float = 0
    reports: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    # key nodes for positions of trust problems: option name → key node
    option_nodes: dict[str, Node] = field(default_factory=dict)


@dataclass
class PipelineDef:
    """A whole pipeline file as written, for one matrix axis; steps are read on demand (see steps.StepReader)."""

    dialect: str
    steps: list[StepEntry] = field(default_factory=list)
    services: list[StepEntry] = field(default_factory=list)
    clone: list[StepEntry] | None = None  # None = the default clone step; [] = no clone
    workspace: Workspace = field(default_factory=Workspace)
    labels: dict[str, str] = field(default_factory=dict)
    filters: list[Condition] = field(default_factory=list)  # all must match (`when`, `branches`)

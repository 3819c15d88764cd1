"""What one agent process is told: where the servers are, how to run steps, how many at once."""
from __future__ import annotations

import platform as platform_module
import socket
from dataclasses import dataclass, field
from typing import Any

from circle.errors import InvalidInput


def default_platform() -> str:
    """Return this machine's platform label, e.g. linux/amd64."""
    machine = platform_module.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)
    return f"{platform_module.system().lower()}/{arch}"


def parse_labels(text: str | list[str]) -> dict[str, str]:
    """Parse `k=v,k=v` (or a list of `k=v`) into labels; raise InvalidInput for malformed items."""
    items = text if isinstance(text, list) else [part for part in text.split(",")]
    labels: dict[str, str] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"label {item!r} is not key=value")
        labels[key.strip()] = value.strip()
    return labels


def parse_servers(values: str | list[str]) -> list[str]:
    """Parse server URLs given comma-separated (or as a list of such); raise InvalidInput when none is left."""
    items = [values] if isinstance(values, str) else values
    urls = [url.strip() for item in items for url in item.split(",") if url.strip()]
    if not urls:
        raise InvalidInput("an agent needs at least one server URL (--server or CIRCLE_SERVER)")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"server URL {url!r} must start with http:// or https://")
    return urls


@dataclass
class AgentOptions:
    """Settings of one agent process; `servers` are interchangeable servers of one database (or one balancer)."""

    servers: list[str]
    secret: str
    backend: str = "auto"
    max_procs: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=socket.gethostname)
    workdir: str | None = None
    poll_seconds: float = 55.0
    local: dict[str, Any] = field(default_factory=dict)  # the local backend's user, pids, network, unsafe

    @property
    def platform(self) -> str:
        """Return the platform label (from labels, else this machine's)."""
        return self.labels.get("platform") or default_platform()

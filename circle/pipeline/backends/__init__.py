"""Backends that run steps (local processes, docker containers, a scripted dummy) and their registry.

`get_backend(name, **options)` returns a new backend for one pipeline. Backends are imported only
when chosen, so an agent on the local backend never imports the docker SDK. `auto` picks docker
when an engine answers on DOCKER_HOST (default /var/run/docker.sock) and the SDK is installed,
else local.
"""
from __future__ import annotations

import http.client
import importlib
import importlib.util
import inspect
import logging
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from circle.pipeline.backends.base import Backend
from circle.pipeline.errors import UnknownBackend

log = logging.getLogger(__name__)

NAMES = ("local", "docker", "dummy", "auto")
_CLASSES = {
    "local": ("circle.pipeline.backends.local", "LocalBackend"),
    "docker": ("circle.pipeline.backends.docker", "DockerBackend"),
    "dummy": ("circle.pipeline.backends.dummy", "DummyBackend"),
}
DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP connection over a unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        """Connect to the socket file."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def docker_available(base_url: str | None = None, timeout: float = 2.0) -> bool:
    """Return whether a docker engine answers `GET /_ping`, without importing the docker SDK."""
    url = base_url or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_DOCKER_SOCKET}"
    parts = urlsplit(url)
    if parts.scheme in ("unix", "http+unix"):
        conn: http.client.HTTPConnection = _UnixConnection(parts.path, timeout)
    elif parts.scheme in ("tcp", "http") and not os.environ.get("DOCKER_TLS_VERIFY"):
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 2375, timeout=timeout)
    else:
        return False
    try:
        conn.request("GET", "/_ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def resolve(name: str) -> str:
    """Return the concrete backend name for `name` (`auto` becomes docker or local)."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        sdk = importlib.util.find_spec("docker") is not None
        name = "docker" if sdk and docker_available() else "local"
    if name not in _CLASSES:
        raise UnknownBackend(f"unknown backend {name!r}: choose one of {', '.join(NAMES)}")
    return name


def get_backend(name: str, **options: Any) -> Backend:
    """Return a new backend for one pipeline; options the chosen backend does not take are ignored."""
    module_name, class_name = _CLASSES[resolve(name)]
    cls = getattr(importlib.import_module(module_name), class_name)
    accepted = inspect.signature(cls).parameters
    ignored = sorted(set(options) - set(accepted))
    if ignored:
        log.debug("backend %s ignores options %s", cls.name, ", ".join(ignored))
    return cls(**{k: v for k, v in options.items() if k in accepted})

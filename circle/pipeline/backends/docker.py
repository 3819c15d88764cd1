"""Run steps as docker containers (docker SDK, low-level API).

The IR names its volumes and networks (the compiler emits a `workspace` volume and a `default`
network, and steps mount `workspace:/circle`); each becomes an engine object of its own per
pipeline, named `<pipeline id>_<name>`. A `workspace` volume always exists and is mounted at
`workspace.base` in every step that mounts nothing there; a step joins its `networks` (or every
network of the IR) answering to its own name and `aliases`, so services are reachable by name.
Step volumes that name a host path are passed as they are (the compiler only allows them for
trusted repos). Everything carries the label `io.circle.pipeline=<id>`; `destroy` removes every
container, network and volume of the pipeline, also after a cancel or a failed step.

Images are pulled only when absent or when the step says `pull: true`, with the IR's registry
credentials for the image's host. A step with commands runs `/bin/sh -c SCRIPT` (see
circle.pipeline.script; Linux caps one argument at 128 KiB); a step without runs its image's
entrypoint (or the step's `entrypoint`/`command`). `privileged` is passed through as the compiler decided it.
"""
from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import requests
from docker.utils import parse_repository_tag

from circle.pipeline.errors import (
    EXIT_CANNOT_RUN,
    EXIT_KILLED,
    EXIT_NOT_FOUND,
    BackendError,
    BackendUnavailable,
)
from circle.pipeline.script import step_script
from circle.pipeline.types import Config, Registry, Step, StepState

log = logging.getLogger(__name__)

LABEL = "io.circle.pipeline"
DOCKER_HUB = "docker.io"
WORKSPACE_VOLUME = "workspace"  # always created, mounted at workspace.base unless a step mounts another there
DEFAULT_NETWORK = "default"  # used when the IR names no network
_HUB_ALIASES = {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", DOCKER_HUB}
_NOT_FOUND_HINTS = ("executable file not found", "no such file or directory")


def _explain(err: Exception) -> str:
    """Return the engine's own explanation of an API error, else the error text."""
    explanation = getattr(err, "explanation", None)
    return str(explanation or err).strip()


def _os_reason(err: BaseException) -> str:
    """Return the text of the operating-system error buried in a connection error, if any."""
    pending: list[object] = [err]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.strerror:
            return item.strerror
        if isinstance(item, BaseException):
            pending += [*item.args, item.__cause__, item.__context__]
    return "it does not answer"


def registry_host(image: str) -> str:
    """Return the registry host of an image reference (docker.io for Docker Hub images)."""
    first, sep, _rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB


def _normalise_address(address: str) -> str:
    host = re.sub(r"^[a-z]+://", "", address.strip()).split("/", 1)[0]
    return DOCKER_HUB if host in _HUB_ALIASES else host


def auth_for(image: str, registries: list[Registry]) -> dict[str, str] | None:
    """Return the credentials of the registry that serves `image`, if the IR has them."""
    host = registry_host(image)
    for registry in registries:
        if _normalise_address(registry.address) == host:
            return {"username": registry.username, "password": registry.password}
    return None


class DockerBackend:
    """Steps as containers sharing one volume and one network per pipeline."""

    name = "docker"

    def __init__(self, base_url: str | None = None, api_timeout: float = 120) -> None:
        self.base_url = base_url
        self.api_timeout = api_timeout
        self.id = "circle_" + secrets.token_hex(6)
        self._api: docker.APIClient | None = None
        self._config = Config()
        self._containers: dict[str, str] = {}
        self._removed: set[str] = set()
        self._serial = itertools.count()
        self._lock = threading.Lock()

    @property
    def api(self) -> docker.APIClient:
        """Return the low-level client (connected in setup)."""
        if self._api is None:
            raise BackendUnavailable("the docker backend was not set up")
        return self._api

    def docker_name(self, name: str) -> str:
        """Return the engine's name of one of the pipeline's volumes or networks."""
        return f"{self.id}_{name}"

    def _volumes(self) -> list[str]:
        return [WORKSPACE_VOLUME] + [v.name for v in self._config.volumes if v.name != WORKSPACE_VOLUME]

    def _networks(self) -> list[str]:
        return [n.name for n in self._config.networks] or [DEFAULT_NETWORK]

    def _connect(self) -> docker.APIClient:
        try:
            if self.base_url:
                return docker.APIClient(base_url=self.base_url, timeout=self.api_timeout)
            options = docker.utils.kwargs_from_env()
            return docker.APIClient(timeout=self.api_timeout, **options)
        except docker.errors.DockerException as err:
            where = self.base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
            log.warning("docker engine at %s: %s", where, err)
            raise BackendUnavailable(f"cannot reach the docker engine at {where} ({_os_reason(err)})") from err

    def setup(self, config: Config) -> None:
        """Connect to the engine and create the pipeline's volumes and networks."""
        self._config = config
        self._api = self._connect()
        labels = {LABEL: self.id}
        drivers = {v.name: v.driver for v in config.volumes} | {n.name: n.driver for n in config.networks}
        try:
            for volume in self._volumes():
                self.api.create_volume(self.docker_name(volume), driver=drivers.get(volume, "local"), labels=labels)
            for network in self._networks():
                self.api.create_network(self.docker_name(network), driver=drivers.get(network, "bridge"),
                                        labels=labels)
        except (docker.errors.APIError, requests.RequestException) as err:
            raise BackendError(f"cannot create the pipeline's volume and network: {_explain(err)}") from err
        log.debug("docker pipeline %s set up", self.id)

    # -- images -----------------------------------------------------------------------------

    def _has_image(self, image: str) -> bool:
        try:
            self.api.inspect_image(image)
            return True
        except docker.errors.ImageNotFound:
            return False

    def _ensure_image(self, step: Step) -> None:
        image = step.image or ""
        if not image:
            raise BackendError(f"step {step.name} names no image")
        present = self._has_image(image)
        if present and not step.pull:
            return
        repository, tag = parse_repository_tag(image)
        try:
            for event in self.api.pull(repository, tag=tag or "latest", stream=True, decode=True,
                                       auth_config=auth_for(image, self._config.registries)):
                if "error" in event:
                    raise docker.errors.APIError(event["error"], explanation=event["error"])
        except (docker.errors.APIError, requests.RequestException) as err:
            if present:
                log.warning("pull of %s failed, using the local image: %s", image, _explain(err))
                return
            raise BackendError(f"image {image} not found and could not be pulled: {_explain(err)}",
                               EXIT_NOT_FOUND) from err

    # -- steps ------------------------------------------------------------------------------

    def container_config(self, step: Step, name: str) -> dict[str, Any]:
        """Return the `create_container` arguments of a step."""
        binds = self._binds(step)
        networks = [self.docker_name(n) for n in step.networks or self._networks()]
        network_mode = step.network_mode or networks[0]
        host_config = self.api.create_host_config(
            binds=binds, privileged=step.privileged, network_mode=network_mode,
            extra_hosts=_host_map(step.extra_hosts), dns=step.dns or None, dns_search=step.dns_search or None,
            tmpfs=list(step.tmpfs) or None, shm_size=step.shm_size or None, mem_limit=step.mem_limit or None,
            cpu_quota=step.cpu_quota or None, devices=list(step.devices) or None)
        networking = None
        if not step.network_mode:
            endpoint = self.api.create_endpoint_config(aliases=self._aliases(step))
            networking = self.api.create_networking_config({networks[0]: endpoint})
        entrypoint, command = (["/bin/sh", "-c"], [step_script(step.commands, step.trace)]) if step.commands \
            else (step.entrypoint, step.command)
        return {"image": step.image, "name": name, "entrypoint": entrypoint, "command": command,
                "environment": dict(step.environment), "working_dir": step.working_dir or None,
                "labels": {LABEL: self.id, f"{LABEL}.step": step.name}, "host_config": host_config,
                "networking_config": networking, "detach": True}

    def _binds(self, step: Step) -> list[str]:
        """Return the step's mounts: the pipeline's volumes by engine name, host paths as they are."""
        known = set(self._volumes())
        binds = []
        for volume in step.volumes:
            source, sep, rest = volume.partition(":")
            binds.append(f"{self.docker_name(source)}:{rest}" if sep and source in known else volume)
        base = self._config.workspace.base
        if not any(bind.split(":")[1:2] == [base] for bind in binds):
            binds.insert(0, f"{self.docker_name(WORKSPACE_VOLUME)}:{base}")
        return binds

    @staticmethod
    def _aliases(step: Step) -> list[str]:
        return list(dict.fromkeys([step.name, *step.aliases]))

    def start_step(self, step: Step) -> None:
        """Pull the image when needed, create the step's container and start it."""
        self._ensure_image(step)
        with self._lock:
            name = f"{self.id}_{next(self._serial)}"  # a retried step gets a new container
            self._containers[step.name] = name
        try:
            self.api.create_container(**self.container_config(step, name))
            if not step.network_mode:
                for network in (step.networks or self._networks())[1:]:
                    self.api.connect_container_to_network(name, self.docker_name(network), aliases=self._aliases(step))
            self.api.start(name)
        except docker.errors.ImageNotFound as err:
            raise BackendError(f"image {step.image} not found: {_explain(err)}", EXIT_NOT_FOUND) from err
        except (docker.errors.APIError, requests.RequestException) as err:
            text = _explain(err)
            code = EXIT_NOT_FOUND if any(h in text.lower() for h in _NOT_FOUND_HINTS) else EXIT_CANNOT_RUN
            raise BackendError(f"cannot start step {step.name}: {text}", code) from err

    def tail_step(self, step: Step) -> Iterator[bytes]:
        """Yield the container's stdout and stderr (demultiplexed by the SDK) until it stops."""
        name = self._containers.get(step.name)
        if name is None:
            return
        try:
            yield from self.api.logs(name, stdout=True, stderr=True, stream=True, follow=True)
        except (docker.errors.APIError, requests.RequestException, OSError) as err:
            if name not in self._removed:
                log.warning("logs of %s ended: %s", name, _explain(err))

    def wait_step(self, step: Step) -> StepState:
        """Wait for the container and return its exit code and whether it ran out of memory."""
        name = self._containers.get(step.name)
        state = StepState(proc=step.name, exited=True, exit_code=EXIT_KILLED, killed=True)
        if name is None or name in self._removed:
            return state
        try:
            code = self.api.wait(name, timeout=None)["StatusCode"]
            info = self.api.inspect_container(name)["State"]
        except docker.errors.NotFound:
            return state
        except (docker.errors.APIError, requests.RequestException) as err:
            if name in self._removed:
                return state
            raise BackendError(f"lost step {step.name}: {_explain(err)}", EXIT_CANNOT_RUN) from err
        return StepState(proc=step.name, exited=True, exit_code=int(code), oom_killed=bool(info.get("OOMKilled")))

    def destroy_step(self, step: Step) -> None:
        """Kill and remove the step's container; safe twice and after a failed start."""
        name = self._containers.get(step.name)
        if name is None:
            return
        self._removed.add(name)
        self._remove_container(name)

    def _remove_container(self, name: str) -> None:
        try:
            self.api.remove_container(name, force=True)
        except docker.errors.NotFound:
            pass
        except (docker.errors.APIError, requests.RequestException) as err:
            log.warning("could not remove container %s: %s", name, _explain(err))

    def destroy(self, config: Config) -> None:
        """Remove every container, the network and the volume of this pipeline."""
        if self._api is None:
            return
        try:
            leftovers = self.api.containers(all=True, filters={"label": f"{LABEL}={self.id}"})
        except (docker.errors.APIError, requests.RequestException) as err:
            log.warning("cannot list the containers of %s: %s", self.id, _explain(err))
            leftovers = []
        for container in leftovers:
            self._removed.add(container["Id"])
            self._remove_container(container["Id"])
        removals = [(self.api.remove_network, self.docker_name(n)) for n in self._networks()]
        removals += [(self.api.remove_volume, self.docker_name(v)) for v in self._volumes()]
        for remove, name in removals:
            try:
                remove(name)
            except docker.errors.NotFound:
                pass
            except (docker.errors.APIError, requests.RequestException) as err:
                log.warning("could not remove %s: %s", name, _explain(err))
        self._api.close()
        self._api = None


def _host_map(entries: list[str]) -> dict[str, str] | None:
    """Turn `host:ip` entries into the mapping the SDK takes."""
    pairs = [entry.split(":", 1) for entry in entries if ":" in entry]
    return {host: ip for host, ip in pairs} or None

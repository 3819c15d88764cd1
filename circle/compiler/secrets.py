"""Secrets: which secret reaches which step, under which variable name.

A step receives a secret only when it asks for it (Drone `secrets:` or Woodpecker `from_secret`)
and the secret allows the build's event and the step's image. Every secret value the pipeline
receives is listed in `Config.secrets` so that the runtime masks it in logs.
"""
from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from circle.compiler.images import repository
from circle.pipeline.types import Secret
from circle.states import TRUSTED_EVENTS

log = logging.getLogger(__name__)


@dataclass
class SecretSpec:
    """A secret available to a build: empty `images` means every image; empty `events` means every event but a
    pull request (states.TRUSTED_EVENTS): a pull request, whose author wrote its pipeline, sees a secret only
    when its events name pull_request."""

    name: str
    value: str
    events: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def allows(self, event: str, image: str | None) -> bool:
        """Return whether a step with `image` may see this secret during an `event` build."""
        if event not in (self.events or TRUSTED_EVENTS):
            return False
        if not self.images:
            return True
        candidates = {image or "", repository(image or "")}
        return any(fnmatch.fnmatchcase(c, pattern) for pattern in self.images for c in candidates)


class SecretStore:
    """The secrets of one build, looked up by name (case-insensitive) and recorded when used."""

    def __init__(self, specs: Sequence[SecretSpec], event: str) -> None:
        self._specs = {spec.name.lower(): spec for spec in specs}
        self._event = event
        self.used: dict[str, Secret] = {}

    def lookup(self, name: str, image: str | None) -> str | None:
        """Return the value of secret `name` for a step running `image`, or None when absent or denied."""
        spec = self._specs.get(name.lower())
        if spec is None:
            log.debug("secret %s not provided", name)
            return None
        if not spec.allows(self._event, image):
            log.debug("secret %s not allowed for event %s image %s", name, self._event, image)
            return None
        self.used.setdefault(spec.name, Secret(name=spec.name, value=spec.value))
        return spec.value

    def masked(self) -> list[Secret]:
        """Return the secrets handed to some step, for masking."""
        return [s for s in self.used.values() if s.value]

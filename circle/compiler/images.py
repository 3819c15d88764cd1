"""Docker image references: the repository part, and Drone's habit of spelling out `:latest`."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def repository(image: str) -> str:
    """Return `image` without its `:tag` or `@digest`."""
    image = image.split("@", 1)[0]
    slash, colon = image.rfind("/"), image.rfind(":")
    return image[:colon] if colon > slash else image


def with_tag(image: str) -> str:
    """Return `image` with `:latest` added when it names neither a tag nor a digest (as Drone 0.8 did)."""
    if not image or "@" in image or repository(image) != image:
        return image
    return image + ":latest"

"""A config's one rule beyond its fields: exactly one source, a `path` in the repo or inline `content`."""
from __future__ import annotations

from typing import Any

from circle.errors import InvalidInput
from circle.models import Config

ONE_SOURCE = "give exactly one of path and content"


def check_source(path: str | None, content: str | None) -> None:
    """Raise InvalidInput (on both fields) unless exactly one of path and content is given."""
    if bool(path) == bool(content):
        raise InvalidInput.of_fields({"path": [ONE_SOURCE], "content": [ONE_SOURCE]})


def patch_values(config: Config, values: dict[str, Any]) -> dict[str, Any]:
    """Return the columns a PATCH sets: giving one of path/content clears the other; exactly one must remain."""
    values = dict(values)
    if "path" in values and "content" not in values:
        values["content"] = None
    elif "content" in values and "path" not in values:
        values["path"] = None
    check_source(values.get("path", config.path), values.get("content", config.content))
    return values

"""Configs: a pipeline of a repo, read from `path` in the repo or stored as `content`, with branch filters."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load, pre_dump, validate, validates_schema

from circle.models import Config
from circle.schemas import NAME, Strict
from circle.service.configs import check_source

GLOB = validate.Length(min=1, max=255)
MAX_CONTENT = 512 * 1024


class BranchesSchema(Strict):
    """Branch globs a push or PR target must match (`include`, empty = all) and must not match (`exclude`)."""

    include = fields.List(fields.String(validate=GLOB), load_default=list)
    # The metaclass moves declared fields off the class, so this does not shadow Schema.exclude at run time.
    exclude = fields.List(fields.String(validate=GLOB), load_default=list)  # type: ignore[assignment]


class ConfigSchema(Strict):
    """A config: exactly one of `path` and `content`."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=NAME)
    path = fields.String(allow_none=True, validate=validate.Length(min=1, max=1024))
    content = fields.String(allow_none=True, validate=validate.Length(
        min=1, max=MAX_CONTENT, error=f"the content must be 1 to {MAX_CONTENT} characters"))
    branches = fields.Nested(BranchesSchema, load_default=lambda: {"include": [], "exclude": []})

    @pre_dump
    def _from_model(self, config: Config, **_: Any) -> dict[str, Any]:
        """Gather the model's branch columns into `branches`."""
        return {"id": config.id, "name": config.name, "path": config.path, "content": config.content,
                "branches": {"include": config.branches_include or [], "exclude": config.branches_exclude or []}}

    @validates_schema
    def _one_source(self, data: dict[str, Any], partial: Any = False, **_: Any) -> None:
        """Require exactly one of path and content on a full load (PATCH is checked after merging)."""
        if not partial:
            check_source(data.get("path"), data.get("content"))

    @post_load
    def _to_model(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Split `branches` into the model's two columns."""
        branches = data.pop("branches", None)
        if branches is not None:
            data["branches_include"] = branches.get("include", [])
            data["branches_exclude"] = branches.get("exclude", [])
        return data

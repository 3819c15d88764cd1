"""Where a build comes from: one value carried from the hook parser to the build row to the compiler.

Stdlib only, so every layer may import it. The field names are the Build model's column names,
so `columns()` fills a build and `from_columns(build)` reads one back.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

TAG_PREFIX = "refs/tags/"


@dataclass
class Origin:
    """The event a build answers and the commit it builds (for a pull request, `branch` is the target)."""

    event: str
    ref: str
    branch: str
    commit: str = ""
    message: str = ""
    title: str = ""
    author: str = ""
    email: str = ""
    avatar: str = ""
    link: str = ""
    sender: str = ""
    deploy_to: str = ""
    pr_number: int = 0
    source_branch: str = ""
    target_branch: str = ""
    cron: str = ""  # the cron job that started a `cron` build
    files: list[str] | None = None  # the files the push changed (`when: path`); None: unknown
    params: dict[str, str] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """Return the tag name when the ref is a tag, else ""."""
        return self.ref[len(TAG_PREFIX):] if self.ref.startswith(TAG_PREFIX) else ""

    def columns(self) -> dict[str, Any]:
        """Return the build columns this origin fills."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["params"] = dict(self.params)
        values["files"] = None if self.files is None else list(self.files)
        return values

    @classmethod
    def from_columns(cls, row: object) -> Origin:
        """Read an origin back from anything with the build columns as attributes (a Build row)."""
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        values["params"] = {str(k): str(v) for k, v in (values["params"] or {}).items()}
        values["files"] = None if values["files"] is None else [str(f) for f in values["files"]]
        return cls(**values)

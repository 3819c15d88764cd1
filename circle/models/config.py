"""Pipeline definitions attached to a repo."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import LongText, now


class Config(Model):
    """A pipeline of a repo: read from `path` at the build's commit, or stored `content`."""

    __tablename__ = "configs"
    __table_args__ = (UniqueConstraint("repo_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    content: Mapped[str | None] = mapped_column(LongText, nullable=True)
    branches_include: Mapped[list] = mapped_column(JSON, default=lambda: [])
    branches_exclude: Mapped[list] = mapped_column(JSON, default=lambda: [])
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)

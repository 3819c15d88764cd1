"""Cron jobs: builds a repo's branch on a schedule."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import now


class Cron(Model):
    """A named schedule of a repo; `next` is the unix time it is due, claimed by one server when reached."""

    __tablename__ = "crons"
    __table_args__ = (UniqueConstraint("repo_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    schedule: Mapped[str] = mapped_column(String(255))
    branch: Mapped[str] = mapped_column(String(255), default="")
    next: Mapped[int] = mapped_column(Integer, index=True)
    creator: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(String(1024), default="")
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)

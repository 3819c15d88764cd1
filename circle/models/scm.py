"""Registered code hosts."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import EncryptedText, now


class Scm(Model):
    """A code host registered by a user: kind + url + credentials (encrypted)."""

    __tablename__ = "scms"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(1024))
    username: Mapped[str] = mapped_column(String(255), default="")
    password: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    token: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)

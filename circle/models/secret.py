"""Named values for steps and registry credentials, both encrypted at rest."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import EncryptedText, now


class Secret(Model):
    """A named secret of a repo, exposed to the steps that ask for it on the allowed events/images."""

    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("repo_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(EncryptedText)
    events: Mapped[list] = mapped_column(JSON, default=lambda: [])
    images: Mapped[list] = mapped_column(JSON, default=lambda: [])
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)


class Registry(Model):
    """Credentials the agent uses to pull images of one registry host for a repo."""

    __tablename__ = "registries"
    __table_args__ = (UniqueConstraint("repo_id", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[str] = mapped_column(EncryptedText)
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)

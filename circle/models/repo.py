"""Activated repositories and who may do what on them."""
from __future__ import annotations

import secrets

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import EncryptedText, now


def new_hook_nonce() -> str:
    """Return a fresh random nonce for a repo's hook token."""
    return secrets.token_hex(16)


class Repo(Model):
    """A repository of an SCM that circle builds."""

    __tablename__ = "repos"
    __table_args__ = (UniqueConstraint("scm_id", "full_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scm_id: Mapped[int] = mapped_column(ForeignKey("scms.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    clone_url: Mapped[str] = mapped_column(String(1024))
    link: Mapped[str] = mapped_column(String(1024), default="")
    default_branch: Mapped[str] = mapped_column(String(255), default="main")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    hook_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    # Signed into the hook URL's token (circle.service.hook_url); new on every activation and repair.
    hook_nonce: Mapped[str] = mapped_column(String(64), default=new_hook_nonce, server_default="")
    allow_push: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_tag: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_pr: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_deploy: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    gated: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout: Mapped[int] = mapped_column(Integer, default=60)
    # At most this many of the repo's workflows run at once; 0 = no limit.
    max_concurrent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    counter: Mapped[int] = mapped_column(Integer, default=0)
    # Retention overrides (circle.service.retention); None = the global CIRCLE_RETENTION_* setting.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retention_keep_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    artifact_retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[int] = mapped_column(Integer, default=now)
    updated: Mapped[int] = mapped_column(Integer, default=now, onupdate=now)


class Perm(Model):
    """What one user may do on one repo."""

    __tablename__ = "perms"
    __table_args__ = (UniqueConstraint("user_id", "repo_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    pull: Mapped[bool] = mapped_column(Boolean, default=True)
    push: Mapped[bool] = mapped_column(Boolean, default=False)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    synced: Mapped[int] = mapped_column(Integer, default=now)

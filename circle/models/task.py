"""Queued workflows and the agents that lease them."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Double, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import SealedJson, now


class Task(Model):
    """A workflow waiting for (pending) or leased by (running) an agent; the row is the truth."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_state_created", "state", "id"),
                      Index("ix_tasks_dispatch", "state", "repo_id", "labels_key", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    proc_id: Mapped[int] = mapped_column(ForeignKey("procs.id", ondelete="CASCADE"), index=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"))
    labels: Mapped[dict] = mapped_column(JSON, default=lambda: {})
    # sha1 of the labels' canonical JSON: pending tasks are grouped (and claimed) by it, never matched row by row.
    labels_key: Mapped[str] = mapped_column(String(40), server_default="")
    timeout: Mapped[int] = mapped_column(Integer, default=60)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    lease_deadline: Mapped[float] = mapped_column(Double, default=0.0)
    # A fresh random token per claim: every RPC names it, so a stale agent's calls change nothing.
    lease: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=now)


class TaskPayload(Model):
    """The compiled workflow a task hands out, sealed (compressed and encrypted: it holds secret values)."""

    __tablename__ = "task_payloads"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(SealedJson)


class Agent(Model):
    """A machine that runs workflows; authenticates with the shared secret or its own token."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    platform: Mapped[str] = mapped_column(String(64), default="linux/amd64")
    backend: Mapped[str] = mapped_column(String(32), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    labels: Mapped[dict] = mapped_column(JSON, default=lambda: {})
    version: Mapped[str] = mapped_column(String(64), default="")
    last_contact: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=now)
    # A paused agent finishes what it runs and is handed nothing new.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

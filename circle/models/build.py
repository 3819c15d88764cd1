"""Builds and their process trees."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle import states
from circle.extensions import Model
from circle.models.types import now


class Build(Model):
    """One run of one config for one event, numbered per repo."""

    __tablename__ = "builds"
    __table_args__ = (
        UniqueConstraint("repo_id", "number"),
        Index("ix_builds_repo_status", "repo_id", "status"),
        Index("ix_builds_repo_branch", "repo_id", "branch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"))
    config_id: Mapped[int | None] = mapped_column(ForeignKey("configs.id", ondelete="SET NULL"), nullable=True,
                                                  index=True)
    number: Mapped[int] = mapped_column(Integer)
    parent: Mapped[int] = mapped_column(Integer, default=0)
    event: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default=states.PENDING)
    ref: Mapped[str] = mapped_column(String(512), default="")
    branch: Mapped[str] = mapped_column(String(255), default="")
    commit: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(1024), default="")
    author: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    avatar: Mapped[str] = mapped_column(String(1024), default="")
    link: Mapped[str] = mapped_column(String(1024), default="")
    sender: Mapped[str] = mapped_column(String(255), default="")
    deploy_to: Mapped[str] = mapped_column(String(255), default="")
    pr_number: Mapped[int] = mapped_column(Integer, default=0)
    source_branch: Mapped[str] = mapped_column(String(255), default="")
    target_branch: Mapped[str] = mapped_column(String(255), default="")
    params: Mapped[dict] = mapped_column(JSON, default=lambda: {})
    cron: Mapped[str] = mapped_column(String(255), default="")
    files: Mapped[list | None] = mapped_column(JSON, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[int] = mapped_column(Integer, default=now)
    enqueued: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)


class Proc(Model):
    """A node of a build's process tree: a workflow (ppid 0) or one of its steps."""

    __tablename__ = "procs"
    __table_args__ = (UniqueConstraint("build_id", "pid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"))
    pid: Mapped[int] = mapped_column(Integer)
    ppid: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32), default=states.PENDING)
    exit_code: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    started: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    machine: Mapped[str] = mapped_column(String(255), default="")
    platform: Mapped[str] = mapped_column(String(255), default="")
    environment: Mapped[dict] = mapped_column(JSON, default=lambda: {})
    # A workflow's dependencies: the pids of the workflows it waits for, and after which of their
    # outcomes (`success`, `failure`) it runs; None or empty for a workflow that waits for nothing.
    depends_on: Mapped[list | None] = mapped_column(JSON, nullable=True)
    runs_on: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # Bytes of output stored for the proc; past CIRCLE_LOG_MAX_BYTES once the limit's marker line is stored.
    log_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Times the step was run: 1 + its retries so far (0 until it starts).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The name of the stage a step belongs to: the steps of one stage run in parallel ("" for a workflow).
    stage: Mapped[str] = mapped_column(String(255), default="", server_default="")

"""Test results from JUnit reports: a repo's tests (one row per test, across builds) and each build's results."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model

NAME_MAX = 1024
SUITE_MAX = 512
STATUS_MAX = 16


class RepoTest(Model):
    """One test of a repo, known across builds by `digest` (sha256 of its repo, classname and name)."""

    __tablename__ = "tests"
    # The digest alone is the key, so a lookup by digests uses its index whatever the planner knows of repo_id.
    __table_args__ = (UniqueConstraint("digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    classname: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    file: Mapped[str] = mapped_column(String(NAME_MAX), default="")


class CaseResult(Model):
    """How one test ended in one build: status, seconds, message and an output excerpt."""

    __tablename__ = "test_results"
    __table_args__ = (
        Index("ix_test_results_build_status", "build_id", "status"),
        Index("ix_test_results_test_build", "test_id", "build_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"))
    test_id: Mapped[int] = mapped_column(ForeignKey("tests.id", ondelete="CASCADE"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"), nullable=True)
    pid: Mapped[int] = mapped_column(Integer, default=0)
    suite: Mapped[str] = mapped_column(String(SUITE_MAX), default="")
    status: Mapped[str] = mapped_column(String(STATUS_MAX))
    time: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[str] = mapped_column(Text, default="")

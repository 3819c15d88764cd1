"""Output lines of procs, one row per line, written in batches."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import db
from circle.models.types import LongText


class LogEntry(db.Model):
    """One output line of one proc: `pos` counts from 0, `time` is seconds since the proc started."""

    __tablename__ = "log_entries"
    __table_args__ = (UniqueConstraint("proc_id", "pos"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proc_id: Mapped[int] = mapped_column(ForeignKey("procs.id", ondelete="CASCADE"))
    pos: Mapped[int] = mapped_column(Integer)
    time: Mapped[int] = mapped_column(Integer, default=0)
    out: Mapped[str] = mapped_column(LongText, default="")

"""Output lines of procs, stored one row per batch the agent sent."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model

# A batch is at most 4 MiB of text; JSON escaping can grow it past MEDIUMTEXT's 16 MiB.
BatchText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


class LogEntry(Model):
    """A batch of consecutive output lines of one proc: positions `pos`…`last`, `lines` as JSON [[pos, time, out]…]."""

    __tablename__ = "log_entries"
    __table_args__ = (UniqueConstraint("proc_id", "pos"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proc_id: Mapped[int] = mapped_column(ForeignKey("procs.id", ondelete="CASCADE"))
    pos: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    lines: Mapped[str] = mapped_column(BatchText)

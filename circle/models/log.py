"""Output lines of procs, stored one row per batch the agent sent, zlib-compressed."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model

# A batch is at most 4 MiB of text before compression; LONGBLOB keeps MariaDB from cutting it at 64 KiB.
BatchData = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class LogEntry(Model):
    """A batch of output lines of one proc: positions `pos`…`last`, `data` = zlib of JSON [[pos, time, out]…]."""

    __tablename__ = "log_entries"
    __table_args__ = (UniqueConstraint("proc_id", "pos"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proc_id: Mapped[int] = mapped_column(ForeignKey("procs.id", ondelete="CASCADE"))
    pos: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(BatchData)

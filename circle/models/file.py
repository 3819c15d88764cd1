"""Artifacts uploaded by steps."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import LongBinary, now


class File(Model):
    """An artifact of a build: the bytes in `data`, or on disk at `path`."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    proc_id: Mapped[int | None] = mapped_column(ForeignKey("procs.id", ondelete="SET NULL"), nullable=True)
    pid: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(1024))
    mime: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    # Hex SHA-256 of the bytes, computed by the server while storing them; None for files stored before it did.
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[bytes | None] = mapped_column(LongBinary, nullable=True)
    path: Mapped[str] = mapped_column(String(1024), default="")
    # "report" for a JUnit report whose cases were stored (circle.models.test), else "artifact".
    kind: Mapped[str] = mapped_column(String(16), default="artifact", server_default="artifact")
    created: Mapped[int] = mapped_column(Integer, default=now)

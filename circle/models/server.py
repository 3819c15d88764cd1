"""The server processes that share the database, each seen through its heartbeat."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import now


class Server(Model):
    """One running `circle server` process; `last_seen` is refreshed by its heartbeat."""

    __tablename__ = "servers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(Integer, default=now)
    last_seen: Mapped[int] = mapped_column(Integer, default=now)
    # The kind of its CIRCLE_PUBSUB_URL: "" (none, in-process), "redis" or "postgres".
    bus: Mapped[str] = mapped_column(String(16), default="")

"""The webhook deliveries a repo received, by the forge's delivery id (replay protection)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.extensions import Model
from circle.models.types import now

# The longest delivery id stored; forges send UUIDs (36 characters).
MAX_DELIVERY_ID = 128


class HookDelivery(Model):
    """One delivery id a repo's hook accepted; a second delivery with the same id builds nothing."""

    __tablename__ = "hook_deliveries"
    __table_args__ = (UniqueConstraint("repo_id", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(MAX_DELIVERY_ID))
    received_at: Mapped[int] = mapped_column(Integer, default=now, index=True)

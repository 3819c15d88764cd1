"""The delivery ids repos' hooks accepted: recorded with the builds they made, pruned after the retention."""
from __future__ import annotations

from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from circle.extensions import db
from circle.models import HookDelivery
from circle.store.base import Crud, flush

_deliveries = Crud(HookDelivery, "hook delivery")

count = _deliveries.count


def create(repo_id: int, delivery_id: str) -> HookDelivery:
    """Record that the repo received `delivery_id`; Conflict when it already did."""
    return _deliveries.create(repo_id=repo_id, delivery_id=delivery_id)


def delete_older_than(moment: int, limit: int) -> int:
    """Delete at most `limit` of the oldest deliveries received before `moment`; return how many."""
    ids = list(db.session.scalars(select(HookDelivery.id).where(HookDelivery.received_at < moment)
                                  .order_by(HookDelivery.received_at, HookDelivery.id).limit(limit)))
    if ids:
        db.session.execute(sql_delete(HookDelivery).where(HookDelivery.id.in_(ids)))
        flush("hook delivery")
    return len(ids)

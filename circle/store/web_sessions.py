"""Dashboard sessions kept server-side: the cookie names a row, so ending the row ends the cookie everywhere."""
from __future__ import annotations

from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from circle import crypto
from circle.errors import NotFound
from circle.extensions import db
from circle.models import User, WebSession
from circle.models.types import now
from circle.store.base import Crud, flush

_sessions = Crud(WebSession, "session")

# A session's last activity is written at most this often (seconds).
LAST_SEEN_EVERY = 60


def create(user: User) -> str:
    """Start a session for `user` and return its id (only the id's hash is stored)."""
    session_id = crypto.new_token()
    _sessions.create(user_id=user.id, hash=crypto.hash_token(session_id))
    return session_id


def get_user(session_id: str, *, idle: int, lifetime: int) -> User:
    """Return the active user of a live session and note the activity; NotFound when gone, idle or too old."""
    row = db.session.scalars(select(WebSession).where(WebSession.hash == crypto.hash_token(session_id))).first()
    if row is None:
        raise NotFound("session not found")
    moment = now()
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or moment - row.last_seen > idle or moment - row.created > lifetime:
        _sessions.delete(row)
        raise NotFound("session ended")
    if moment - row.last_seen >= LAST_SEEN_EVERY:
        row.last_seen = moment
        flush("session")
    return user


def delete(session_id: str) -> None:
    """End one session (nothing happens when it is already gone)."""
    db.session.execute(sql_delete(WebSession).where(WebSession.hash == crypto.hash_token(session_id)))
    flush("session")


def delete_for_user(user_id: int) -> None:
    """End every session of a user."""
    db.session.execute(sql_delete(WebSession).where(WebSession.user_id == user_id))
    flush("session")

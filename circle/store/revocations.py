"""A per-process count of committed changes to who may read what, for caches of access answers to compare.

Any commit of this process that wrote a user, an API token, a dashboard session or a permission, or that
deleted a repo, counts one. A cache that remembers "this token is alice" or "alice may read repo 3"
(circle.api.live_access) drops its answers when the count moved, so a revocation made by this process
holds at once; one made by another server process holds when the cache's own few seconds run out.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from circle.extensions import db
from circle.models import Perm, Repo, Token, User, WebSession

_WATCHED = (User, Token, WebSession, Perm)
_TABLES = frozenset(model.__tablename__ for model in _WATCHED)
_CHANGED = "circle.access_changed"
_count = 0
_lock = threading.Lock()


def generation() -> int:
    """Return how many commits of this process changed access so far."""
    return _count


def _note_flush(session: Session, *_: Any) -> None:
    """Mark the transaction when a flush writes a watched row or deletes a repo."""
    written = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, _WATCHED) for row in written) or any(isinstance(row, Repo) for row in session.deleted):
        session.info[_CHANGED] = True


def _note_statement(state: ORMExecuteState) -> None:
    """Mark the transaction when a bulk UPDATE or DELETE hits a watched table, or a DELETE the repos."""
    if not (state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", "")
    if name in _TABLES or (state.is_delete and name == Repo.__tablename__):
        state.session.info[_CHANGED] = True


def _count_commit(session: Session) -> None:
    """Count a committed transaction that changed access."""
    global _count
    if session.info.pop(_CHANGED, False):
        with _lock:
            _count += 1


def _forget(session: Session, *_: Any) -> None:
    """Forget the mark of a transaction that rolled back."""
    session.info.pop(_CHANGED, None)


_LISTENERS = (("before_flush", _note_flush), ("do_orm_execute", _note_statement),
              ("after_commit", _count_commit), ("after_soft_rollback", _forget))


def install() -> None:
    """Watch the app's sessions for access changes (called once by create_app)."""
    for name, listener in _LISTENERS:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)

"""Proc output: one row per batch of lines, read back line by line in position order.

A batch row holds lines `pos`…`last` as JSON. Writing skips lines at or below the highest position
already stored, so a batch the agent resends after a lost answer stores nothing twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError

from circle.errors import Conflict
from circle.extensions import db
from circle.models import LogEntry
from circle.store.base import commit


@dataclass(frozen=True)
class Line:
    """One output line: position from 0, seconds since the proc started, text."""

    pos: int
    time: int
    out: str


def last_pos(proc_id: int) -> int:
    """Return the highest stored position of a proc, or -1."""
    value = db.session.scalar(select(func.max(LogEntry.last)).where(LogEntry.proc_id == proc_id))
    return -1 if value is None else int(value)


def append(proc_id: int, lines: Iterable[tuple[int, int, str]]) -> int:
    """Store (pos, time, out) lines of a proc as one batch; lines already stored are skipped.

    Return how many were new.
    """
    known = last_pos(proc_id)
    fresh = sorted((pos, time, out) for pos, time, out in lines if pos > known)
    if not fresh:
        return 0
    try:
        db.session.execute(insert(cast(Table, LogEntry.__table__)), [{
            "proc_id": proc_id, "pos": fresh[0][0], "last": fresh[-1][0],
            "lines": json.dumps(fresh, ensure_ascii=False, separators=(",", ":"))}])
        commit("log batch")
    except (IntegrityError, Conflict):  # the same batch arrived twice at once: the other copy is stored
        db.session.rollback()
        return 0
    return len(fresh)


def list_by_proc(proc_id: int, *, after: int = -1) -> list[Line]:
    """Return a proc's lines with pos > `after`, in order."""
    stmt = (select(LogEntry.lines).where(LogEntry.proc_id == proc_id, LogEntry.last > after)
            .order_by(LogEntry.pos))
    return [Line(pos, time, out) for batch in db.session.scalars(stmt) for pos, time, out in json.loads(batch)
            if pos > after]


def delete_by_proc(proc_id: int) -> None:
    """Delete every line of a proc."""
    db.session.execute(sql_delete(LogEntry).where(LogEntry.proc_id == proc_id))

"""Proc output lines, inserted in batches and read back by position."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete as sql_delete, func, insert, select

from circle.extensions import db
from circle.models import LogEntry
from circle.store.base import Crud, commit

_crud = Crud(LogEntry, "log line")
count = _crud.count


def append(proc_id: int, lines: Iterable[tuple[int, int, str]]) -> int:
    """Insert (pos, time, out) lines of a proc in one statement; positions already stored are skipped."""
    rows = [{"proc_id": proc_id, "pos": pos, "time": time, "out": out} for pos, time, out in lines]
    if not rows:
        return 0
    low = min(r["pos"] for r in rows)
    high = max(r["pos"] for r in rows)
    taken = set(db.session.scalars(select(LogEntry.pos).where(
        LogEntry.proc_id == proc_id, LogEntry.pos >= low, LogEntry.pos <= high)))
    fresh = {r["pos"]: r for r in rows if r["pos"] not in taken}
    if fresh:
        db.session.execute(insert(LogEntry), list(fresh.values()))
    commit("log line")
    return len(fresh)


def list_by_proc(proc_id: int, *, after: int = -1, limit: int | None = None) -> list[LogEntry]:
    """Return a proc's lines with pos > `after`, in order."""
    stmt = select(LogEntry).where(LogEntry.proc_id == proc_id, LogEntry.pos > after).order_by(LogEntry.pos)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def last_pos(proc_id: int) -> int:
    """Return the highest stored position of a proc, or -1."""
    value = db.session.scalar(select(func.max(LogEntry.pos)).where(LogEntry.proc_id == proc_id))
    return -1 if value is None else int(value)


def delete_by_proc(proc_id: int) -> None:
    """Delete every line of a proc."""
    db.session.execute(sql_delete(LogEntry).where(LogEntry.proc_id == proc_id))
    commit("log line")

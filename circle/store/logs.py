"""Proc output: one row per batch of lines (see store.logbatch for its form), read back in pages by position.

A batch row holds lines `pos`…`last`. Writing skips lines at or below the highest position already
stored, so a batch the agent resends after a lost answer stores nothing twice. Each proc keeps the
bytes it stored in `procs.log_bytes`, so the per-step cap costs one row read per batch, not a scan.
"""
from __future__ import annotations

from operator import itemgetter
from typing import Iterable, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError

from circle.extensions import db
from circle.limits import INT_MAX
from circle.models import LogEntry, Proc
from circle.store.base import flush, savepoint
from circle.store.logbatch import UNBOUNDED, Batch, Line, Piece, pack, parse, pieces

# How many batch rows one query of a page fetches at most.
ROWS_PER_QUERY = 64


def stored_extent(proc_id: int) -> tuple[int, int]:
    """Return the bytes of output stored for a proc (past the cap once its marker is stored) and its highest
    stored position (-1 when none), in one query."""
    last = (select(LogEntry.last).where(LogEntry.proc_id == proc_id).order_by(LogEntry.pos.desc()).limit(1)
            .scalar_subquery())
    row = db.session.execute(select(Proc.log_bytes, last).where(Proc.id == proc_id)).first()
    if row is None:
        return 0, -1
    return int(row[0] or 0), -1 if row[1] is None else int(row[1])


def _capped(lines: list[Line], used: int, cap: int, marker: str) -> tuple[list[Line], int]:
    """Return the lines fitting under `cap` bytes after `used` (the first one over becomes `marker`), and the total."""
    total = used + len("".join(out for _, _, out in lines).encode())
    if total > cap:
        for index, (pos, time, out) in enumerate(lines):
            size = len(out.encode())
            if used + size > cap:
                return [*lines[:index], (pos, time, marker)], max(used + len(marker.encode()), cap + 1)
            used += size
    return lines, total


def append(proc_id: int, lines: Iterable[Line], *, cap: int, marker: str) -> list[Line]:
    """Store (pos, time, out) lines of a proc as one batch; return the lines stored, in order.

    Lines already stored are skipped. Once the proc's stored bytes would pass `cap`, the first line
    over is stored as `marker` instead and every later line is dropped.
    """
    used, known = stored_extent(proc_id)
    if used > cap:
        return []
    fresh = [line for line in lines if line[0] > known]
    fresh.sort(key=itemgetter(0))
    fresh, total = _capped(fresh, used, cap, marker)
    if not fresh:
        return []
    try:
        with savepoint():  # the same batch may arrive twice at once (a retry): then the other copy is stored
            db.session.execute(insert(cast(Table, LogEntry.__table__)), [{
                "proc_id": proc_id, "pos": fresh[0][0], "last": fresh[-1][0], "data": pack(fresh)}])
    except IntegrityError:
        return []
    db.session.execute(update(Proc).where(Proc.id == proc_id).values(log_bytes=total))
    flush("log batch")
    return fresh


def list_batches(proc_id: int, *, after: int = -1, upto: int | None = None,
                 limit: int = ROWS_PER_QUERY) -> list[Batch]:
    """Return up to `limit` batches of a proc holding positions past `after` (starting by `upto`), in order.

    The scan starts at the batch holding `after + 1` (found through the (proc_id, pos) index), so reading
    page N of a long log does not walk the N-1 pages before it. No position follows INT_MAX.
    """
    if after >= INT_MAX:
        return []
    start = (select(func.max(LogEntry.pos)).where(LogEntry.proc_id == proc_id, LogEntry.pos <= after + 1)
             .scalar_subquery())
    where = [LogEntry.proc_id == proc_id, LogEntry.pos >= func.coalesce(start, after + 1), LogEntry.last > after]
    if upto is not None:
        where.append(LogEntry.pos <= min(upto, INT_MAX))
    stmt = select(LogEntry.pos, LogEntry.last, LogEntry.data).where(*where).order_by(LogEntry.pos).limit(limit)
    return [Batch(pos, last, data) for pos, last, data in db.session.execute(stmt)]


def list_pieces(proc_id: int, *, after: int = -1, limit: int, max_lines: int, max_bytes: int) -> list[Piece]:
    """Return at most `limit` lines of a proc with pos > `after` as pieces (see logbatch.pieces), in order.

    One query fetches the batches that can hold positions after…after+limit; a gap in the positions
    costs one more query per gap.
    """
    found: list[Piece] = []
    left = limit
    while left > 0:
        batches = (list_batches(proc_id, after=after, upto=after + left)
                   or list_batches(proc_id, after=after, limit=1))
        if not batches:
            break
        more = list(pieces(batches, after, left, max_lines=max_lines, max_bytes=max_bytes))
        found += more
        left -= sum(piece.length for piece in more)
        after = batches[-1].last
    return found


def list_page(proc_id: int, *, after: int = -1, limit: int) -> list[Line]:
    """Return at most `limit` lines of a proc with pos > `after`, in order."""
    found = list_pieces(proc_id, after=after, limit=limit, max_lines=limit, max_bytes=UNBOUNDED)
    return [line for piece in found for line in parse(piece)]


def delete_by_proc(proc_id: int) -> None:
    """Delete every stored batch of a proc (its byte count stays: see procs.log_bytes)."""
    db.session.execute(sql_delete(LogEntry).where(LogEntry.proc_id == proc_id))

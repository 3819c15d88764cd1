"""For migrations that rewrite rows: walk a table in batches keyed on its id, logging the progress.

A table that grows with use (log_entries, procs, builds) is never read whole: `walk` selects `batch` rows at a
time after the last id seen, so memory stays flat on a large database, and logs "<label>: N/TOTAL rows" at
INFO (logger circle.migrating: `circle server` keeps Alembic's own lines below WARNING) each time another tenth
is done and at the end, so an operator sees a long upgrade move. The caller may update the rows of a batch
before asking for the next one.
"""
from __future__ import annotations

import logging
from typing import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

log = logging.getLogger(__name__)

BATCH = 1000


def walk(conn: Connection, table: sa.TableClause, *columns: sa.ColumnElement, label: str,
         batch: int = BATCH) -> Iterator[Sequence[Row]]:
    """Yield the rows (id first, then `columns`) of `table` in batches ordered by id, logging the progress."""
    total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    done, tenths, after = 0, 0, None
    while done < total:
        query = sa.select(table.c.id, *columns).order_by(table.c.id).limit(batch)
        rows = conn.execute(query if after is None else query.where(table.c.id > after)).fetchall()
        if not rows:
            break
        yield rows
        done, after = done + len(rows), rows[-1][0]
        if done * 10 // total > tenths or len(rows) < batch:
            tenths = done * 10 // total
            log.info("%s: %d/%d rows", label, done, total)

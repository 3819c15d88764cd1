"""log batches are stored zlib-compressed, as ready JSON objects: log_entries.lines (JSON text) becomes log_entries.data

data = zlib of `[[pos, …], [start, …, end + 1]]\n{"pos":…,"time":…,"out":…},…` (ASCII; see circle.store.logbatch,
whose form this revision writes as it was when written).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""
import json
import zlib
from itertools import accumulate
from json.encoder import encode_basestring_ascii

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from circle.migrating import walk

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BATCH_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')
BATCH_DATA = sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mysql', 'mariadb')
# Rows converted per query, so a large table is never read into memory at once.
CHUNK = 500


def _convert(source: str, target: str, change) -> None:
    """Fill column `target` of every log entry from column `source` through `change`, CHUNK rows at a time."""
    conn = op.get_bind()
    entries = sa.table('log_entries', sa.column('id'), sa.column(source), sa.column(target))
    for rows in walk(conn, entries, entries.c[source], label=f'0008: log batches {source} to {target}', batch=CHUNK):
        for row_id, value in rows:
            conn.execute(entries.update().where(entries.c.id == row_id).values({target: change(value)}))


def _pack(text: str) -> bytes:
    """Return a batch stored as JSON [[pos, time, out], …] in the compressed form."""
    lines = json.loads(text)
    elements = [f'{{"pos":{pos},"time":{time},"out":{encode_basestring_ascii(out)}}}' for pos, time, out in lines]
    starts = [0, *accumulate(len(element) + 1 for element in elements)]
    index = json.dumps([[pos for pos, _, _ in lines], starts], separators=(",", ":"))
    return zlib.compress(f"{index}\n{','.join(elements)}".encode("ascii"), 1)


def _unpack(data: bytes) -> str:
    """Return a compressed batch as JSON [[pos, time, out], …]."""
    body = zlib.decompress(data).partition(b"\n")[2]
    lines = json.loads(b"[" + body + b"]")
    return json.dumps([[line["pos"], line["time"], line["out"]] for line in lines], ensure_ascii=False)


def upgrade():
    """Add data, pack every batch into it, drop lines."""
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', BATCH_DATA, nullable=True))
    _convert('lines', 'data', _pack)
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=BATCH_DATA, nullable=False)
        batch_op.drop_column('lines')


def downgrade():
    """Put every batch's JSON back into lines as text."""
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', BATCH_TEXT, nullable=True))
    _convert('data', 'lines', _unpack)
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('lines', existing_type=BATCH_TEXT, nullable=False)
        batch_op.drop_column('data')

"""log batches are stored zlib-compressed: log_entries.lines (JSON text) becomes log_entries.data (bytes)

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02

"""
import zlib

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0007'
down_revision = '0005'
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
    after = 0
    while True:
        rows = conn.execute(sa.select(entries.c.id, entries.c[source]).where(entries.c.id > after)
                            .order_by(entries.c.id).limit(CHUNK)).fetchall()
        for row_id, value in rows:
            conn.execute(entries.update().where(entries.c.id == row_id).values({target: change(value)}))
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


def upgrade():
    """Add data, compress every batch's JSON into it, drop lines."""
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', BATCH_DATA, nullable=True))
    _convert('lines', 'data', lambda text: zlib.compress(text.encode(), 6))
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=BATCH_DATA, nullable=False)
        batch_op.drop_column('lines')


def downgrade():
    """Put every batch's JSON back into lines as text."""
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', BATCH_TEXT, nullable=True))
    _convert('data', 'lines', lambda data: zlib.decompress(data).decode())
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('lines', existing_type=BATCH_TEXT, nullable=False)
        batch_op.drop_column('data')

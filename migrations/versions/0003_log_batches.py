"""log entries hold batches: one row per `log` call (pos…last, lines as JSON) instead of one row per line

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

"""
import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from circle.migrating import walk

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')
LINE_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')


def _entries(*names: str) -> sa.TableClause:
    """Return a lightweight table of log_entries with `names` (quoted properly: `out` is reserved in MariaDB)."""
    return sa.table('log_entries', *(sa.column(name) for name in names))


def upgrade():
    """Add last/lines, turn each stored line into a one-line batch, drop time/out."""
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lines', BATCH_TEXT, nullable=True))
    conn = op.get_bind()
    old = _entries('id', 'pos', 'time', 'out', 'last', 'lines')
    for rows in walk(conn, old, old.c.pos, old.c.time, old.c.out, label='0003: log lines made batches'):
        for row_id, pos, time, out in rows:
            conn.execute(old.update().where(old.c.id == row_id).values(last=pos, lines=json.dumps([[pos, time, out]])))
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('last', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('lines', existing_type=BATCH_TEXT, nullable=False)
        batch_op.drop_column('time')
        batch_op.drop_column('out')


def downgrade():
    """Split batches back into one row per line."""
    conn = op.get_bind()
    new = _entries('proc_id', 'pos', 'last', 'lines', 'time', 'out')
    batches = conn.execute(sa.select(new.c.proc_id, new.c.lines)).fetchall()
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('out', LINE_TEXT, nullable=True))
    conn.execute(new.delete())
    for proc_id, lines in batches:
        for pos, time, out in json.loads(lines):
            conn.execute(new.insert().values(proc_id=proc_id, pos=pos, last=pos, lines='', time=time, out=out))
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.alter_column('time', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('out', existing_type=LINE_TEXT, nullable=False)
        batch_op.drop_column('lines')
        batch_op.drop_column('last')

"""procs.log_bytes: the bytes of output stored per proc, kept by each write (the per-step cap reads one row)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

"""
import json
import zlib

from alembic import op
import sqlalchemy as sa

from circle.migrating import walk

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    """Add log_bytes (0) in place (never recreate procs: see downgrade), then count the lines procs stored."""
    op.add_column('procs', sa.Column('log_bytes', sa.BigInteger(), nullable=False, server_default='0'))
    conn = op.get_bind()
    entries = sa.table('log_entries', sa.column('proc_id'), sa.column('data'))
    procs = sa.table('procs', sa.column('id'), sa.column('log_bytes'))
    for rows in walk(conn, procs, label='0009: procs whose log bytes were counted'):
        for (proc_id,) in rows:
            batches = conn.execute(sa.select(entries.c.data).where(entries.c.proc_id == proc_id)).scalars().all()
            if not batches:
                continue
            bodies = (zlib.decompress(data).partition(b"\n")[2] for data in batches)
            size = sum(len(line["out"].encode()) for body in bodies for line in json.loads(b"[" + body + b"]"))
            conn.execute(procs.update().where(procs.c.id == proc_id).values(log_bytes=size))


def downgrade():
    """Drop log_bytes in place: SQLite's batch mode would recreate procs, and dropping the old table cascades."""
    op.drop_column('procs', 'log_bytes')

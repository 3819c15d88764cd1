"""tasks.lease: the random token of the current claim, so RPCs are bound to a lease, not a reusable id

Also makes SQLite's tasks ids AUTOINCREMENT (never reused after a delete).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _recreate() -> str:
    """Return the batch mode: SQLite rebuilds the table (to change AUTOINCREMENT), the others alter in place."""
    return 'always' if op.get_bind().dialect.name == 'sqlite' else 'auto'


def upgrade():
    """Add the lease token column."""
    with op.batch_alter_table('tasks', schema=None, recreate=_recreate(),
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('lease', sa.String(length=32), nullable=True))


def downgrade():
    """Drop the lease token column."""
    with op.batch_alter_table('tasks', schema=None, recreate=_recreate(),
                              table_kwargs={'sqlite_autoincrement': False}) as batch_op:
        batch_op.drop_column('lease')

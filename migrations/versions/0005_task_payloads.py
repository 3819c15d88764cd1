"""task payloads move to their own table, sealed (compressed and encrypted: the compiled pipeline holds secrets)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""
import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from circle import crypto

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LONG_BINARY = sa.LargeBinary().with_variant(mysql.LONGBLOB(), 'mysql', 'mariadb')
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')


def upgrade():
    """Create task_payloads, seal every task's payload into it, drop tasks.payload."""
    payloads = op.create_table(
        'task_payloads',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('data', LONG_BINARY, nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id'))
    conn = op.get_bind()
    tasks = sa.table('tasks', sa.column('id'), sa.column('payload'))
    for task_id, payload in conn.execute(sa.select(tasks.c.id, tasks.c.payload)).fetchall():
        conn.execute(payloads.insert().values(task_id=task_id, data=crypto.seal((payload or '{}').encode())))
    with op.batch_alter_table('tasks', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('payload')


def downgrade():
    """Put the payloads back into tasks.payload in plain text."""
    with op.batch_alter_table('tasks', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('payload', LONG_TEXT, nullable=True))
    conn = op.get_bind()
    tasks = sa.table('tasks', sa.column('id'), sa.column('payload'))
    payloads = sa.table('task_payloads', sa.column('task_id'), sa.column('data'))
    for task_id, data in conn.execute(sa.select(payloads.c.task_id, payloads.c.data)).fetchall():
        plain = json.loads(crypto.unseal(data))
        conn.execute(tasks.update().where(tasks.c.id == task_id).values(payload=json.dumps(plain)))
    op.drop_table('task_payloads')

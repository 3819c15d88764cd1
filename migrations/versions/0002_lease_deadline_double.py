"""tasks.lease_deadline as a double: MySQL's FLOAT is single precision (±128 s at today's timestamps)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    """Widen the lease deadline to double precision."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('lease_deadline', existing_type=sa.Float(), type_=sa.Double(),
                              existing_nullable=False)


def downgrade():
    """Narrow the lease deadline back to FLOAT."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('lease_deadline', existing_type=sa.Double(), type_=sa.Float(),
                              existing_nullable=False)

"""procs.stage: the stage a step belongs to (the steps of one stage run in parallel)

Revision ID: 0020_proc_stage
Revises: 0019_agents
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa

revision = '0020_proc_stage'
down_revision = '0019_agents'
branch_labels = None
depends_on = None


def upgrade():
    """Add the stage column (empty for workflows and for steps created before)."""
    with op.batch_alter_table('procs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=255), server_default='', nullable=False))


def downgrade():
    """Drop the stage column."""
    with op.batch_alter_table('procs', schema=None) as batch_op:
        batch_op.drop_column('stage')

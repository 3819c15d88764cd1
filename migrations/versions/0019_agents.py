"""agents.paused: an agent that finishes what it runs and takes nothing new

Revision ID: 0019_agents
Revises: 0018_retention
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0019_agents'
down_revision = '0018_retention'
branch_labels = None
depends_on = None


def upgrade():
    """Add the paused column."""
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    """Drop the paused column."""
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('paused')

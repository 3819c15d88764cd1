"""procs.depends_on, procs.runs_on: the workflows a workflow proc waits for, and after which of their outcomes it runs

Revision ID: 0014_workflows
Revises: 0013
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0014_workflows'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    """Add the two columns (empty on existing procs: they wait for nothing)."""
    with op.batch_alter_table('procs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('depends_on', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('runs_on', sa.JSON(), nullable=True))


def downgrade():
    """Drop the two columns."""
    with op.batch_alter_table('procs', schema=None) as batch_op:
        batch_op.drop_column('runs_on')
        batch_op.drop_column('depends_on')

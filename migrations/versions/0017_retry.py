"""procs.attempts: how many times a step was run (1 + its retries so far; 0 before it starts)

Revision ID: 0017_retry
Revises: 0016_path
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0017_retry'
down_revision = '0016_path'
branch_labels = None
depends_on = None


def upgrade():
    """Add attempts in place (never recreate procs: dropping the old table would cascade to logs)."""
    op.add_column('procs', sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    """Drop attempts in place."""
    op.drop_column('procs', 'attempts')

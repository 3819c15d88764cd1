"""repos.retention_days, retention_keep_min, artifact_retention_days: per-repo retention (NULL = the global setting)

Revision ID: 0018_retention
Revises: 0017_retry
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0018_retention'
down_revision = '0017_retry'
branch_labels = None
depends_on = None

COLUMNS = ('retention_days', 'retention_keep_min', 'artifact_retention_days')


def upgrade():
    """Add the three nullable columns in place (never recreate repos: its children would cascade)."""
    for name in COLUMNS:
        op.add_column('repos', sa.Column(name, sa.Integer(), nullable=True))


def downgrade():
    """Drop the columns in place."""
    for name in reversed(COLUMNS):
        op.drop_column('repos', name)

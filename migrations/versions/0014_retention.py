"""repos.retention_days, retention_keep_min, artifact_retention_days: per-repo retention (NULL = the global setting)

Revision ID: 0014_retention
Revises: 0013
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0014_retention'
down_revision = '0013'
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

"""files.sha256: the SHA-256 of each artifact, computed by the server while storing it

Revision ID: 0022_artifacts
Revises: 0021_reports
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa

revision = '0022_artifacts'
down_revision = '0021_reports'
branch_labels = None
depends_on = None


def upgrade():
    """Add files.sha256 in place; files stored before have none (NULL)."""
    op.add_column('files', sa.Column('sha256', sa.String(64), nullable=True))


def downgrade():
    """Drop files.sha256."""
    op.drop_column('files', 'sha256')

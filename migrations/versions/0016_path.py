"""builds.files: the files a push changed (null when unknown), for `when: path`

Revision ID: 0016_path
Revises: 0015_cron
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0016_path'
down_revision = '0015_cron'
branch_labels = None
depends_on = None


def upgrade():
    """Add builds.files."""
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('files', sa.JSON(), nullable=True))


def downgrade():
    """Drop builds.files."""
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_column('files')

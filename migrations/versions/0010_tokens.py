"""tokens.expires: an API token may expire (0 = never)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    """Add tokens.expires."""
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    """Drop tokens.expires."""
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('expires')

"""servers: one heartbeat row per running server process, to find several sharing a database without a bus

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    """Create the servers table."""
    op.create_table(
        'servers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started', sa.Integer(), nullable=False),
        sa.Column('last_seen', sa.Integer(), nullable=False),
        sa.Column('bus', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_servers')))


def downgrade():
    """Drop the servers table."""
    op.drop_table('servers')

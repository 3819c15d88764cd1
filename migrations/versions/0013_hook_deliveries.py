"""hook_deliveries: the delivery ids each repo's hook accepted, so a replayed delivery builds nothing

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    """Create the hook_deliveries table."""
    op.create_table(
        'hook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('repo_id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.String(length=128), nullable=False),
        sa.Column('received_at', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['repo_id'], ['repos.id'], name=op.f('fk_hook_deliveries_repo_id_repos'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hook_deliveries')),
        sa.UniqueConstraint('repo_id', 'delivery_id', name=op.f('uq_hook_deliveries_repo_id_delivery_id')))
    with op.batch_alter_table('hook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hook_deliveries_received_at'), ['received_at'], unique=False)


def downgrade():
    """Drop the hook_deliveries table."""
    op.drop_table('hook_deliveries')

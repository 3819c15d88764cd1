"""crons: a repo's scheduled builds; builds.cron: the cron job a `cron` build came from

Revision ID: 0015_cron
Revises: 0014_workflows
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa

revision = '0015_cron'
down_revision = '0014_workflows'
branch_labels = None
depends_on = None


def upgrade():
    """Create the crons table and add builds.cron."""
    op.create_table(
        'crons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('repo_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('schedule', sa.String(length=255), nullable=False),
        sa.Column('branch', sa.String(length=255), nullable=False),
        sa.Column('next', sa.Integer(), nullable=False),
        sa.Column('creator', sa.String(length=255), nullable=False),
        sa.Column('error', sa.String(length=1024), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['repo_id'], ['repos.id'], name=op.f('fk_crons_repo_id_repos'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crons')),
        sa.UniqueConstraint('repo_id', 'name', name=op.f('uq_crons_repo_id_name')))
    with op.batch_alter_table('crons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crons_next'), ['next'], unique=False)
        batch_op.create_index(batch_op.f('ix_crons_repo_id'), ['repo_id'], unique=False)
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cron', sa.String(length=255), nullable=False, server_default=''))


def downgrade():
    """Drop builds.cron and the crons table."""
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_column('cron')
    op.drop_table('crons')

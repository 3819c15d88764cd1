"""tests, test_results, files.kind: JUnit reports parsed into a repo's tests and each build's results

Revision ID: 0021_reports
Revises: 0020_proc_stage
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa

revision = '0021_reports'
down_revision = '0020_proc_stage'
branch_labels = None
depends_on = None


def upgrade():
    """Create the two tables and add files.kind in place (never recreate files' parents)."""
    op.create_table(
        'tests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('repo_id', sa.Integer(), sa.ForeignKey('repos.id', ondelete='CASCADE'), nullable=False),
        sa.Column('digest', sa.String(64), nullable=False),
        sa.Column('name', sa.String(1024), nullable=False),
        sa.Column('classname', sa.String(1024), nullable=False),
        sa.Column('file', sa.String(1024), nullable=False),
        sa.UniqueConstraint('digest'),
    )
    op.create_index('ix_tests_repo_id', 'tests', ['repo_id'])
    op.create_table(
        'test_results',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('build_id', sa.Integer(), sa.ForeignKey('builds.id', ondelete='CASCADE'), nullable=False),
        sa.Column('test_id', sa.Integer(), sa.ForeignKey('tests.id', ondelete='CASCADE'), nullable=False),
        sa.Column('file_id', sa.Integer(), sa.ForeignKey('files.id', ondelete='SET NULL'), nullable=True),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('suite', sa.String(512), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('time', sa.Float(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('output', sa.Text(), nullable=False),
    )
    op.create_index('ix_test_results_build_status', 'test_results', ['build_id', 'status'])
    op.create_index('ix_test_results_test_build', 'test_results', ['test_id', 'build_id'])
    op.add_column('files', sa.Column('kind', sa.String(16), server_default='artifact', nullable=False))


def downgrade():
    """Drop files.kind and the two tables (with their indexes, which MySQL's foreign keys lean on)."""
    op.drop_column('files', 'kind')
    op.drop_table('test_results')
    op.drop_table('tests')

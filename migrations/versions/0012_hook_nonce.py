"""repos.hook_nonce: a random nonce signed into each repo's hook token, new on every activation and repair

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    """Add repos.hook_nonce and give every existing repo its own random nonce (its hook URL changes)."""
    with op.batch_alter_table('repos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hook_nonce', sa.String(length=64), nullable=False, server_default=''))
    conn = op.get_bind()
    repos = sa.table('repos', sa.column('id'), sa.column('hook_nonce'))
    for repo_id in conn.execute(sa.select(repos.c.id)).scalars().all():
        conn.execute(repos.update().where(repos.c.id == repo_id).values(hook_nonce=secrets.token_hex(16)))


def downgrade():
    """Drop repos.hook_nonce."""
    with op.batch_alter_table('repos', schema=None) as batch_op:
        batch_op.drop_column('hook_nonce')

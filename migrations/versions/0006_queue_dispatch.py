"""tasks know their repo and a key of their labels (fair, indexed dispatch); repos get max_concurrent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _key(labels):
    """Return the labels key of circle.store.tasks (sha1 of the canonical JSON), frozen here."""
    text = json.dumps(labels or {}, sort_keys=True, separators=(',', ':'))
    return hashlib.sha1(text.encode()).hexdigest()


def upgrade():
    """Add tasks.repo_id and tasks.labels_key (filled from the builds and labels), repos.max_concurrent."""
    with op.batch_alter_table('tasks', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('repo_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('labels_key', sa.String(length=40), nullable=False, server_default=''))
    conn = op.get_bind()
    tasks = sa.table('tasks', sa.column('id'), sa.column('build_id'), sa.column('labels', sa.JSON),
                     sa.column('repo_id'), sa.column('labels_key'))
    builds = sa.table('builds', sa.column('id'), sa.column('repo_id'))
    rows = conn.execute(sa.select(tasks.c.id, tasks.c.labels, builds.c.repo_id)
                        .join(builds, builds.c.id == tasks.c.build_id)).fetchall()
    for task_id, labels, repo_id in rows:
        conn.execute(tasks.update().where(tasks.c.id == task_id).values(repo_id=repo_id, labels_key=_key(labels)))
    with op.batch_alter_table('tasks', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('repo_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_tasks_repo_id_repos', 'repos', ['repo_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_tasks_dispatch', ['state', 'repo_id', 'labels_key', 'id'], unique=False)
    with op.batch_alter_table('repos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_concurrent', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    """Drop what upgrade added."""
    with op.batch_alter_table('repos', schema=None) as batch_op:
        batch_op.drop_column('max_concurrent')
    with op.batch_alter_table('tasks', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_index('ix_tasks_dispatch')
        batch_op.drop_constraint('fk_tasks_repo_id_repos', type_='foreignkey')
        batch_op.drop_column('labels_key')
        batch_op.drop_column('repo_id')

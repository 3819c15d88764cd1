"""The migrations build the whole schema from empty, match the models, and go back down to base."""
from __future__ import annotations

import json

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from circle.extensions import db
from circle.hub import hub
from circle.store import builds, tasks
from circle.store import logs as log_store
from dbtools import make_workflow, table_names

EXPECTED_TABLES = {t.name for t in db.metadata.sorted_tables}


def test_upgrade_downgrade_upgrade(migrated_app):
    """Base → head → base → head on each database, with the same tables each time."""
    assert EXPECTED_TABLES <= table_names(migrated_app)
    with migrated_app.app_context():
        flask_migrate.downgrade(revision="base")
        assert table_names(migrated_app) - {"alembic_version"} == set()
        flask_migrate.upgrade()
    assert table_names(migrated_app) == EXPECTED_TABLES | {"alembic_version"}


def test_models_match_migrations(migrated_app):
    """Autogenerate finds nothing to change: the models and the migrated schema agree."""
    with migrated_app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_log_batches_stored_before_compression_still_read(app):
    """A JSON batch written at revision 0007 reads back after the upgrade, and its bytes are counted."""
    build_id, _ = make_workflow()
    proc_id = builds.get_proc_by_pid(build_id, 2).id
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision="0007")
    entries = sa.table("log_entries", sa.column("proc_id"), sa.column("pos"), sa.column("last"), sa.column("lines"))
    with db.engine.begin() as conn:
        conn.execute(entries.insert().values(proc_id=proc_id, pos=0, last=1,
                                             lines=json.dumps([[0, 0, "héllo"], [1, 4, "world"]])))
    flask_migrate.upgrade()
    lines = log_store.list_page(proc_id, limit=10)
    assert lines == [(0, 0, "héllo"), (1, 4, "world")]
    assert log_store.stored_extent(proc_id)[0] == len("héllo".encode()) + len("world")


def test_log_batches_go_back_to_json_on_downgrade(app):
    """Downgrading below 0008 turns a stored batch back into its JSON lines."""
    build_id, _ = make_workflow()
    proc_id = builds.get_proc_by_pid(build_id, 2).id
    hub().logs.write(proc_id, [(0, 0, 'say "hé"'), (1, 2, "bye")])
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision="0007")
    entries = sa.table("log_entries", sa.column("proc_id"), sa.column("lines"))
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(entries.c.lines).where(entries.c.proc_id == proc_id)).scalar_one()
    flask_migrate.upgrade()
    assert json.loads(stored) == [[0, 0, 'say "hé"'], [1, 2, "bye"]]


def test_a_queued_task_keeps_its_payload_through_the_upgrades(app):
    """Migrations that rebuild `tasks` (SQLite's batch mode) never cascade-delete the payloads of queued tasks."""
    build_id, proc_id = make_workflow()
    task = hub().queue.push(build_id=build_id, proc_id=proc_id, payload={"config": {"stages": []}}, labels={},
                            timeout=1)
    task_id = task.id
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision="0005")
    flask_migrate.upgrade()
    assert tasks.payload(task_id) == {"config": {"stages": []}}
    assert tasks.get(task_id).repo_id == builds.get(build_id).repo_id


def test_repos_from_before_hook_nonces_get_one_each(app):
    """Upgrading past 0012 gives every existing repo its own random hook nonce and keeps its builds."""
    from circle.store import repos

    build_id, _ = make_workflow()
    scm_id = repos.get(builds.get(build_id).repo_id).scm_id
    repos.create(scm_id=scm_id, full_name="a/c", owner="a", name="c", clone_url="/x/a/c")
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision="0011")
    flask_migrate.upgrade()
    table = sa.table("repos", sa.column("hook_nonce"))
    with db.engine.connect() as conn:
        nonces = conn.execute(sa.select(table.c.hook_nonce)).scalars().all()
    assert len(nonces) == 2 and len(set(nonces)) == 2 and all(len(n) == 32 for n in nonces)
    assert builds.get(build_id).number == 1

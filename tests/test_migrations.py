"""The migrations build the whole schema from empty, match the models, and go back down to base."""
from __future__ import annotations

import json
import logging

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


# Values of the row each 0001 table gets where a made-up one would not do; every id and *_id is 1.
REAL_VALUES: dict[str, object] = {
    "builds.status": "success", "builds.event": "push", "procs.state": "success", "tasks.state": "pending",
    "tasks.payload": json.dumps({"config": {"stages": []}}), "log_entries.pos": 0, "log_entries.time": 3,
    "log_entries.out": "héllo wörld",
}
# Columns of 0001 that later migrations turn into others; checked through what reads them today.
REWRITTEN = {"log_entries.time", "log_entries.out", "tasks.payload"}


def _value(table: str, column: sa.ColumnClause) -> object:
    """Return the value a 0001 row of `table` gets in `column`, from the column's type."""
    name, kind = f"{table}.{column.name}", column.type
    if name in REAL_VALUES:
        return REAL_VALUES[name]
    if column.name == "id" or column.name.endswith("_id"):
        return 1
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.JSON):
        return {"from": name, "list": [1, "é"]}
    if isinstance(kind, sa.Float):
        return 1.5
    if isinstance(kind, sa.Integer):
        return 7
    if isinstance(kind, sa.LargeBinary):
        return b"\x00" + name.encode()
    return name[:getattr(kind, "length", None) or len(name)]  # text of every kind, encrypted text too


def _columns_at_0001() -> dict[str, list[sa.ColumnClause]]:
    """Return each table of the schema now (revision 0001) with its columns, typed as the models type them."""
    inspector = sa.inspect(db.engine)
    tables = {}
    for table in db.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        tables[table.name] = [sa.column(c["name"], table.c[c["name"]].type if c["name"] in table.c else c["type"])
                              for c in inspector.get_columns(table.name)]
    return tables


def test_a_database_from_0001_with_a_row_in_every_table_upgrades_with_its_data(app, caplog):
    """Every table of revision 0001 gets a row; at head every column that stayed holds its value, the log line
    reads back, the task's payload is there and the repo has a hook nonce; the rewrites logged their progress."""
    caplog.set_level(logging.INFO, logger="circle.migrating")
    db.session.remove()
    flask_migrate.downgrade(revision="base")
    flask_migrate.upgrade(revision="0001")
    tables = _columns_at_0001()
    assert set(tables) == set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    rows = {name: {c.name: _value(name, c) for c in columns} for name, columns in tables.items()}
    with db.engine.begin() as conn:
        for name, columns in tables.items():
            conn.execute(sa.table(name, *columns).insert().values(rows[name]))
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        for name, row in rows.items():
            head = db.metadata.tables[name]
            kept = {column: value for column, value in row.items()
                    if column in head.c and f"{name}.{column}" not in REWRITTEN}
            stored = conn.execute(sa.select(*(head.c[column] for column in kept))).one()._asdict()
            assert stored == kept, name
        nonce = conn.execute(sa.text("SELECT hook_nonce FROM repos")).scalar_one()
    assert log_store.list_page(1, limit=10) == [(0, 3, "héllo wörld")]
    assert log_store.stored_extent(1)[0] == len("héllo wörld".encode())
    assert tasks.payload(1) == {"config": {"stages": []}}
    assert len(nonce) == 32
    progress = {"0003: log lines made batches: 1/1 rows", "0008: log batches lines to data: 1/1 rows",
                "0009: procs whose log bytes were counted: 1/1 rows"}
    assert progress <= set(caplog.messages)

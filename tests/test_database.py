"""Upgrades: a database newer than the code is refused, an SQLite file is backed up before it is migrated."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from circle.database import head_on_disk, revisions, upgrade
from circle.errors import DatabaseUnavailable
from circle.extensions import db
from circle.store import builds
from dbtools import make_workflow
from e2e.harness import clean_env

VERSION = sa.table("alembic_version", sa.column("version_num"))


def _backups(app: Flask) -> list[Path]:
    """Return the backup files next to the app's SQLite database (none on other databases)."""
    if db.engine.url.get_backend_name() != "sqlite":
        return []
    path = Path(db.engine.url.database or "")
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


def test_a_database_from_a_newer_circle_is_refused(app: Flask):
    """A revision the code does not know stops the upgrade with one sentence and changes nothing."""
    head = revisions(app).head
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(VERSION.update().values(version_num="9999_future"))
    try:
        with pytest.raises(DatabaseUnavailable, match="revision 9999_future, which this circle does not know"):
            upgrade(app)
        assert revisions(app).current == "9999_future"
    finally:
        with db.engine.begin() as conn:
            conn.execute(VERSION.update().values(version_num=head))


def test_an_old_database_is_backed_up_then_upgraded_with_its_rows(app: Flask):
    """From 0001 to head the rows stay; an SQLite file gets a VACUUM INTO copy first, at head none more."""
    build_id, _ = make_workflow()
    db.session.commit()
    db.session.remove()
    for old in _backups(app):
        old.unlink()
    flask_migrate.downgrade(revision="0001")
    assert revisions(app).current == "0001"
    upgrade(app)
    state = revisions(app)
    assert state.current == state.head and not state.pending
    assert builds.get(build_id).number == 1
    copies = _backups(app)
    if db.engine.url.get_backend_name() == "sqlite":
        assert len(copies) == 1 and ".0001-" in copies[0].name
        with sa.create_engine(f"sqlite:///{copies[0]}").connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
            assert conn.execute(sa.text("SELECT count(*) FROM builds")).scalar_one() == 1
        upgrade(app)
        assert _backups(app) == copies
        copies[0].unlink()


def test_rows_of_every_table_of_0001_survive_the_upgrade_to_head(app: Flask):
    """Users, SCMs, repos, perms, builds, procs, logs, artifacts, configs, secrets, tasks: as many rows at head."""
    from circle.hub import hub
    from circle.store import configs, files, repos, secrets, users
    from circle.store import logs as log_store

    build_id, workflow_id = make_workflow()
    build = builds.get(build_id)
    step_id = builds.get_proc_by_pid(build_id, 2).id
    hub().logs.write(step_id, [(0, 0, "héllo"), (1, 1, "bye")])
    files.create(build_id=build_id, proc_id=step_id, pid=2, name="a.txt", size=1, data=b"a")
    configs.create(repo_id=build.repo_id, name="default", content="steps: []\n")
    secrets.create(repo_id=build.repo_id, name="token", value="s3cret")
    hub().queue.push(build_id=build_id, proc_id=workflow_id, payload={"config": {}}, labels={}, timeout=1)
    repos.set_perm(users.get_by_login("u").id, build.repo_id, pull=True, push=True, admin=False)
    db.session.commit()
    db.session.remove()
    flask_migrate.downgrade(revision="0001")
    with db.engine.connect() as conn:
        tables = [name for name in sa.inspect(conn).get_table_names() if name != "alembic_version"]
        before = {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one() for name in tables}
    upgrade(app)
    with db.engine.connect() as conn:
        after = {name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one() for name in tables}
    assert after == before and all(before[name] for name in ("users", "builds", "procs", "files", "secrets"))
    assert log_store.list_page(step_id, limit=10) == [(0, 0, "héllo"), (1, 1, "bye")]
    assert secrets.get(secrets.list_by_repo(build.repo_id)[0].id).value == "s3cret"
    for old in _backups(app):
        old.unlink()


def test_the_head_on_disk_is_alembics(app: Flask, tmp_path: Path):
    """The migration files' revision lines name Alembic's head; files that are no plain chain name none."""
    assert head_on_disk() == revisions(app).head
    for name, revision, parent in [("a.py", "'1'", "None"), ("b.py", "'2'", "'1'"), ("c.py", "'3'", "'1'")]:
        (tmp_path / name).write_text(f"revision = {revision}\ndown_revision = {parent}\n")
    assert head_on_disk(tmp_path) is None  # two heads: Alembic decides
    (tmp_path / "c.py").write_text("revision = '3'\ndown_revision = ('1', '2')\n")
    assert head_on_disk(tmp_path) is None  # a merge revision


def test_a_database_at_head_starts_without_alembic(migrated_app: Flask, tmp_path: Path):
    """Opening a database at head loads neither Alembic nor Flask-Migrate; one revision behind, it migrates."""
    code = ("import sys\nfrom circle.app import create_app\nfrom circle.database import open_database\n"
            "app = create_app()\nopen_database(app)\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('alembic', 'flask_migrate')))\n")
    url = migrated_app.config["SQLALCHEMY_DATABASE_URI"]
    env = {**clean_env(), "CIRCLE_DATA_DIR": str(tmp_path), "CIRCLE_DATABASE_URL": url}
    assert _run(code, env) == "[]"
    with migrated_app.app_context():
        db.session.remove()
        # The subprocess deleted the SQLite WAL when it closed the database (seen after tests/service/test_servers.py
        # ran): connections this process pooled before may go on writing to that deleted file, so open new ones.
        db.engine.dispose()
        flask_migrate.downgrade(revision="-1")
    assert "flask_migrate" in _run(code, env)
    with migrated_app.app_context():
        assert revisions(migrated_app).current == revisions(migrated_app).head


def _run(code: str, env: dict[str, str]) -> str:
    """Run Python code in a fresh interpreter; return its last line of output."""
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]

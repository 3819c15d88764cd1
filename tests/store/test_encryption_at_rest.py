"""Secret values, SCM credentials and registry passwords are encrypted in the database; tokens are hashed."""
from __future__ import annotations

from sqlalchemy import text

from circle.database import upgrade
from circle.extensions import db
from circle.store import repos, scms, secrets, users
from dbtools import make_app

PLAIN = "hunter2-plaintext-SECRET-value"


def _setup():
    """Store one of each encrypted value and return the API token."""
    user = users.create("alice", "pw")
    scm = scms.create(kind="gitea", name="forge", url="http://f", owner_id=user.id, password=PLAIN + "-scm",
                      token=PLAIN + "-token")
    repo = repos.create(scm_id=scm.id, full_name="a/b", owner="a", name="b", clone_url="u",
                        hook_secret=PLAIN + "-hook")
    secrets.create(repo_id=repo.id, name="DEPLOY_KEY", value=PLAIN)
    secrets.create_registry(repo_id=repo.id, address="reg", username="u", password=PLAIN + "-registry")
    return users.create_token(user), repo


def test_values_read_back_decrypted(app):
    """The application sees plaintext through the models."""
    _, repo = _setup()
    db.session.expire_all()
    assert secrets.get_by_name(repo.id, "DEPLOY_KEY").value == PLAIN
    assert secrets.get_registry_by_address(repo.id, "reg").password == PLAIN + "-registry"


def test_columns_hold_no_plaintext(app):
    """Raw SELECTs of the encrypted columns and the token table never show the plaintext."""
    token, _ = _setup()
    queries = ["SELECT value FROM secrets", "SELECT password FROM registries", "SELECT password FROM scms",
               "SELECT token FROM scms", "SELECT hook_secret FROM repos", "SELECT hash FROM tokens"]
    for query in queries:
        for (raw,) in db.session.execute(text(query)):
            assert PLAIN not in raw and token not in raw, query
    assert users.get_by_token(token).login == "alice"


def test_sqlite_file_does_not_contain_the_secret(tmp_path):
    """grep over a fresh SQLite database file and its WAL finds no secret."""
    app = make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)
    upgrade(app)
    with app.app_context():
        _setup()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    blobs = [p.read_bytes() for p in tmp_path.glob("circle.db*")]
    assert blobs and all(PLAIN.encode() not in blob for blob in blobs)


SECRET_PIPELINE = """
pipeline:
  deploy:
    image: busybox
    secrets: [deploy_key]
    commands: [echo deploying]
"""


def _queue_build_with_secret():
    """Store a secret used by a pipeline and queue a build of it; return the task payload's config."""
    from circle.origin import Origin
    from circle.service import builds
    from circle.store import configs, tasks

    _, repo = _setup()
    configs.create(repo_id=repo.id, name="default", content=SECRET_PIPELINE)
    build = builds.create(repo, configs.list_by_repo(repo.id)[0], Origin(
        event="push", ref="refs/heads/main", branch="main", commit="a" * 40))
    [task] = tasks.list_by_build(build.id)
    return tasks.payload(task.id)["config"]


def _every_stored_value() -> list[bytes]:
    """Return every raw value (no type decoding) of every column of every table, as bytes."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            values += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    return values


def test_a_queued_build_stores_no_secret_value(app):
    """The compiled pipeline a task hands out holds the secret, but no table holds it in plain text."""
    config = _queue_build_with_secret()
    assert PLAIN in str(config)
    stored = _every_stored_value()
    assert stored and not [v for v in stored if PLAIN.encode() in v]


def test_sqlite_file_holds_no_secret_after_a_build_is_queued(tmp_path):
    """grep over the SQLite file and WAL after a build with a secret was queued finds no secret."""
    app = make_app(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path)
    upgrade(app)
    with app.app_context():
        assert PLAIN in str(_queue_build_with_secret())
        db.session.remove()
    blobs = [p.read_bytes() for p in tmp_path.glob("circle.db*")]
    assert blobs and all(PLAIN.encode() not in blob for blob in blobs)

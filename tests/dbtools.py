"""Test databases: where they are, and how to reset them between tests."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from circle.app import create_app
from circle.extensions import db
from circle.logbucket import LogBucket
from circle.s3_signing import Bucket

IN_CI = os.environ.get("CI", "").lower() == "true"
DATABASES = {
    "sqlite": None,
    "postgres": "CIRCLE_TEST_POSTGRES_URL",
    "mysql": "CIRCLE_TEST_MYSQL_URL",
}


def database_url(kind: str, tmp_dir: Path) -> str:
    """Return the URL of the test database of `kind`, or skip (fail under CI) when it is not configured."""
    variable = DATABASES[kind]
    if variable is None:
        return f"sqlite:///{tmp_dir / 'circle.db'}"
    url = os.environ.get(variable, "")
    if not url:
        message = f"{kind} tests need {variable}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: nothing may be skipped)")
        pytest.skip(message)
    return url


# The Redis the bus tests use.
REDIS_URL = os.environ.get("CIRCLE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def require_redis(why: str) -> None:
    """Skip (fail under CI) when the test Redis does not answer; `why` names what needs it."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        message = f"{why} needs Redis at {REDIS_URL}: {err}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: nothing may be skipped)")
        pytest.skip(message)


# The S3 bucket the log store tests use: http://ACCESS:SECRET@HOST:PORT/BUCKET (tests/s3/setup.sh prints it).
S3_URL = os.environ.get("CIRCLE_TEST_S3_URL", "")


def s3_test_bucket() -> Bucket:
    """Return the test bucket of CIRCLE_TEST_S3_URL; skip (fail under CI) when it is unset or does not answer."""
    import requests

    parts = urlsplit(S3_URL)
    endpoint = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    try:
        if not S3_URL:
            raise ValueError("CIRCLE_TEST_S3_URL is not set (bash tests/s3/setup.sh starts a server and prints it)")
        requests.get(endpoint, timeout=5).close()
    except (ValueError, requests.RequestException) as err:
        message = f"the S3 log store tests need a server: {err}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: nothing may be skipped)")
        pytest.skip(message)
    return Bucket(endpoint=endpoint, region="us-east-1", name=parts.path.strip("/"),
                  access_key=unquote(parts.username or ""), secret_key=unquote(parts.password or ""))


def has_object(store: LogBucket, proc_id: int) -> bool:
    """Tell whether the bucket holds the log object of a proc."""
    answer = store.client.get(store.key(proc_id), 0, 0)
    if answer is None:
        return False
    answer.close()
    return True


def reset_schema(app: Flask) -> None:
    """Drop every table (and alembic's version table) so migrations start from empty."""
    with app.app_context():
        with db.engine.begin() as conn:
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def clear_rows(app: Flask) -> None:
    """Delete every row of every table, children first, and tell the app's dispatcher that its queue changed."""
    from circle.hub import hub

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        hub().queue.dispatcher.announce({"changed": True})  # its index of the old rows is stale now


def make_app(url: str, data_dir: Path, **extra: object) -> Flask:
    """Return an app on `url` with its data in `data_dir` and a fixed secret key."""
    config = {"CIRCLE_DATA_DIR": str(data_dir), "CIRCLE_DATABASE_URL": url,
              "CIRCLE_SECRET_KEY": "test-secret-key", "CIRCLE_AGENT_SECRET": "test-agent-secret",
              "TESTING": True, **extra}
    return create_app(config)


def table_names(app: Flask) -> set[str]:
    """Return the names of the tables in the app's database."""
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def make_workflow() -> tuple[int, int]:
    """Create a build with one workflow proc; return (build id, proc id)."""
    from circle.store import builds, repos, scms, users

    user = users.create("u", "pw")
    scm = scms.create(kind="local", name="s", url="/x", owner_id=user.id)
    repo = repos.create(scm_id=scm.id, full_name="a/b", owner="a", name="b", clone_url="/x/a/b")
    build = builds.create(repo_id=repo.id, number=1, event="push", status="pending")
    proc = builds.create_procs([builds.Proc(build_id=build.id, pid=1, name="default")])[0]
    builds.create_procs([builds.Proc(build_id=build.id, pid=2, ppid=1, name="step")])
    return build.id, proc.id


@contextmanager
def disposed_after(app: Flask) -> Iterator[Flask]:
    """Yield the app; then close its sessions and connections."""
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def emptied(app: Flask) -> Iterator[Flask]:
    """Yield the app with empty tables inside an app context."""
    clear_rows(app)
    with app.app_context():
        yield app
        db.session.remove()


def _drop(conn, kind: str, name: str) -> str:
    """Drop the database `name` (ending its PostgreSQL sessions first); return its quoted name."""
    quoted = f'"{name}"' if kind == "postgres" else f"`{name}`"
    if kind == "postgres":
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
    conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}"))
    return quoted


def fresh_database_url(kind: str, tmp_dir: Path, suffix: str) -> str:
    """Return the URL of an empty database of `kind` of its own (`<test db>_<suffix>`), for server processes."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = database_url(kind, tmp_dir)
    if kind == "sqlite":
        return base
    url = make_url(base)
    name = f"{url.database}_{suffix}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        quoted = _drop(conn, kind, name)
        extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if kind == "mysql" else ""
        conn.execute(text(f"CREATE DATABASE {quoted}{extra}"))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database_url(kind: str, tmp_dir: Path, url: str) -> None:
    """Drop a database `fresh_database_url` made (nothing for SQLite, whose file goes with `tmp_dir`)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        return
    engine = create_engine(database_url(kind, tmp_dir), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        _drop(conn, kind, make_url(url).database or "")
    engine.dispose()

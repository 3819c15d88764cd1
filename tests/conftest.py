"""Shared fixtures: the app on each database (SQLite always; PostgreSQL and MySQL when configured).

PostgreSQL and MySQL come from CIRCLE_TEST_POSTGRES_URL and CIRCLE_TEST_MYSQL_URL. Without them the
tests on that database are skipped with a reason, except under CI=true, where a missing database fails.
The S3 log store tests likewise need CIRCLE_TEST_S3_URL (bash tests/s3/setup.sh starts a server and prints it).
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from typing import Callable, Iterator

import pytest
from flask import Flask

from api.helpers import closed_port
from circle.config import scm_allowed_hosts
from circle.logbucket import LogBucket
from circle.remote import api as remote_api
from circle.s3 import S3Client
from dbtools import DATABASES, IN_CI, database_url, disposed_after, emptied, make_app, reset_schema, s3_test_bucket

_ran_per_database: Counter[str] = Counter()
_skipped_in_ci: list[str] = []


@pytest.fixture(scope="session", params=list(DATABASES))
def migrated_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app per database kind whose schema was built by the migrations, once per session."""
    from circle.database import bind_migrations, upgrade

    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    app = make_app(database_url(request.param, data_dir), data_dir)
    app.config["CIRCLE_DB_KIND"] = request.param
    reset_schema(app)
    bind_migrations(app)  # some tests call flask_migrate themselves
    upgrade(app)
    with disposed_after(app):
        yield app


@pytest.fixture
def app(migrated_app: Flask) -> Iterator[Flask]:
    """The migrated app with empty tables and an active app context."""
    with emptied(migrated_app):
        yield migrated_app


@pytest.fixture
def log_bucket() -> LogBucket:
    """A log store on a prefix of its own in the test S3 bucket (CIRCLE_TEST_S3_URL)."""
    return LogBucket(S3Client(s3_test_bucket()), f"test-{uuid.uuid4().hex}/logs")


@pytest.fixture
def down_bucket(log_bucket: LogBucket) -> LogBucket:
    """The same log store with its endpoint a loopback port nothing listens on."""
    bucket = replace(log_bucket.client.bucket, endpoint=f"http://127.0.0.1:{closed_port()}")
    return LogBucket(S3Client(bucket), log_bucket.prefix)


@pytest.fixture
def scm_hosts(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Return a function that sets CIRCLE_SCM_ALLOWED_HOSTS of the app for the rest of the test."""

    def allow(text: str) -> None:
        settings = replace(app.config["CIRCLE_SETTINGS"],
                           scm_allowed_hosts=scm_allowed_hosts({"CIRCLE_SCM_ALLOWED_HOSTS": text}))
        monkeypatch.setitem(app.config, "CIRCLE_SETTINGS", settings)

    return allow


@pytest.fixture
def loopback_scms(scm_hosts: Callable[[str], None]) -> None:
    """Run with CIRCLE_SCM_ALLOWED_HOSTS=127.0.0.1: non-admins may register the fake code hosts on loopback."""
    scm_hosts("127.0.0.1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Count passed tests per database kind for the closing summary."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        _skipped_in_ci.append(item.nodeid)
    callspec = getattr(item, "callspec", None)
    if report.when == "call" and report.passed and callspec is not None:
        kind = callspec.params.get("migrated_app")
        if kind:
            _ran_per_database[kind] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many database tests passed on each database, and what CI skipped."""
    if _ran_per_database:
        counts = ", ".join(f"{kind}: {_ran_per_database[kind]} passed" for kind in DATABASES)
        terminalreporter.write_line(f"database tests per backend -> {counts}")
    for nodeid in _skipped_in_ci:
        terminalreporter.write_line(f"CI=true but skipped (counts as a failure): {nodeid}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: every database and the docker engine must be there."""
    if _skipped_in_ci:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """An HTTP remote's client retries at once: the refused connections and the tries stay real, the pauses
    between them (0.5 + 1 + 2 s by default) go."""
    monkeypatch.setattr(remote_api, "BACKOFF_SECONDS", 0.0)

"""The setup lock: one process at a time migrates the database and creates the first admin.

Several servers started together on one empty database would otherwise all run the migrations (and all but
one crash on tables the others made). The lock is the database's own: a session-level advisory lock on
PostgreSQL, GET_LOCK on MySQL/MariaDB (both end with the connection, so a killed process frees them), and an
exclusive flock on a file next to an SQLite database. The others wait, then find the schema at head.
"""
from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from typing import Iterator

from flask import Flask
from sqlalchemy import Connection, text

from circle.datadir import PRIVATE_FILE
from circle.extensions import db

log = logging.getLogger(__name__)

# pg_advisory_lock's key: "circle" in ASCII. Advisory locks are per database, like MySQL names made below.
POSTGRES_KEY = 0x636972636C65
# Seconds one GET_LOCK call waits before it asks again (it waits as long as the holder migrates).
MYSQL_WAIT = 30
WAITING = "another circle process is setting up the database %s; waiting for it"


@contextmanager
def setup_lock(app: Flask) -> Iterator[None]:
    """Hold the database-wide setup lock while the block runs."""
    with app.app_context():
        engine = db.engine
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        with _file_lock(url.database):
            yield
        return
    if backend not in ("postgresql", "mysql", "mariadb"):
        yield
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        where = url.render_as_string(hide_password=True)
        if backend == "postgresql":
            with _advisory_lock(connection, where):
                yield
        else:
            with _named_lock(connection, f"circle-setup:{url.database}"[:64], where):
                yield


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """Hold an exclusive flock on `<database>.lock` (nothing for an in-memory database)."""
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info(WAITING, database)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


@contextmanager
def _advisory_lock(connection: Connection, where: str) -> Iterator[None]:
    """Hold PostgreSQL's session-level advisory lock POSTGRES_KEY on `connection`."""
    key = {"key": POSTGRES_KEY}
    if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
        log.info(WAITING, where)
        connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _named_lock(connection: Connection, name: str, where: str) -> Iterator[None]:
    """Hold MySQL's named lock `name` (GET_LOCK) on `connection`."""
    wait = 0
    while connection.execute(text("SELECT GET_LOCK(:name, :wait)"), {"name": name, "wait": wait}).scalar() != 1:
        if wait == 0:
            log.info(WAITING, where)
        wait = MYSQL_WAIT
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})

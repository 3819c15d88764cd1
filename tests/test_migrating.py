"""Walking a table in batches for a migration: by id, rows changeable between batches, progress logged."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from circle.extensions import db
from circle.migrating import walk
from circle.models import Build
from circle.store import builds
from dbtools import make_workflow


def test_walk_reads_batches_by_id_lets_them_change_and_logs_each_tenth(app, caplog: pytest.LogCaptureFixture):
    """25 builds in batches of 10: three batches, each rewritten before the next, one progress line each."""
    repo_id = builds.get(make_workflow()[0]).repo_id
    db.session.execute(sa.insert(Build), [{"repo_id": repo_id, "number": n, "event": "push", "status": "success",
                                           "params": {}} for n in range(2, 26)])
    db.session.commit()
    table = sa.table("builds", sa.column("id"), sa.column("branch"))
    sizes = []
    caplog.set_level(logging.INFO, logger="circle.migrating")
    with db.engine.begin() as conn:
        for rows in walk(conn, table, table.c.branch, label="test builds", batch=10):
            sizes.append(len(rows))
            assert all(branch == "" for _, branch in rows)
            conn.execute(table.update().where(table.c.id.in_([row_id for row_id, _ in rows])).values(branch="b"))
        assert conn.execute(sa.select(sa.func.count()).where(table.c.branch == "b")).scalar_one() == 25
    assert sizes == [10, 10, 5]
    assert [r.getMessage() for r in caplog.records if r.name == "circle.migrating"] == [
        "test builds: 10/25 rows", "test builds: 20/25 rows", "test builds: 25/25 rows"]


def test_walk_of_an_empty_table_yields_nothing_and_logs_nothing(app, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="circle.migrating")
    with db.engine.connect() as conn:
        assert list(walk(conn, sa.table("builds", sa.column("id")), label="empty")) == []
    assert not caplog.records

"""What a manual build's POST asks the database: each row it needs read once, and no re-read after an UPDATE."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from api.helpers import Caller
from circle.extensions import db


def _statements(app: Flask, client: FlaskClient, admin: Caller, repo: dict[str, Any]) -> list[str]:
    """Trigger one manual build of the repo; return the SQL statements the request ran."""
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
    try:
        answer = client.post(f"/api/repos/{repo['id']}/builds", headers=admin.headers, json={})
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", note)
    assert answer.status_code in (200, 201), answer.get_json()
    return seen


def _reads(statements: list[str], table: str) -> int:
    """Count the SELECTs whose FROM is `table`."""
    return sum(bool(re.match(rf"SELECT .* FROM {table}\b", s)) for s in statements)


def test_a_manual_build_reads_its_scm_and_secrets_once(app, client, admin, repo):
    """The SCM (branch head, pipeline file, commit status) and the secrets (compiler, clone login): one read each."""
    client.post(f"/api/repos/{repo['id']}/builds", headers=admin.headers, json={})  # warm: the first build
    statements = _statements(app, client, admin, repo)
    assert _reads(statements, "scms") <= 1, statements  # 0: the test's app context keeps one session throughout
    assert _reads(statements, "secrets") == 1, statements


def test_the_build_number_is_taken_without_re_reading_the_repo(app, client, admin, repo):
    """The counter's UPDATE hands back the number (RETURNING, or one re-read of the column on MariaDB)."""
    statements = _statements(app, client, admin, repo)
    whole_rows = [s for s in statements if s.startswith("SELECT repos.id,")]
    assert len(whole_rows) <= 1, statements  # the request's own permission check
    numbers = [client.post(f"/api/repos/{repo['id']}/builds", headers=admin.headers, json={}).get_json()
               for _ in range(2)]
    assert [n[0]["number"] if isinstance(n, list) else n["number"] for n in numbers] == [2, 3]

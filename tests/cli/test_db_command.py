"""`circle db status` and `circle db upgrade` on an SQLite file named by the environment."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from circle.cli import main


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at an empty SQLite file in a temporary data directory."""
    url = f"sqlite:///{tmp_path / 'circle.db'}"
    for name, value in (("CIRCLE_DATA_DIR", str(tmp_path)), ("CIRCLE_DATABASE_URL", url),
                        ("CIRCLE_SECRET_KEY", "test-secret-key")):
        monkeypatch.setenv(name, value)
    return url


def test_status_prints_current_and_head(db_url: str, capsys: pytest.CaptureFixture[str]):
    assert main(["db", "status"]) == 0
    before = capsys.readouterr().out
    assert "current: none (empty database)" in before and "migrations pending" in before
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = lines[1].split()[1]
    assert lines == [f"current: {head}", f"head:    {head}", "up to date"]


def test_upgrade_refuses_a_database_from_a_newer_circle(db_url: str, capsys: pytest.CaptureFixture[str]):
    assert main(["db", "upgrade"]) == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("circle: the database is at revision 9999_future, which this circle does not know")
    assert main(["db", "status"]) == 1

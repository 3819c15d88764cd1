"""`circle purge --older-than D --keep-min N [--repo R] [--dry-run]` on an SQLite file named by the environment."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from circle.cli import main
from circle.database import upgrade
from circle.extensions import db
from circle.models import Build
from circle.models.types import now
from circle.store import builds, repos, scms, users
from dbtools import make_app


@pytest.fixture
def cli_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """A migrated SQLite app with repos a/b and a/c, four builds of 40 days ago each, and one of today on a/c."""
    url = f"sqlite:///{tmp_path / 'circle.db'}"
    for name, value in (("CIRCLE_DATA_DIR", str(tmp_path)), ("CIRCLE_DATABASE_URL", url),
                        ("CIRCLE_SECRET_KEY", "test-secret-key")):
        monkeypatch.setenv(name, value)
    app = make_app(url, tmp_path)
    upgrade(app)
    with app.app_context():
        owner = users.create("owner", "pw")
        scm = scms.create(kind="local", name="disk", url="/srv", owner_id=owner.id)
        for name in ("b", "c"):
            repo = repos.create(scm_id=scm.id, full_name=f"a/{name}", owner="a", name=name, clone_url=f"/x/{name}")
            for number in range(1, 5):
                builds.create(repo_id=repo.id, number=number, event="push", status="success", branch="main",
                              created=now() - 40 * 86400)
        builds.create(repo_id=repo.id, number=5, event="push", status="success", branch="main")
        db.session.commit()
    return app


def _left(app: Flask) -> int:
    """Return how many builds are left."""
    with app.app_context():
        return len(db.session.scalars(select(Build.id)).all())


def test_dry_run_counts_then_purge_deletes(cli_app: Flask, capsys: pytest.CaptureFixture[str]):
    assert main(["purge", "--older-than", "30d", "--keep-min", "1", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("would delete 7 builds (0 procs, 0 log batches), 0 artifacts")
    assert _left(cli_app) == 9
    assert main(["purge", "--older-than", "30d", "--keep-min", "2", "--repo", "a/b"]) == 0
    assert capsys.readouterr().out.startswith("deleted 2 builds")
    assert main(["purge", "--older-than", "30", "--keep-min", "2"]) == 0
    assert capsys.readouterr().out.startswith("deleted 3 builds")  # a/c: 1-3 (its 4 and 5 are the newest two)
    assert _left(cli_app) == 4
    assert main(["purge", "--older-than", "60d"]) == 0
    assert capsys.readouterr().out.startswith("deleted 0 builds")


@pytest.mark.parametrize("args, message", [
    (["--older-than", "a month"], "--older-than 'a month' is not an age in days"),
    (["--older-than", "0d"], "--older-than '0d' is not an age in days"),
    (["--older-than", "30d", "--keep-min", "-1"], "--keep-min must be 0 or more"),
    (["--older-than", "30d", "--repo", "no/such"], "repo 'no/such' not found"),
])
def test_mistakes_are_one_sentence(cli_app: Flask, capsys: pytest.CaptureFixture[str], args: list[str],
                                   message: str):
    assert main(["purge", *args]) == 1
    assert capsys.readouterr().err.startswith(f"circle: {message}")
    assert _left(cli_app) == 9

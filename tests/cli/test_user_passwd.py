"""`circle user passwd LOGIN`: a new password, and the user's dashboard sessions end."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from circle.cli import main
from circle.database import upgrade
from circle.errors import NotFound
from circle.store import users, web_sessions
from dbtools import make_app


@pytest.fixture
def cli_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """A migrated SQLite app whose settings the CLI reads from the environment too."""
    url = f"sqlite:///{tmp_path / 'circle.db'}"
    for name, value in (("CIRCLE_DATA_DIR", str(tmp_path)), ("CIRCLE_DATABASE_URL", url),
                        ("CIRCLE_SECRET_KEY", "test-secret-key")):
        monkeypatch.setenv(name, value)
    app = make_app(url, tmp_path)
    upgrade(app)
    return app


def test_passwd_sets_the_password_and_ends_the_sessions(cli_app: Flask, capsys: pytest.CaptureFixture[str]):
    with cli_app.app_context():
        session_id = web_sessions.create(users.create("ann", "first password"))
    assert main(["user", "passwd", "ann", "--password", "second password"]) == 0
    assert "sessions ended" in capsys.readouterr().out
    with cli_app.app_context():
        ann = users.get_by_login("ann")
        assert users.check_password(ann, "second password") and not users.check_password(ann, "first password")
        with pytest.raises(NotFound):
            web_sessions.get_user(session_id, idle=3600, lifetime=3600)


def test_passwd_of_an_unknown_login_is_one_sentence(cli_app: Flask, capsys: pytest.CaptureFixture[str]):
    assert main(["user", "passwd", "nobody", "--password", "long enough"]) == 1
    assert capsys.readouterr().err.startswith("circle: user 'nobody' not found")

"""The data dir is 0700 and the keys, the SQLite database and its -wal/-shm files 0600, whatever the umask."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from circle import config
from circle.app import create_app
from circle.database import upgrade
from circle.extensions import db


def _mode(path: Path) -> int:
    """Return the permission bits of `path`."""
    return stat.S_IMODE(path.stat().st_mode)


def _open_umask():
    """Set the permissive umask of a typical login shell; return the old one."""
    return os.umask(0o022)


def test_a_fresh_data_dir_and_its_files_are_private(tmp_path):
    """Starting on a new data dir: dir 0700; secret_key, agent_secret, circle.db and, once written, -wal/-shm 0600."""
    data = tmp_path / "fresh" / "data"
    old = _open_umask()
    try:
        app = create_app({"CIRCLE_DATA_DIR": str(data)})
        upgrade(app)
        with app.app_context():
            db.session.execute(text("CREATE TABLE plain (secret TEXT)"))
            db.session.execute(text("INSERT INTO plain VALUES ('s3cr3t')"))
            db.session.commit()
            assert (data / "circle.db-wal").exists() and (data / "circle.db-shm").exists()
            modes = {name: _mode(data / name) for name in
                     ("secret_key", "agent_secret", "circle.db", "circle.db-wal", "circle.db-shm")}
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(old)
    assert _mode(data) == 0o700
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_existing_open_data_dir_is_closed_at_start(tmp_path):
    """A data dir and database other users could read (an older install) are made 0700 / 0600 when settings load."""
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("circle.db", "circle.db-wal"):
        (data / name).write_bytes(b"")
        (data / name).chmod(0o644)
    config.load({"CIRCLE_DATA_DIR": str(data)})
    assert _mode(data) == 0o700
    assert _mode(data / "circle.db") == 0o600 and _mode(data / "circle.db-wal") == 0o600


def test_a_database_elsewhere_is_created_private(tmp_path):
    """CIRCLE_DATABASE_URL pointing outside the data dir: its missing parent is 0700 and the file 0600."""
    target = tmp_path / "db" / "ci.sqlite"
    old = _open_umask()
    try:
        config.load({"CIRCLE_DATA_DIR": str(tmp_path / "d"), "CIRCLE_DATABASE_URL": f"sqlite:///{target}"})
    finally:
        os.umask(old)
    assert _mode(target.parent) == 0o700 and _mode(target) == 0o600

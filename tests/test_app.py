"""create_app wires the settings into the app: here, the database connection pool."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from circle.errors import SettingsError
from circle.extensions import db
from dbtools import make_app

# Engines are made without connecting, so these URLs need their driver only, not a server.
POOLED_URLS = ["postgresql+psycopg://circle@127.0.0.1:1/circle", "mysql+pymysql://circle@127.0.0.1:1/circle"]


def _pool(url: str, tmp_path: Path, **settings: object) -> QueuePool:
    """Return the connection pool of an app on `url` made with `settings`."""
    app = make_app(url, tmp_path, **settings)
    with app.app_context():
        pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    return pool


@pytest.mark.parametrize("url", POOLED_URLS)
def test_the_pool_settings_reach_the_engine(url: str, tmp_path: Path):
    """CIRCLE_DB_POOL_SIZE, CIRCLE_DB_MAX_OVERFLOW and CIRCLE_DB_POOL_TIMEOUT size the engine's pool."""
    pool = _pool(url, tmp_path, CIRCLE_DB_POOL_SIZE=3, CIRCLE_DB_MAX_OVERFLOW=4, CIRCLE_DB_POOL_TIMEOUT=7)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 4, 7)


@pytest.mark.parametrize("url", POOLED_URLS)
def test_the_pool_defaults_to_ten_plus_ten(url: str, tmp_path: Path):
    """Without the settings a process keeps 10 connections and may open 10 more, waiting 30 s for one."""
    pool = _pool(url, tmp_path)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (10, 10, 30)


def test_sqlite_ignores_the_pool_settings(tmp_path: Path):
    """SQLite keeps SQLAlchemy's own pool: the settings are accepted and do not apply."""
    pool = _pool(f"sqlite:///{tmp_path / 'circle.db'}", tmp_path, CIRCLE_DB_POOL_SIZE=3, CIRCLE_DB_MAX_OVERFLOW=0)
    assert (pool.size(), pool._max_overflow) == (5, 10)


@pytest.mark.parametrize(("name", "value"), [("CIRCLE_DB_POOL_SIZE", 0), ("CIRCLE_DB_MAX_OVERFLOW", -1),
                                             ("CIRCLE_DB_POOL_TIMEOUT", 0)])
def test_a_pool_setting_below_its_minimum_is_a_settings_error(name: str, value: int, tmp_path: Path):
    """A pool of no connections, a negative overflow or a zero wait is one clear sentence."""
    with pytest.raises(SettingsError, match=f"{name} must be"):
        make_app(POOLED_URLS[0], tmp_path, **{name: value})

"""Opening the installation a command works on: the data dir (and database) `circle server` made.

Only `circle server` and `circle db upgrade` may create one; every other command that reads the database
refuses in one sentence where there is none, instead of making an empty data dir (with new keys) and
answering "user not found".
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from circle.errors import SettingsError

if TYPE_CHECKING:
    from flask import Flask


def missing(values: dict) -> str:
    """Return why CIRCLE_DATA_DIR (and its default SQLite file) holds no installation, or ""."""
    data_dir = Path(values["CIRCLE_DATA_DIR"]).expanduser().resolve()
    hint = "run this where `circle server` keeps its data, or set CIRCLE_DATA_DIR (`circle db upgrade` creates one)"
    if not values["CIRCLE_SECRET_KEY"] and not (data_dir / "secret_key").is_file():
        return f"there is no circle installation in {data_dir}: {hint}"
    if not values["CIRCLE_DATABASE_URL"] and not (data_dir / "circle.db").is_file():
        return f"there is no circle database in {data_dir}: {hint}"
    return ""


def open_installation() -> Flask:
    """Return the app of the existing installation with its database migrated; raise SettingsError without one."""
    from circle.app import create_app
    from circle.config import raw_values
    from circle.database import open_database

    reason = missing(raw_values())
    if reason:
        raise SettingsError(reason)
    app = create_app()
    open_database(app)
    return app

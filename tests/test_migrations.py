"""The migrations build the whole schema from empty, match the models, and go back down to base."""
from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from circle.extensions import db
from dbtools import table_names

EXPECTED_TABLES = {t.name for t in db.metadata.sorted_tables}


def test_upgrade_downgrade_upgrade(migrated_app):
    """Base → head → base → head on each database, with the same tables each time."""
    assert EXPECTED_TABLES <= table_names(migrated_app)
    with migrated_app.app_context():
        flask_migrate.downgrade(revision="base")
        assert table_names(migrated_app) - {"alembic_version"} == set()
        flask_migrate.upgrade()
    assert table_names(migrated_app) == EXPECTED_TABLES | {"alembic_version"}


def test_models_match_migrations(migrated_app):
    """Autogenerate finds nothing to change: the models and the migrated schema agree."""
    with migrated_app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []

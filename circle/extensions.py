"""Unbound Flask extension singletons, bound to an app in circle.app.create_app (Flask-Migrate: circle.database)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can drop and alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every circle model."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# The base class of the models. At run time it is db.Model (Base with Flask-SQLAlchemy's mixins); type
# checkers cannot use a variable as a base class, so they see Base, whose typed columns it shares.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

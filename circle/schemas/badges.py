"""Badges: which branch they show."""
from __future__ import annotations

from marshmallow import fields

from circle.schemas import Query


class BadgeQuery(Query):
    """`?branch=` (default: the repo's default branch)."""

    branch = fields.String()

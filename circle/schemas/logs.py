"""Log lines of a proc."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.schemas import Query, Strict


class LogLineSchema(Strict):
    """One output line of a proc; `time` is seconds since the proc started."""

    pos = fields.Integer(dump_only=True)
    time = fields.Integer(dump_only=True)
    out = fields.String(dump_only=True)


class LogQuery(Query):
    """`?format=text` answers the log as plain text."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "text")))

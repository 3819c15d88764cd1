"""Log lines of a proc."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.logstream import MAX_PAGE, PAGE
from circle.schemas import Query, Strict


class LogLineSchema(Strict):
    """One output line of a proc; `time` is seconds since the proc started."""

    pos = fields.Integer(dump_only=True)
    time = fields.Integer(dump_only=True)
    out = fields.String(dump_only=True)


class LogQuery(Query):
    """`?after=POS&limit=N` pages the JSON answer; `?format=text` streams the whole log as plain text."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "text")))
    after = fields.Integer(load_default=-1, validate=validate.Range(min=-1),
                           metadata={"description": "answer the lines with pos > after (default -1: from the first)"})
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(min=1),
                           metadata={"description": f"lines at most (default {PAGE}; more than {MAX_PAGE} counts as "
                                                    f"{MAX_PAGE}); an answer shorter than limit is the end for now"})

"""Log lines of a proc."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.limits import MAX_SEARCH_BUILDS, MAX_SEARCH_MATCHES, SEARCH_BUILDS, SEARCH_MATCHES
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


class LogArchiveQuery(Query):
    """`?format=zip`: every step's log of the build in one zip, one `workflow/step.log` file per step."""

    format = fields.String(load_default="zip", validate=validate.OneOf(("zip",)),
                           metadata={"description": "zip (the only format of a whole build's logs)"})


class LogSearchQuery(Query):
    """`?q=TEXT` (case ignored) in the logs of the repo's newest `builds` builds, at most `limit` matches."""

    q = fields.String(required=True, validate=validate.Length(min=1, max=256),
                      metadata={"description": "the text to find in log lines, case ignored"})
    builds = fields.Integer(load_default=SEARCH_BUILDS, validate=validate.Range(min=1),
                            metadata={"description": f"the newest builds searched (default {SEARCH_BUILDS}; more "
                                                     f"than {MAX_SEARCH_BUILDS} counts as {MAX_SEARCH_BUILDS})"})
    limit = fields.Integer(load_default=SEARCH_MATCHES, validate=validate.Range(min=1),
                           metadata={"description": f"matches at most (default {SEARCH_MATCHES}; more than "
                                                    f"{MAX_SEARCH_MATCHES} counts as {MAX_SEARCH_MATCHES}); a shorter "
                                                    "answer holds every match of those builds"})


class LogMatchSchema(Strict):
    """One log line that matched a search: its build, step and position."""

    number = fields.Integer(dump_only=True)
    pid = fields.Integer(dump_only=True)
    step = fields.String(dump_only=True)
    pos = fields.Integer(dump_only=True)
    out = fields.String(dump_only=True)

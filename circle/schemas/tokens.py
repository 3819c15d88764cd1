"""API tokens: `{id, name, created, last_used, expires}`; the secret appears once, in the answer that creates it."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.schemas import NAME, Strict, integer, unix_time

# The longest expiry a token may be given: ten years, in seconds.
MAX_EXPIRES_IN = 10 * 365 * 86400


class TokenCreateSchema(Strict):
    """POST /api/user/tokens: `{name, expires_in?}` (seconds; none = never)."""

    name = fields.String(required=True, validate=NAME)
    expires_in = integer(validate.Range(min=60, max=MAX_EXPIRES_IN), load_only=True, load_default=None,
                         allow_none=True)


class TokenSchema(Strict):
    """A token of the caller (tokens made by `circle token` have an empty name)."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    created = unix_time()
    last_used = fields.Integer(dump_only=True, metadata={"description": "UNIX seconds, to the minute (0 = never)"})
    expires = fields.Integer(dump_only=True, metadata={"description": "UNIX seconds (0 = never)"})


class NewTokenSchema(TokenSchema):
    """A token just created, with its secret (shown this once only)."""

    token = fields.String(dump_only=True)

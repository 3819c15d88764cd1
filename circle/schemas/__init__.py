"""marshmallow schemas: what the API accepts (load) and answers (dump), one module per resource.

Every schema rejects unknown keys (RAISE), so a misspelt key is a 400 naming it. Write-only
values (passwords, tokens, secret values) are `load_only` and never reach an answer; ids and
times are `dump_only`. Times are integer UNIX seconds. Every integer input lies in the stored range
(circle.limits), so a huge number is a 400 naming its field, never a failed query.
"""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from circle.errors import InvalidInput
from circle.limits import INT_MAX, INT_MIN

NAME = validate.Length(min=1, max=255)
STORED = validate.Range(min=INT_MIN, max=INT_MAX)


class Checked(Schema):
    """Base of every schema, with `read`: what the API loads raises circle's InvalidInput when invalid."""

    @classmethod
    def read(cls, data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Load `data`; invalid input raises InvalidInput (a 400 with a message per field)."""
        try:
            return cls().load(data, partial=partial)
        except ValidationError as err:
            raise InvalidInput.of_fields(err.messages) from None


class Strict(Checked):
    """Base of every body schema: unknown keys are an error."""

    class Meta:
        unknown = RAISE


class Query(Checked):
    """Base of query-string schemas: unknown parameters are ignored."""

    class Meta:
        unknown = EXCLUDE


class PageQuery(Query):
    """The `?page=&per_page=` parameters of every list (per_page is capped at 200)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=INT_MAX))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=INT_MAX),
                              metadata={"description": "items per page; more than 200 counts as 200"})


def boolean(**kwargs: object) -> fields.Boolean:
    """Return a Boolean field that accepts only JSON true and false."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)  # type: ignore[arg-type]


def integer(*checks: validate.Validator, **kwargs: object) -> fields.Integer:
    """Return an Integer field that refuses strings, floats and numbers outside the stored range, then `checks`."""
    return fields.Integer(strict=True, validate=[STORED, *checks], **kwargs)  # type: ignore[arg-type]


def unix_time() -> fields.Integer:
    """Return a read-only integer UNIX-seconds field."""
    return fields.Integer(dump_only=True, metadata={"description": "UNIX seconds (0 = not yet)"})

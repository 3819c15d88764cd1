"""Secrets: `{name, events, images}`; the value is write-only."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.schemas import Strict, unix_time
from circle.states import EVENTS, TRUSTED_EVENTS

SECRET_NAME = validate.Regexp(r"^[A-Za-z0-9_.-]{1,255}$",
                              error="use 1 to 255 letters, digits, '_', '.' or '-'")


class SecretSchema(Strict):
    """A secret of a repo; steps see it only on `events` and, when `images` is set, in matching images."""

    name = fields.String(required=True, validate=SECRET_NAME)
    value = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=65536))
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), load_default=lambda: list(TRUSTED_EVENTS),
                         validate=validate.Length(min=1, error="name at least one event"))
    images = fields.List(fields.String(validate=validate.Length(min=1, max=255)), load_default=list,
                         metadata={"description": "image globs; empty = every image"})
    created = unix_time()
    updated = unix_time()


class SecretPatchSchema(SecretSchema):
    """PATCH …/secrets/{name}: a new value, events or images (not the name)."""

    class Meta:
        exclude = ("name",)

"""Registry credentials: `{address, username}`; the password is write-only."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.schemas import Strict, unix_time


class RegistrySchema(Strict):
    """Credentials the agent uses to pull images from one registry host."""

    address = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", error="give a registry host, optionally with :port (e.g. docker.io)"))
    username = fields.String(required=True, validate=validate.Length(min=1, max=255))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=65536))
    created = unix_time()
    updated = unix_time()


class RegistryPatchSchema(RegistrySchema):
    """PATCH …/registries/{address}: new username or password."""

    class Meta:
        exclude = ("address",)

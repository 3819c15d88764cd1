"""Users: `{id, login, email, admin}`; the password is write-only."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.schemas import Strict, boolean, unix_time

PASSWORD = validate.Length(min=8, max=1024, error="use 8 to 1024 characters")


class UserSchema(Strict):
    """A user; POST /api/users takes `{login, password?, email?, admin?}`."""

    id = fields.Integer(dump_only=True)
    login = fields.String(required=True, validate=validate.Regexp(
        r"^\S{1,255}$", error="use 1 to 255 characters without spaces"))
    email = fields.String(load_default="", validate=validate.Length(max=255))
    admin = boolean(load_default=False)
    password = fields.String(load_only=True, validate=PASSWORD)
    active = fields.Boolean(dump_only=True)
    created = unix_time()


class PasswordChangeSchema(Strict):
    """POST /api/user/password: `{current_password, password}`."""

    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    password = fields.String(required=True, load_only=True, validate=PASSWORD)

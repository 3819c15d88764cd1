"""SCMs (registered code hosts): `{id, kind, name, url, username}`; password and token are write-only."""
from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate

from circle.remote import KINDS
from circle.schemas import NAME, Strict, unix_time


def no_credentials(url: str) -> None:
    """Refuse a URL carrying user:password@ (it would be stored, shown and logged in clear)."""
    try:
        userinfo = urlsplit(url).netloc.rpartition("@")[0] if "://" in url else ""
    except ValueError:
        raise ValidationError("not a valid URL") from None
    if userinfo:
        raise ValidationError("the URL must not carry credentials (user:password@); "
                              "give them as username and password or token")


class ScmSchema(Strict):
    """An SCM; `url` is a directory for the `local` kind, else the forge's http(s) base URL."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(tuple(KINDS)))
    name = fields.String(required=True, validate=NAME)
    url = fields.String(required=True, validate=[validate.Length(min=1, max=1024), no_credentials])
    username = fields.String(load_default="", validate=validate.Length(max=255))
    password = fields.String(load_only=True, load_default="", validate=validate.Length(max=4096))
    token = fields.String(load_only=True, load_default="", validate=validate.Length(max=4096))
    owner_id = fields.Integer(dump_only=True)
    created = unix_time()
    updated = unix_time()


class ScmPatchSchema(ScmSchema):
    """What PATCH /api/scms/{scm_id} may change (not the kind); every key is optional."""

    class Meta:
        exclude = ("kind",)


class RemoteRepoSchema(Strict):
    """A repository as the SCM lists it (GET /api/scms/{scm_id}/repos)."""

    full_name = fields.String(dump_only=True)
    clone_url = fields.String(dump_only=True)
    default_branch = fields.String(dump_only=True)
    private = fields.Boolean(dump_only=True)

"""Cron jobs: `{name, schedule, branch}`; `next` says when the next build is due."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from circle import cron
from circle.schemas import Strict, unix_time

CRON_NAME = validate.Regexp(r"^[A-Za-z0-9_.-][A-Za-z0-9 _.-]{0,254}$",
                            error="use 1 to 255 letters, digits, spaces, '_', '.' or '-'")


def check_schedule(text: str) -> None:
    """Refuse a schedule circle.cron cannot read or that never runs."""
    try:
        cron.parse(text)
    except cron.ScheduleError as err:
        raise ValidationError(str(err)) from None


class CronSchema(Strict):
    """A cron job of a repo: builds `branch` (empty: the default branch) with event `cron` on `schedule`."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=CRON_NAME)
    schedule = fields.String(required=True, validate=[validate.Length(min=1, max=255), check_schedule],
                             metadata={"description": "5 fields (minute hour day month weekday, UTC), "
                                                      "@hourly/@daily/@weekly/@monthly/@yearly, or @every 30s"})
    branch = fields.String(load_default="", validate=validate.Length(max=255),
                           metadata={"description": "empty = the repo's default branch"})
    next = unix_time()
    creator = fields.String(dump_only=True)
    error = fields.String(dump_only=True, metadata={"description": "why the last due time built nothing"})
    created = unix_time()
    updated = unix_time()


class CronPatchSchema(CronSchema):
    """PATCH …/crons/{cron_id}: any of name, schedule and branch."""

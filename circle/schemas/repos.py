"""Repos: the activated repository with its build switches and its signed hook URL."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.models import Repo
from circle.schemas import NAME, Query, Strict, boolean, integer, unix_time
from circle.service.hook_url import hook_url

TIMEOUT = validate.Range(min=1, max=1440, error="the timeout is 1 to 1440 minutes")
DAYS = validate.Range(min=0, max=36_500, error="retention is 0 (keep forever) to 36500 days")
KEEP_MIN = validate.Range(min=0, max=100_000, error="retention_keep_min is 0 to 100000 builds per branch")
MAX_CONCURRENT = validate.Range(min=0, max=10_000, error="max_concurrent is 0 (no limit) to 10000 workflows")


class RepoSchema(Strict):
    """An activated repo as every repo route answers it."""

    id = fields.Integer(dump_only=True)
    scm_id = fields.Integer(dump_only=True)
    full_name = fields.String(dump_only=True)
    owner = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    clone_url = fields.String(dump_only=True)
    link = fields.String(dump_only=True)
    default_branch = fields.String(dump_only=True)
    hook_url = fields.Method("_hook_url", dump_only=True, metadata={
        "openapi": {"type": "string"}, "description": "the webhook URL registered at the SCM (signed)"})
    allow_push = fields.Boolean(dump_only=True)
    allow_tag = fields.Boolean(dump_only=True)
    allow_pr = fields.Boolean(dump_only=True)
    allow_deploy = fields.Boolean(dump_only=True)
    trusted = fields.Boolean(dump_only=True)
    gated = fields.Boolean(dump_only=True)
    timeout = fields.Integer(dump_only=True, metadata={"description": "minutes"})
    max_concurrent = fields.Integer(dump_only=True, metadata={
        "description": "at most this many of the repo's workflows run at once; 0 = no limit"})
    retention_days = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "finished builds older than this many days are deleted; 0 = never; null = the global setting"})
    retention_keep_min = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "the newest this many builds per branch are always kept; null = the global setting"})
    artifact_retention_days = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "artifacts older than this many days are deleted; 0 = never; null = the global setting"})
    private = fields.Boolean(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created = unix_time()
    updated = unix_time()

    def _hook_url(self, repo: Repo) -> str:
        """Return the repo's signed hook URL."""
        return hook_url(repo)


class RepoCreateSchema(Strict):
    """POST /api/repos: activate `full_name` of SCM `scm_id`."""

    scm_id = integer(required=True)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class RepoPatchSchema(Strict):
    """PATCH /api/repos/{repo_id}: the build switches (only admin users may set `trusted`)."""

    allow_push = boolean()
    allow_tag = boolean()
    allow_pr = boolean()
    allow_deploy = boolean()
    trusted = boolean()
    gated = boolean()
    timeout = integer(TIMEOUT, metadata={"description": "minutes, 1 to 1440"})
    max_concurrent = integer(MAX_CONCURRENT, metadata={"description": "workflows at once, 0 = no limit"})
    default_branch = fields.String(validate=NAME)
    retention_days = integer(DAYS, allow_none=True, metadata={"description": "days, 0 = never, null = global"})
    retention_keep_min = integer(KEEP_MIN, allow_none=True, metadata={"description": "per branch, null = global"})
    artifact_retention_days = integer(DAYS, allow_none=True, metadata={"description": "days, 0 = never, null = global"})


class RepoQuery(Query):
    """The filter of GET /api/repos."""

    full_name = fields.String()

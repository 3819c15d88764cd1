"""Builds and their procs; the bodies of the build actions."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_dump, validate

from circle.models import Build, Proc
from circle.schemas import Query, Strict, integer, unix_time
from circle.states import EVENTS, STATES


def params_field() -> fields.Dict:
    """Return the field of build parameters: environment names to string values."""
    return fields.Dict(keys=fields.String(validate=validate.Regexp(
        r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", error="a parameter name is a variable name")),
        values=fields.String(validate=validate.Length(max=4096)),
        metadata={"description": "extra environment variables for the steps"})


class BuildSchema(Strict):
    """One run of one config for one event."""

    id = fields.Integer(dump_only=True)
    number = fields.Integer(dump_only=True)
    parent = fields.Integer(dump_only=True, metadata={"description": "number of the forked build, 0 = none"})
    config_id = fields.Integer(dump_only=True, allow_none=True)
    event = fields.String(dump_only=True, metadata={"enum": list(EVENTS)})
    status = fields.String(dump_only=True, metadata={"enum": list(STATES)})
    ref = fields.String(dump_only=True)
    branch = fields.String(dump_only=True)
    commit = fields.String(dump_only=True)
    message = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    author = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    avatar = fields.String(dump_only=True)
    link = fields.String(dump_only=True)
    sender = fields.String(dump_only=True)
    deploy_to = fields.String(dump_only=True)
    pr_number = fields.Integer(dump_only=True)
    source_branch = fields.String(dump_only=True)
    target_branch = fields.String(dump_only=True)
    params = fields.Dict(dump_only=True, keys=fields.String(), values=fields.String())
    cron = fields.String(dump_only=True, metadata={"description": "the cron job that started it (event cron)"})
    reviewer = fields.String(dump_only=True)
    error = fields.String(dump_only=True)
    created = unix_time()
    enqueued = unix_time()
    started = unix_time()
    finished = unix_time()


class ProcSchema(Strict):
    """A node of a build's process tree: a workflow (ppid 0) or a step."""

    pid = fields.Integer(dump_only=True)
    ppid = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    state = fields.String(dump_only=True, metadata={"enum": list(STATES)})
    exit_code = fields.Integer(dump_only=True)
    started = unix_time()
    finished = unix_time()
    machine = fields.String(dump_only=True)
    platform = fields.String(dump_only=True)
    error = fields.String(dump_only=True)
    depends_on = fields.Method("_depends_on", dump_only=True, metadata={
        "openapi": {"type": "array", "items": {"type": "integer"}},
        "description": "pids of the workflows this workflow waits for"})
    runs_on = fields.Method("_runs_on", dump_only=True, metadata={
        "openapi": {"type": "array", "items": {"type": "string", "enum": ["success", "failure"]}},
        "description": "outcomes of those after which it runs"})

    def _depends_on(self, proc: Proc) -> list[int]:
        """Return the pids a workflow waits for (none for a step)."""
        return list(proc.depends_on or [])

    def _runs_on(self, proc: Proc) -> list[str]:
        """Return the outcomes of its dependencies after which a workflow runs."""
        return list(proc.runs_on or []) if proc.depends_on else []
    attempts = fields.Integer(dump_only=True, metadata={"description": "times the step ran: 1 + its retries"})
    stage = fields.String(dump_only=True, metadata={
        "description": "the stage of a step: steps of one stage run in parallel (empty for a workflow)"})


class WaitingSchema(Strict):
    """A workflow of a pending build that no agent runs yet, and why."""

    proc = fields.String(dump_only=True, metadata={"description": "the workflow's name"})
    labels = fields.Dict(dump_only=True, keys=fields.String(), values=fields.String())
    reason = fields.String(dump_only=True, metadata={"description": "why it waits, a sentence"})


class BuildDetailSchema(BuildSchema):
    """A build with its procs and why its workflows wait; dumps a `(build, procs, waiting)` triple."""

    procs = fields.List(fields.Nested(ProcSchema), dump_only=True)
    waiting = fields.List(fields.Nested(WaitingSchema), dump_only=True,
                          metadata={"description": "pending workflows and why they wait (empty unless pending)"})

    @pre_dump
    def _triple(self, triple: tuple[Build, list[Proc], list[dict[str, Any]]], **_: Any) -> dict[str, Any]:
        """Merge the build's attributes with its procs and the reasons its workflows wait."""
        build, procs, waiting = triple
        values = {name: getattr(build, name) for name in self.fields if name not in ("procs", "waiting")}
        return {**values, "procs": procs, "waiting": waiting}


class BuildQuery(Query):
    """The filters of GET /api/repos/{repo_id}/builds."""

    branch = fields.String()
    status = fields.String(validate=validate.OneOf(STATES))
    event = fields.String(validate=validate.OneOf(EVENTS))


class RestartQuery(Query):
    """The `?failed=true` of POST …/builds/{number}/restart."""

    failed = fields.Boolean(load_default=False,
                            metadata={"description": "run only the failed, errored and killed workflows again"})


class ManualBuildSchema(Strict):
    """POST /api/repos/{repo_id}/builds: what to build (defaults: the repo's default branch, its head, every config)."""

    branch = fields.String(validate=validate.Length(min=1, max=255))
    commit = fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{4,64}$", error="give a commit sha"))
    config_id = integer()
    params = params_field()


class ForkSchema(Strict):
    """POST …/builds/{number}/fork: optional extra parameters."""

    params = params_field()

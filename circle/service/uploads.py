"""Signed upload URLs: a step's CIRCLE_UPLOAD_URL lets that one step store artifacts while it runs.

The signature covers the build's id, repo and creation time and the step's pid, so a URL never fits
another build that later got the same id, nor another step; it stops working once the step ended.
"""
from __future__ import annotations

from circle import crypto, states
from circle.errors import Forbidden, NotFound
from circle.hub import hub
from circle.limits import INT_MAX
from circle.models import Build, Proc
from circle.pipeline.types import Step
from circle.store import builds as build_store

VARIABLE = "CIRCLE_UPLOAD_URL"


def _message(build: Build, pid: int) -> str:
    """Return what an upload token of step `pid` of `build` signs."""
    return f"upload:{build.id}:{build.repo_id}:{build.created}:{pid}"


def upload_token(build: Build, pid: int) -> str:
    """Return the token that authorises uploads by step `pid` of one build."""
    return f"{build.id}.{pid}.{crypto.sign(hub().settings.secret_key, _message(build, pid))}"


def upload_url(build: Build, pid: int) -> str:
    """Return the URL step `pid` POSTs artifacts to."""
    return f"{hub().settings.host}/api/upload/{upload_token(build, pid)}"


def bind_step(build: Build, step: Step, pid: int) -> None:
    """Give a compiled step its own upload URL (the agent masks it in the step's log)."""
    step.environment[VARIABLE] = upload_url(build, pid)


def _parse(token: str) -> tuple[int, int, str] | None:
    """Split a token into build id, pid and signature; None when it has not that shape."""
    parts = token.split(".", 2)
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    build_id, pid = int(parts[0]), int(parts[1])
    return (build_id, pid, parts[2]) if build_id <= INT_MAX and pid <= INT_MAX else None


def step_for(token: str) -> Proc:
    """Return the running step a valid upload token names; NotFound when unknown, Forbidden once it ended."""
    parsed = _parse(token)
    try:
        build = build_store.get(parsed[0]) if parsed else None
    except NotFound:
        build = None
    if build is None or parsed is None or \
            not crypto.verify(hub().settings.secret_key, _message(build, parsed[1]), parsed[2]):
        raise NotFound("unknown upload token")
    try:
        proc = build_store.get_proc_by_pid(build.id, parsed[1])
    except NotFound:
        raise NotFound("unknown upload token") from None
    if proc.state in states.FINAL or build.status in states.FINAL:
        raise Forbidden(f"step {proc.name!r} of build {build.id} has ended; its upload URL has expired")
    return proc

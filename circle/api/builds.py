"""Builds: list, show, and the actions (manual build, restart, fork, cancel, approve, decline)."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.models import Build, Proc, Repo
from circle.service import builds as build_service
from circle.service import waiting
from circle.service.permissions import PUSH, repo_for
from circle.store import builds
from circle.store.base import Page


def list_builds(repo_id: int, query: dict[str, Any], page: Page) -> tuple[list[Build], int]:
    """List a repo's builds, newest first (`?branch= &status= &event=` filter)."""
    repo = repo_for(require_user(), repo_id)
    return builds.list_by_repo(repo.id, page=page, **query), builds.count_by_repo(repo.id, **query)


def create_builds(repo_id: int, body: dict[str, Any]) -> list[Build]:
    """Start a manual build: one build per config matching the branch (default: the repo's default branch)."""
    user = require_user()
    return build_service.create_manual(repo_for(user, repo_id, PUSH), user, **body)


def get_build(repo_id: int, number: int) -> tuple[Build, list[Proc], list[dict[str, Any]]]:
    """Return a build with its procs and, while it is pending, why its workflows wait."""
    build = builds.get_by_number(repo_for(require_user(), repo_id).id, number)
    procs = builds.list_procs(build.id)
    return build, procs, waiting.of_build(build, procs)


def _act(repo_id: int, number: int) -> tuple[Repo, Build]:
    """Return the repo (with push permission checked) and its build `number`."""
    repo = repo_for(require_user(), repo_id, PUSH)
    return repo, builds.get_by_number(repo.id, number)


def restart_build(repo_id: int, number: int, query: dict[str, Any]) -> Build:
    """Run a finished build again in place (same number; procs, logs and files reset), or only its failed workflows."""
    if query["failed"]:
        return build_service.restart_failed(*_act(repo_id, number))
    return build_service.restart(*_act(repo_id, number))


def restart_workflow(repo_id: int, number: int, pid: int) -> Build:
    """Run one workflow of a finished build again; the other workflows keep their results and logs."""
    return build_service.restart_workflow(*_act(repo_id, number), pid)


def fork_build(repo_id: int, number: int, body: dict[str, Any]) -> Build:
    """Start a new build of the same commit, ref and config (`parent` = this number)."""
    return build_service.fork(*_act(repo_id, number), params=body.get("params"))


def cancel_build(repo_id: int, number: int) -> Build:
    """Kill a pending, blocked or running build."""
    return build_service.cancel(*_act(repo_id, number))


def approve_build(repo_id: int, number: int) -> Build:
    """Let a build blocked by a gated repo run."""
    return build_service.approve(*_act(repo_id, number), require_user())


def decline_build(repo_id: int, number: int) -> Build:
    """Refuse to run a build blocked by a gated repo."""
    return build_service.decline(*_act(repo_id, number), require_user())

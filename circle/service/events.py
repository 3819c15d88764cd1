"""Build and proc change events: one topic per repo and one for everything (the /ws/events feed)."""
from __future__ import annotations

from typing import Any

from circle.hub import hub
from circle.models import Build, Proc
from circle.service import statuses
from circle.store.base import after_commit

ALL_EVENTS = "events"

BUILD_FIELDS = ("id", "number", "parent", "config_id", "event", "status", "ref", "branch", "commit", "message",
                "author", "sender", "error", "created", "started", "finished")
PROC_FIELDS = ("pid", "ppid", "name", "state", "exit_code", "started", "finished", "machine", "error", "attempts")


def build_json(build: Build) -> dict[str, Any]:
    """Return the public fields of a build."""
    return {name: getattr(build, name) for name in BUILD_FIELDS}


def proc_json(proc: Proc) -> dict[str, Any]:
    """Return the public fields of a proc."""
    return {name: getattr(proc, name) for name in PROC_FIELDS}


def repo_topic(repo_id: int) -> str:
    """Return the topic of one repo's build events."""
    return f"build:{repo_id}"


def build_changed(build: Build) -> None:
    """Publish the new state of a build once it is committed, and report it to the SCM."""
    message = {"type": "build", "repo_id": build.repo_id, "build": build_json(build)}
    _publish(build.repo_id, message)
    after_commit(lambda: statuses.report(build))


def proc_changed(build: Build, proc: Proc) -> None:
    """Publish the new state of a proc."""
    message = {"type": "proc", "repo_id": build.repo_id, "number": build.number, "proc": proc_json(proc)}
    _publish(build.repo_id, message)


def _publish(repo_id: int, message: dict[str, Any]) -> None:
    """Send a message to the repo's topic and to the all-events topic once the change is committed."""
    pubsub = hub().pubsub

    def send() -> None:
        pubsub.publish(repo_topic(repo_id), message)
        pubsub.publish(ALL_EVENTS, message)
    after_commit(send)

"""Searching a repo's logs: the lines holding a text, newest build first, within a stated number of builds."""
from __future__ import annotations

from dataclasses import dataclass

from circle.hub import hub
from circle.models import Repo
from circle.store import builds as build_store
from circle.store.base import Page


@dataclass(frozen=True)
class LogMatch:
    """A log line that holds the searched text."""

    number: int
    pid: int
    step: str
    pos: int
    out: str


def search(repo: Repo, text: str, *, builds: int, limit: int) -> list[LogMatch]:
    """Return at most `limit` lines holding `text` (case ignored) in the steps of the repo's newest `builds`
    builds: builds newest first, then steps by pid, lines in order."""
    found: list[LogMatch] = []
    for build in build_store.list_by_repo(repo.id, page=Page(1, builds)):
        for proc in build_store.list_procs(build.id):
            if not proc.ppid:  # a workflow: its steps hold the output
                continue
            for pos, _, out in hub().logs.find(proc.id, text):
                found.append(LogMatch(build.number, proc.pid, proc.name, pos, out))
                if len(found) >= limit:
                    return found
    return found

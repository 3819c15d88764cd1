"""Build and proc states, and how a build's status follows its workflows."""
from __future__ import annotations

from typing import Iterable

PENDING = "pending"
BLOCKED = "blocked"
RUNNING = "running"
SUCCESS = "success"
FAILURE = "failure"
KILLED = "killed"
ERROR = "error"
SKIPPED = "skipped"
DECLINED = "declined"

STATES = (PENDING, BLOCKED, RUNNING, SUCCESS, FAILURE, KILLED, ERROR, SKIPPED, DECLINED)
FINAL = frozenset({SUCCESS, FAILURE, KILLED, ERROR, SKIPPED, DECLINED})
ACTIVE = frozenset({PENDING, BLOCKED, RUNNING})


def combine(workflow_states: Iterable[str]) -> str:
    """Return a build's status from its workflows' states (killed > error > failure > running > success)."""
    states = set(workflow_states)
    for state in (KILLED, ERROR, FAILURE):
        if state in states:
            return state if not states & {PENDING, RUNNING} else RUNNING
    if states & {PENDING, RUNNING}:
        return RUNNING if RUNNING in states or SUCCESS in states else PENDING
    if states and states <= {SKIPPED}:
        return SKIPPED
    return SUCCESS


def step_state(*, skipped: bool, exited: bool, killed: bool, error: str, exit_code: int) -> str:
    """Return a step proc's state from what the agent reported."""
    if skipped:
        return SKIPPED
    if not exited:
        return RUNNING
    if killed:
        return KILLED
    if error:
        return ERROR
    return SUCCESS if exit_code == 0 else FAILURE

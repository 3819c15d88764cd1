"""circle's vocabulary: build and proc states, build events, and every table keyed by state.

Stdlib only, so every layer may import it (tests/test_import_rules.py allows it everywhere).
A new state goes into STATES and into each table below; tests/test_states.py fails until
every table covers every state.
"""
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

PUSH = "push"
PULL_REQUEST = "pull_request"
TAG = "tag"
DEPLOYMENT = "deployment"
MANUAL = "manual"
CRON = "cron"

EVENTS = (PUSH, TAG, PULL_REQUEST, DEPLOYMENT, MANUAL, CRON)
# Events that build code already in the repository (pull requests do not): secrets go to these by default.
TRUSTED_EVENTS = (PUSH, TAG, DEPLOYMENT, MANUAL)

# One sentence per state, sent as the commit status description to the code host.
DESCRIPTIONS = {
    PENDING: "The build is pending",
    BLOCKED: "The build is waiting for approval",
    RUNNING: "The build is running",
    SUCCESS: "The build succeeded",
    FAILURE: "The build failed",
    KILLED: "The build was cancelled",
    ERROR: "The build hit an error",
    SKIPPED: "The build was skipped",
    DECLINED: "The build was declined",
}

GREEN, RED, GREY, YELLOW = "#4c1", "#e05d44", "#9f9f9f", "#dfb317"
BADGE_COLORS = {
    PENDING: YELLOW, BLOCKED: YELLOW, RUNNING: YELLOW,
    SUCCESS: GREEN, FAILURE: RED, ERROR: RED,
    KILLED: GREY, DECLINED: GREY, SKIPPED: GREY,
}
BADGE_LABELS = {
    PENDING: "pending", BLOCKED: "blocked", RUNNING: "running",
    SUCCESS: "passing", FAILURE: "failing", ERROR: "error",
    KILLED: "killed", DECLINED: "declined", SKIPPED: "skipped",
}

# The dashboard's CSS class of a state's pill (circle/web/static/circle.css styles each one).
CSS_CLASSES = {state: f"status-{state}" for state in STATES}

# lastBuildStatus of the CCTray (cc.xml) feed; "Unknown" for states that have not finished.
CC_STATUSES = {
    PENDING: "Unknown", BLOCKED: "Unknown", RUNNING: "Unknown",
    SUCCESS: "Success", FAILURE: "Failure",
    ERROR: "Exception", KILLED: "Exception", DECLINED: "Exception", SKIPPED: "Unknown",
}

# Commit-status vocabularies of the forges.
FOUR_STATES = {  # GitHub and Gitea (Gogs speaks Gitea's)
    PENDING: "pending", BLOCKED: "pending", RUNNING: "pending",
    SUCCESS: "success", SKIPPED: "success",
    FAILURE: "failure", DECLINED: "failure",
    KILLED: "error", ERROR: "error",
}
GITLAB_STATES = {
    PENDING: "pending", BLOCKED: "pending", RUNNING: "running",
    SUCCESS: "success", FAILURE: "failed", ERROR: "failed",
    KILLED: "canceled", DECLINED: "canceled", SKIPPED: "canceled",
}
BITBUCKET_STATES = {
    PENDING: "INPROGRESS", BLOCKED: "INPROGRESS", RUNNING: "INPROGRESS",
    SUCCESS: "SUCCESSFUL", FAILURE: "FAILED", ERROR: "FAILED",
    KILLED: "STOPPED", DECLINED: "STOPPED", SKIPPED: "STOPPED",
}

# How one test case of a JUnit report ended (not build states: they never enter STATES).
TEST_PASSED = "passed"
TEST_FAILED = "failed"
TEST_ERROR = "error"
TEST_SKIPPED = "skipped"
TEST_STATUSES = (TEST_PASSED, TEST_FAILED, TEST_ERROR, TEST_SKIPPED)
TEST_FAILING = frozenset({TEST_FAILED, TEST_ERROR})

# Every table keyed by state, for the test that each covers every state.
TABLES = {
    "DESCRIPTIONS": DESCRIPTIONS, "BADGE_COLORS": BADGE_COLORS, "BADGE_LABELS": BADGE_LABELS,
    "CSS_CLASSES": CSS_CLASSES, "CC_STATUSES": CC_STATUSES, "FOUR_STATES": FOUR_STATES,
    "GITLAB_STATES": GITLAB_STATES, "BITBUCKET_STATES": BITBUCKET_STATES,
}


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
    """Return a step's state from what its runner reported."""
    if skipped:
        return SKIPPED
    if not exited:
        return RUNNING
    if killed:
        return KILLED
    if error:
        return ERROR
    return SUCCESS if exit_code == 0 else FAILURE

"""Test results: GET …/builds/{number}/tests, GET /api/repos/{repo_id}/tests/flaky and …/tests/{test_id}/history."""
from __future__ import annotations

from typing import Any

from circle.api.auth import require_user
from circle.service import testresults
from circle.service.permissions import repo_for
from circle.store import builds


def build_tests(repo_id: int, number: int, query: dict[str, Any]) -> dict[str, Any]:
    """Return a build's test counts and a page of its cases by suite, failed and errored first."""
    build = builds.get_by_number(repo_for(require_user(), repo_id).id, number)
    return testresults.build_tests(build, query["status"], query["offset"], query["limit"])


def flaky_tests(repo_id: int, query: dict[str, Any]) -> list[dict[str, Any]]:
    """List the repo's flaky tests among its newest builds, most failures first."""
    return testresults.flaky(repo_for(require_user(), repo_id), query["builds"])


def history(repo_id: int, test_id: int, query: dict[str, Any]) -> dict[str, Any]:
    """Return one test of the repo and its newest results, newest build first."""
    return testresults.history(repo_for(require_user(), repo_id), test_id, query["limit"])

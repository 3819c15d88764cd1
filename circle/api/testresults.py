"""Test results: GET …/builds/{number}/tests, GET /api/repos/{repo_id}/tests/flaky and …/tests/{test_id}/history."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from circle.api.auth import require_user
from circle.api.routing import api_route
from circle.service import testresults
from circle.service.permissions import repo_for
from circle.store import builds

bp = Blueprint("tests", __name__)

REPO = "/api/repos/<int:repo_id>"


@api_route(bp, "GET", f"{REPO}/builds/<int:number>/tests", query="tests.BuildTestsQuery",
           answer="tests.BuildTestsSchema")
def build_tests(repo_id: int, number: int, query: dict[str, Any]) -> dict[str, Any]:
    """Return a build's test counts and a page of its cases by suite, failed and errored first."""
    build = builds.get_by_number(repo_for(require_user(), repo_id).id, number)
    return testresults.build_tests(build, query["status"], query["offset"], query["limit"])


@api_route(bp, "GET", f"{REPO}/tests/flaky", query="tests.FlakyQuery", answer="tests.FlakySchema", many=True)
def flaky_tests(repo_id: int, query: dict[str, Any]) -> list[dict[str, Any]]:
    """List the repo's flaky tests among its newest builds, most failures first."""
    return testresults.flaky(repo_for(require_user(), repo_id), query["builds"])


@api_route(bp, "GET", f"{REPO}/tests/<int:test_id>/history", query="tests.HistoryQuery", answer="tests.HistorySchema")
def history(repo_id: int, test_id: int, query: dict[str, Any]) -> dict[str, Any]:
    """Return one test of the repo and its newest results, newest build first."""
    return testresults.history(repo_for(require_user(), repo_id), test_id, query["limit"])

"""Test results on the dashboard: a build's tests page `/repos/{id}/builds/{n}/tests` and a repo's flaky tests."""
from __future__ import annotations

from typing import Any

from flask import render_template

from circle.models import Build
from circle.service import permissions, testresults
from circle.store import builds
from circle.web.guard import signed_in, viewer
from circle.web.paging import Pager, requested_page

PER_PAGE = 200
# The failed and errored cases the build page itself lists; the rest are on the tests page.
ON_BUILD_PAGE = 100


def build_summary(build: Build) -> dict[str, Any]:
    """Return the build page's view of its tests: the counts and the first failed and errored cases."""
    return testresults.build_tests(build, "failed", 0, ON_BUILD_PAGE)


@signed_in
def build_tests(repo_id: int, number: int) -> str:
    """Show every test case of a build, failed and errored first, a page at a time."""
    repo = permissions.repo_for(viewer(), repo_id)
    found = builds.get_by_number(repo.id, number)
    page = requested_page(PER_PAGE)
    tests = testresults.build_tests(found, None, page.offset, page.limit)
    steps = {proc.pid: proc.name for proc in builds.list_procs(found.id)}
    return render_template("builds/tests.html", repo=repo, build=found, tests=tests, steps=steps,
                           pager=Pager(page, tests["matching"]))


@signed_in
def flaky_tests(repo_id: int) -> str:
    """Show the repo's flaky tests among its newest builds."""
    repo = permissions.repo_for(viewer(), repo_id)
    return render_template("repos/flaky.html", repo=repo, flaky=testresults.flaky(repo, testresults.FLAKY_BUILDS),
                           builds=testresults.FLAKY_BUILDS)


@signed_in
def test_history(repo_id: int, test_id: int) -> str:
    """Show one test's newest results as a sparkline and a list, newest build first."""
    repo = permissions.repo_for(viewer(), repo_id)
    return render_template("repos/test.html", repo=repo, test=testresults.history(repo, test_id, testresults.HISTORY))

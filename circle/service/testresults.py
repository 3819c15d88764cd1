"""What the test results of builds tell: a build's summary and cases, a test's history, and the flaky tests.

A test is flaky when, among the repo's newest N builds, it both failed (or errored) and passed on the same
commit, or its state flipped at least twice (pass → fail → pass, or fail → pass → fail) across the builds
of one branch, oldest first. Skipped results count for neither.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from circle.models import Build, Repo
from circle.states import DESCRIPTIONS, FINAL, TEST_ERROR, TEST_FAILED, TEST_FAILING, TEST_PASSED
from circle.store import tests as test_store

# Results one page of GET …/builds/{n}/tests holds by default and at most; newest results of a test's history.
PAGE, MAX_PAGE = 1000, 5000
HISTORY, MAX_HISTORY = 50, 500
# The newest builds the flaky-test search looks through by default and at most.
FLAKY_BUILDS, MAX_FLAKY_BUILDS = 50, test_store.MAX_BUILDS
# The fewest flips across a branch's builds that make a test flaky.
MIN_FLIPS = 2


def _number(value: int) -> str:
    """Return a count with thin groups of three digits: 1340 → "1 340"."""
    return f"{value:,}".replace(",", " ")


def summary_sentence(counts: test_store.Counts) -> str:
    """Return "12 failed of 1 340 tests" (failed and errored count as failed)."""
    return f"{_number(counts.failed + counts.error)} failed of {_number(counts.total)} tests"


def status_description(build: Build) -> str:
    """Return a finished build's commit status text with its test summary, or "" to use the plain one."""
    if build.status not in FINAL:
        return ""
    counts = test_store.counts(build.id)
    return f"{DESCRIPTIONS[build.status]}: {summary_sentence(counts)}" if counts.total else ""


def statuses_for(status: str | None) -> tuple[str, ...] | None:
    """Return the result statuses a `?status=` filter means: `failed` takes errored cases too."""
    if status is None:
        return None
    return (TEST_FAILED, TEST_ERROR) if status == TEST_FAILED else (status,)


def build_tests(build: Build, status: str | None, offset: int, limit: int) -> dict[str, Any]:
    """Return the build's counts and one page of its cases grouped by suite, failed and errored first."""
    counts = test_store.counts(build.id)
    wanted = statuses_for(status)
    rows = test_store.list_by_build(build.id, statuses=wanted, offset=offset, limit=min(limit, MAX_PAGE))
    suites: dict[str, list[dict[str, Any]]] = {}
    for result, test in rows:
        suites.setdefault(result.suite, []).append({
            "id": result.id, "test_id": test.id, "name": test.name, "classname": test.classname, "file": test.file,
            "status": result.status, "time": result.time, "message": result.message, "output": result.output,
            "pid": result.pid})
    return {"total": counts.total, "passed": counts.passed, "failed": counts.failed, "skipped": counts.skipped,
            "errors": counts.error, "duration": round(counts.duration, 3),
            "matching": test_store.count_by_build(build.id, wanted), "offset": offset,
            "suites": [{"name": name, "cases": cases} for name, cases in suites.items()]}


def history(repo: Repo, test_id: int, limit: int) -> dict[str, Any]:
    """Return one test of the repo and its newest results, newest build first."""
    test = test_store.get_test(repo.id, test_id)
    results = [{"number": build.number, "status": result.status, "time": result.time, "message": result.message,
                "commit": build.commit, "branch": build.branch, "created": build.created, "pid": result.pid}
               for result, build in test_store.history(test.id, min(limit, MAX_HISTORY))]
    return {"id": test.id, "name": test.name, "classname": test.classname, "file": test.file, "results": results}


@dataclass
class _Seen:
    """What the searched builds say about one test."""

    passed: int = 0
    failed: int = 0
    failed_in: list[int] = field(default_factory=list)
    commits: dict[str, set[bool]] = field(default_factory=lambda: defaultdict(set))
    branches: dict[str, list[tuple[int, bool]]] = field(default_factory=lambda: defaultdict(list))


def flaky(repo: Repo, builds: int) -> list[dict[str, Any]]:
    """Return the repo's flaky tests among its newest `builds` builds, most failures first."""
    recent = {b.id: b for b in test_store.recent_builds(repo.id, min(builds, MAX_FLAKY_BUILDS))}
    seen: dict[int, _Seen] = defaultdict(_Seen)
    for test_id, status, build_id in test_store.results_of_failing(list(recent)):
        build, failing = recent[build_id], status in TEST_FAILING
        entry = seen[test_id]
        if failing:
            entry.failed += 1
            entry.failed_in.append(build.number)
        elif status == TEST_PASSED:
            entry.passed += 1
        entry.commits[build.commit].add(failing)
        entry.branches[build.branch].append((build.number, failing))
    found = []
    for test_id, entry in seen.items():
        commits = sorted(sha for sha, outcomes in entry.commits.items() if len(outcomes) == 2)
        flips = {branch: sum(1 for a, b in zip(runs, runs[1:]) if a[1] != b[1])
                 for branch, runs in ((name, sorted(runs)) for name, runs in entry.branches.items())}
        flipped = sorted(branch for branch, count in flips.items() if count >= MIN_FLIPS)
        if commits or flipped:
            found.append((test_id, entry, commits, flipped, max(flips.values(), default=0)))
    tests = test_store.tests_by_id([test_id for test_id, *_ in found])
    found.sort(key=lambda item: (-item[1].failed, item[0]))
    return [{"id": test_id, "name": tests[test_id].name, "classname": tests[test_id].classname,
             "file": tests[test_id].file, "passed": entry.passed, "failed": entry.failed,
             "failed_builds": sorted(set(entry.failed_in), reverse=True), "commits": commits, "branches": flipped,
             "flips": most}
            for test_id, entry, commits, flipped, most in found]

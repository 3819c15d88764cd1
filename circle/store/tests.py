"""Test results: a repo's tests (identities shared across builds) and each build's results of its JUnit reports."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import IntegrityError

from circle.errors import NotFound
from circle.extensions import db
from circle.models import Build, CaseResult, RepoTest
from circle.states import TEST_FAILING, TEST_SKIPPED
from circle.store.base import savepoint

# Rows one IN (…) list or one executemany carries at most.
CHUNK = 500
# The most builds one question about results of several builds may name (the IN list's length).
MAX_BUILDS = CHUNK
# Past this many tests in one report, the repo's tests are read at once instead of by digest.
WHOLE_REPO = 4 * CHUNK


@dataclass
class Counts:
    """How many results of a build ended each way, and their summed seconds."""

    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    duration: float = 0.0

    @property
    def total(self) -> int:
        """Return how many results there are."""
        return self.passed + self.failed + self.error + self.skipped


@dataclass
class NewResult:
    """One case to store: the test's identity and how it ended."""

    suite: str
    classname: str
    name: str
    file: str
    status: str
    time: float
    message: str
    output: str


def digest(repo_id: int, suite: str, classname: str, name: str) -> str:
    """Return the key of a test: its repo, classname and name (the suite's name when it has no classname)."""
    return hashlib.sha256(f"{repo_id}\0{'' if classname else suite}\0{classname}\0{name}".encode()).hexdigest()


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """Yield `items` CHUNK at a time."""
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _known(repo_id: int, digests: Sequence[str]) -> dict[str, int]:
    """Return digest → test id for the repo's tests among `digests`: for many, all the repo's tests in one query
    (hundreds of IN lists cost more); for few, by digest (which names its repo, so no repo_id filter that could
    lead a prepared statement's generic plan to scan the repo's tests instead of the digest index)."""
    if len(digests) > WHOLE_REPO:
        wanted = set(digests)
        rows = db.session.execute(select(RepoTest.digest, RepoTest.id).where(RepoTest.repo_id == repo_id))
        return {key: test_id for key, test_id in rows if key in wanted}
    found: dict[str, int] = {}
    for part in _chunks(digests):
        rows = db.session.execute(select(RepoTest.digest, RepoTest.id).where(RepoTest.digest.in_(part)))
        found.update({key: test_id for key, test_id in rows})
    return found


def _test_ids(repo_id: int, results: Sequence[NewResult]) -> list[int]:
    """Return the test id of each result, creating the repo's tests not seen before."""
    keys = [digest(repo_id, r.suite, r.classname, r.name) for r in results]
    ids = _known(repo_id, sorted(set(keys)))
    missing = {key: r for key, r in zip(keys, results) if key not in ids}
    if missing:
        rows = [{"repo_id": repo_id, "digest": key, "name": r.name, "classname": r.classname, "file": r.file}
                for key, r in missing.items()]
        try:
            with savepoint():  # another report of the repo may add the same tests meanwhile
                for part in _chunks(rows):
                    db.session.execute(insert(RepoTest), list(part))
        except IntegrityError:
            pass
        ids.update(_known(repo_id, sorted(missing)))
    return [ids[key] for key in keys]


def add_results(build: Build, pid: int, file_id: int, results: Sequence[NewResult]) -> int:
    """Store a report's results for one step of a build (flushed); return how many."""
    test_ids = _test_ids(build.repo_id, results)
    rows = [{"build_id": build.id, "test_id": test_id, "file_id": file_id, "pid": pid, "suite": r.suite,
             "status": r.status, "time": r.time, "message": r.message, "output": r.output}
            for test_id, r in zip(test_ids, results)]
    for part in _chunks(rows):
        db.session.execute(insert(CaseResult), list(part))
        time.sleep(0)  # gevent's sleep under the server: let the other requests run between chunks
    return len(rows)


def counts(build_id: int) -> Counts:
    """Return the build's results counted by status (all zero without reports)."""
    out = Counts()
    rows = db.session.execute(select(CaseResult.status, func.count(), func.sum(CaseResult.time))
                              .where(CaseResult.build_id == build_id).group_by(CaseResult.status))
    for status, number, seconds in rows:
        setattr(out, status, getattr(out, status) + int(number))
        out.duration += float(seconds or 0)
    return out


def failed_counts(build_ids: Sequence[int]) -> dict[int, int]:
    """Return build id → how many of its results failed or errored (builds with none left out)."""
    if not build_ids:
        return {}
    rows = db.session.execute(select(CaseResult.build_id, func.count())
                              .where(CaseResult.build_id.in_(build_ids), CaseResult.status.in_(TEST_FAILING))
                              .group_by(CaseResult.build_id))
    return {build_id: int(number) for build_id, number in rows}


def list_by_build(build_id: int, *, statuses: Sequence[str] | None, offset: int, limit: int
                  ) -> list[tuple[CaseResult, RepoTest]]:
    """Return a page of a build's results (of `statuses`, or all) with their tests, failed and errored first."""
    stmt = (select(CaseResult, RepoTest).join(RepoTest, RepoTest.id == CaseResult.test_id)
            .where(CaseResult.build_id == build_id))
    if statuses:
        stmt = stmt.where(CaseResult.status.in_(statuses))
    failing_first = case((CaseResult.status.in_(TEST_FAILING), 0), else_=1)
    stmt = stmt.order_by(failing_first, CaseResult.id).offset(offset).limit(limit)
    return [(result, test) for result, test in db.session.execute(stmt)]


def count_by_build(build_id: int, statuses: Sequence[str] | None) -> int:
    """Return how many results of a build have one of `statuses` (all of them when None)."""
    stmt = select(func.count()).select_from(CaseResult).where(CaseResult.build_id == build_id)
    if statuses:
        stmt = stmt.where(CaseResult.status.in_(statuses))
    return db.session.scalar(stmt) or 0


def get_test(repo_id: int, test_id: int) -> RepoTest:
    """Return a test of a repo, or raise NotFound."""
    test = db.session.get(RepoTest, test_id)
    if test is None or test.repo_id != repo_id:
        raise NotFound(f"test {test_id} not found")
    return test


def history(test_id: int, limit: int) -> list[tuple[CaseResult, Build]]:
    """Return a test's newest results with their builds, newest build first."""
    stmt = (select(CaseResult, Build).join(Build, Build.id == CaseResult.build_id)
            .where(CaseResult.test_id == test_id).order_by(Build.number.desc(), CaseResult.id.desc()).limit(limit))
    return [(result, build) for result, build in db.session.execute(stmt)]


def recent_builds(repo_id: int, limit: int) -> list[Build]:
    """Return the repo's newest `limit` builds, newest first."""
    stmt = select(Build).where(Build.repo_id == repo_id).order_by(Build.number.desc()).limit(limit)
    return list(db.session.scalars(stmt))


def results_of_failing(build_ids: Sequence[int]) -> list[tuple[int, str, int]]:
    """Return (test id, status, build id) of the results in the builds of every test that failed or errored in
    one of them (only those can be flaky), skipped results left out."""
    builds = list(build_ids)[:MAX_BUILDS]
    failing = sorted(set(db.session.scalars(select(CaseResult.test_id).distinct().where(
        CaseResult.build_id.in_(builds), CaseResult.status.in_(TEST_FAILING)))))
    found: list[tuple[int, str, int]] = []
    for part in _chunks(failing):
        rows = db.session.execute(select(CaseResult.test_id, CaseResult.status, CaseResult.build_id).where(
            CaseResult.test_id.in_(part), CaseResult.build_id.in_(builds), CaseResult.status != TEST_SKIPPED))
        found.extend((test_id, status, build_id) for test_id, status, build_id in rows)
    return found


def tests_by_id(test_ids: Sequence[int]) -> dict[int, RepoTest]:
    """Return test id → test for the given ids."""
    found: dict[int, RepoTest] = {}
    for part in _chunks(test_ids):
        found.update({t.id: t for t in db.session.scalars(select(RepoTest).where(RepoTest.id.in_(part)))})
    return found

"""JUnit report ingestion: one report of 50 000 test cases parsed and stored for one build, twice.

    .venv/bin/python bench/reports.py [--cases 50000] [--database-url URL]

Builds a surefire-like report (suites of 100 cases, 2 % failing with a message and a stack trace), then
stores it as a step's report the way an agent's `upload` does (circle.service.reports.store_file, in one
transaction): the first build creates the repo's tests, the second finds them. Prints JSON with the
report's size and the seconds each build took. Goal: under 10 s per build. Default database: a fresh
SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_SECONDS = 10.0
FAILURE = ('<failure message="expected: &lt;{n}&gt; but was: &lt;0&gt;" type="AssertionError">'
           "AssertionError: expected {n}\n\tat com.example.Suite{s}.test{n}(Suite{s}.java:{n})\n</failure>")


def report(cases: int) -> bytes:
    """Return a JUnit XML file of `cases` cases in suites of 100, every 50th one failing."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>']
    for suite in range(0, cases, 100):
        parts.append(f'<testsuite name="com.example.Suite{suite // 100}" tests="{min(100, cases - suite)}">')
        for n in range(suite, min(suite + 100, cases)):
            body = FAILURE.format(n=n, s=suite // 100) if n % 50 == 7 else ""
            parts.append(f'<testcase classname="com.example.Suite{suite // 100}" name="test{n}" '
                         f'time="0.{n % 1000:03d}">{body}</testcase>')
        parts.append("</testsuite>")
    parts.append("</testsuites>\n")
    return "\n".join(parts).encode()


def main() -> None:
    """Store the report for two builds of one repo and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from circle.app import create_app
    from circle.database import upgrade
    from circle.models import Proc
    from circle.service import reports
    from circle.store import builds, repos, scms, users
    from circle.store import tests as test_store
    from circle.store.base import transaction

    data = Path(tempfile.mkdtemp(prefix="circle-bench-reports-"))
    try:
        app = create_app({"CIRCLE_DATA_DIR": str(data), "CIRCLE_SECRET_KEY": "bench", "CIRCLE_AGENT_SECRET": "bench",
                          "CIRCLE_DATABASE_URL": args.database_url or f"sqlite:///{data}/circle.db"})
        upgrade(app)
        xml = report(args.cases)
        figures: dict[str, Any] = {"cases": args.cases, "report_bytes": len(xml), "goal_seconds": GOAL_SECONDS,
                                   "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]}
        with app.app_context():
            owner = users.create(f"bench-{time.time_ns()}", "pw", admin=True)
            scm = scms.create(kind="local", name=f"bench-{owner.id}", url=str(data), owner_id=owner.id)
            repo = repos.create(scm_id=scm.id, full_name=f"bench/r{owner.id}", owner="bench", name=f"r{owner.id}",
                                clone_url=str(data))
            for run in ("first", "second"):
                build = builds.create(repo_id=repo.id, number=1 if run == "first" else 2, event="push",
                                      status="running", branch="main", commit="c" * 40)
                _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                               Proc(build_id=build.id, pid=2, ppid=1, name="test")])
                started = time.perf_counter()
                with transaction("bench report"):
                    reports.store_file(step, "TEST-all.xml", "application/xml", xml, report=True)
                figures[f"{run}_build_seconds"] = round(time.perf_counter() - started, 2)
                counts = test_store.counts(build.id)
                assert counts.total == args.cases, counts
            figures["failed"] = counts.failed
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Artifact storing: a build's step stores N artifacts of M MiB each, hashed and counted against the limits.

    .venv/bin/python bench/artifacts.py [--files 20] [--mib 48] [--database-url URL]

Stores each file the way an agent's `upload` does (circle.service.reports.store_file, one transaction each)
with CIRCLE_ARTIFACT_MAX_BUILD_BYTES and CIRCLE_ARTIFACT_MAX_REPO_BYTES set high enough for all of them, so
every upload hashes its bytes and sums the build's and the repo's files. Prints JSON with the seconds per file,
the MiB/s and the seconds of hashing alone. Default database: a fresh SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    """Store the files for one build and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--mib", type=int, default=48)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from circle.app import create_app
    from circle.database import upgrade
    from circle.models import Proc
    from circle.service import reports
    from circle.store import builds, repos, scms, users
    from circle.store.base import transaction

    data = Path(tempfile.mkdtemp(prefix="circle-bench-artifacts-"))
    limit = str((args.files + 1) * args.mib * 1024 * 1024)
    try:
        app = create_app({"CIRCLE_DATA_DIR": str(data), "CIRCLE_SECRET_KEY": "bench", "CIRCLE_AGENT_SECRET": "bench",
                          "CIRCLE_DATABASE_URL": args.database_url or f"sqlite:///{data}/circle.db",
                          "CIRCLE_ARTIFACT_MAX_BUILD_BYTES": limit, "CIRCLE_ARTIFACT_MAX_REPO_BYTES": limit})
        upgrade(app)
        blob = os.urandom(args.mib * 1024 * 1024)
        started = time.perf_counter()
        hashlib.sha256(blob).hexdigest()
        figures: dict[str, Any] = {"files": args.files, "mib_each": args.mib,
                                   "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
                                   "sha256_seconds_each": round(time.perf_counter() - started, 3)}
        with app.app_context():
            owner = users.create(f"bench-{time.time_ns()}", "pw", admin=True)
            scm = scms.create(kind="local", name=f"bench-{owner.id}", url=str(data), owner_id=owner.id)
            repo = repos.create(scm_id=scm.id, full_name=f"bench/r{owner.id}", owner="bench", name=f"r{owner.id}",
                                clone_url=str(data))
            build = builds.create(repo_id=repo.id, number=1, event="push", status="running", branch="main",
                                  commit="c" * 40)
            _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                           Proc(build_id=build.id, pid=2, ppid=1, name="package")])
            started = time.perf_counter()
            for number in range(args.files):
                with transaction("bench artifact"):
                    reports.store_file(step, f"dist/part-{number}.bin", "application/octet-stream", blob,
                                       report=False)
            seconds = time.perf_counter() - started
        figures["seconds_each"] = round(seconds / args.files, 3)
        figures["mib_per_second"] = round(args.files * args.mib / seconds, 1)
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

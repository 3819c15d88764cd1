"""Measure a retention purge of old builds and /healthz answered meanwhile; prints figures (not a test).

    PYTHONPATH=. .venv/bin/python bench/retention.py [--builds 10000] [--database URL] [--rest 1.0]

Serves the app with circle's gevent server in this process, as `circle server` does, on a fresh SQLite file
(or `--database`, an empty database of your own: its schema is migrated, and a repo of the bench's is added).
Inserts `--builds` finished builds 40 days old over 7 branches, then purges them (keep 30 days, the newest 10
per branch) as the reaper does (resting after each batch as long as it took, or `--rest` times that), while a
probe asks /healthz every 20 ms. Prints the purge's rate and the probe's latencies during it.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid

BRANCHES, KEEP, DAY = 7, 10, 86400


def _populate(builds: int) -> int:
    """Create a repo of its own with `builds` old finished builds; return its id."""
    from sqlalchemy import insert

    from circle.extensions import db
    from circle.models import Build
    from circle.models.types import now
    from circle.store import repos, scms, users

    name = f"bench-{uuid.uuid4().hex[:8]}"
    owner = users.create(name, "pw")
    scm = scms.create(kind="local", name=name, url="/srv", owner_id=owner.id)
    repo = repos.create(scm_id=scm.id, full_name=f"bench/{name}", owner="bench", name=name, clone_url="/srv/x")
    for first in range(1, builds + 1, 1000):
        db.session.execute(insert(Build), [
            {"repo_id": repo.id, "number": n, "event": "push", "status": "success", "branch": f"b{n % BRANCHES}",
             "created": now() - 40 * DAY, "params": {}} for n in range(first, min(first + 1000, builds + 1))])
    db.session.commit()
    return repo.id


def _probe(url: str, stop: threading.Event, latencies: list[float]) -> None:
    """Ask /healthz every 20 ms until `stop`, recording the latencies (ms)."""
    import requests

    while not stop.is_set():
        start = time.perf_counter()
        requests.get(f"{url}/healthz", timeout=60).raise_for_status()
        latencies.append((time.perf_counter() - start) * 1000)
        time.sleep(0.02)


def main() -> None:
    """Populate, purge while probing, and print the figures."""
    from gevent import monkey

    monkey.patch_all()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--database", default="", help="SQLAlchemy URL of an empty database (default: SQLite)")
    parser.add_argument("--rest", type=float, default=None, help="rest after each batch, times its duration "
                        "(default: the background job's ROUND_REST)")
    args = parser.parse_args()

    from circle.app import create_app
    from circle.database import open_database
    from circle.extensions import db
    from circle.server import Server, listen, reachable_url
    from circle.service import retention

    args.rest = retention.ROUND_REST if args.rest is None else args.rest
    data = tempfile.mkdtemp(prefix="circle-retention-bench-")
    app = create_app({"CIRCLE_DATA_DIR": data, "CIRCLE_DATABASE_URL": args.database or f"sqlite:///{data}/circle.db",
                      "CIRCLE_SECRET_KEY": "bench", "CIRCLE_AGENT_SECRET": "bench"})
    open_database(app)
    with app.app_context():
        _populate(args.builds)
        db.session.remove()
    listener = listen("127.0.0.1", 0)
    server = Server(listener, app, log=None)
    server.start()
    stop, latencies = threading.Event(), list[float]()
    prober = threading.Thread(target=_probe, args=(reachable_url(listener), stop, latencies))
    prober.start()
    start = time.perf_counter()
    with app.app_context():
        freed = retention.purge(policy=retention.Policy(days=30, keep_min=KEEP, artifact_days=0),
                                rest=args.rest)
        db.session.remove()
    took = time.perf_counter() - start
    stop.set()
    prober.join()
    server.stop()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"{kind}, rest {args.rest}: purged {freed.builds} of {args.builds} builds in {took:.2f} s "
          f"({freed.builds / took:.0f} builds/s); /healthz meanwhile: {len(latencies)} answers, "
          f"p50 {cuts[49]:.0f} ms, p99 {cuts[98]:.0f} ms, max {max(latencies):.0f} ms")


if __name__ == "__main__":
    main()

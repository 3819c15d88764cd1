"""The server keeps answering over HTTP while the retention purges 10 000 builds in the background."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from flask import Flask
from sqlalchemy import insert, select
from werkzeug.serving import make_server

from api.helpers import Caller
from circle.extensions import db
from circle.hub import hub
from circle.models import Build, File, LogEntry
from circle.models.types import now
from circle.service import retention
from circle.store import builds, files
from loopback import serving

WAIT = 30.0


BUILDS, BRANCHES, KEEP = 10_000, 7, 10


def _old_builds(repo_id: int) -> dict[int, int]:
    """Insert BUILDS old builds over BRANCHES branches; every 100th gets a step with log lines and an artifact.
    Return {build number: step proc id} of those."""
    db.session.execute(insert(Build), [
        {"repo_id": repo_id, "number": n, "event": "push", "status": "success", "branch": f"b{n % BRANCHES}",
         "created": now() - 40 * 86400, "params": {}} for n in range(1, BUILDS + 1)])
    steps = {}
    for build_id, number in db.session.execute(select(Build.id, Build.number).where(Build.number % 100 == 0)):
        builds.create_procs([builds.Proc(build_id=build_id, pid=1, name="default")])
        step = builds.create_procs([builds.Proc(build_id=build_id, pid=2, ppid=1, name="t")])[0]
        hub().logs.write(step.id, [(0, 0, f"line of {number}")])
        files.create(build_id=build_id, proc_id=step.id, pid=2, name="out.txt", size=1, data=b"x")
        steps[number] = step.id
    db.session.commit()
    return steps


def test_10000_builds_purged_while_requests_are_answered_between_batches(app: Flask, admin: Caller, repo: dict,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """After the first batch the purge waits until a request listing the repo's builds was answered, then ends:
    the newest KEEP builds of each branch stay, the others go with their procs, logs and artifacts."""
    steps = _old_builds(repo["id"])
    first_batch, answered, waited = threading.Event(), threading.Event(), []
    delete_batch = retention._delete_builds

    def pausing(*args):
        """Delete one batch; before the second, wait for the HTTP answer."""
        if first_batch.is_set() and not answered.is_set():
            waited.append(answered.wait(WAIT))
        result = delete_batch(*args)
        first_batch.set()
        return result

    monkeypatch.setattr(retention, "_delete_builds", pausing)
    freed: list[retention.Freed] = []

    def purge() -> None:
        """Purge in a thread of its own, as the reaper does."""
        with app.app_context():
            freed.append(retention.purge(policy=retention.Policy(days=30, keep_min=KEEP, artifact_days=0)))
            db.session.remove()

    worker = threading.Thread(target=purge, daemon=True)
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        worker.start()
        assert first_batch.wait(WAIT)
        request = urllib.request.Request(f"{url}/api/repos/{repo['id']}/builds", headers=admin.headers)
        with urllib.request.urlopen(request, timeout=WAIT) as answer:
            assert answer.status == 200 and json.load(answer)
        answered.set()
        worker.join(WAIT * 10)
    assert not worker.is_alive() and waited == [True]
    db.session.remove()
    kept = set(range(BUILDS - BRANCHES * KEEP + 1, BUILDS + 1))
    assert set(db.session.scalars(select(Build.number).where(Build.repo_id == repo["id"]))) == kept
    kept_steps = {steps[number] for number in kept if number in steps}
    assert freed[0].builds == BUILDS - len(kept) and freed[0].artifacts == len(steps) - len(kept_steps)
    assert set(db.session.scalars(select(LogEntry.proc_id))) == kept_steps
    assert set(db.session.scalars(select(File.proc_id))) == kept_steps

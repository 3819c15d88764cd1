"""The server keeps answering over HTTP while the retention purges builds in the background."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from flask import Flask
from sqlalchemy import insert
from werkzeug.serving import make_server

from api.helpers import Caller
from circle.extensions import db
from circle.models import Build
from circle.models.types import now
from circle.service import retention
from loopback import serving

WAIT = 30.0


def test_requests_are_answered_between_purge_batches(app: Flask, admin: Caller, repo: dict,
                                                     monkeypatch: pytest.MonkeyPatch):
    """After the first batch the purge waits until a request listing the repo's builds was answered, then ends."""
    db.session.execute(insert(Build), [
        {"repo_id": repo["id"], "number": n, "event": "push", "status": "success", "branch": "main",
         "created": now() - 40 * 86400, "params": {}} for n in range(1, 1_001)])
    db.session.commit()
    first_batch, answered, waited = threading.Event(), threading.Event(), []
    delete_batch = retention._delete_builds

    def pausing(*args):
        """Delete one batch; before the second, wait for the HTTP answer."""
        if first_batch.is_set():
            waited.append(answered.wait(WAIT))
        result = delete_batch(*args)
        first_batch.set()
        return result

    monkeypatch.setattr(retention, "_delete_builds", pausing)
    freed: list[retention.Freed] = []

    def purge() -> None:
        """Purge in a thread of its own, as the reaper does."""
        with app.app_context():
            freed.append(retention.purge(policy=retention.Policy(days=30, keep_min=5, artifact_days=0)))
            db.session.remove()

    worker = threading.Thread(target=purge, daemon=True)
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        worker.start()
        assert first_batch.wait(WAIT)
        request = urllib.request.Request(f"{url}/api/repos/{repo['id']}/builds", headers=admin.headers)
        with urllib.request.urlopen(request, timeout=WAIT) as answer:
            assert answer.status == 200 and json.load(answer)
        answered.set()
        worker.join(WAIT)
    assert not worker.is_alive() and all(waited) and waited
    assert freed[0].builds == 995

"""Two uploads at once cannot both pass an artifact limit: the build's row is locked while its bytes are counted
(PostgreSQL and MySQL; under gevent on SQLite nothing yields between the count and the commit)."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from api.helpers import add_build
from circle.errors import TooLarge
from circle.extensions import db
from circle.hub import hub
from circle.models import Proc
from circle.service import reports
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store.base import transaction

GOOD = "pipeline:\n  a:\n    image: busybox\n    commands: [echo a]\n"


@pytest.mark.parametrize("migrated_app", ["postgres", "mysql"], indirect=True)
def test_two_uploads_at_once_cannot_both_pass_the_build_limit(app, repo, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hub(), "settings", replace(hub().settings, artifact_max_build_bytes=10))
    build = add_build(repo.id, 1, status="running")
    _, step = build_store.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default", state="running"),
                                        Proc(build_id=build.id, pid=2, ppid=1, name="a", state="running")])
    build_id, step_id = build.id, step.id
    db.session.commit()
    counted, both_counted = [], threading.Event()
    size_of_build = file_store.size_of_build

    def count_then_linger(an_id: int) -> int:
        """Count, then give the other upload a second to count too (it cannot while the row is locked)."""
        held = size_of_build(an_id)
        counted.append(held)
        if len(counted) == 2:
            both_counted.set()
        both_counted.wait(1)
        return held

    monkeypatch.setattr(file_store, "size_of_build", count_then_linger)
    outcomes: list[str] = []

    def upload(name: str) -> None:
        with app.app_context():
            try:
                with transaction("upload"):
                    reports.store_file(build_store.get_proc(step_id), name, "text/plain", b"123456", report=False)
                outcomes.append("stored")
            except TooLarge:
                outcomes.append("refused")
            db.session.remove()

    threads = [threading.Thread(target=upload, args=(name,)) for name in ("a.txt", "b.txt")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["refused", "stored"] and sorted(counted) == [0, 6]
    assert len(file_store.list_by_build(build_id)) == 1

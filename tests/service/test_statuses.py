"""Commit statuses: a build of a forge's repo posts its state to the forge; its SCM's kind, one column, decides."""
from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import event

from circle.extensions import db
from circle.service import statuses
from circle.store import builds, repos, scms, users
from fakehost import hosting

SHA = "4522cbcefc20728a5b72b3a86af35e608622c514"
GOOD = "pipeline:\n  a:\n    image: busybox\n    commands: [echo a]\n"


def test_a_forge_build_posts_its_status_and_the_kind_is_read_by_repo(app, monkeypatch):
    """A Gitea repo's running build reaches Gitea's status API; the decision reads the SCM's kind by the repo."""
    monkeypatch.setattr(statuses, "_sent", OrderedDict())  # what earlier tests' builds (same ids) sent
    owner = users.create("owner", "pw", admin=True)
    with hosting() as host:
        path = f"/api/v1/repos/acme/app/statuses/{SHA}"
        host.on("POST", path, (201, {}, {"id": 1}))
        scm = scms.create(kind="gitea", name="forge", url=host.url, token="t0ken", owner_id=owner.id)
        repo = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app",
                            clone_url=f"{host.url}/acme/app.git")
        build = builds.create(repo_id=repo.id, number=1, event="push", status="running", commit=SHA)
        statuses.report(build)
        deadline = time.monotonic() + 10
        while not host.made("POST", path) and time.monotonic() < deadline:
            time.sleep(0.02)
        [call] = host.made("POST", path)
        assert call.json["state"] == "pending" and call.json["context"] == "circle/default"
    assert scms.kind_of_repo(repo.id) == "gitea"
    assert scms.kind_of_repo(repo.id + 1000) is None


def test_a_local_scm_build_reads_one_column_and_sends_nothing(app):
    """A build of a local SCM (which shows no statuses) costs one query of the SCM's kind: no repo or SCM row
    (with its encrypted secrets) is loaded, no status thread starts."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url="/srv/git", owner_id=owner.id, token="secret-token")
    repo = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app", clone_url="/srv/git/app",
                        hook_secret="hook-secret")
    build = builds.create(repo_id=repo.id, number=1, event="push", commit="a" * 40, status="running")
    db.session.commit()
    db.session.expunge_all()
    build = builds.get(build.id)
    sent: list[str] = []
    engine = db.engine

    def note(_conn, _cursor, sql, *_args) -> None:
        sent.append(sql)

    event.listen(engine, "before_cursor_execute", note)
    try:
        statuses.report(build)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(sent) == 1 and "scms.kind" in sent[0] and "token" not in sent[0] and "hook_secret" not in sent[0]


def test_a_session_holding_the_repo_and_its_scm_decides_without_a_query(app):
    """A trigger has read the repo and its SCM already: reporting its build's status costs no statement."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="local", name="disk", url="/srv/git", owner_id=owner.id)
    repo = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app", clone_url="/srv/git/app")
    build = builds.create(repo_id=repo.id, number=1, event="push", commit="a" * 40, status="running")
    db.session.commit()
    db.session.expunge_all()
    build, repo = builds.get(build.id), repos.get(repo.id)
    scms.get(repo.scm_id)
    sent: list[str] = []

    def note(_conn, _cursor, sql, *_args) -> None:
        sent.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert scms.kind_of_repo(repo.id) == "local"
        statuses.report(build)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert sent == []

"""Commit statuses: whether a build's code host shows them is told by one column, not by loading rows."""
from __future__ import annotations

from sqlalchemy import event

from circle.extensions import db
from circle.service import statuses
from circle.store import builds, repos, scms, users


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

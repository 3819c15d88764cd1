"""POST /rpc is served in front of Flask: app context only, no page machinery, and no database for an idle poll."""
from __future__ import annotations

from flask import request_started
from sqlalchemy import event

from circle.extensions import db


def test_rpc_calls_skip_flask_request_handling(app, rpc):
    """An agent's call starts no Flask request (no routing, cookie session or hooks); a page still does."""
    started = []

    def note(sender, **_):
        started.append(sender)

    request_started.connect(note, app)
    try:
        assert rpc.ok("next", labels={}, poll=1) is None
        assert started == []
        app.test_client().get("/healthz")
        assert len(started) == 1
    finally:
        request_started.disconnect(note, app)


def test_an_idle_poll_runs_no_sql(app, rpc):
    """Once the agent's token is known, a `next` that finds nothing asks the database nothing."""
    rpc.ok("next", labels={}, poll=1)
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert rpc.ok("next", labels={}, poll=1) is None
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_other_methods_are_405_with_allow(app, rpc):
    """GET /rpc answers 405 naming POST, as JSON."""
    response = app.test_client().get("/rpc")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.get_json()["error"] == "Method Not Allowed"


def test_a_notification_answers_204_without_a_body(app, rpc):
    """A call without an id gets HTTP 204 and no content."""
    response = rpc.raw({"jsonrpc": "2.0", "method": "next", "params": {"labels": {}, "poll": 1}})
    assert response.status_code == 204 and response.data == b""

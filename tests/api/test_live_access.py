"""Websocket access: the Origin check, and authorization re-checked as messages go out (tokens, users, repos)."""
from __future__ import annotations

import itertools
import json
import time
from typing import Any, Iterator

import pytest
import websocket
from flask import Flask
from sqlalchemy import event, text
from werkzeug.serving import make_server

from api.helpers import Caller, add_build, grant, make_caller
from circle.api import live
from circle.api.auth import SESSION_KEY
from circle.extensions import db
from circle.hub import hub
from circle.models import Repo, User
from circle.service.events import ALL_EVENTS
from circle.store import builds, repos, scms, users, web_sessions
from loopback import serving

WAIT = 10.0


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The app served on a loopback port."""
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


def _feeds_gone() -> None:
    """Wait until no events feed is subscribed any more (a wake-up event lets a closed one notice)."""
    deadline = time.monotonic() + WAIT
    while hub().pubsub.subscriber_count(ALL_EVENTS):
        assert time.monotonic() < deadline, "an events feed outlived its socket"
        hub().pubsub.publish(ALL_EVENTS, {"type": "wake-up", "repo_id": None})
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _no_feed_outlives_its_test(app: Flask) -> Iterator[None]:
    """Leave no events feed behind for the next test to mistake for its own."""
    yield
    _feeds_gone()


def _connect(base_url: str, path: str, *headers: str, origin: str | None = None) -> websocket.WebSocket:
    """Open a websocket of the app with extra headers, from `origin` (None: send no Origin, like a script)."""
    return websocket.create_connection(base_url.replace("http", "ws") + path, timeout=WAIT, header=list(headers),
                                       origin=origin, suppress_origin=origin is None)


def _wait_subscribers(topic: str, count: int = 1) -> None:
    """Wait until `topic` has `count` subscribers."""
    deadline = time.monotonic() + WAIT
    while hub().pubsub.subscriber_count(topic) < count:
        assert time.monotonic() < deadline, f"nobody subscribed to {topic}"
        time.sleep(0.01)


def _refusal(conn: websocket.WebSocket, message: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the refusal message of a socket (or check the one given) and that the server then closes it (1008)."""
    message = json.loads(conn.recv()) if message is None else message
    assert "error" in message, message
    opcode, frame = conn.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame[:2], "big") == 1008
    return message


def _repo(owner: Caller, name: str, **columns: Any) -> Repo:
    """Create a repo directly, readable by `owner`."""
    scm = scms.create(kind="local", name=f"scm-{name}", url="/x", owner_id=owner.user.id)
    repo = repos.create(scm_id=scm.id, full_name=f"acme/{name}", owner="acme", name=name,
                        clone_url=f"/x/acme/{name}", **columns)
    grant(owner, repo.id, "admin")
    return repo


def test_a_websocket_from_another_origin_is_refused(base_url: str, alice: Caller):
    """A page of another site cannot open the feed with the visitor's credentials."""
    conn = _connect(base_url, "/ws/events", f"Authorization: Bearer {alice.token}", origin="https://evil.example")
    assert _refusal(conn)["error"] == "Forbidden"


def test_a_websocket_from_this_origin_or_without_one_is_accepted(base_url: str, admin: Caller):
    """The dashboard's own origin passes, and so does a script that sends no Origin."""
    for origin in (base_url, None):
        conn = _connect(base_url, "/ws/events", f"Authorization: Bearer {admin.token}", origin=origin)
        try:
            _wait_subscribers(ALL_EVENTS)
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 5})
            assert json.loads(conn.recv()) == {"type": "build", "repo_id": 5}
        finally:
            conn.close()
        _feeds_gone()


def _elsewhere(statement: str, **values: int) -> None:
    """Change the database as another server process would: on a connection of its own, unseen by this one's session."""
    with db.engine.begin() as conn:
        conn.execute(text(statement), values)


@pytest.mark.parametrize("revoke", ["token", "user", "session"])
def test_a_deleted_token_or_user_or_an_ended_session_closes_the_events_feed_on_the_next_message(
        app: Flask, base_url: str, admin: Caller, revoke: str):
    """A revocation committed by the server's own process closes the feed on the next event, cached answers or not."""
    bot = make_caller("bot", admin=True)
    header = _session_cookie(app, bot.user) if revoke == "session" else f"Authorization: Bearer {bot.token}"
    conn = _connect(base_url, "/ws/events", header)
    try:
        _wait_subscribers(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 1})
        assert json.loads(conn.recv())["repo_id"] == 1
        if revoke == "token":
            users.delete_token(bot.user, users.list_tokens(bot.user)[0].id)
        elif revoke == "session":
            web_sessions.delete_for_user(bot.user.id)
        else:
            users.delete(bot.user)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 2})
        assert _refusal(conn)["error"] == "Unauthorized"
    finally:
        conn.close()


def test_a_reused_repo_id_does_not_leak_the_new_repos_events(base_url: str, admin: Caller, alice: Caller):
    """Alice read repo N; it is deleted and the admin's new repo gets id N: its events do not reach her."""
    old = _repo(alice, "old")
    repo_id = old.id
    mine = _repo(alice, "mine")
    conn = _connect(base_url, "/ws/events", f"Authorization: Bearer {alice.token}")
    try:
        _wait_subscribers(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": repo_id, "n": 1})
        assert json.loads(conn.recv())["n"] == 1
        repos.delete(old)
        scm = scms.create(kind="local", name="admins", url="/y", owner_id=admin.user.id)
        reused = repos.create(id=repo_id, scm_id=scm.id, full_name="root/secret", owner="root", name="secret",
                              clone_url="/y/root/secret")
        assert reused.id == repo_id
        for n in range(2, 11):
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": repo_id, "n": n})
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": mine.id, "n": 99})
        assert json.loads(conn.recv())["n"] == 99
    finally:
        conn.close()


def test_a_deleted_token_closes_the_log_socket_on_the_next_batch(base_url: str):
    """A log tail re-checks its caller too: the lines after the token's deletion are not sent."""
    carol = make_caller("carol")
    repo = _repo(carol, "app")
    build = add_build(repo.id, 1, status="running")
    proc = builds.create_procs([builds.Proc(build_id=build.id, pid=1, name="step", state="running")])[0]
    hub().logs.write(proc.id, [(0, 0, "first\n")])
    conn = _connect(base_url, f"/ws/logs/{repo.id}/1/1", f"Authorization: Bearer {carol.token}")
    try:
        assert json.loads(conn.recv())["lines"][0]["out"] == "first\n"
        _wait_subscribers(f"logs:{proc.id}")
        users.delete_token(carol.user, users.list_tokens(carol.user)[0].id)
        hub().logs.write(proc.id, [(1, 0, "second\n")])
        assert _refusal(conn)["error"] == "Unauthorized"
    finally:
        conn.close()


def _session_cookie(app: Flask, user: User) -> str:
    """Start a dashboard session of `user` and return the Cookie header that carries it."""
    value = app.session_interface.get_signing_serializer(app).dumps({SESSION_KEY: web_sessions.create(user)})
    return f"Cookie: {app.config['SESSION_COOKIE_NAME']}={value}"


@pytest.mark.parametrize("credential", ["token", "session"])
def test_a_credential_ended_by_another_process_closes_the_events_feed_once_its_answers_expire(
        app: Flask, base_url: str, admin: Caller, credential: str):
    """Another server process's revocation is not seen at once, but the feed asks anew each second and then closes."""
    bot = make_caller("bot", admin=True)
    header = f"Authorization: Bearer {bot.token}" if credential == "token" else _session_cookie(app, bot.user)
    conn = _connect(base_url, "/ws/events", header)
    try:
        _wait_subscribers(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 1, "n": 0})
        assert json.loads(conn.recv())["n"] == 0
        table = "tokens" if credential == "token" else "web_sessions"
        _elsewhere(f"DELETE FROM {table} WHERE user_id = :user", user=bot.user.id)
        deadline = time.monotonic() + WAIT
        for n in itertools.count(1):
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 1, "n": n})
            message = json.loads(conn.recv())
            if "error" in message:
                break
            assert time.monotonic() < deadline, "the feed never asked its token anew"
            time.sleep(0.05)
        assert _refusal(conn, message)["error"] == "Unauthorized"
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["here", "elsewhere"])
def test_a_removed_permission_stops_the_repos_events(base_url: str, alice: Caller, where: str):
    """Revoked here, the repo's next event is not sent; revoked by another process, its events stop within seconds."""
    lost, kept = _repo(alice, "lost"), _repo(alice, "kept")
    conn = _connect(base_url, "/ws/events", f"Authorization: Bearer {alice.token}")
    try:
        _wait_subscribers(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": lost.id, "n": 0})
        assert json.loads(conn.recv())["n"] == 0
        if where == "here":
            repos.set_perm(alice.user.id, lost.id, pull=False, push=False, admin=False)
        else:
            _elsewhere("DELETE FROM perms WHERE user_id = :user AND repo_id = :repo", user=alice.user.id, repo=lost.id)
        deadline = time.monotonic() + WAIT
        for n in itertools.count(1):
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": lost.id, "n": n})
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": kept.id, "n": n})
            sent = [json.loads(conn.recv())]
            while sent[-1]["repo_id"] != kept.id:
                sent.append(json.loads(conn.recv()))
            if len(sent) == 1:
                break
            assert where == "elsewhere", "a permission removed by this process was still honoured"
            assert time.monotonic() < deadline, "the feed never asked the permission anew"
            time.sleep(0.05)
    finally:
        conn.close()


def test_the_events_feed_asks_its_credential_once_per_window_not_per_event(base_url: str, alice: Caller,
                                                                           monkeypatch: pytest.MonkeyPatch):
    """Many events to one subscriber within the window cost no token or permission query each."""
    monkeypatch.setattr(live, "RECHECK", 60.0)
    repo = _repo(alice, "busy")
    conn = _connect(base_url, "/ws/events", f"Authorization: Bearer {alice.token}")
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)
    try:
        _wait_subscribers(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": repo.id, "n": 0})
        assert json.loads(conn.recv())["n"] == 0
        event.listen(db.engine, "before_cursor_execute", note)
        for n in range(1, 21):
            hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": repo.id, "n": n})
        assert [json.loads(conn.recv())["n"] for _ in range(20)] == list(range(1, 21))
    finally:
        if event.contains(db.engine, "before_cursor_execute", note):
            event.remove(db.engine, "before_cursor_execute", note)
        conn.close()
    assert not [s for s in statements if "tokens" in s or "perms" in s], statements

"""Server processes sharing one database: heartbeat rows, and the loud warning when they share no bus.

Two apps on one database stand for two `circle server` processes. The bus cases use the Redis of
CIRCLE_TEST_REDIS_URL (default redis://127.0.0.1:6379/0), skipped (failed under CI) when it does not answer.
"""
from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask

from circle.extensions import db
from circle.hub import hub
from circle.models.types import now
from circle.service import servers
from circle.store import servers as server_store
from dbtools import REDIS_URL as REDIS
from dbtools import disposed_after, make_app, require_redis

SENTENCE = ("2 server processes share this database without CIRCLE_PUBSUB_URL: wake-ups, live logs, events and "
            "cancels will be missed; set CIRCLE_PUBSUB_URL (docs/pubsub.md)")


@contextmanager
def _server_apps(app: Flask, tmp_path: Path, buses: tuple[str, ...]) -> Iterator[list[Flask]]:
    """Yield one app per bus URL ("" for none) on `app`'s database, each with its heartbeat row."""
    with ExitStack() as stack:
        apps = []
        for index, bus in enumerate(buses):
            other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / str(index), CIRCLE_PUBSUB_URL=bus)
            stack.enter_context(disposed_after(other))
            stack.callback(other.extensions["circle"].pubsub.close)
            with other.app_context():
                servers.register()
            apps.append(other)
        yield apps


def _healthz(app: Flask) -> dict:
    """Return the JSON of the app's /healthz, checking it answered 200."""
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    return response.get_json()


def test_two_servers_without_a_bus_are_told_loudly(app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """A second live server on the database without CIRCLE_PUBSUB_URL: the start logs it, /healthz shows it."""
    with _server_apps(app, tmp_path, ("",)) as [first]:
        assert _healthz(first) == {"status": "ok", "servers": 1, "pubsub": "in-process", "warnings": []}
        heartbeat = servers.Heartbeat(app)
        with caplog.at_level(logging.ERROR, "circle.service.servers"):
            heartbeat.start()
        try:
            assert SENTENCE in caplog.text
            assert _healthz(first) == {"status": "ok", "servers": 2, "pubsub": "in-process", "warnings": [SENTENCE]}
        finally:
            heartbeat.stop()
        assert _healthz(first)["warnings"] == []  # a stopped server removes its row


@pytest.mark.parametrize("buses", [("redis", "redis"), ("redis", "")], ids=["both", "one"])
def test_servers_that_share_a_bus_are_fine_and_one_without_is_not(app: Flask, tmp_path: Path,
                                                                   buses: tuple[str, str]):
    """No warning when every live server has a bus; one server without it is enough for the warning."""
    require_redis("these tests")
    with _server_apps(app, tmp_path, tuple(REDIS if bus else "" for bus in buses)) as [first, second]:
        expected = [] if all(buses) else [SENTENCE]
        assert _healthz(first) == {"status": "ok", "servers": 2, "pubsub": "redis", "warnings": expected}
        assert _healthz(second)["warnings"] == expected


def test_a_stale_server_is_ignored_and_deleted_by_the_next_heartbeat(app: Flask):
    """A server that stopped beating (killed) counts no more after STALE seconds, and its row goes."""
    server_store.create(host="gone", pid=1, started=0, last_seen=now() - servers.STALE - 1)
    mine = servers.register()
    assert servers.warnings() == []
    assert servers.beat(mine.id) == mine.id
    db.session.expire_all()
    assert [row.id for row in server_store.list_live(0)] == [mine.id]


def test_a_heartbeat_whose_row_was_deleted_adds_it_again(app: Flask):
    """A server paused past STALE (its row deleted by another) is back on its next heartbeat."""
    mine = servers.register()
    server_store.delete(mine)
    again = servers.beat(mine.id)
    assert [row.id for row in server_store.list_live(now() - servers.STALE)] == [again]
    assert server_store.get(again).bus == hub().pubsub.kind == ""
